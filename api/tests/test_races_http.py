"""The follow-up LOST vs convert race through the API, against gunicorn with two workers on PostgreSQL.

Two requests at once on one lead: `PATCH /api/v1/follow-ups/{id}` completing the follow-up as LOST
(which closes the lead) and the one-step `POST /api/v1/leads/{id}/convert` with the enrollment's
terms (`batch_id`, `start_date`, `plan`). Each alone is valid; together exactly one wins (200) and
the other gets the rule's sentence (409), never a 500 (a deadlock surfaces as one), and no
enrollment is left without a converted lead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from leads.models import Enrollment, FollowUp, FollowUpStatus, Lead, LeadStatus
from leads.tests.factories import BatchFactory, make_lead

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

PORT = 8105
BASE = f"http://127.0.0.1:{PORT}/api/v1"
ROUNDS = 20
PASSWORD = "race-pass-123"


# -- the server -----------------------------------------------------------------------------------


def _port_taken() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", PORT)) == 0


@pytest.fixture
def server(transactional_db, tmp_path):
    """gunicorn on the test database (the test's rows are committed, so it sees them); stopped before the flush."""
    assert not _port_taken(), f"something already listens on 127.0.0.1:{PORT}; stop it first"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SECURE_COOKIES": "0",
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # No persistent connections: none is left open on the test database when gunicorn stops.
        "DJANGO_CONN_MAX_AGE": "0",
        # Error pages render without `collectstatic`.
        "DJANGO_STATIC_MANIFEST": "0",
    }
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(gunicorn), "crm.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{log.read_text()[-3000:]}"
            try:
                if requests.get(f"{BASE}/openapi.json", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still loading
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer in 60 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield log
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def pause_after_the_follow_up_lock(transactional_db):
    """50 ms inside the PATCH's transaction, just after it has locked the follow-up (a trigger on the
    LOST update), so the two requests' locks meet in most rounds, not one in twenty.

    With the lead locked first, the pause only makes the convert wait; in the test database only.
    """
    table = connection.ops.quote_name(FollowUp._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION race_test_pause() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER race_test_pause BEFORE UPDATE ON {table} FOR EACH ROW "
            "WHEN (NEW.outcome = 'LOST') EXECUTE FUNCTION race_test_pause()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS race_test_pause ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS race_test_pause()")


def api_token(user) -> str:
    """A bearer token from POST /auth/token (the tests' MD5 hashes are unknown to the server: use PBKDF2)."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    response = requests.post(f"{BASE}/auth/token", json={"username": user.username, "password": PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["token"]


# -- the convert request ------------------------------------------------------------------------------


def convert_body(lead: Lead, batch) -> dict:
    """The one-step convert: the enrollment is made in the conversion's transaction."""
    return {"batch_id": batch.pk, "start_date": _today(), "plan": "Weekly"}


def _today() -> str:
    return timezone.localdate().isoformat()


# -- the race ------------------------------------------------------------------------------------------


def fresh_leads(c, n: int) -> list[Lead]:
    """`n` leads pending a follow-up: both requests are valid on each alone."""
    leads = []
    for _ in range(n):
        lead = make_lead(c.center, c.counselor)
        lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)
        leads.append(lead)
    return leads


