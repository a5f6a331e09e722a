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
    BOOK_THE_VISIT,
    ENROLLED_NEEDS_ENROLLMENT,
    FOLLOW_UP_MOVES,
    FOLLOW_UP_NEEDS_REASON,
    FOLLOW_UP_NOT_PENDING,
    ClosedReason,
    FollowUpOutcome,
    FollowUpStatus,
    LifecycleError,
    Move,
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

    def overdue(self, now: datetime.datetime) -> FollowUpQuerySet:
        """Pending follow-ups whose time has passed."""
        return self.pending().filter(scheduled_date__lt=now)

    def due_before(self, moment: datetime.datetime) -> FollowUpQuerySet:
        """Pending follow-ups due before `moment` (e.g. the start of tomorrow: due today or overdue)."""
        return self.pending().filter(scheduled_date__lt=moment)

    def cancel_all(self, *, by: User | None) -> int:
        now = timezone.now()
        return self.update(status=FollowUpStatus.CANCELLED, completed_at=now, updated_at=now)


class FollowUp(models.Model):
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="follow_ups")
    # A date-time (aware; entered and shown in the center's time zone). The name is the spec's
    # API field, `scheduled_date`, whose examples carry a time: "2026-02-20T10:00:00".
    scheduled_date = models.DateTimeField()
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
    #: The follow-up that completing this one created (POSTPONED, or SCHEDULED_IV without a visit).
    next_follow_up = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="previous"
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
        return f"Follow-up {self.scheduled_date:%d %b %Y %H:%M} ({self.get_status_display()})"

    def is_overdue(self, now: datetime.datetime) -> bool:
        return self.status == FollowUpStatus.PENDING and self.scheduled_date < now

    def _lock(self) -> FollowUp:
        """Inside a transaction: lock the lead first, then this follow-up; refuse unless pending."""
        type(self.lead).objects.select_for_update().only("pk").get(pk=self.lead_id)
        follow_up = type(self).objects.select_for_update().get(pk=self.pk)
        if follow_up.status != FollowUpStatus.PENDING:
            raise LifecycleError(FOLLOW_UP_NOT_PENDING.format(status=follow_up.get_status_display().lower()))
        return follow_up

    _UNSET: Any = object()

    def edit(
        self,
        *,
        by: User,
        notes: str | None = _UNSET,
        scheduled_date: datetime.date | datetime.datetime = _UNSET,
        assigned_to: User | None = _UNSET,
    ) -> None:
        """Change a pending follow-up's notes, time or assignee (not a status move: no history row).

        The new time follows the rules of a new follow-up (today or later, within a year; a bare
        date is 10:00 local), the assignee must be staff of the lead's center.
        """
        require_permission(by, Action.MANAGE_FOLLOW_UP, self.lead.center_id)
        if self.status != FollowUpStatus.PENDING:
            raise LifecycleError(FOLLOW_UP_NOT_PENDING.format(status=self.get_status_display().lower()))
        changes: dict[str, Any] = {}
        if notes is not self._UNSET:
            notes = (notes or "").strip()
            if len(notes) > 4000:
                raise ValidationError({"notes": "Keep the notes under 4,000 characters."})
            changes["notes"] = notes
        if scheduled_date is not self._UNSET or assigned_to is not self._UNSET:
            when = self.scheduled_date if scheduled_date is self._UNSET else scheduled_date
            assignee = self.assigned_to if assigned_to is self._UNSET else assigned_to
            when = self.lead.check_follow_up(when, assignee, check_time=scheduled_date is not self._UNSET)
            if scheduled_date is not self._UNSET:
                changes["scheduled_date"] = when
            if assigned_to is not self._UNSET:
                changes["assigned_to"] = assignee
        if not changes:
            raise ValidationError({"__all__": "Send notes, scheduled_date or assigned_to_user_id to change."})
        with transaction.atomic():
            follow_up = self._lock()
            for name, value in changes.items():
                setattr(follow_up, name, value)
            follow_up.save(update_fields=[*changes, "updated_at"])
        for name in [*changes, "updated_at"]:
            setattr(self, name, getattr(follow_up, name))

    def complete(
        self,
        *,
        outcome: str,
        notes: str = "",
        by: User,
        reason: str = "",
        category: str = ClosedReason.OTHER,
        next_date: datetime.date | datetime.datetime | None = None,
        intro_visit: dict[str, Any] | None = None,
        enroll: dict[str, Any] | None = None,
        enrollment: Enrollment | None = None,
    ) -> FollowUp | None:
        """Complete with an outcome and carry it out on the lead, all in one transaction.

        LOST closes the lead (`reason`, or else the notes, is the reason; `category` a ClosedReason).
        POSTPONED creates the next follow-up at `next_date`, or without one the center's
        `follow_up_interval_days` later at this follow-up's local time of day, and returns it.
        SCHEDULED_IV schedules `intro_visit` (scheduled_at, batch, trainer); without a visit it
        leaves a "book the visit" follow-up due today (returned), so the lead stays in the queue.
        ENROLLED converts: `enroll` (batch, start_date, plan) creates the enrollment in the same
        step, or `enrollment` links one that exists. Locks the lead first, then this follow-up.
        """
        require_permission(by, Action.MANAGE_FOLLOW_UP, self.lead.center_id)
        if outcome not in FollowUpOutcome.values:
            raise ValidationError({"outcome": f"Choose one of: {', '.join(FollowUpOutcome.values)}."})
        notes = (notes or "").strip()
        reason = (reason or "").strip() or (notes if outcome == FollowUpOutcome.LOST else "")
        if outcome == FollowUpOutcome.LOST and not reason:
            raise ValidationError({"reason": FOLLOW_UP_NEEDS_REASON})
        book_later = outcome == FollowUpOutcome.SCHEDULED_IV and not _given(intro_visit)
        if outcome == FollowUpOutcome.ENROLLED and not enroll and enrollment is None:
            raise ValidationError({"enrollment": ENROLLED_NEEDS_ENROLLMENT})
        lead = self.lead
        center = lead.center
        tz = center.tzinfo
        now = timezone.now()
        if outcome == FollowUpOutcome.POSTPONED and next_date is None:
            # The center's interval, at the time of day this family was called (in the center's clock).
            next_date = datetime.datetime.combine(
                timezone.localdate(now, tz) + datetime.timedelta(days=center.follow_up_interval_days),
                timezone.localtime(self.scheduled_date, tz).time(),
                tzinfo=tz,
            )
        with transaction.atomic():
            locked_lead = type(lead).objects.select_for_update().only("pk", "status").get(pk=lead.pk)
            follow_up = type(self).objects.select_for_update().get(pk=self.pk)
            if follow_up.status != FollowUpStatus.PENDING:
                raise LifecycleError(f"This follow-up is already {follow_up.get_status_display().lower()}.")
            move = Move.ADD_FOLLOW_UP if book_later else FOLLOW_UP_MOVES[outcome]
            check_move(locked_lead.status, move)  # the rule's sentence, before any write
            follow_up.status = FollowUpStatus.COMPLETED
            follow_up.outcome = outcome
            follow_up.completed_at = now
            if notes:
                follow_up.notes = f"{follow_up.notes}\n{notes}".strip()
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
            elif book_later:
                result = lead.add_follow_up(
                    scheduled_date=_later_today(now, tz),
                    notes=f"{BOOK_THE_VISIT} {notes}".strip(),
                    assigned_to=follow_up.assigned_to,
                    by=by,
                )
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
            if result is not None:
                follow_up.next_follow_up = result
                follow_up.save(update_fields=["next_follow_up"])
        for field in ("status", "outcome", "completed_at", "notes", "updated_at", "next_follow_up"):
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


def _given(intro_visit: dict[str, Any] | None) -> bool:
    """Whether any of the visit's terms were given (an empty form sends them all as None)."""
    return bool(intro_visit) and any(intro_visit.get(key) for key in ("scheduled_at", "batch", "trainer"))


def _later_today(now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
    """The next full hour, still today in the center's clock (a task due today, not already late)."""
    local = timezone.localtime(now, tz)
    next_hour = local.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    if next_hour.date() != local.date():
        return local.replace(hour=23, minute=59, second=0, microsecond=0)
    return next_hour


def _rename(error: ValidationError, old: str, new: str) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError({(new if k == old else k): v for k, v in error.error_dict.items()})
    return error
