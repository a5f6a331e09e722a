"""Leads: enquiry, discovery, status, list, get, details, convert, close, and the legacy aliases.

Every endpoint finds its lead through `leads/access.py` and calls one of the lead's verbs;
the rules (transitions, roles, centers, field checks) live there only.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.errors import ValidationError as NinjaValidationError

from accounts.models import Action, Center
from api import references
from api.errors import invalid, renamed
from api.routers.common import path_id, responses
from api.schemas import (
    MAX_ID,
    CloseIn,
    ConvertIn,
    DiscoveryIn,
    EnquiryIn,
    LeadDetailOut,
    LeadOut,
    LeadSummaryOut,
    LeadUpdateIn,
    StatusIn,
    Text,
    aware,
)
from leads import params
from leads.access import (
    export_detail,
    get_lead_for_user,
    log_lead_change,
    log_lead_list_export,
    log_lead_view,
    require_action,
)
from leads.filters import LeadFilter
from leads.lifecycle import plan_move
from leads.models import FollowUp, Lead, LeadSource, LeadStatus, LifecycleError
from leads.summary import with_summary

router = Router(tags=["leads"])

ENQUIRY_ID = re.compile(r"[A-Za-z]{2,8}\d{4,}")

DETAIL_QUERYSET = Lead.objects.select_related("center", "child").prefetch_related(
    "child__links__parent",
    "intro_visits",
    Prefetch("follow_ups", queryset=FollowUp.objects.select_related("next_follow_up")),
    "status_changes",
)


# -- enquiry ------------------------------------------------------------------------------------


def _enquiry_center(user, center_id: int | None) -> Center:
    if center_id is not None:
        center = Center.objects.filter(pk=center_id).first()
        if center is None:
            raise invalid("center_id", "No such center.")
        return center  # create_enquiry refuses (403) a center the user does not work in
    centers = list(user.centers()[:2])
    if len(centers) == 1:
        return centers[0]
    if not centers:
        raise invalid("center_id", "There is no center yet: create one in admin first.")
    raise invalid("center_id", "You work in several centers: say which one (center_id).")


def _create_enquiry(request: HttpRequest, payload: EnquiryIn) -> Lead:
    user = request.auth
    require_action(user, Action.CREATE_ENQUIRY)
    center = _enquiry_center(user, payload.center_id)
    return Lead.create_enquiry(
        center=center,
        child=payload.child.dict(),
        parent={
            "name": payload.parent.name,
            "phone": payload.parent.contact_number,
            "email": payload.parent.email,
            "same_parent": payload.parent.same_parent,
        },
        source=payload.source,
        school=payload.school,
        preferred_schedule=payload.preferred_schedule,
        parent_expectations=[str(e) for e in payload.parent_expectations],
        remarks=payload.remarks,
        assigned_to=references.staff(user, payload.assigned_to_user_id, "assigned_to_user_id"),
        program=references.program(user, payload.program_id),
        consent=payload.consent.dict() if payload.consent else None,
        by=user,
    )


@router.post("/leads/enquiry", response=responses({201: LeadOut}), summary="Create an enquiry")
def create_enquiry(request: HttpRequest, payload: EnquiryIn):
    """A new lead from the enquiry form: the enquiry ID (TLGC0001…) is generated, the family
    reused when the parent's number is known. Status ENQUIRY_RECEIVED."""
    return Status(201, _create_enquiry(request, payload))


@router.post(
    "/leads",
    response=responses({201: LeadOut}),
    summary="Create an enquiry (legacy)",
    deprecated=True,
)
def create_lead_legacy(request: HttpRequest, payload: EnquiryIn):
    """Legacy alias of `POST /leads/enquiry` (same body, same result)."""
    return Status(201, _create_enquiry(request, payload))


# -- reading ------------------------------------------------------------------------------------


#: The list's query parameters -> the leads list's filter (leads/filters.py) that reads them.
_LIST_FILTERS = {
    "status": "status",
    "source": "source",
    "program_id": "program",
    "created_after": "created_after",
    "created_before": "created_before",
    "search": "q",
}


