"""Intro visits: the free trial class, and the outcome a trainer records after it."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.models import CenterScopedQuerySet

if TYPE_CHECKING:
    from accounts.models import User


class IVOutcome(models.TextChoices):
    INTERESTED_ENROLL_NOW = "INTERESTED_ENROLL_NOW", "Interested, enroll now"
    INTERESTED_ENROLL_LATER = "INTERESTED_ENROLL_LATER", "Interested, enroll later"
    NOT_INTERESTED = "NOT_INTERESTED", "Not interested"
    NO_SHOW = "NO_SHOW", "No-show"


def _outcome_moves() -> dict[str, str]:
    from leads.models.lead import Move

    return {
        IVOutcome.INTERESTED_ENROLL_NOW: Move.RECORD_ENROLL_NOW,
        IVOutcome.INTERESTED_ENROLL_LATER: Move.RECORD_ENROLL_LATER,
        IVOutcome.NOT_INTERESTED: Move.RECORD_NOT_INTERESTED,
        IVOutcome.NO_SHOW: Move.RECORD_NO_SHOW,
    }


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
        """Record attendance and outcome; the lead moves as the transition table says."""
        moves = _outcome_moves()
        if outcome not in moves:
            raise ValidationError({"outcome": f"Choose one of: {', '.join(IVOutcome.values)}."})
        if attended_at is not None and attended_at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError({"attended_at": "Attendance cannot be in the future."})
        if self.cancelled_at:
            from leads.models.lead import LifecycleError

            raise LifecycleError("This intro visit was cancelled.")
        if self.outcome:
            from leads.models.lead import LifecycleError

            raise LifecycleError("This intro visit already has an outcome.")
        with transaction.atomic():
            visit = type(self).objects.select_for_update().get(pk=self.pk)
            if visit.outcome or visit.cancelled_at:
                from leads.models.lead import LifecycleError

                raise LifecycleError("This intro visit already has an outcome.")
            with self.lead._transition(moves[outcome], by=by, note=notes):
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
