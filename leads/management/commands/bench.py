"""Query counts and timings of the main pages as leads grow, in a throwaway database.

    python manage.py bench                  # 10 and 1,000 leads per center
    python manage.py bench --sizes 10 10000

Runs on whatever DATABASE_URL points at (SQLite by default), in a fresh test database that
is dropped afterwards, so the figures never depend on the developer's own data.
"""

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment
from django.urls import NoReverseMatch, reverse

PAGES = [
    ("board", "leads:board", "tlgc_counselor"),
    ("leads list", "leads:lead_list", "tlgc_counselor"),
    ("lead page", "leads:lead_detail", "tlgc_counselor"),
    ("follow-up queue", "leads:follow_ups", "tlgc_counselor"),
    ("trainer view", "leads:trainer_today", "tlgc_trainer"),
    ("dashboard", "insights:dashboard", "tlgc_admin"),
    ("API lead list", "/api/v1/leads", "tlgc_counselor"),
]


class Command(BaseCommand):
    help = "Print query counts and median milliseconds of the main pages at growing lead counts."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000], help="Leads per center.")
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, sizes, repeat, **options):
        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            self._run(sorted(sizes), repeat)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()

    def _run(self, sizes, repeat):
        from django.core.management import call_command

        from accounts.models import Center, User
        from leads.demo import bulk_leads
        from leads.models import Lead

        call_command("seed_demo", per_center=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
        center = Center.objects.get(code="TLGC")
        counselor = User.objects.get(username="tlgc_counselor")
        self.stdout.write(f"Database: {connection.vendor}; median of {repeat} requests; per center TLGC")
        self.stdout.write(f"{'page':<18}" + "".join(f"{f'{n:,} leads':>24}" for n in sizes))
        results: dict[str, list[str]] = {name: [] for name, _, _ in PAGES}
        for size in sizes:
            missing = size - Lead.objects.filter(center=center).count()
            if missing > 0:
                bulk_leads(center, missing, by=counselor, seed=size)
            lead = Lead.objects.filter(center=center).order_by("pk").first()  # the same lead at every size
            for name, target, username in PAGES:
                results[name].append(self._measure(target, username, lead, repeat))
        for name, cells in results.items():
            self.stdout.write(f"{name:<18}" + "".join(f"{cell:>24}" for cell in cells))

    def _measure(self, target, username, lead, repeat) -> str:
        from accounts.models import User

        client = Client()
        user = User.objects.get(username=username)
        client.force_login(user)
        try:
            url = target if target.startswith("/") else reverse(target, args=[lead.pk] if "detail" in target else [])
        except NoReverseMatch:
            return "n/a"
        headers = {}
        if url.startswith("/api/"):
            from api.models import ApiToken

            _, secret = ApiToken.issue(user)
            headers = {"Authorization": f"Bearer {secret}"}
        client.get(url, headers=headers)  # warm caches and sessions
        timings, queries, status = [], 0, 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url, headers=headers)
                timings.append((time.perf_counter() - start) * 1000)
            queries, status = len(ctx.captured_queries), response.status_code
        if status != 200:
            return f"HTTP {status}"
        return f"{queries} q, {statistics.median(timings):.0f} ms"