class Requests:
    """The two racing requests on one lead, each from its own session (so its own connection)."""

    def __init__(self, token: str, lead: Lead, convert_body: dict):
        self.sessions = [requests.Session(), requests.Session()]
        for session in self.sessions:
            session.headers["Authorization"] = f"Bearer {token}"
        follow_up = lead.follow_ups.get()
        self.calls = [
            (
                "patch",
                f"{BASE}/follow-ups/{follow_up.pk}",
                {"status": "COMPLETED", "outcome": "LOST", "reason": "Chose a school closer to home"},
            ),
            ("post", f"{BASE}/leads/{lead.pk}/convert", convert_body),
        ]

    def send(self, i: int) -> tuple[requests.Response, float]:
        method, url, body = self.calls[i]
        started = time.perf_counter()
        response = getattr(self.sessions[i], method)(url, json=body, timeout=60)
        return response, time.perf_counter() - started

    def race(self, convert_later: float) -> list[requests.Response]:
        barrier = threading.Barrier(2)
        responses: list = [None, None]

        def go(i: int, delay: float) -> None:
            try:
                barrier.wait(30)
                time.sleep(delay)
                responses[i] = self.send(i)[0]
            except Exception as error:  # reported by the test
                responses[i] = error

        threads = [
            threading.Thread(target=go, args=(0, max(-convert_later, 0.0))),
            threading.Thread(target=go, args=(1, max(convert_later, 0.0))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        return responses


def _brief(response: requests.Response) -> str:
    """The status and the JSON detail; an HTML error page says nothing more than its status."""
    try:
        detail = response.json().get("detail") if response.status_code >= 400 else None
        return f"{response.status_code} {detail}"[:200] if detail else f"{response.status_code}"
    except ValueError:
        return f"{response.status_code} (not JSON)"


def _sentence(response: requests.Response) -> bool:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return False
    return isinstance(detail, str) and detail[:1].isupper() and detail.endswith(".")


@pytest.mark.django_db(transaction=True)
def test_follow_up_lost_races_convert_one_200_one_409_never_a_500(c, server, pause_after_the_follow_up_lock):
    token = api_token(c.counselor)
    leads = fresh_leads(c, ROUNDS + 4)
    # Room for every enrollment of the test (the conftest batch takes 10 children), and for any age.
    batch = BatchFactory(center=c.center, trainer=c.trainer, capacity=100, min_age_months=0, max_age_months=144)

    # One after the other, on twin leads, each order twice: each gives 200 then 409. The winners'
    # times (the faster of two, so a worker's first request does not count) set the sweep below.
    took: dict[int, float] = {}
    for lead, order in zip(leads[:4], ((0, 1), (1, 0)) * 2, strict=True):
        calls = Requests(token, lead, convert_body(lead, batch))
        codes = []
        for i in order:
            response, seconds = calls.send(i)
            codes.append(response.status_code)
            if i == order[0]:
                took[i] = min(took.get(i, seconds), seconds)
        assert codes == [200, 409], f"one after the other ({'PATCH first' if order[0] == 0 else 'convert first'})"

    # Sweep the convert's start across the middle half of both requests: most of a request is the same
    # for both (HTTP, token, lookups), so their locks meet when they start close together.
    low, high = -0.5 * took[1], 0.5 * took[0]
    figures, winners, problems = Counter(), Counter(), []
    for round_no, lead in enumerate(leads[4:], 1):
        calls = Requests(token, lead, convert_body(lead, batch))
        history_before = lead.status_changes.count()
        patch, convert = calls.race(low + (high - low) * (round_no - 1) / (ROUNDS - 1))
        figures["races"] += 1
        if not all(isinstance(r, requests.Response) for r in (patch, convert)):
            problems.append(f"round {round_no}: no response: {patch!r} / {convert!r}")
            continue
        codes = (patch.status_code, convert.status_code)
        figures.update(f"{code}" for code in codes)
        figures["5xx"] += sum(code >= 500 for code in codes)
        if sorted(codes) != [200, 409]:
            problems.append(f"round {round_no}: PATCH {_brief(patch)} / convert {_brief(convert)}")
            continue
        loser = patch if codes[0] == 409 else convert
        if not _sentence(loser):
            problems.append(f"round {round_no}: the 409 has no sentence: {loser.text[:300]}")
        lead.refresh_from_db()
        follow_up = lead.follow_ups.get()
        if codes[0] == 200:
            winners["PATCH LOST"] += 1
            expected = (LeadStatus.CLOSED_LOST, FollowUpStatus.COMPLETED, "LOST")
        else:
            winners["convert"] += 1
            expected = (LeadStatus.CONVERTED, FollowUpStatus.CANCELLED, None)
        if (lead.status, follow_up.status, follow_up.outcome) != expected:
            problems.append(f"round {round_no}: {(lead.status, follow_up.status, follow_up.outcome)}, not {expected}")
        if lead.status_changes.count() != history_before + 1:
            problems.append(
                f"round {round_no}: {lead.status_changes.count() - history_before} history rows for one move"
            )

    orphans = Enrollment.objects.exclude(lead__status=LeadStatus.CONVERTED).count()
    server_log = server.read_text()
    report = (
        f"{figures['races']} races: {figures['200']} x 200, {figures['409']} x 409, "
        f"{figures['5xx']} x 5xx ({server_log.count('DeadlockDetected')} deadlocks in the server log), "
        f"winners {dict(winners)}, {orphans} enrollments without a converted lead; "
        f"alone PATCH {took[0] * 1000:.0f} ms, convert {took[1] * 1000:.0f} ms"
    )
    print(report)
    errors = [line for line in server_log.splitlines() if line.startswith(("Internal Server Error", "django.db"))]
    assert figures["races"] == ROUNDS and not problems and not orphans, (
        report + "\n" + "\n".join(problems[:5]) + "\nserver log:\n" + "\n".join(errors[:6])
    )
