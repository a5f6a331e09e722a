"""Issue 10's closing figures: what the access log costs per page, and how fast families are erased.

    DATABASE_URL=postgres://crm:crm@127.0.0.1:5432/crm_bench DJANGO_SECURE_COOKIES=0 \\
        .venv/bin/python manage.py bench_privacy --families 10000

Unlike `bench` (a throwaway test database), this writes into the database DATABASE_URL points at:
two new centers per run (pages and retention), their staff, `--leads` leads and `--families`
closed-lost families, all kept afterwards. So it refuses to run unless the database's name
contains "bench" or `--yes` is given.

1. The lead page, the API's lead details and the CSV export, `--requests` times each, with the
   access log as it is and with `AccessLog.record` patched to a no-op (the reference).
2. `erase_family` by a center admin, median over `--erasures` families; then a retention run
   (`leads.retention.plan` and `apply`, timed apart) over `--families` due closed-lost families.
"""

from __future__ import annotations

import math
import platform
import random
import statistics
import string
import time
from contextlib import nullcontext
from unittest import mock

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Center, Role, User
from api.models import ApiToken
from leads import retention
from leads.demo import bulk_leads
from leads.erasure import erase_family
from leads.models import Lead, LeadStatus

PAGES = ("lead page", "API lead details", "CSV export")


def p95(timings: list[float]) -> float:
    """Nearest-rank 95th percentile (the slowest request of 20)."""
    ordered = sorted(timings)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def http_host() -> str:
    """A host ALLOWED_HOSTS accepts (the test client's "testserver" may not be one outside tests)."""
    for host in settings.ALLOWED_HOSTS:
        if host == "*":
            return "localhost"
        if host:
            return host.lstrip(".")
    raise CommandError("ALLOWED_HOSTS is empty: set DJANGO_ALLOWED_HOSTS.")


