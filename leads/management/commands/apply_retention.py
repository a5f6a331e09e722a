"""Apply each center's retention periods (leads/retention.py): erase due families, prune the access log.

    python manage.py apply_retention --dry-run     # what is due, per center and rule; writes nothing
    python manage.py apply_retention               # do it (daily from cron)
    python manage.py apply_retention --center TLGC

Each family is erased in its own transaction (as a parent's request would be), so a run that stops
half way leaves whole families erased or untouched, and the next run carries on.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Center
from leads import retention


class Command(BaseCommand):
    help = "Erase the families and delete the access-log rows each center's retention periods have passed."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print the counts; change nothing.")
        parser.add_argument("--center", help="Only this center (its code, e.g. TLGC).")

    def handle(self, *args, dry_run: bool, center: str | None, **options):
        centers = None
        if center:
            centers = list(Center.objects.filter(code=center.upper()))
            if not centers:
                raise CommandError(f"No center with the code {center}.")
        started = time.monotonic()
        plans = retention.plan(timezone.now(), centers)
        if centers is not None:
            plans = [due for due in plans if due.center is not None]
        done = plans if dry_run else retention.apply(plans)
        self.stdout.write("Dry run: nothing was changed." if dry_run else "Retention applied.")
        width = max([len(due.label) for due in done] + [len("Center")])
        self.stdout.write(f"{'Center':<{width}}  {'Rule':<28}  {'Count':>7}")
        for due in done:
            for rule, count in due.counts().items():
                if due.center is None and rule != retention.ACCESS_LOG:
                    continue
                self.stdout.write(f"{due.label:<{width}}  {rule:<28}  {count:>7}")
        self.stdout.write(f"({time.monotonic() - started:.1f} s)")
