"""Intro visits: the free trial class, and the outcome a trainer records after it."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.models import CenterScopedQuerySet
from leads.lifecycle import OUTCOME_MOVES, IVOutcome, LifecycleError, require_own_visit

if TYPE_CHECKING:
    from accounts.models import User


class IntroVisitQuerySet(CenterScopedQuerySet):
    center_lookup = "lead__center"

    def awaiting_outcome(self) -> IntroVisitQuerySet:
        return self.filter(outcome__isnull=True, cancelled_at__isnull=True)

    def on_day(self, day: datetime.date, tz) -> IntroVisitQuerySet:
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
        return self.filter(scheduled_at__gte=start, scheduled_at__lt=start + datetime.timedelta(days=1))

    def cancel_all(self) -> int:
        return self.update(cancelled_at=timezone.now(), updated_at=timezone.now())


class IntroVisit(models.Model):
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="intro_visits")
    scheduled_at = models.DateTimeField()
    batch = models.ForeignKey("leads.Batch", on_delete=models.PROTECT, related_name="intro_visits")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="intro_visits"
    )
    notes = models.TextField(blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=24, choices=IVOutcome, null=True, blank=True)
    outcome_notes = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IntroVisitQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__isnull=True) | models.Q(outcome__in=IVOutcome.values),
                name="intro_visit_outcome_valid",
            ),
        ]
        indexes = [
            # Trainer view and calendar: visits of a day, by time.
            models.Index(fields=["scheduled_at"], name="intro_visit_scheduled_at"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.scheduled_at, self.lead.center.tzinfo) if self.lead_id else self.scheduled_at
        return f"Intro visit {when:%d %b %Y %H:%M} · {self.batch}"

    @property
    def state(self) -> str:
        if self.cancelled_at:
            return "Cancelled"
        if self.outcome:
            return self.get_outcome_display()
        return "Scheduled"

    def record_outcome(
        self,
        *,
        outcome: str,
        notes: str = "",
        attended_at: datetime.datetime | None = None,
        by: User,
    ) -> None:
        """Record attendance and outcome; the lead moves as the transition table says.

        Trainers record only their own visits (theirs, or in a batch they teach), whatever the door.
        Locks the lead first (in `_transition`), then this visit.
        """
        if outcome not in OUTCOME_MOVES:
            raise ValidationError({"outcome": f"Choose one of: {', '.join(IVOutcome.values)}."})
        if attended_at is not None and attended_at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError({"attended_at": "Attendance cannot be in the future."})
        require_own_visit(by, (self.trainer_id, self.batch.trainer_id))
        if self.cancelled_at:
            raise LifecycleError("This intro visit was cancelled.")
        if self.outcome:
            raise LifecycleError("This intro visit already has an outcome.")
        with self.lead._transition(OUTCOME_MOVES[outcome], by=by, note=notes):
            visit = type(self).objects.select_for_update().get(pk=self.pk)
            if visit.cancelled_at:
                raise LifecycleError("This intro visit was cancelled.")
            if visit.outcome:
                raise LifecycleError("This intro visit already has an outcome.")
            visit.outcome = outcome
            visit.outcome_notes = notes.strip()
            visit.attended_at = (
                None if outcome == IVOutcome.NO_SHOW else attended_at or max(timezone.now(), visit.scheduled_at)
            )
            if visit.attended_at and visit.attended_at > timezone.now():
                visit.attended_at = timezone.now()
            visit.save()
        for field in ("outcome", "outcome_notes", "attended_at", "updated_at"):
            setattr(self, field, getattr(visit, field))