class Command(BaseCommand):
    help = "Print the access log's cost per page and erasure/retention speed (writes data: a scratch database)."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=50, help="Requests per page and variant.")
        parser.add_argument("--families", type=int, default=1000, help="Due closed-lost families for retention.")
        parser.add_argument(
            "--leads", type=int, default=1000, help="Leads of the pages' center (the CSV exports them)."
        )
        parser.add_argument("--erasures", type=int, default=5, help="Families erased one by one by a center admin.")
        parser.add_argument("--yes", action="store_true", help="Run even if the database name lacks 'bench'.")

    def handle(self, *args, requests: int, families: int, leads: int, erasures: int, yes: bool, **options):
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name and not yes:
            raise CommandError(
                f"This writes thousands of rows into the database {name!r}. Point DATABASE_URL at a scratch "
                "database whose name contains 'bench' (e.g. crm_bench), or pass --yes."
            )
        if min(requests, families, leads, erasures) < 1:
            raise CommandError("--requests, --families, --leads and --erasures must be at least 1.")
        self.stdout.write(
            f"Database: {connection.vendor} ({name}); Python {platform.python_version()}; "
            f"Django {django.get_version()}; {timezone.now():%Y-%m-%d %H:%M} UTC"
        )
        pages_center, retention_center = self._centers()
        admin = self._user(pages_center, "admin", Role.CENTER_ADMIN)
        admin.add_to_center(retention_center, Role.CENTER_ADMIN)
        counselor = self._user(pages_center, "counselor", Role.COUNSELOR)

        started = time.perf_counter()
        bulk_leads(pages_center, leads + erasures, by=counselor, assignees=[counselor], seed=leads)
        self.stdout.write(
            f"Built {pages_center.code}: {leads + erasures:,} leads in {time.perf_counter() - started:.1f} s"
        )
        self._pages(pages_center, counselor, requests, leads)
        self._erasures(pages_center, admin, erasures)
        self._retention(retention_center, admin, families)

    # --- data -------------------------------------------------------------------------------

    def _centers(self) -> tuple[Center, Center]:
        """Two new centers (codes BP<5 letters>P and ...R), so each run starts from the same state."""
        rng = random.SystemRandom()
        while True:
            stem = "BP" + "".join(rng.choices(string.ascii_uppercase, k=5))
            codes = [stem + "P", stem + "R"]
            if not Center.objects.filter(code__in=codes).exists():
                break
        pages = Center.objects.create(code=codes[0], name=f"Bench privacy pages {stem}", city="Bench")
        kept = Center.objects.create(code=codes[1], name=f"Bench privacy retention {stem}", city="Bench")
        return pages, kept

    def _user(self, center: Center, key: str, role: str) -> User:
        user = User(username=f"bench_{center.code.lower()}_{key}", role=role, first_name="Bench", last_name=key)
        user.set_unusable_password()  # signed in with force_login and a token: no hashing in the run
        user.save()
        user.add_to_center(center, role)
        return user

    # --- 1. access log per page ------------------------------------------------------------

    def _pages(self, center: Center, counselor: User, requests: int, leads: int) -> None:
        lead = Lead.objects.filter(center=center).order_by("pk").first()
        _, secret = ApiToken.issue(counselor, name="bench_privacy")
        client = Client(HTTP_HOST=http_host())
        client.force_login(counselor)
        secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))  # no https redirect to measure
        targets = {
            "lead page": (reverse("leads:lead_detail", args=[lead.pk]), {}),
            "API lead details": (f"/api/v1/leads/{lead.pk}/details", {"Authorization": f"Bearer {secret}"}),
            "CSV export": (reverse("leads:lead_csv"), {}),
        }
        self.stdout.write("")
        self.stdout.write(
            f"1. Access log per page: {requests} requests each as a counselor (in turns), {leads:,} leads in the center; "
            "median / p95 ms, queries per request"
        )
        self.stdout.write(f"{'page':<18}{'with access log':>24}{'record() a no-op':>24}{'difference':>26}")
        for page in PAGES:
            url, headers = targets[page]
            logged, reference = self._measure(client, url, headers, secure, requests)
            diff = (
                f"{logged[0] - reference[0]:+.1f} / {logged[1] - reference[1]:+.1f} ms, {logged[2] - reference[2]:+d} q"
            )
            self.stdout.write(f"{page:<18}{self._cell(logged):>24}{self._cell(reference):>24}{diff:>26}")

    @staticmethod
    def _cell(result: tuple[float, float, int]) -> str:
        return f"{result[0]:.1f} / {result[1]:.1f} ms, {result[2]} q"

    def _measure(self, client: Client, url: str, headers: dict, secure: bool, requests: int):
        def get():
            response = client.get(url, headers=headers, secure=secure)
            body = response.getvalue() if response.streaming else response.content  # a CSV streams
            if response.status_code != 200:
                raise CommandError(f"GET {url} answered {response.status_code}: {body[:200]!r}")
            return response

        # The two variants take turns, request by request, so a neighbour's load or a warming cache
        # weighs on both alike.
        variants = {True: ([], 0), False: ([], 0)}
        for _ in range(requests + 1):  # the first round warms caches, the session and the token
            for logged in (True, False):
                patch = mock.patch.object(AccessLog, "record", return_value=None) if not logged else nullcontext()
                with patch, CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    get()
                    elapsed = (time.perf_counter() - start) * 1000
                timings, _ = variants[logged]
                variants[logged] = (timings, len(ctx.captured_queries))
                timings.append(elapsed)
        return tuple(
            (statistics.median(timings[1:]), p95(timings[1:]), queries) for timings, queries in variants.values()
        )

    # --- 2. erasure and retention ----------------------------------------------------------

    def _erasures(self, center: Center, admin: User, erasures: int) -> None:
        # The newest leads: not the one the pages read. bulk_leads families: one parent, child, lead.
        victims = list(Lead.objects.filter(center=center).select_related("child__center").order_by("-pk")[:erasures])
        timings, queries = [], []
        for lead in victims:
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                erase_family(lead.child, by=admin, confirmation=lead.enquiry_id)
                timings.append((time.perf_counter() - start) * 1000)
            queries.append(len(ctx.captured_queries))
        self.stdout.write("")
        self.stdout.write("2. Erasure (families of one parent, one child, one lead)")
        self.stdout.write(
            f"{'erase one family':<18}  median {statistics.median(timings):.1f} ms, "
            f"min {min(timings):.1f}, max {max(timings):.1f} over {len(timings)} families (by a center admin), "
            f"{statistics.median(queries):.0f} q"
        )

    def _retention(self, center: Center, admin: User, families: int) -> None:
        # Leads whose whole life ended a month past the closed-lost period: every family is due now.
        built_until = retention.months_before(timezone.now(), center.closed_lost_retention_months + 1)
        started = time.perf_counter()
        bulk_leads(center, families, by=admin, mix={LeadStatus.CLOSED_LOST: 1.0}, days=90, now=built_until, seed=1)
        built = time.perf_counter() - started
        now = timezone.now()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            plans = [due for due in retention.plan(now, [center]) if due.center is not None]
            planned = time.perf_counter() - started
        due = sum(len(plan.closed_lost) + len(plan.converted) for plan in plans)
        started = time.perf_counter()
        done = retention.apply(plans)
        applied = time.perf_counter() - started
        erased = sum(len(plan.closed_lost) + len(plan.converted) for plan in done)
        if due != families or erased != families:
            raise CommandError(f"Expected {families} due families; plan found {due}, apply erased {erased}.")
        self.stdout.write(f"{'retention data':<18}  {families:,} closed-lost families built in {built:.1f} s")
        self.stdout.write(
            f"{'retention plan':<18}  {planned:.2f} s for {due:,} due families: {due / planned:,.0f} families/s, "
            f"{len(ctx.captured_queries)} q"
        )
        self.stdout.write(
            f"{'retention apply':<18}  {applied:.1f} s for {erased:,} families: {erased / applied:,.0f} families/s, "
            f"{applied * 1000 / erased:.1f} ms each"
        )
