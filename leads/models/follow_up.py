"""Follow-ups: the counselor's next call, and what came of it."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Action, CenterScopedQuerySet
from leads.lifecycle import (
    ENROLLED_NEEDS_ENROLLMENT,
    FOLLOW_UP_MOVES,
    ClosedReason,
    FollowUpOutcome,
    FollowUpStatus,
    LifecycleError,
    check_move,
    require_permission,
)

if TYPE_CHECKING:
    from accounts.models import User
    from leads.models.enrollment import Enrollment


class FollowUpQuerySet(CenterScopedQuerySet):
    center_lookup = "lead__center"

    def pending(self) -> FollowUpQuerySet:
        return self.filter(status=FollowUpStatus.PENDING)

    def overdue(self, today: datetime.date) -> FollowUpQuerySet:
        return self.pending().filter(scheduled_date__lt=today)

    def due_by(self, day: datetime.date) -> FollowUpQuerySet:
        return self.pending().filter(scheduled_date__lte=day)

    def cancel_all(self, *, by: User | None) -> int:
        now = timezone.now()
        return self.update(status=FollowUpStatus.CANCELLED, completed_at=now, updated_at=now)


class FollowUp(models.Model):
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="follow_ups")
    scheduled_date = models.DateField()
    status = models.CharField(max_length=12, choices=FollowUpStatus, default=FollowUpStatus.PENDING, editable=False)
    outcome = models.CharField(max_length=16, choices=FollowUpOutcome, null=True, blank=True, editable=False)
    notes = models.TextField(blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=FollowUpStatus.values), name="follow_up_status_valid"),
            models.CheckConstraint(
                condition=models.Q(status=FollowUpStatus.PENDING, completed_at__isnull=True)
                | (~models.Q(status=FollowUpStatus.PENDING) & models.Q(completed_at__isnull=False)),
                name="follow_up_completed_at_matches_status",
            ),
        ]
        indexes = [
            # The follow-up queue reads only pending rows by date; a partial index keeps it small.
            models.Index(
                fields=["assigned_to", "scheduled_date"],
                condition=models.Q(status="PENDING"),
                name="follow_up_pending_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.scheduled_date:%d %b %Y} ({self.get_status_display()})"

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status == FollowUpStatus.PENDING and self.scheduled_date < today

    def complete(
        self,
        *,
        outcome: str,
        notes: str = "",
        by: User,
        reason: str = "",
        category: str = ClosedReason.OTHER,
        next_date: datetime.date | None = None,
        intro_visit: dict[str, Any] | None = None,
        enroll: dict[str, Any] | None = None,
        enrollment: Enrollment | None = None,
    ) -> FollowUp | None:
        """Complete with an outcome and carry it out on the lead, all in one transaction.

        LOST closes the lead (`reason` required, `category` a ClosedReason); POSTPONED creates the
        next follow-up (`next_date` required) and returns it; SCHEDULED_IV schedules `intro_visit`
        (scheduled_at, batch, trainer); ENROLLED converts: `enroll` (batch, start_date, plan) creates
        the enrollment in the same step, or `enrollment` links one that exists. Locks the lead
        first, then this follow-up (the order every verb keeps).
        """
        require_permission(by, Action.MANAGE_FOLLOW_UP, self.lead.center_id)
        if outcome not in FollowUpOutcome.values:
            raise ValidationError({"outcome": f"Choose one of: {', '.join(FollowUpOutcome.values)}."})
        if outcome == FollowUpOutcome.LOST and not (reason or "").strip():
            raise ValidationError({"reason": "Say why the family is not joining."})
        if outcome == FollowUpOutcome.POSTPONED and next_date is None:
            raise ValidationError({"next_follow_up_date": "Pick the date of the next follow-up."})
        if outcome == FollowUpOutcome.SCHEDULED_IV and not intro_visit:
            raise ValidationError({"intro_visit": "Give the batch, trainer and time of the intro visit."})
        if outcome == FollowUpOutcome.ENROLLED and not enroll and enrollment is None:
            raise ValidationError({"enrollment": ENROLLED_NEEDS_ENROLLMENT})
        lead = self.lead
        with transaction.atomic():
            locked_lead = type(lead).objects.select_for_update().only("pk", "status").get(pk=lead.pk)
            follow_up = type(self).objects.select_for_update().get(pk=self.pk)
            if follow_up.status != FollowUpStatus.PENDING:
                raise LifecycleError(f"This follow-up is already {follow_up.get_status_display().lower()}.")
            check_move(locked_lead.status, FOLLOW_UP_MOVES[outcome])  # the rule's sentence, before any write
            follow_up.status = FollowUpStatus.COMPLETED
            follow_up.outcome = outcome
            follow_up.completed_at = timezone.now()
            if notes:
                follow_up.notes = f"{follow_up.notes}\n{notes.strip()}".strip()
            follow_up.save()
            result = None
            if outcome == FollowUpOutcome.LOST:
                lead.close(reason=reason, category=category, by=by)
            elif outcome == FollowUpOutcome.POSTPONED:
                try:
                    result = lead.add_follow_up(
                        scheduled_date=next_date, notes=notes, assigned_to=follow_up.assigned_to, by=by
                    )
                except ValidationError as error:
                    raise _rename(error, "scheduled_date", "next_follow_up_date") from None
            elif outcome == FollowUpOutcome.SCHEDULED_IV:
                lead.schedule_intro_visit(by=by, **intro_visit)
            elif enroll:
                lead.enroll_and_convert(
                    batch=enroll.get("batch"),
                    start_date=enroll.get("start_date"),
                    plan=enroll.get("plan", ""),
                    notes=notes,
                    by=by,
                )
            else:
                lead.convert(enrollment=enrollment, by=by, note=notes)
        for field in ("status", "outcome", "completed_at", "notes", "updated_at"):
            setattr(self, field, getattr(follow_up, field))
        return result

    def cancel(self, *, by: User, notes: str = "") -> None:
        require_permission(by, Action.MANAGE_FOLLOW_UP, self.lead.center_id)
        with transaction.atomic():
            type(self.lead).objects.select_for_update().only("pk").get(pk=self.lead_id)  # lead first
            follow_up = type(self).objects.select_for_update().get(pk=self.pk)
            if follow_up.status != FollowUpStatus.PENDING:
                raise LifecycleError(f"This follow-up is already {follow_up.get_status_display().lower()}.")
            follow_up.status = FollowUpStatus.CANCELLED
            follow_up.completed_at = timezone.now()
            if notes:
                follow_up.notes = f"{follow_up.notes}\n{notes.strip()}".strip()
            follow_up.save()
        for field in ("status", "completed_at", "notes", "updated_at"):
            setattr(self, field, getattr(follow_up, field))


def _rename(error: ValidationError, old: str, new: str) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError({(new if k == old else k): v for k, v in error.error_dict.items()})
    return error
