"""Send due reminders: digests, overdue alerts, escalations, assignments, parent visit reminders.

Safe to run every few minutes from cron: every reminder is logged when sent and never sent twice.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from insights.reminders import send_reminders


class Command(BaseCommand):
    help = "Send the reminders that are due (idempotent; run it from cron every few minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Pretend the time is this ISO datetime (testing, catching up).")

    def handle(self, *args, now=None, **options):
        moment = timezone.now()
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError("Give --now as an ISO datetime, e.g. 2026-11-29T08:05:00+05:30.")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, datetime.UTC)
        report = send_reminders(moment)
        self.stdout.write(f"Reminders at {moment:%Y-%m-%d %H:%M %Z}: {report}")
