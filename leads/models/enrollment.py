"""A center's class groups (batches) and the enrollments a converted lead ends in."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import Action
from leads.lifecycle import BATCH_FULL, START_TOO_EARLY, START_TOO_LATE, require_permission
from leads.models.family import FamilyQuerySet
from leads.templatetags.crm import DATETIME_FORMAT, _with_year

#: How far from the center's today a first class may be (a late-recorded join, or a booking ahead).
START_DATE_PAST = datetime.timedelta(days=60)
START_DATE_FUTURE = datetime.timedelta(days=365)
#: How many coming sessions of a batch the scheduling forms offer (the API's default too).
SESSIONS_OFFERED = 6
#: How far ahead an intro visit may be booked.
VISIT_HORIZON = datetime.timedelta(days=365)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Program(models.Model):
    """What a center teaches (Gym, Music, Swim): its batches run it, an enquiry may ask for it."""

    center = models.ForeignKey("accounts.Center", on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True, help_text="Inactive programs are not offered to new enquiries.")

    objects = FamilyQuerySet.as_manager()

    class Meta:
        ordering = ["center", "name"]
        constraints = [models.UniqueConstraint(fields=["center", "name"], name="program_name_unique_per_center")]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    center = models.ForeignKey("accounts.Center", on_delete=models.PROTECT, related_name="batches")
    # Nullable so that a batch made before programs existed (or by code that does not know them)
    # still saves; migration 0004 gave every existing batch its center's default program.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="batches", null=True, blank=True)
    name = models.CharField(max_length=120)
    weekday = models.PositiveSmallIntegerField(choices=Weekday)
    start_time = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    min_age_months = models.PositiveSmallIntegerField(default=0)
    max_age_months = models.PositiveSmallIntegerField(default=144)
    capacity = models.PositiveSmallIntegerField(default=12)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="batches",
        limit_choices_to={"role": "TRAINER"},
    )
    is_active = models.BooleanField(default=True)

    objects = FamilyQuerySet.as_manager()

    class Meta:
        ordering = ["center", "weekday", "start_time"]
        verbose_name_plural = "batches"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_age_months__lte=models.F("max_age_months")), name="batch_age_range_valid"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="batch_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_weekday_display()[:3]} {self.start_time:%H:%M}"

    # -- sessions: the batch's weekday and start time, in the center's time zone -----------------

    @property
    def age_band(self) -> str:
        """`2 y to 3 y 6 m`: the ages the batch is for."""
        return f"{months_label(self.min_age_months)} to {months_label(self.max_age_months)}"

    def session_starts(self, *, after: datetime.datetime, count: int) -> list[datetime.datetime]:
        """The start times (aware, in the center's time zone) of the next `count` sessions after `after`."""
        tz = self.center.tzinfo
        day = timezone.localtime(after, tz).date()
        day += datetime.timedelta(days=(self.weekday - day.weekday()) % 7)
        starts: list[datetime.datetime] = []
        while len(starts) < count:
            start = datetime.datetime.combine(day, self.start_time, tzinfo=tz)
            if start > after:
                starts.append(start)
            day += datetime.timedelta(days=7)
        return starts

    def is_session(self, at: datetime.datetime) -> bool:
        """Whether `at` is the start of one of this batch's sessions (its weekday, its time)."""
        local = timezone.localtime(at, self.center.tzinfo)
        return local.weekday() == self.weekday and local.time().replace(tzinfo=None) == self.start_time

    def next_sessions(self, count: int = SESSIONS_OFFERED, *, now: datetime.datetime | None = None) -> list[Session]:
        """The next `count` sessions from now, each with its free seats (two queries)."""
        return sessions_of([self], count=count, now=now)[self.pk]

    def seats_taken(self, starts_at: datetime.datetime, *, exclude_visit_id: int | None = None) -> int:
        """Children enrolled in the batch plus visits booked (not cancelled) for the session at `starts_at`."""
        visits = self.intro_visits.filter(scheduled_at=starts_at, cancelled_at__isnull=True)
        if exclude_visit_id is not None:
            visits = visits.exclude(pk=exclude_visit_id)
        return Enrollment.objects.filter(batch=self).count() + visits.count()

    def clean(self) -> None:
        if self.trainer_id and self.center_id and not self.trainer.works_in(self.center_id):
            raise ValidationError({"trainer": "This trainer does not work in the batch's center."})
        if self.program_id and self.center_id and self.program.center_id != self.center_id:
            raise ValidationError({"program": "This program belongs to another center."})
        if self.min_age_months > self.max_age_months:
            raise ValidationError({"max_age_months": "The maximum age must not be below the minimum age."})


def months_label(months: int) -> str:
    """An age in months as people say it: `8 m`, `2 y`, `3 y 6 m`."""
    years, rest = divmod(months, 12)
    if not years:
        return f"{rest} m"
    return f"{years} y {rest} m" if rest else f"{years} y"


@dataclass(frozen=True)
class Session:
    """One meeting of a batch: when it starts and how many seats are left."""

    batch: Batch
    starts_at: datetime.datetime  # aware, in the center's time zone
    enrolled: int
    booked: int  # intro visits booked for this session, not cancelled

    @property
    def free(self) -> int:
        return max(self.batch.capacity - self.enrolled - self.booked, 0)

    @property
    def value(self) -> str:
        """How a form names the session: `<batch id>|<ISO start>`."""
        return f"{self.batch.pk}|{self.starts_at.isoformat()}"

    @property
    def label(self) -> str:
        """`Sat 5 Dec, 4:00 PM · 3 seats free` (the batch's name is the group's)."""
        seats = "full" if not self.free else f"{self.free} seat{'s' if self.free != 1 else ''} free"
        return f"{session_time(self.starts_at)} · {seats}"


def session_time(at: datetime.datetime) -> str:
    """`Sat 5 Dec, 4:00 PM` (with the year when not this year), as `at`'s time zone reads it."""
    return date_format(at, _with_year(at.date(), DATETIME_FORMAT))


def sessions_of(
    batches: Iterable[Batch], *, count: int = SESSIONS_OFFERED, now: datetime.datetime | None = None
) -> dict[int, list[Session]]:
    """The next `count` sessions of each batch, by batch id, with free seats: two queries for any
    number of batches (enrollments per batch; visits booked per batch and start time)."""
    visits = Batch._meta.get_field("intro_visits").related_model.objects  # IntroVisit, which imports this module
    batches = list(batches)
    now = now or timezone.now()
    starts = {batch.pk: batch.session_starts(after=now, count=count) for batch in batches}
    if not batches:
        return {}
    if all(hasattr(batch, "enrolled") for batch in batches):  # annotated already (CenterChoices)
        enrolled = {batch.pk: batch.enrolled for batch in batches}
    else:
        enrolled = dict(
            Enrollment.objects.filter(batch__in=batches)
            .order_by()
            .values_list("batch")
            .annotate(n=Count("pk"))
            .values_list("batch", "n")
        )
    last = max(start for times in starts.values() for start in times) if count else now
    booked = {
        (batch_id, at): n
        for batch_id, at, n in visits.filter(
            batch__in=batches, cancelled_at__isnull=True, scheduled_at__gt=now, scheduled_at__lte=last
        )
        .order_by()
        .values_list("batch", "scheduled_at")
        .annotate(n=Count("pk"))
        .values_list("batch", "scheduled_at", "n")
    }
    return {
        batch.pk: [
            Session(batch, start, enrolled.get(batch.pk, 0), booked.get((batch.pk, start), 0))
            for start in starts[batch.pk]
        ]
        for batch in batches
    }


def batch_problem(batch: Batch | None, center_id: int, *, missing: str) -> str | None:
    """Why `batch` cannot take a child of the center (None when it can): the one check for
    scheduling a trial class and for enrolling."""
    if batch is None:
        return missing
    if batch.center_id != center_id:
        return "This batch belongs to another center."
    if not batch.is_active:
        return "This batch is no longer running."
    return None


class Enrollment(models.Model):
    child = models.ForeignKey("leads.Child", on_delete=models.PROTECT, related_name="enrollments")
    center = models.ForeignKey("accounts.Center", on_delete=models.PROTECT, related_name="enrollments")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="enrollments", null=True, blank=True)
    start_date = models.DateField()
    plan = models.CharField(max_length=80, blank=True, help_text="e.g. Weekly, 3 months")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return f"{self.child} · {self.batch or 'no batch'} from {self.start_date:%d %b %Y}"

    @classmethod
    def check_terms(cls, *, child, batch: Batch | None, start_date, plan: str = "", by) -> None:
        """Who may enroll and what the terms may be; ValidationError keyed by field, before any lock."""
        require_permission(by, Action.CONVERT, child.center_id)
        errors: dict[str, str] = {}
        if problem := batch_problem(batch, child.center_id, missing="Choose the batch the child joins."):
            errors["batch"] = problem
        if not isinstance(start_date, datetime.date) or isinstance(start_date, datetime.datetime):
            errors["start_date"] = "Enter the first class date."
        else:
            today = timezone.localdate(timezone=child.center.tzinfo)
            if start_date < today - START_DATE_PAST:
                errors["start_date"] = START_TOO_EARLY
            elif start_date > today + START_DATE_FUTURE:
                errors["start_date"] = START_TOO_LATE
        if len(plan or "") > 80:
            errors["plan"] = "Keep the plan under 80 characters."
        if errors:
            raise ValidationError(errors)

    @classmethod
    def enroll(
        cls,
        *,
        child,
        batch: Batch | None,
        start_date,
        plan: str = "",
        notes: str = "",
        by,
    ) -> Enrollment:
        """Enroll `child` in `batch` of the child's center; called by `Lead.enroll_and_convert`,
        inside the conversion's transaction, after the lead's row lock (lead first, then batch)."""
        cls.check_terms(child=child, batch=batch, start_date=start_date, plan=plan, by=by)
        with transaction.atomic():
            # The batch row lock serialises enrollments into one batch: capacity holds under races.
            locked = Batch.objects.select_for_update().get(pk=batch.pk)
            if cls.objects.filter(batch=locked).count() >= locked.capacity:
                raise ValidationError({"batch": BATCH_FULL.format(batch=locked.name, capacity=locked.capacity)})
            enrollment = cls(
                child=child,
                center_id=child.center_id,
                batch=locked,
                start_date=start_date,
                plan=(plan or "").strip(),
                notes=(notes or "").strip(),
                created_by=by,
            )
            enrollment.full_clean()
            enrollment.save()
        return enrollment

    def clean(self) -> None:
        if self.child_id and self.center_id and self.child.center_id != self.center_id:
            raise ValidationError({"child": "The child belongs to another center."})
        if self.batch_id and self.center_id and self.batch.center_id != self.center_id:
            raise ValidationError({"batch": "This batch belongs to another center."})
