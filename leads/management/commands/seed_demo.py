"""Demo data: two centers, their staff, programs and batches, ~150 leads each; `--leads N` adds N more fast."""

import datetime
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from accounts.models import Center, Role, User
from leads.demo import bulk_leads
from leads.models import Batch, ExpectationChoice, Lead, Program

PASSWORD = "demo-pass-123"
CENTERS = [
    ("TLGC", "The Little Gym Gurgaon", "Gurgaon"),
    ("TLGB", "The Little Gym Bangalore", "Bangalore"),
]
STAFF = [
    ("admin", Role.CENTER_ADMIN, "Asha", "Kapoor"),
    ("counselor", Role.COUNSELOR, "Neha", "Arora"),
    ("counselor2", Role.COUNSELOR, "Rahul", "Bhatia"),
    ("trainer", Role.TRAINER, "Vikram", "Rao"),
]
#: Each center's programs and their batches: (batch, weekday, start, min months, max months, program).
BATCHES = [
    ("Bugs (18-30 months)", 0, datetime.time(10, 0), 18, 30, "Gym"),
    ("Birds (2.5-4 years)", 2, datetime.time(16, 0), 30, 48, "Gym"),
    ("Pre-K Gym (3-5 years)", 4, datetime.time(16, 30), 36, 60, "Gym"),
    ("Grade School Gym (6-12 years)", 5, datetime.time(11, 0), 72, 144, "Gym"),
    ("Music Makers (3-5 years)", 3, datetime.time(17, 0), 36, 60, "Music"),
    ("Little Swimmers (4-8 years)", 6, datetime.time(9, 30), 48, 96, "Swim"),
]


class Command(BaseCommand):
    help = "Create demo centers, users, batches and leads (idempotent). --leads N adds N more leads per center."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=0, help="Add this many more leads (bulk), split over centers.")
        parser.add_argument("--center", help="Only this center code (with --leads).")
        parser.add_argument("--per-center", type=int, default=150, help="Leads per center on first seeding.")

    def handle(self, *args, leads: int, center: str | None, per_center: int, **options):
        superadmin = self._user("superadmin", Role.SUPER_ADMIN, "Sunita", "Malhotra", None)
        centers = []
        for code, name, city in CENTERS:
            obj, _ = Center.objects.get_or_create(code=code, defaults={"name": name, "city": city})
            ExpectationChoice.seed(obj)  # the usual list, keeping what the center changed since
            centers.append(obj)
            prefix = code.lower()
            staff = {key: self._user(f"{prefix}_{key}", role, first, last, obj) for key, role, first, last in STAFF}
            for bname, weekday, start, lo, hi, program_name in BATCHES:
                program, _ = Program.objects.get_or_create(center=obj, name=program_name)
                batch, _ = Batch.objects.get_or_create(
                    center=obj,
                    name=bname,
                    defaults={
                        "program": program,
                        "weekday": weekday,
                        "start_time": start,
                        "min_age_months": lo,
                        "max_age_months": hi,
                        "capacity": 12,
                        "trainer": staff["trainer"],
                    },
                )
                if batch.program_id is None:  # a batch seeded before programs existed
                    Batch.objects.filter(pk=batch.pk).update(program=program)
            if not Lead.objects.filter(center=obj).exists():
                counselors = [staff["counselor"], staff["counselor2"]]
                bulk_leads(obj, per_center, by=staff["counselor"], assignees=counselors, seed=sum(map(ord, code)))
                self.stdout.write(f"  {code}: {per_center} demo leads")
        if leads:
            targets = [c for c in centers if not center or c.code == center.upper()]
            self._bulk(targets, leads, superadmin)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/ with:"))
        self.stdout.write(f"  superadmin / {PASSWORD}   (super admin, every center)")
        for code, _, _ in CENTERS:
            p = code.lower()
            self.stdout.write(
                f"  {p}_admin, {p}_counselor, {p}_trainer / {PASSWORD}   (center admin, counselor, trainer of {code})"
            )
        self.stdout.write("Parents enquire (and book a free trial class) without logging in at:")
        for code, name, _ in CENTERS:
            self.stdout.write(f"  http://127.0.0.1:8000/enquire/{code}/   ({name}; add ?lang=hi for Hindi)")

    def _user(self, username, role, first, last, center):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, first_name=first, last_name=last, email=f"{username}@example.com")
            user.set_password(PASSWORD)
            user.save()
        if center is not None and not user.works_in(center):
            user.add_to_center(center)
        return user

    def _bulk(self, centers, total, by):
        start = time.perf_counter()
        rows = 0
        with tqdm(total=total, unit="lead", disable=None) as bar:
            per = [total // len(centers) + (1 if i < total % len(centers) else 0) for i in range(len(centers))]
            for obj, count in zip(centers, per, strict=True):
                with transaction.atomic():
                    rows += bulk_leads(obj, count, by=by, progress=bar.update)
        seconds = time.perf_counter() - start
        self.stdout.write(
            f"Added {total} leads ({rows} rows) in {seconds:.1f} s: "
            f"{total / seconds:,.0f} leads/s, {rows / seconds:,.0f} rows/s"
        )
