"""Personas shared by every test: two centers, each with an admin, a counselor and a trainer."""

import os
import types

import pytest

# Sync Playwright runs an event loop in the test thread; the ORM calls beside it are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    # Tests render templates without running collectstatic first: no hashed-manifest storage.
    from django.conf import settings

    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    # The test client and the live server speak plain http; production's https redirect would answer
    # every request with a 301 (crm/tests/test_deploy_check.py covers the production values).
    settings.SECURE_SSL_REDIRECT = False
    # Each persona hashes a password; the real hasher costs ~0.3 s a user, MD5 is fine in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Many tests (and the fuzzer) ask for tokens; the throttle has its own test.
    settings.API_TOKEN_RATE = "100000/m"
    # Super admins confirm a code after the password in production; accounts/tests/test_two_factor.py
    # turns it on to test it, the other tests sign the super admin in with the password alone.
    settings.TWO_FACTOR_SUPER_ADMINS = False


@pytest.fixture
def tlgc(db):
    from leads.tests.factories import CenterFactory

    return CenterFactory(name="The Little Gym Gurgaon", code="TLGC", city="Gurgaon")


@pytest.fixture
def tlgb(db):
    from leads.tests.factories import CenterFactory

    return CenterFactory(name="The Little Gym Bangalore", code="TLGB", city="Bangalore")


def _staff(center, prefix):
    from accounts.models import Role
    from leads.tests.factories import BatchFactory, UserFactory

    admin = UserFactory(username=f"{prefix}_admin", role=Role.CENTER_ADMIN, centers=[center])
    counselor = UserFactory(username=f"{prefix}_counselor", role=Role.COUNSELOR, centers=[center])
    trainer = UserFactory(username=f"{prefix}_trainer", role=Role.TRAINER, centers=[center])
    batch = BatchFactory(center=center, name=f"{center.code} Pre-K Gym", trainer=trainer)
    return types.SimpleNamespace(center=center, admin=admin, counselor=counselor, trainer=trainer, batch=batch)


@pytest.fixture
def c(tlgc):
    """TLGC and its staff: c.center, c.admin, c.counselor, c.trainer, c.batch."""
    return _staff(tlgc, "tlgc")


@pytest.fixture
def b(tlgb):
    """TLGB and its staff (the other center)."""
    return _staff(tlgb, "tlgb")


@pytest.fixture
def superadmin(db):
    from accounts.models import Role
    from leads.tests.factories import UserFactory

    return UserFactory(username="superadmin", role=Role.SUPER_ADMIN)


@pytest.fixture
def lead(c):
    from leads.tests.factories import make_lead

    return make_lead(c.center, c.counselor)


# -- browser tests --------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def pytest_collection_modifyitems(config, items):
    """Browser tests need Chromium; they may skip locally, never where REQUIRE_BROWSER=1 (CI)."""
    if os.path.exists(CHROMIUM) or os.environ.get("REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _flush_may_empty_the_access_log():
    """Transactional tests end with `flush`; on SQLite that is a DELETE, which the access log's
    and the status history's triggers refuse unless this flag is up (accounts/append_only.py)."""
    from django.core.management.commands import flush

    from accounts.append_only import flushing_access_log

    original = flush.Command.handle

    def handle(self, *args, **options):
        with flushing_access_log():
            return original(self, *args, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original
