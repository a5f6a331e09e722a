"""Intro visits: schedule (counselors, admins), record the outcome (trainers, admins), read."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.models import Action, User
from api import references
from api.errors import invalid, renamed
from api.routers.common import path_id, responses
from api.schemas import MAX_ID, CancelVisitIn, Day, IntroVisitIn, IntroVisitOut, IntroVisitUpdateIn, aware
from leads.access import get_intro_visit_for_user, get_lead_for_user, log_lead_change
from leads.models import IntroVisit

router = Router(tags=["intro visits"])


def _read_action(user: User) -> str:
    """Trainers read the visits they record outcomes for; everyone else needs to view leads."""
    if user.may(Action.VIEW_LEADS):
        return Action.VIEW_LEADS
    if user.may(Action.RECORD_OUTCOME):
        return Action.RECORD_OUTCOME
    raise PermissionDenied("Your role does not allow this action.")


@router.post(
    "/leads/{lead_id}/intro-visit", response=responses({201: IntroVisitOut}), summary="Schedule an intro visit"
)
def schedule_intro_visit(request: HttpRequest, lead_id: int, payload: IntroVisitIn):
    """Books the trial class; the lead moves to IV_SCHEDULED."""
    user = request.auth
    lead = get_lead_for_user(user, path_id(lead_id, "lead"), action=Action.SCHEDULE_VISIT)
    visit = lead.schedule_intro_visit(
        scheduled_at=aware(payload.scheduled_at, lead.center),
        batch=references.batch(user, payload.batch_id),
        trainer=references.staff(user, payload.trainer_user_id, "trainer_user_id"),
        notes=payload.notes,
        override_age_band=payload.override_age_band,
        by=user,
    )
    visit.lead = lead
    log_lead_change(request, lead, f"api intro-visit {visit.pk} schedule")
    return Status(201, visit)


@router.patch(
    "/intro-visits/{iv_id}",
    response=responses({200: IntroVisitOut}),
    summary="Record attendance or the outcome, correct it, or reschedule the visit",
)
def update_intro_visit(request: HttpRequest, iv_id: int, payload: IntroVisitUpdateIn):
    """`{"attended_at": ...}` alone records attendance (the lead stays IV_SCHEDULED); `outcome`
    records how it went and the lead moves as the lifecycle says: INTERESTED_ENROLL_NOW ->
    IV_COMPLETED, INTERESTED_ENROLL_LATER and NOT_INTERESTED -> FOLLOW_UP_PENDING, NO_SHOW ->
    IV_NO_SHOW. A different outcome on a visit that has one is a correction. Nothing can be
    recorded before the visit has started (422 naming the field).
    With `scheduled_at`, `batch_id` or `trainer_user_id` on a visit without an outcome, reschedules it
    (another session, the booking's rules; the lead stays IV_SCHEDULED)."""
    if _reschedules(payload):
        return _reschedule(request, iv_id, payload)
    user = request.auth
    visit = get_intro_visit_for_user(user, path_id(iv_id, "intro visit"), action=Action.RECORD_OUTCOME)
    done = _record(visit, payload, user)
    log_lead_change(request, visit.lead, f"api intro-visit {visit.pk} {done}")
    return visit


def _record(visit: IntroVisit, payload: IntroVisitUpdateIn, user: User) -> str:
    """Attendance, outcome or correction: one verb each; the rules (start, window, moved on) are theirs.

    Returns what was done, for the access log."""
    attended_at = aware(payload.attended_at, visit.lead.center)
    with renamed({"notes": "outcome_notes"}):
        if payload.outcome is None:
            if attended_at is None:
                raise invalid("outcome", "Send the outcome, or attended_at to record attendance only.")
            visit.record_attendance(attended_at=attended_at, by=user)
            return "attendance"
        if visit.outcome and payload.outcome != visit.outcome:
            visit.correct_outcome(outcome=payload.outcome, notes=payload.outcome_notes, by=user)
            return f"correct to {visit.outcome}"
        # A second PATCH with the same outcome: the verb's "already has an outcome" (409).
        visit.record_outcome(outcome=payload.outcome, notes=payload.outcome_notes, attended_at=attended_at, by=user)
        return f"outcome {visit.outcome}"


# -- rescheduling and cancelling (counselors, admins) ------------------------------------------------


def _reschedules(payload: IntroVisitUpdateIn) -> bool:
    return any(value is not None for value in (payload.scheduled_at, payload.batch_id, payload.trainer_user_id))


def _reschedule(request: HttpRequest, iv_id: int, payload: IntroVisitUpdateIn) -> IntroVisit:
    """PATCH /intro-visits/{id} with scheduled_at / batch_id / trainer_user_id: `visit.reschedule`."""
    user = request.auth
    visit = get_intro_visit_for_user(user, path_id(iv_id, "intro visit"), action=Action.SCHEDULE_VISIT)
    if payload.outcome is not None or payload.attended_at is not None:
        raise invalid("outcome", "Reschedule or record the outcome, one at a time.")
    batch = references.batch(user, payload.batch_id) if payload.batch_id else visit.batch
    scheduled_at = aware(payload.scheduled_at, visit.lead.center)
    if scheduled_at is None:
        if payload.batch_id and payload.batch_id != visit.batch_id:
            raise invalid("scheduled_at", "Choose the session of the new batch (GET /api/v1/batches/{id}/sessions).")
        scheduled_at = visit.scheduled_at  # only the trainer changes
    visit.reschedule(
        scheduled_at=scheduled_at,
        batch=batch,
        trainer=references.staff(user, payload.trainer_user_id, "trainer_user_id"),
        override_age_band=payload.override_age_band,
        notes=payload.notes,
        by=user,
    )
    log_lead_change(request, visit.lead, f"api intro-visit {visit.pk} reschedule")
    return visit


@router.post("/intro-visits/{iv_id}/cancel", response=responses({200: IntroVisitOut}), summary="Cancel an intro visit")
def cancel_intro_visit(request: HttpRequest, iv_id: int, payload: CancelVisitIn):
    """Calls the visit off with a reason: the lead goes back to FOLLOW_UP_PENDING with a follow-up
    due the next working day (every day but Sunday, in the center's calendar)."""
    user = request.auth
    visit = get_intro_visit_for_user(user, path_id(iv_id, "intro visit"), action=Action.SCHEDULE_VISIT)
    visit.cancel(reason=payload.reason, by=user)
    log_lead_change(request, visit.lead, f"api intro-visit {visit.pk} cancel")
    return visit


@router.get("/intro-visits/{iv_id}", response=responses({200: IntroVisitOut}), summary="Get an intro visit")
def get_intro_visit(request: HttpRequest, iv_id: int):
    user = request.auth
    return get_intro_visit_for_user(user, path_id(iv_id, "intro visit"), action=_read_action(user))


@router.get("/intro-visits", response=responses({200: list[IntroVisitOut]}), summary="List intro visits")
def list_intro_visits(
    request: HttpRequest,
    date: Day | None = Query(None, description="Visits on this day, in each center's timezone."),  # noqa: B008  (ninja reads parameters from defaults)
    lead_id: int | None = Query(None, ge=1, le=MAX_ID),
    trainer_user_id: int | None = Query(None, ge=1, le=MAX_ID),
    center_id: int | None = Query(None, ge=1, le=MAX_ID, description="Only this center (one of yours)."),
    skip: int = Query(0, ge=0, le=10**9),
    limit: int = Query(50, ge=1, le=200),
):
    """Intro visits of your centers, by time."""
    user = request.auth
    _read_action(user)
    visits = IntroVisit.objects.for_user(user).select_related("lead__center").order_by("scheduled_at", "pk")
    if date is not None:
        visits = visits.filter(_on_day(user, date))
    if lead_id:
        visits = visits.filter(lead_id=lead_id)
    if trainer_user_id:
        visits = visits.filter(trainer_id=trainer_user_id)
    visits = visits.in_center(user, center_id)
    return list(visits[skip : skip + limit])


def _on_day(user: User, day: datetime.date) -> Q:
    """The day in each center's own timezone (a center is rarely in more than one)."""
    condition = Q(pk__in=[])
    for center in user.centers():
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=center.tzinfo)
        end = start + datetime.timedelta(days=1)
        condition |= Q(lead__center=center, scheduled_at__gte=start, scheduled_at__lt=end)
    return condition