def _list_filter(request: HttpRequest, given: dict[str, list[str]]) -> LeadFilter:
    """The web list's own filter over these parameters; a bad value is a 422 naming its parameter."""
    data = QueryDict(mutable=True)
    data["center"] = ""  # the API never applies the web switcher's center (center_id does that)
    errors = []
    for name, values in given.items():
        if name in ("created_after", "created_before") and values and params.clean_date(values[0]) is None:
            errors.append(_query_error(name, f"Write the day as YYYY-MM-DD. {params.DATE_RANGE_MESSAGE}"))
        data.setlist(_LIST_FILTERS[name], values)
    lead_filter = LeadFilter(data, request=request)
    if not errors and not lead_filter.is_valid():
        api_names = {filter_name: name for name, filter_name in _LIST_FILTERS.items()}
        for name, messages in lead_filter.errors.items():
            api_name = api_names.get(name, "created_after" if name == "created" else name)
            errors += [_query_error(api_name, message) for message in messages]
    if errors:
        raise NinjaValidationError(errors)
    return lead_filter


def _query_error(name: str, message: str) -> dict:
    return {"loc": ["query", name], "msg": message, "type": "value_error"}


def _statuses(values: list[str] | None) -> list[str]:
    """`status=A&status=B` and `status=A,B` alike."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()][:20]


@router.get("/leads", response=responses({200: list[LeadSummaryOut]}), summary="List leads")
def list_leads(
    request: HttpRequest,
    status: list[Text(400)] | None = Query(  # noqa: B008  (ninja reads parameters from defaults)
        None, max_length=20, description="One or more statuses: `status=A&status=B` or `status=A,B`."
    ),
    search: Text(100) | None = Query(None, description="Enquiry ID, child or parent name, phone, email, school."),  # noqa: B008
    source: Text(40) | None = Query(None, description="One enquiry source (WALK_IN, REFERRAL, ...)."),  # noqa: B008
    program_id: Text(20) | None = Query(None, description="A program of yours, or `none` for leads without."),  # noqa: B008
    created_after: Text(10) | None = Query(None, description="Created on or after this day (YYYY-MM-DD, center time)."),  # noqa: B008
    created_before: Text(10) | None = Query(None, description="Created on or before this day (YYYY-MM-DD)."),  # noqa: B008
    assigned_to: int | None = Query(None, ge=1, le=MAX_ID, description="User id of the counselor in charge."),
    center_id: int | None = Query(None, ge=1, le=MAX_ID, description="Only this center (one of yours)."),
    skip: int = Query(0, ge=0, le=10**9),
    limit: int = Query(50, ge=1, le=200),
):
    """Leads of your centers, newest first, each with the child's name, the primary parent's name
    and phone and the next follow-up (the spec's LeadSummary). The filters are the web list's."""
    user = request.auth
    require_action(user, Action.VIEW_LEADS)
    given = {
        "status": _statuses(status),
        "source": [source] if source else [],
        "program_id": [program_id] if program_id else [],
        "created_after": [created_after] if created_after else [],
        "created_before": [created_before] if created_before else [],
        "search": [search] if search else [],
    }
    leads = _list_filter(request, {name: values for name, values in given.items() if values}).qs
    if assigned_to:
        leads = leads.filter(assigned_to_id=assigned_to)
    leads = with_summary(leads.in_center(user, center_id)).order_by("-created_at", "-pk")
    page = list(leads[skip : skip + limit])
    page_info = f"api skip={skip} limit={limit} rows={len(page)}"
    detail = export_detail(request.GET, prefix=page_info, skip=("skip", "limit"))
    log_lead_list_export(request, center_id=center_id, detail=detail)
    return page


@router.get("/leads/{lead_id}", response=responses({200: LeadOut}), summary="Get a lead")
def get_lead(request: HttpRequest, lead_id: int):
    lead = get_lead_for_user(request.auth, path_id(lead_id, "lead"))
    log_lead_view(request, lead, detail="api lead")
    return lead


@router.get("/leads/{lead_id}/details", response=responses({200: LeadDetailOut}), summary="Get a lead with details")
def get_lead_details(request: HttpRequest, lead_id: int):
    """The lead with its child, parents, intro visits, follow-ups and status history."""
    lead = get_lead_for_user(request.auth, path_id(lead_id, "lead"), queryset=DETAIL_QUERYSET)
    log_lead_view(request, lead, detail="api lead details")
    return lead


# -- lifecycle ----------------------------------------------------------------------------------


@router.patch("/leads/{lead_id}/discovery", response=responses({200: LeadOut}), summary="Update the discovery form")
def update_discovery(request: HttpRequest, lead_id: int, payload: DiscoveryIn):
    """Records the discovery details; a new enquiry moves to DISCOVERY_COMPLETED (later
    statuses keep theirs: the details are updated, the status never moves backwards)."""
    lead = get_lead_for_user(request.auth, path_id(lead_id, "lead"), action=Action.MANAGE_LEAD)
    expectations = payload.parent_expectations
    lead.complete_discovery(
        school=payload.school,
        preferred_schedule=payload.preferred_schedule,
        parent_expectations=None if expectations is None else [str(e) for e in expectations],
        discovery_notes=payload.discovery_notes,
        by=request.auth,
    )
    log_lead_change(request, lead, "api discovery")
    return lead


def _appended(lead: Lead, notes: str) -> str:
    notes = notes.strip()
    return f"{lead.discovery_notes}\n{notes}".strip() if notes else lead.discovery_notes


#: What each verb needs beyond a status and a note, as the body's fields: the move it makes
#: (`plan_move`'s kind) -> [(field, the sentence when it is missing)]. "{id}" is the lead's id.
_NEEDS = {
    "schedule": [
        (
            "scheduled_at",
            "Send scheduled_at and batch_id to schedule the visit (or POST /api/v1/leads/{id}/intro-visit).",
        ),
        ("batch_id", "Send scheduled_at and batch_id to schedule the visit (or POST /api/v1/leads/{id}/intro-visit)."),
    ],
    "convert": [
        (
            "enrollment_id",
            "Send the enrollment_id of POST /api/v1/enrollments, or convert with POST /api/v1/leads/{id}/convert "
            "(the batch and first class date).",
        )
    ],
    "close": [("reason", "Say why the lead is closed: send reason (or notes).")],
    "visit_outcome": [
        (
            "outcome",
            "Send the visit's outcome (INTERESTED_ENROLL_LATER or NOT_INTERESTED), or record it with "
            "PATCH /api/v1/intro-visits/{visit_id}.",
        )
    ],
}


@router.patch("/leads/{lead_id}/status", response=responses({200: LeadOut}), summary="Move a lead's status")
def update_status(request: HttpRequest, lead_id: int, payload: StatusIn):
    """Moves the lead through the verb that reaches the status (the board's dispatcher,
    `Lead.move_to`), when the body carries what the verb needs: DISCOVERY_COMPLETED; IV_SCHEDULED
    with `scheduled_at` and `batch_id`; IV_COMPLETED / IV_NO_SHOW (the scheduled visit's outcome,
    once it has started); FOLLOW_UP_PENDING (a follow-up due today; from IV_SCHEDULED with the
    visit's `outcome`; reopens a closed lead); CONVERTED with `enrollment_id`; CLOSED_LOST with
    `reason` (or `notes`). A missing field is a 422 naming it and the endpoint to use instead; a
    move the lifecycle refuses is a 409. `notes` are appended to discovery_notes."""
    user = request.auth
    lead = get_lead_for_user(user, path_id(lead_id, "lead"), action=Action.MANAGE_LEAD)
    target = payload.status
    if target == LeadStatus.CONVERTED and payload.enrollment_id is not None:
        enrollment = references.enrollment(user, payload.enrollment_id)
        if lead.enrollment_id == enrollment.pk:
            return lead  # POST /enrollments converted it already: this confirms it
    planned = plan_move(lead.status, target, allow_same=True)  # 409 with the rule's sentence
    reason = payload.reason.strip() or payload.notes.strip()
    sent = {
        "scheduled_at": payload.scheduled_at,
        "batch_id": payload.batch_id,
        "enrollment_id": payload.enrollment_id,
        "reason": reason,
        "outcome": payload.outcome,
    }
    for field, sentence in _NEEDS.get(planned.kind, []):
        if not sent[field]:
            raise invalid(field, sentence.replace("{id}", str(lead.pk)).replace("{visit_id}", _visit_id(lead)))
    data = _verb_data(user, lead, payload, planned.kind)
    with transaction.atomic():
        lead.move_to(
            target,
            by=user,
            allow_same=True,
            notes=_appended(lead, payload.notes) if target == LeadStatus.DISCOVERY_COMPLETED else payload.notes,
            reason=reason,
            scheduled_date=timezone.localdate(timezone=lead.center.tzinfo),
            follow_up_date=timezone.localdate(timezone=lead.center.tzinfo),
            **data,
        )
        if target != LeadStatus.DISCOVERY_COMPLETED and payload.notes.strip():
            lead.update_details(discovery_notes=_appended(lead, payload.notes), by=user)
        if lead.status != target:
            # The verb kept the status (e.g. discovery on a lead with a visit booked): refuse
            # the move and roll back, so the call never half-happens.
            raise LifecycleError(_kept_status_sentence(lead, target))
    log_lead_change(request, lead, f"api status {target}")
    return lead


def _verb_data(user, lead: Lead, payload: StatusIn, kind: str) -> dict:
    """The body's ids as the objects the verb takes (each looked up in the caller's centers)."""
    if kind == "schedule":
        return {
            "scheduled_at": aware(payload.scheduled_at, lead.center),
            "batch": references.batch(user, payload.batch_id),
            "trainer": references.staff(user, payload.trainer_user_id, "trainer_user_id"),
        }
    if kind == "convert":
        return {"enrollment": references.enrollment(user, payload.enrollment_id)}
    if kind == "close":
        return {"category": payload.category} if payload.category else {}
    if kind == "visit_outcome":
        return {"outcome": payload.outcome}
    return {}


def _visit_id(lead: Lead) -> str:
    visit = lead.intro_visits.filter(outcome__isnull=True, cancelled_at__isnull=True).last()
    return str(visit.pk) if visit else "{id}"


def _kept_status_sentence(lead: Lead, target: str) -> str:
    return (
        f"A lead in {LeadStatus(lead.status).label.lower()} cannot move to {LeadStatus(target).label.lower()}; "
        "nothing was changed."
    )


@router.post("/leads/{lead_id}/convert", response=responses({200: LeadOut}), summary="Convert a lead")
def convert_lead(request: HttpRequest, lead_id: int, payload: ConvertIn):
    """CONVERTED. Send the enrollment's terms (`batch_id`, `start_date`, `plan`): the child is
    enrolled and the lead converted in one transaction. Or send the `enrollment_id` that
    `POST /enrollments` returned: that call converted the lead already, and this one confirms it."""
    user = request.auth
    lead = get_lead_for_user(user, path_id(lead_id, "lead"), action=Action.CONVERT)
    if payload.enrollment_id is not None:
        enrollment = references.enrollment(user, payload.enrollment_id)
        if lead.enrollment_id != enrollment.pk:
            lead.convert(enrollment=enrollment, by=user)
            log_lead_change(request, lead, "api convert")
        return lead
    if payload.batch_id is None:
        raise invalid("batch_id", "Send batch_id and start_date (or the enrollment_id of POST /enrollments).")
    if payload.start_date is None:
        raise invalid("start_date", "Enter the first class date.")
    with renamed(references.ENROLLMENT_FIELDS):
        lead.enroll_and_convert(
            batch=references.batch(user, payload.batch_id, action=Action.CONVERT),
            start_date=payload.start_date,
            plan=payload.plan,
            notes=payload.notes,
            by=user,
        )
    log_lead_change(request, lead, "api convert")
    return lead


@router.post("/leads/{lead_id}/close", response=responses({200: LeadOut}), summary="Close a lead (lost)")
def close_lead(request: HttpRequest, lead_id: int, payload: CloseIn):
    """CLOSED_LOST with the reason; pending follow-ups and unrecorded visits are cancelled."""
    user = request.auth
    lead = get_lead_for_user(user, path_id(lead_id, "lead"), action=Action.CLOSE)
    lead.close(reason=payload.reason, category=payload.category, by=user)
    log_lead_change(request, lead, "api close")
    return lead


# -- legacy aliases -----------------------------------------------------------------------------


@router.patch("/leads/{lead_id}", response=responses({200: LeadOut}), summary="Edit a lead (legacy)", deprecated=True)
def update_lead_legacy(request: HttpRequest, lead_id: int, payload: LeadUpdateIn):
    """Edits the assignee, source and notes (replaces discovery_notes); never the status."""
    user = request.auth
    lead = get_lead_for_user(user, path_id(lead_id, "lead"), action=Action.MANAGE_LEAD)
    sent = payload.model_fields_set
    fields = {}
    if "assigned_to_user_id" in sent:
        fields["assigned_to"] = references.staff(user, payload.assigned_to_user_id, "assigned_to_user_id")
    if "source" in sent:
        if payload.source is None:
            raise invalid("source", f"Choose one of: {', '.join(LeadSource.values)}.")
        fields["source"] = str(payload.source)
    if "notes" in sent:
        fields["discovery_notes"] = payload.notes or ""
    if fields:
        lead.update_details(by=user, **fields)
        log_lead_change(request, lead, f"api edit {' '.join(sorted(fields))}")
    return lead


@router.post(
    "/leads/{lead_id}/mark-dead",
    response=responses({200: LeadOut}),
    summary="Close a lead (legacy)",
    deprecated=True,
)
def mark_dead_legacy(request: HttpRequest, lead_id: int, payload: CloseIn):
    """Legacy alias of `POST /leads/{id}/close`."""
    return close_lead(request, lead_id, payload)
