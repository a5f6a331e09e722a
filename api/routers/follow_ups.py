"""Follow-ups: create for a lead, list a lead's, complete or cancel, and the pending queue."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.models import Action
from api import references
from api.errors import invalid, renamed
from api.routers.common import path_id, responses
from api.schemas import MAX_ID, FollowUpIn, FollowUpOut, FollowUpUpdateIn, aware
from leads.access import get_follow_up_for_user, get_lead_for_user, log_lead_change, require_action
from leads.models import FollowUp, FollowUpOutcome, FollowUpStatus

router = Router(tags=["follow-ups"])


# Registered before GET /leads/{lead_id} (see api/api.py), so "follow-ups" is never read as an id.
@router.get(
    "/leads/follow-ups/pending",
    response=responses({200: list[FollowUpOut]}),
    summary="List pending follow-ups",
)
def pending_follow_ups(
    request: HttpRequest,
    assigned_to: int | None = Query(None, ge=1, le=MAX_ID, description="User id of the assignee."),
    center_id: int | None = Query(None, ge=1, le=MAX_ID, description="Only this center (one of yours)."),
    skip: int = Query(0, ge=0, le=10**9),
    limit: int = Query(50, ge=1, le=200),
):
    """PENDING follow-ups of your centers, earliest scheduled date first."""
    user = request.auth
    require_action(user, Action.VIEW_LEADS)
    follow_ups = FollowUp.objects.for_user(user).pending().select_related("lead__center", "next_follow_up")
    if assigned_to:
        follow_ups = follow_ups.filter(assigned_to_id=assigned_to)
    follow_ups = follow_ups.in_center(user, center_id)
    return list(follow_ups.order_by("scheduled_date", "pk")[skip : skip + limit])


@router.post("/leads/{lead_id}/follow-up", response=responses({201: FollowUpOut}), summary="Create a follow-up")
def create_follow_up(request: HttpRequest, lead_id: int, payload: FollowUpIn):
    """A PENDING follow-up; the lead moves to FOLLOW_UP_PENDING (unless a visit is booked)."""
    user = request.auth
    lead = get_lead_for_user(user, path_id(lead_id, "lead"), action=Action.MANAGE_FOLLOW_UP)
    follow_up = lead.add_follow_up(
        scheduled_date=payload.scheduled_date,
        notes=payload.notes,
        assigned_to=references.staff(user, payload.assigned_to_user_id, "assigned_to_user_id"),
        by=user,
    )
    follow_up.lead = lead
    log_lead_change(request, lead, f"api follow-up {follow_up.pk} create")
    return Status(201, follow_up)


@router.get(
    "/leads/{lead_id}/follow-ups",
    response=responses({200: list[FollowUpOut]}),
    summary="List a lead's follow-ups",
)
def list_lead_follow_ups(request: HttpRequest, lead_id: int):
    """Every follow-up of the lead, latest scheduled date first."""
    lead = get_lead_for_user(request.auth, path_id(lead_id, "lead"))
    follow_ups = list(lead.follow_ups.select_related("next_follow_up").order_by("-scheduled_date", "-pk"))
    for follow_up in follow_ups:
        follow_up.lead = lead
    return follow_ups


#: The intro-visit verb's field names -> this body's (the visit is nested under "intro_visit").
_VISIT_FIELDS = {
    "batch": "intro_visit.batch_id",
    "trainer": "intro_visit.trainer_user_id",
    "scheduled_at": "intro_visit.scheduled_at",
}


#: The enrollment verb's field names -> this body's (the terms are nested under "enrollment").
_ENROLLMENT_FIELDS = {"batch": "enrollment.batch_id", "start_date": "enrollment.start_date", "plan": "enrollment.plan"}


#: The fields that edit a pending follow-up (a body with only these, and no status or outcome).
_EDIT_FIELDS = {"notes", "scheduled_date", "assigned_to_user_id"}


@router.patch(
    "/follow-ups/{follow_up_id}",
    response=responses({200: FollowUpOut}),
    summary="Edit, complete or cancel a follow-up",
)
def update_follow_up(request: HttpRequest, follow_up_id: int, payload: FollowUpUpdateIn):
    """Only `notes`, `scheduled_date` and/or `assigned_to_user_id` (no status, or PENDING): edit the
    pending follow-up. COMPLETED with an outcome, carried out on the lead in the same transaction:
    ENROLLED (`enrollment`: batch_id, start_date, plan; the child is enrolled and the lead converted),
    POSTPONED (`next_follow_up_date`, or the center's interval later: the next follow-up, shown in
    `next_follow_up`), LOST (`reason`, or the notes: closes the lead), SCHEDULED_IV (`intro_visit`:
    books the visit; without it a "book the visit" follow-up due today, in `next_follow_up`).
    Or CANCELLED."""
    user = request.auth
    follow_up = get_follow_up_for_user(user, path_id(follow_up_id, "follow-up"), action=Action.MANAGE_FOLLOW_UP)
    sent = payload.model_fields_set
    if payload.status in (None, FollowUpStatus.PENDING) and payload.outcome is None:
        if not sent & _EDIT_FIELDS:
            raise invalid("status", "Send notes, scheduled_date or assigned_to_user_id to edit; or a status.")
        if extra := sorted(sent - _EDIT_FIELDS - {"status"}):
            raise invalid(extra[0], "Only notes, scheduled_date and assigned_to_user_id edit a pending follow-up.")
        changes = {}
        if "notes" in sent:
            changes["notes"] = payload.notes
        if "scheduled_date" in sent:
            changes["scheduled_date"] = payload.scheduled_date
        if "assigned_to_user_id" in sent:
            changes["assigned_to"] = references.staff(user, payload.assigned_to_user_id, "assigned_to_user_id")
        follow_up.edit(by=user, **changes)
        log_lead_change(request, follow_up.lead, f"api follow-up {follow_up.pk} edit")
        return follow_up
    if edits := sorted(sent & {"scheduled_date", "assigned_to_user_id"}):
        raise invalid(
            edits[0], "Edit a pending follow-up without a status; the next one's time is next_follow_up_date."
        )
    if payload.status == FollowUpStatus.CANCELLED:
        if payload.outcome is not None:
            raise invalid("outcome", "A cancelled follow-up has no outcome: send COMPLETED to record one.")
        follow_up.cancel(by=user, notes=payload.notes)
        log_lead_change(request, follow_up.lead, f"api follow-up {follow_up.pk} cancel")
        return follow_up
    if payload.status not in (None, FollowUpStatus.COMPLETED):
        raise invalid("status", "Send COMPLETED with an outcome, or CANCELLED.")
    if payload.outcome is None:
        raise invalid("outcome", f"Choose one of: {', '.join(FollowUpOutcome.values)}.")
    visit = None
    if payload.intro_visit is not None and payload.outcome == FollowUpOutcome.SCHEDULED_IV:
        visit_in = payload.intro_visit
        visit = {
            "scheduled_at": aware(visit_in.scheduled_at, follow_up.lead.center),
            "batch": references.batch(user, visit_in.batch_id, "intro_visit.batch_id"),
            "trainer": references.staff(user, visit_in.trainer_user_id, "intro_visit.trainer_user_id"),
            "notes": visit_in.notes,
        }
    enroll = enrollment = None
    if payload.outcome == FollowUpOutcome.ENROLLED:
        if payload.enrollment is not None:
            enroll = {
                "batch": references.batch(
                    user, payload.enrollment.batch_id, "enrollment.batch_id", action=Action.CONVERT
                ),
                "start_date": payload.enrollment.start_date,
                "plan": payload.enrollment.plan,
            }
        elif payload.enrollment_id is not None:
            enrollment = references.enrollment(user, payload.enrollment_id)
    with renamed(_VISIT_FIELDS if visit else _ENROLLMENT_FIELDS if enroll else {}):
        follow_up.complete(
            outcome=payload.outcome,
            notes=payload.notes,
            by=user,
            reason=payload.reason,
            next_date=payload.next_follow_up_date,
            intro_visit=visit,
            enroll=enroll,
            enrollment=enrollment,
        )
    log_lead_change(request, follow_up.lead, f"api follow-up {follow_up.pk} complete {payload.outcome}")
    return follow_up
