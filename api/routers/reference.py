"""What the lifecycle calls need: batches, staff, expectation choices, and enrollments (created before converting)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.models import Action, Center, Role, User
from api import references
from api.errors import renamed
from api.routers.common import path_id, responses
from api.schemas import (
    MAX_ID,
    BatchOut,
    EnrollmentIn,
    EnrollmentOut,
    ExpectationChoiceOut,
    PrivacyNoticeOut,
    SessionOut,
    UserOut,
)
from leads.access import get_batch_for_user, log_lead_change, require_action
from leads.models import Batch, ExpectationChoice, PrivacyNotice
from leads.models.enrollment import SESSIONS_OFFERED

router = Router(tags=["reference"])


@router.get("/batches", response=responses({200: list[BatchOut]}), summary="List batches")
def list_batches(
    request: HttpRequest,
    center_id: int | None = Query(None, ge=1, le=MAX_ID),
    include_inactive: bool = False,
):
    """Batches of your centers (for scheduling intro visits and enrollments)."""
    user = request.auth
    require_action(user, Action.VIEW_LEADS)
    batches = Batch.objects.for_user(user).in_center(user, center_id)
    if not include_inactive:
        batches = batches.filter(is_active=True)
    return list(batches)


@router.get(
    "/batches/{batch_id}/sessions", response=responses({200: list[SessionOut]}), summary="List a batch's sessions"
)
def list_batch_sessions(
    request: HttpRequest,
    batch_id: int,
    count: int = Query(SESSIONS_OFFERED, ge=1, le=52, description="How many coming sessions (at most 52)."),
):
    """The batch's coming sessions (its weekday and start time in the center's timezone), each with
    its free seats: capacity minus enrolled children minus intro visits booked for it. An intro
    visit is booked at one of these `starts_at`."""
    user = request.auth
    require_action(user, Action.VIEW_LEADS)
    batch = get_batch_for_user(user, path_id(batch_id, "batch"), action=Action.VIEW_LEADS)
    return batch.next_sessions(count)


@router.get("/privacy-notice", response=responses({200: PrivacyNoticeOut}), summary="The privacy notice")
def privacy_notice(request: HttpRequest, center_id: int | None = Query(None, ge=1, le=MAX_ID)):
    """The notice a parent of the center is shown now (the center's latest version, else the franchise's):
    show it before asking for consent and send its `version` as `consent.notice_version`."""
    user = request.auth
    require_action(user, Action.VIEW_LEADS)
    center = Center.objects.for_user(user).in_center(user, center_id).first() if center_id else None
    if center is None and center_id is None:
        centers = list(user.centers()[:2])
        center = centers[0] if len(centers) == 1 else None
    return PrivacyNotice.current_for(center)


@router.get("/users", response=responses({200: list[UserOut]}), summary="List staff")
def list_users(
    request: HttpRequest,
    role: Role | None = Query(None, description="TRAINER or COUNSELOR (or CENTER_ADMIN)."),  # noqa: B008  (ninja reads parameters from defaults)
    center_id: int | None = Query(None, ge=1, le=MAX_ID),
):
    """Active staff of your centers: assignees and trainers for the other calls."""
    user = request.auth
    require_action(user, Action.VIEW_LEADS)
    users = User.objects.in_centers(user.centers().in_center(user, center_id), roles=[role] if role else None)
    return list(users)


@router.get(
    "/parent-expectations",
    response=responses({200: list[ExpectationChoiceOut]}),
    summary="List the parent-expectation choices",
)
def list_parent_expectations(
    request: HttpRequest,
    center_id: int | None = Query(None, ge=1, le=MAX_ID, description="Only this center (one of yours)."),
):
    """Each center's active choices for `parent_expectations` (a center admin edits them in admin)."""
    user = request.auth
    require_action(user, Action.VIEW_LEADS)
    return list(ExpectationChoice.objects.for_user(user).active().in_center(user, center_id))


@router.post("/enrollments", response=responses({201: EnrollmentOut}), summary="Create an enrollment")
def create_enrollment(request: HttpRequest, payload: EnrollmentIn):
    """The child's enrollment in a batch, and the conversion of the child's open lead (`lead_id`,
    or the only open one), in one transaction: an enrollment never exists without its lead.
    `POST /leads/{id}/convert` with the returned id then confirms the conversion."""
    user = request.auth
    require_action(user, Action.CONVERT)
    child = references.child(user, payload.child_id)
    lead = references.open_lead(user, child, payload.lead_id)
    with renamed(references.ENROLLMENT_FIELDS):
        enrollment = lead.enroll_and_convert(
            batch=references.batch(user, payload.batch_id, action=Action.CONVERT),
            start_date=payload.start_date,
            plan=payload.plan,
            notes=payload.notes,
            by=user,
        )
    log_lead_change(request, lead, f"api enrollment {enrollment.pk} convert")
    return Status(201, enrollment)
