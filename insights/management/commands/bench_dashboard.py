"""Time the dashboard at scale: creates (or reuses) a bench center with N leads, then prints
the page's query count and time for the default range (last 90 days) and for all time.

    DATABASE_URL=postgres://crm:crm@127.0.0.1:5432/crm python manage.py bench_dashboard --leads 100000
"""

import datetime
import os
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from accounts.models import Center, Role, User
from leads.demo import bulk_leads
from leads.models import Batch, ExpectationChoice, Lead

CODE = "BNCH"


def _backend_cpu():
    """Seconds of CPU used so far by this connection's database backend (PostgreSQL on this machine).

    Wall time on a shared machine includes waiting for a CPU; the CPU time is what the page costs.
    """
    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks
        except OSError:  # database on another machine
            return 0.0

    return read


class Command(BaseCommand):
    help = "Create or reuse N bench leads and print the dashboard's query count and milliseconds."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=100_000)
        parser.add_argument("--days", type=int, default=365, help="Spread new leads over this many days.")
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--code", default=CODE, help="Code of the bench center (another code, another data set).")

    def handle(self, *args, leads: int, days: int, runs: int, code: str = CODE, **options):
        if connection.vendor != "postgresql":
            self.stderr.write(self.style.WARNING("Not PostgreSQL: the budget (500 ms, 12 queries) is for PostgreSQL."))
        center, admin = self._setup(leads, days, code.upper())
        client = Client()
        client.force_login(admin)
        total = Lead.objects.filter(center=center).count()
        self.stdout.write(f"{total:,} leads in {center} on {connection.vendor}")
        # Static files are served by whitenoise's manifest in production; the bench needs no collectstatic.
        storages = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        today = datetime.date.today()
        cases = [
            ("last 90 days (default)", {"center": center.pk}),
            ("all time", {"center": center.pk, "start": "2000-01-01", "end": today.isoformat()}),
        ]
        with override_settings(STORAGES=storages, ALLOWED_HOSTS=["testserver", "localhost"]):
            for label, params in cases:
                client.get("/insights/", params)  # warm the connection and caches
                backend = _backend_cpu()
                timings, cpu, db_cpu, queries = [], [], [], 0
                for _ in range(runs):
                    with CaptureQueriesContext(connection) as captured:
                        started, started_cpu, started_db = time.perf_counter(), time.process_time(), backend()
                        response = client.get("/insights/", params)
                        timings.append((time.perf_counter() - started) * 1000)
                        cpu.append((time.process_time() - started_cpu) * 1000)
                        db_cpu.append((backend() - started_db) * 1000)
                    assert response.status_code == 200, response.status_code
                    queries = len(captured.captured_queries)
                in_range = response.content.decode().split('id="figure-leads">', 1)[1].split("<", 1)[0]
                self.stdout.write(
                    f"dashboard, {label}: {in_range} leads in range, {queries} queries, "
                    f"median {statistics.median(timings):.0f} ms wall (min {min(timings):.0f}, max {max(timings):.0f}, "
                    f"{runs} runs); CPU median: Django {statistics.median(cpu):.0f} ms + database {statistics.median(db_cpu):.0f} ms"
                )
        self.stdout.write(f"load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")

    def _setup(self, n: int, days: int, code: str) -> tuple[Center, User]:
        center, _ = Center.objects.get_or_create(
            code=code, defaults={"name": f"Bench Center {code}", "city": "Gurgaon"}
        )
        ExpectationChoice.seed(center)
        prefix = "bench" if code == CODE else f"bench_{code.lower()}"
        admin = self._user(f"{prefix}_admin", Role.CENTER_ADMIN, center)
        counselors = [self._user(f"{prefix}_counselor{i}", Role.COUNSELOR, center) for i in range(1, 5)]
        trainer = self._user(f"{prefix}_trainer", Role.TRAINER, center)
        if not Batch.objects.filter(center=center).exists():
            Batch.objects.create(
                center=center,
                name="Bench Gym",
                weekday=2,
                start_time=datetime.time(16, 0),
                capacity=12,
                trainer=trainer,
            )
        missing = n - Lead.objects.filter(center=center).count()
        if missing > 0:
            self.stdout.write(f"Creating {missing:,} leads (bulk)…")
            started = time.perf_counter()
            bulk_leads(center, missing, by=admin, assignees=counselors, days=days, seed=42)
            self.stdout.write(f"  done in {time.perf_counter() - started:.0f} s")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
        return center, admin

    def _user(self, username: str, role: str, center: Center) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, email=f"{username}@example.com", role=role)
            user.add_to_center(center)
        return user
