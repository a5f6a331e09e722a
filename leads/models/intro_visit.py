"""Intro visits: the free trial class, and the outcome a trainer records after it."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import Action, CenterScopedQuerySet, Role
from leads.lifecycle import (
    AGE_BAND_OVERRIDDEN,
    AGE_BAND_OVERRIDE_ONLY_ADMINS,
    ALREADY_ATTENDED,
    ATTENDANCE_IN_FUTURE,
    CANCEL_NEEDS_REASON,
    CORRECTION_MOVES,
    CORRECTION_NOTE,
    CORRECTION_TOO_LATE,
    LEAD_MOVED_ON,
    NO_OUTCOME_TO_CORRECT,
    NOT_A_SESSION,
    OUTCOME_MOVES,
    OUTCOME_OR_CORRECTION_MOVES,
    OUTSIDE_AGE_BAND,
    SAME_OUTCOME,
    SESSION_FULL,
    VISIT_ALREADY_THERE,
    VISIT_CANCELLED,
    VISIT_HAS_OUTCOME,
    VISIT_NOT_OPEN,
    VISIT_TOO_LATE,
    IVOutcome,
    LifecycleError,
    Move,
    require_own_visit,
    require_permission,
    visit_not_started,
)
from leads.models.enrollment import VISIT_HORIZON, Batch, batch_problem, months_label, session_time

if TYPE_CHECKING:
    from accounts.models import User
    from leads.models.follow_up import FollowUp
    from leads.models.lead import Lead


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
    # When the outcome was first recorded, and by whom: the trainer's correction window starts here.
    outcome_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
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

    # -- when may it be recorded -----------------------------------------------------------------

    def starts_at_local(self) -> datetime.datetime:
        return timezone.localtime(self.scheduled_at, self.lead.center.tzinfo)

    @property
    def recordable_from(self) -> datetime.datetime:
        """The earliest moment attendance or an outcome may be recorded (the visit's start, less the grace)."""
        return self.scheduled_at - datetime.timedelta(minutes=settings.INTRO_VISIT_OUTCOME_GRACE_MINUTES)

    def has_started(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.recordable_from

    def correctable_until(self) -> datetime.datetime | None:
        """Until when the trainer may correct the outcome (center admins may at any time)."""
        if not self.outcome:
            return None
        recorded = self.outcome_recorded_at or self.updated_at
        return recorded + datetime.timedelta(minutes=settings.INTRO_VISIT_CORRECTION_MINUTES)

    def may_correct(self, user: User, now: datetime.datetime | None = None) -> bool:
        """Whether `user` may still correct the outcome (the card shows "Undo / correct" then)."""
        if not self.outcome or not user.may(Action.RECORD_OUTCOME, self.lead.center_id):
            return False
        if user.role_in(self.lead.center_id) in (Role.CENTER_ADMIN, Role.SUPER_ADMIN):
            return True
        return (now or timezone.now()) <= self.correctable_until()

    def _refuse_unless_recordable(self, field: str) -> None:
        """Every door's rule: nothing is recorded about a visit that has not started."""
        if not self.has_started():
            raise ValidationError({field: visit_not_started(_when(self.starts_at_local()))})

    # -- the verbs -----------------------------------------------------------------------------

    def record_attendance(self, *, attended_at: datetime.datetime | None = None, by: User) -> None:
        """The child came: save `attended_at` (now unless given); the outcome is recorded next.

        One history row (RECORD_ATTENDANCE, the lead stays in IV_SCHEDULED); the lead's
        `iv_attended_at` milestone is set with it.
        """
        require_own_visit(by, (self.trainer_id, self.batch.trainer_id), self.lead.center_id)
        self._refuse_unless_open()
        if self.attended_at:
            raise LifecycleError(ALREADY_ATTENDED, code="attended")
        self._refuse_unless_recordable("attended_at")
        attended_at = self._clean_attended_at(attended_at) or timezone.now()
        with self.lead._transition(Move.RECORD_ATTENDANCE, by=by) as lead:
            visit = type(self).objects.select_for_update().get(pk=self.pk)
            visit._refuse_unless_open()
            if visit.attended_at:
                raise LifecycleError(ALREADY_ATTENDED, code="attended")
            visit.attended_at = attended_at
            visit.save(update_fields=["attended_at", "updated_at"])
        self.lead = lead
        for field in ("attended_at", "updated_at"):
            setattr(self, field, getattr(visit, field))

    def _refuse_unless_open(self) -> None:
        if self.cancelled_at:
            raise LifecycleError(VISIT_CANCELLED, code="cancelled")
        if self.outcome:
            raise LifecycleError(VISIT_HAS_OUTCOME, code="has_outcome")

    def _clean_attended_at(self, attended_at: datetime.datetime | None) -> datetime.datetime | None:
        if attended_at is None:
            return None
        if attended_at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError({"attended_at": ATTENDANCE_IN_FUTURE})
        if attended_at < self.recordable_from:
            raise ValidationError({"attended_at": visit_not_started(_when(self.starts_at_local()))})
        return min(attended_at, timezone.now())

    def record_outcome(
        self,
        *,
        outcome: str,
        notes: str = "",
        attended_at: datetime.datetime | None = None,
        by: User,
    ) -> None:
        """Record the outcome (and attendance, unless recorded before); the lead moves as the
        transition table says. Refused before the visit has started (the grace setting).

        Trainers record only their own visits (theirs, or in a batch they teach), whatever the door.
        Locks the lead first (in `_transition`), then this visit. A no-show after "Attended" takes
        the attendance back (a wrong tap).
        """
        if outcome not in OUTCOME_MOVES:
            raise ValidationError({"outcome": f"Choose one of: {', '.join(IVOutcome.values)}."})
        require_own_visit(by, (self.trainer_id, self.batch.trainer_id), self.lead.center_id)
        self._refuse_unless_open()
        self._refuse_unless_recordable("outcome")
        attended_at = self._clean_attended_at(attended_at)
        with self.lead._transition(OUTCOME_MOVES[outcome], by=by, note=notes) as lead:
            visit = type(self).objects.select_for_update().get(pk=self.pk)
            visit._refuse_unless_open()
            now = timezone.now()
            visit.outcome = outcome
            visit.outcome_notes = notes.strip()
            visit.outcome_recorded_at = now
            visit.outcome_recorded_by = by
            if outcome == IVOutcome.NO_SHOW:
                visit.attended_at = None
                _forget_attendance(lead, visit)
            else:
                visit.attended_at = visit.attended_at or attended_at or now
            visit.save()
        self.lead = lead
        for field in ("outcome", "outcome_notes", "attended_at", "outcome_recorded_at", "outcome_recorded_by_id"):
            setattr(self, field, getattr(visit, field))
        self.updated_at = visit.updated_at

    def correct_outcome(self, *, outcome: str, notes: str = "", by: User) -> None:
        """Undo a wrong tap: change the recorded outcome, and the lead's status with it.

        A move of its own (CORRECT_TO_<outcome>) with its own history row that says what was
        corrected and by whom; never a silent overwrite. The trainer who may record the visit may
        correct it for INTRO_VISIT_CORRECTION_MINUTES after recording; center and super admins at
        any time. Refused once the lead has moved on (any move since the outcome), so a
        correction never undoes a later step.
        """
        if outcome not in CORRECTION_MOVES:
            raise ValidationError({"outcome": f"Choose one of: {', '.join(IVOutcome.values)}."})
        require_own_visit(by, (self.trainer_id, self.batch.trainer_id), self.lead.center_id)
        if self.cancelled_at:
            raise LifecycleError(VISIT_CANCELLED, code="cancelled")
        if not self.outcome:
            raise LifecycleError(NO_OUTCOME_TO_CORRECT, code="no_outcome")
        if outcome == self.outcome:
            raise ValidationError({"outcome": SAME_OUTCOME.format(outcome=IVOutcome(outcome).label)})
        if by is not None and by.may(Action.RECORD_OUTCOME) and not self.may_correct(by):
            minutes = settings.INTRO_VISIT_CORRECTION_MINUTES
            raise PermissionDenied(CORRECTION_TOO_LATE.format(minutes=minutes))
        old = self.outcome
        note = CORRECTION_NOTE.format(old=old, new=outcome, name=_name(by))
        if notes.strip():
            note = f"{note}: {notes.strip()}"
        with self.lead._transition(CORRECTION_MOVES[outcome], by=by, note=note, correcting=True) as lead:
            visit = type(self).objects.select_for_update().get(pk=self.pk)
            if visit.outcome != old:
                raise LifecycleError("The outcome was changed meanwhile: look again.", code="changed")
            last = lead.status_changes.order_by("at", "pk").last()
            later = type(self).objects.filter(lead=lead, pk__gt=visit.pk).exclude(cancelled_at__isnull=False)
            if last is None or last.action not in OUTCOME_OR_CORRECTION_MOVES or later.exists():
                # Field-level (422 on the API, next to the choices on a form): this outcome is no longer correctable.
                raise ValidationError({"outcome": LEAD_MOVED_ON.format(last=last.action_label if last else "nothing")})
            now = timezone.now()
            visit.outcome = outcome
            if notes.strip():
                visit.outcome_notes = notes.strip()
            if outcome == IVOutcome.NO_SHOW:
                visit.attended_at = None
                _forget_attendance(lead, visit)
            elif visit.attended_at is None:
                visit.attended_at = now
            visit.save()
        self.lead = lead
        for field in ("outcome", "outcome_notes", "attended_at", "updated_at"):
            setattr(self, field, getattr(visit, field))

    # -- moving or calling off a booked visit ---------------------------------------------------

    def _require_open(self) -> None:
        if self.cancelled_at or self.outcome:
            raise LifecycleError(VISIT_NOT_OPEN.format(state=self.state.lower()), code="visit_closed")

    def _require_a_change(self, scheduled_at, batch: Batch, trainer: User | None) -> None:
        if (scheduled_at, batch.pk, trainer.pk if trainer else None) == (
            self.scheduled_at,
            self.batch_id,
            self.trainer_id,
        ):
            raise LifecycleError(VISIT_ALREADY_THERE, code="same_session")

    def reschedule(
        self,
        *,
        scheduled_at: datetime.datetime,
        batch: Batch | None = None,
        trainer: User | None = None,
        override_age_band: bool = False,
        notes: str = "",
        by: User,
    ) -> None:
        """Move the visit to another session (of its batch, or of `batch`), with the booking's rules:
        a real session, within a year, the child's age band, a free seat. Locks the lead, then
        this visit, then the batch."""
        lead = self.lead
        batch = batch or self.batch
        if trainer is None:
            trainer = self.trainer if batch.pk == self.batch_id else batch.trainer
        require_permission(by, Action.SCHEDULE_VISIT, lead.center_id)
        self._require_open()
        check_trainer(trainer, lead.center_id)
        override_note = check_session(
            lead, batch=batch, scheduled_at=scheduled_at, override_age_band=override_age_band, by=by
        )
        before = session_time(timezone.localtime(self.scheduled_at, lead.center.tzinfo))
        after = session_time(timezone.localtime(scheduled_at, lead.center.tzinfo))
        note = "\n".join(
            part
            for part in (f"From {self.batch.name}, {before} to {batch.name}, {after}.", notes.strip(), override_note)
            if part
        )
        self._require_a_change(scheduled_at, batch, trainer)
        with lead._transition(Move.RESCHEDULE_INTRO_VISIT, by=by, note=note):
            visit = type(self).objects.select_for_update().get(pk=self.pk)
            visit._require_open()
            visit._require_a_change(scheduled_at, batch, trainer)  # a double submit moves it once
            take_seat(batch, scheduled_at, exclude_visit_id=visit.pk)
            visit.scheduled_at = scheduled_at
            visit.batch = batch
            visit.trainer = trainer
            if notes.strip():
                visit.notes = f"{visit.notes}\n{notes.strip()}".strip()
            visit.save()
        for field in ("scheduled_at", "batch_id", "trainer_id", "notes", "updated_at"):
            setattr(self, field, getattr(visit, field))
        self.batch = batch

    def cancel(self, *, reason: str, by: User) -> FollowUp:
        """Call the visit off (the family cannot come): the lead goes back to FOLLOW_UP_PENDING with
        a follow-up due the next working day (`next_working_day`), so it stays in a queue."""
        lead = self.lead
        reason = (reason or "").strip()
        require_permission(by, Action.SCHEDULE_VISIT, lead.center_id)
        if not reason:
            raise ValidationError({"reason": CANCEL_NEEDS_REASON})
        if len(reason) > 500:
            raise ValidationError({"reason": "Keep the reason under 500 characters."})
        self._require_open()
        with transaction.atomic():
            with lead._transition(Move.CANCEL_INTRO_VISIT, by=by, note=reason):
                visit = type(self).objects.select_for_update().get(pk=self.pk)
                visit._require_open()
                visit.cancelled_at = timezone.now()
                visit.save(update_fields=["cancelled_at", "updated_at"])
            follow_up = follow_up_after_cancel(lead, reason=reason, by=by)
        self.cancelled_at = visit.cancelled_at
        return follow_up


# -- the booking rules, shared by scheduling and rescheduling ----------------------------------------


def check_trainer(trainer: User | None, center_id: int) -> None:
    if trainer is not None and trainer.role_in(center_id) != "TRAINER":
        raise ValidationError({"trainer": "Choose a trainer of this center."})


def check_session(lead: Lead, *, batch: Batch | None, scheduled_at, override_age_band: bool = False, by: User) -> str:
    """Whether the child of `lead` may try `batch` at `scheduled_at` (a real session of it, in the
    future, within a year, in the batch's age band): ValidationError keyed by field, before any
    lock. Returns the history note of an age-band override ("" when none)."""
    if override_age_band and not (by is not None and by.may(Action.MANAGE_CENTER)):
        raise PermissionDenied(AGE_BAND_OVERRIDE_ONLY_ADMINS)
    if problem := batch_problem(batch, lead.center_id, missing="Choose the batch the child will try."):
        raise ValidationError({"batch": problem})
    now = timezone.now()
    if not isinstance(scheduled_at, datetime.datetime):
        raise ValidationError({"scheduled_at": "Enter the date and time of the visit."})
    if scheduled_at <= now:
        raise ValidationError({"scheduled_at": "The visit must be in the future."})
    if scheduled_at > now + VISIT_HORIZON:
        raise ValidationError({"scheduled_at": VISIT_TOO_LATE})
    if not batch.is_session(scheduled_at):
        raise ValidationError({"scheduled_at": not_a_session(batch, near=scheduled_at)})
    child = lead.child
    if child.dob is None:
        return ""
    day = timezone.localtime(scheduled_at, lead.center.tzinfo).date()
    years, months = child.age_on(day)
    age = years * 12 + months
    if batch.min_age_months <= age <= batch.max_age_months:
        return ""
    facts = {"batch": batch.name, "band": batch.age_band, "child": child.first_name, "age": months_label(age)}
    if not override_age_band:
        raise ValidationError({"batch": OUTSIDE_AGE_BAND.format(**facts)})
    return AGE_BAND_OVERRIDDEN.format(**facts)


def not_a_session(batch: Batch, *, near: datetime.datetime, count: int = 3) -> str:
    """The refusal of a time that is not one of the batch's sessions, naming the sessions nearest it."""
    now = timezone.now()
    after = max(now, near - datetime.timedelta(days=7))
    sessions = "; ".join(session_time(start) for start in batch.session_starts(after=after, count=count))
    return NOT_A_SESSION.format(
        batch=batch.name,
        weekday=batch.get_weekday_display(),
        time=session_time(batch.session_starts(after=now, count=1)[0]).split(", ")[-1],
        sessions=sessions,
    )


def take_seat(batch: Batch, starts_at: datetime.datetime, *, exclude_visit_id: int | None = None) -> Batch:
    """Inside the booking's transaction, after the lead's lock: lock the batch row (so bookings of one
    batch queue here) and refuse the session when enrolled children plus booked visits fill it."""
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    if locked.seats_taken(starts_at, exclude_visit_id=exclude_visit_id) >= locked.capacity:
        raise ValidationError({"scheduled_at": SESSION_FULL.format(capacity=locked.capacity)})
    return locked


def next_working_day(day: datetime.date) -> datetime.date:
    """The day after `day` that is a working day: every day but Sunday (centers run on Saturdays)."""
    day += datetime.timedelta(days=1)
    return day + datetime.timedelta(days=1) if day.weekday() == 6 else day


def follow_up_after_cancel(lead: Lead, *, reason: str, by: User) -> FollowUp:
    """The follow-up a cancelled visit leaves (the one place that makes it, through the follow-up verb)."""
    today = timezone.localdate(timezone=lead.center.tzinfo)
    return lead.add_follow_up(
        scheduled_date=next_working_day(today), notes=f"Intro visit cancelled: {reason}. Book another session.", by=by
    )


def _forget_attendance(lead, visit: IntroVisit) -> None:
    """A no-show (or a correction to one) takes back the lead's "attended" milestone, unless
    another of its visits was attended: the figures count only children who came."""
    others = IntroVisit.objects.filter(lead=lead, attended_at__isnull=False).exclude(pk=visit.pk)
    if not others.exists():
        lead.iv_attended_at = None


def _name(user: User | None) -> str:
    if user is None:
        return "the system"
    return user.get_full_name() or user.username


def _when(local: datetime.datetime) -> str:
    """`Mon 15 Feb, 4:00 PM` (with the year when not this year), as the screens show it."""
    fmt = "D j M, g:i A" if local.year == timezone.localdate().year else "D j M Y, g:i A"
    return date_format(local, fmt)
