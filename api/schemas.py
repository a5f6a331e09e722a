"""Request and response schemas of API v1: the spec's field names, typed for the OpenAPI document.

Input types are bounded (ids fit a 64-bit key, datetimes a sane range, no NUL bytes) so that
no request can reach the database with a value it cannot store: bad input is a 422, never a 500.
Naive datetimes are read in the center's timezone; datetimes come back in the center's timezone.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict

from accounts.models import Role
from leads.lifecycle import FOLLOW_UP_DEFAULT_TIME
from leads.models import (
    ClosedReason,
    FollowUpOutcome,
    FollowUpStatus,
    Gender,
    IVOutcome,
    LeadSource,
    LeadStatus,
)

MAX_ID = 2**63 - 1
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2200, 12, 31)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text must not contain NUL characters.")
    return value


def _in_range(value):
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"Use a date between {EARLIEST:%Y} and {LATEST:%Y}.")
    return value


def _date_part(value):
    """Accept "2026-02-20" and, as the spec's examples show, "2026-02-20T10:00:00" for dates."""
    if isinstance(value, str) and len(value) > 10 and value[10] in "T ":
        return value[:10]
    return value


def _bare_date_at_default_time(value):
    """A follow-up's time: "2026-12-20" (or a date) means FOLLOW_UP_DEFAULT_TIME that day; a naive
    date-time is the center's local time (the verb reads it so)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        return f"{value.strip()}T{FOLLOW_UP_DEFAULT_TIME:%H:%M:%S}"
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime.combine(value, FOLLOW_UP_DEFAULT_TIME)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def Text(max_length: int, min_length: int = 0):  # noqa: N802  (reads as a type)
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)]


Day = Annotated[datetime.date, BeforeValidator(_date_part), AfterValidator(_in_range)]
Moment = Annotated[datetime.datetime, AfterValidator(_in_range)]
#: When a follow-up is due: a date-time (naive: the center's local time) or a bare date (10:00 local).
FollowUpTime = Annotated[datetime.datetime, BeforeValidator(_bare_date_at_default_time), AfterValidator(_in_range)]


def aware(value: datetime.datetime | None, center) -> datetime.datetime | None:
    """A naive datetime from the request, read in the center's timezone."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, center.tzinfo)


def local(value: datetime.datetime | None, center) -> datetime.datetime | None:
    return None if value is None else timezone.localtime(value, center.tzinfo)


def center_of(obj):
    """The center whose timezone an object's times are shown in (its own, or its lead's)."""
    return obj.center if hasattr(obj, "center_id") else obj.lead.center


class StampedOut(Schema):
    """Base of responses whose `created_at` / `updated_at` show in the center's timezone."""

    @staticmethod
    def resolve_created_at(obj):
        return local(obj.created_at, center_of(obj))

    @staticmethod
    def resolve_updated_at(obj):
        return local(obj.updated_at, center_of(obj))


# -- errors -------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[FieldError]


# -- auth ---------------------------------------------------------------------------------------


class TokenIn(Schema):
    username: Text(150, 1)
    password: Text(256, 1)


class TokenOut(Schema):
    token: str


# -- leads --------------------------------------------------------------------------------------


class ChildIn(Schema):
    first_name: Text(80, 1)
    last_name: Text(80) = ""
    dob: Day | None = Field(None, description="The date of birth; or send `age` when it is unknown.")
    age: int | None = Field(
        None, ge=0, le=18, description="Years, when the date of birth is unknown: stored as an approximate dob."
    )
    age_months: int | None = Field(None, ge=0, le=11, description="Months beyond `age` (optional).")
    gender: Gender


ConsentMethodIn = Literal["WEB_FORM", "PHONE_VERBAL", "IN_PERSON", "PAPER_FORM"]


class ParentIn(Schema):
    name: Text(120, 1)
    contact_number: Text(32, 1) = Field(description="Any common format; stored in E.164 (+919876543210).")
    email: Text(254) = ""
    same_parent: Literal["same", "different"] = Field(
        "same",
        description="When the phone is known under another name: `same` keeps the known parent (the "
        "spec's behaviour), `different` refuses the phone (422: each parent has their own number).",
    )


class ConsentIn(Schema):
    """The parent's consent (DPDP Act 2023 s.9): required with every enquiry; without it, 422 on `consent`."""

    method: ConsentMethodIn = Field(
        description="How the parent agreed: WEB_FORM (your site's checkbox: send address and user_agent), "
        "PHONE_VERBAL (on the phone, to the API user), IN_PERSON (at the center) or PAPER_FORM."
    )
    processing: bool = Field(description="Agrees to the processing of this enquiry; must be true to save it.")
    reminders: bool = Field(False, description="Agrees to reminders by SMS, WhatsApp or email.")
    marketing: bool = Field(False, description="Agrees to news and offers.")
    notice_version: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None,
        description="The privacy-notice version shown (GET /api/v1/reference/privacy-notice); refused when "
        "a newer one was published.",
    )
    obtained_at: Moment | None = Field(None, description="When the parent agreed (default: now).")
    address: Text(45) | None = Field(None, description="WEB_FORM: the parent's IP address.")
    user_agent: Text(255) = Field("", description="WEB_FORM: the parent's browser (User-Agent).")


class ConsentOut(Schema):
    id: int
    parent_id: int
    method: str
    processing: bool
    reminders: bool
    marketing: bool
    notice_version: int | None
    obtained_at: datetime.datetime
    obtained_by_user_id: int | None
    withdrawn_at: datetime.datetime | None
    withdrawn_by_user_id: int | None

    @staticmethod
    def resolve_notice_version(obj) -> int | None:
        return obj.notice.version if obj.notice_id else None

    @staticmethod
    def resolve_obtained_by_user_id(obj) -> int | None:
        return obj.obtained_by_id

    @staticmethod
    def resolve_withdrawn_by_user_id(obj) -> int | None:
        return obj.withdrawn_by_id


class PrivacyNoticeOut(Schema):
    center_id: int | None = Field(description="Empty: the franchise's notice, shown by centers without their own.")
    version: int
    text: str
    published_at: datetime.datetime


class EnquiryIn(Schema):
    child: ChildIn
    parent: ParentIn
    consent: ConsentIn | None = Field(
        None, description="Required: the parent's consent. The spec's body without it is refused (422 on `consent`)."
    )
    school: Text(160) = ""
    source: LeadSource = LeadSource.WALK_IN
    parent_expectations: list[Text(40)] = Field(
        default_factory=list,
        max_length=20,
        description="Codes of the center's choices (GET /api/v1/reference/parent-expectations?center_id=...).",
    )
    preferred_schedule: Text(160) = ""
    remarks: Text(4000) = ""
    assigned_to_user_id: Id | None = Field(
        None,
        description="Staff of the center. Omitted: the center's automatic assignment (round-robin, by source "
        "or by program; a center on 'whoever records it' gives it to you).",
    )
    center_id: Id | None = Field(None, description="Super admins, or staff of several centers: which center.")
    program_id: Id | None = Field(None, description="The program the parent asks about (one of the center's).")


class DiscoveryIn(Schema):
    school: Text(160) | None = None
    preferred_schedule: Text(160) | None = None
    parent_expectations: list[Text(40)] | None = Field(
        None, max_length=20, description="Codes of the lead's center's choices; an unknown one is a 422 listing them."
    )
    discovery_notes: Text(4000) | None = None


class StatusIn(Schema):
    """The wanted status, and what the verb that reaches it needs (PATCH /leads/{id}/status)."""

    status: LeadStatus
    notes: Text(4000) = Field("", description="Appended to discovery_notes; the reason when closing without `reason`.")
    # CLOSED_LOST
    reason: Text(500) = Field("", description="CLOSED_LOST: why (defaults to `notes`).")
    category: ClosedReason | None = Field(None, description="CLOSED_LOST: the reason's category.")
    # CONVERTED
    enrollment_id: Id | None = Field(None, description="CONVERTED: the enrollment of this child (POST /enrollments).")
    # IV_SCHEDULED
    scheduled_at: Moment | None = Field(None, description="IV_SCHEDULED: the visit's time (center time when naive).")
    batch_id: Id | None = Field(None, description="IV_SCHEDULED: the batch the child will try.")
    trainer_user_id: Id | None = Field(None, description="IV_SCHEDULED: defaults to the batch's trainer.")
    # FOLLOW_UP_PENDING from IV_SCHEDULED (the visit's outcome)
    outcome: IVOutcome | None = Field(
        None, description="FOLLOW_UP_PENDING from IV_SCHEDULED: INTERESTED_ENROLL_LATER or NOT_INTERESTED."
    )


class LeadUpdateIn(Schema):
    """Legacy PATCH /leads/{id}: assignee, source and notes; never the status."""

    assigned_to_user_id: Id | None = None
    source: LeadSource | None = None
    notes: Text(4000) | None = Field(None, description="Replaces discovery_notes.")

    # Unknown fields (above all "status") are a 422 rather than silently ignored.
    model_config = ConfigDict(extra="forbid")


class ConvertIn(Schema):
    """Either the enrollment's terms (one step: enrolls and converts together), or the id of the
    enrollment `POST /enrollments` made (which already converted the lead: this confirms it)."""

    enrollment_id: Id | None = Field(None, description="An enrollment of this child, made before.")
    batch_id: Id | None = Field(None, description="One step: the batch the child joins.")
    start_date: Day | None = Field(None, description="One step: the first class (at most 60 days ago).")
    plan: Text(80) = ""
    notes: Text(4000) = ""


class CloseIn(Schema):
    reason: Text(500, 1)
    category: ClosedReason = ClosedReason.OTHER


class LeadOut(StampedOut):
    id: int
    enquiry_id: str
    center_id: int
    child_id: int
    status: LeadStatus
    source: LeadSource
    school: str
    preferred_schedule: str
    parent_expectations: list[str]
    discovery_notes: str
    discovery_completed_at: datetime.datetime | None
    closed_reason: str | None
    closed_at: datetime.datetime | None
    enrollment_id: int | None
    converted_at: datetime.datetime | None
    assigned_to_user_id: int | None
    program_id: int | None = None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_closed_reason(obj) -> str | None:
        return obj.closed_reason or None

    @staticmethod
    def resolve_assigned_to_user_id(obj) -> int | None:
        return obj.assigned_to_id

    @staticmethod
    def resolve_discovery_completed_at(obj):
        return local(obj.discovery_completed_at, obj.center)

    @staticmethod
    def resolve_closed_at(obj):
        return local(obj.closed_at, obj.center)

    @staticmethod
    def resolve_converted_at(obj):
        return local(obj.converted_at, obj.center)


class LeadSummaryOut(LeadOut):
    """The spec's LeadSummary: a list row with the child, the primary parent and the next follow-up
    (read in the same query: leads/summary.py)."""

    child_name: str
    parent_name: str | None
    parent_phone: str | None
    program_name: str | None
    next_follow_up: datetime.datetime | datetime.date | None = Field(
        description="The earliest pending follow-up's due date (a date-time once follow-ups carry a time)."
    )

    @staticmethod
    def resolve_child_name(obj) -> str:
        return obj.child.full_name

    @staticmethod
    def resolve_program_name(obj) -> str | None:
        return obj.program.name if obj.program_id else None

    @staticmethod
    def resolve_next_follow_up(obj):
        value = obj.next_follow_up
        return local(value, obj.center) if isinstance(value, datetime.datetime) else value


class ChildOut(Schema):
    id: int
    first_name: str
    last_name: str
    dob: datetime.date
    dob_is_approximate: bool = Field(False, description="True when `dob` was worked back from an age.")
    age_display: str = Field("", description="4 y 3 mo, or about 4 y when only the age is known.")
    gender: str
    enquiry_id: str


class ParentOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    is_primary: bool


class StatusChangeOut(Schema):
    from_status: LeadStatus | None
    to_status: LeadStatus
    action: str
    actor_user_id: int | None
    at: datetime.datetime
    note: str


# -- intro visits -------------------------------------------------------------------------------


class IntroVisitIn(Schema):
    scheduled_at: Moment = Field(
        description="One of the batch's sessions (GET /batches/{id}/sessions); ISO 8601, without an offset "
        "it is read in the center's timezone."
    )
    batch_id: Id
    trainer_user_id: Id | None = Field(None, description="Defaults to the batch's trainer.")
    notes: Text(4000) = ""
    override_age_band: bool = Field(
        False, description="Book a child outside the batch's age band (center and super admins only; noted)."
    )


class IntroVisitUpdateIn(Schema):
    """Attendance, outcome and correction (see api/routers/intro_visits.py `_record`), or a
    reschedule of a visit without an outcome (`_reschedule`)."""

    outcome: IVOutcome | None = Field(
        None,
        description="How it went. Without it, `attended_at` records attendance only; a different outcome on a "
        "visit that has one corrects it (10 minutes for its trainer, any time for a center admin).",
    )
    attended_at: Moment | None = Field(
        None, description="When the child came (defaults to now); alone, it records attendance. Empty for NO_SHOW."
    )
    # Rescheduling a visit without an outcome (see `_reschedule` in api/routers/intro_visits.py).
    scheduled_at: Moment | None = Field(None, description="Reschedule: another session of the batch.")
    batch_id: Id | None = Field(None, description="Reschedule into another batch (with `scheduled_at`).")
    trainer_user_id: Id | None = Field(None, description="Reschedule: another trainer.")
    override_age_band: bool = False
    notes: Text(4000) = ""
    outcome_notes: Text(4000) = ""


class IntroVisitOut(StampedOut):
    id: int
    lead_id: int
    scheduled_at: datetime.datetime
    attended_at: datetime.datetime | None
    batch_id: int
    trainer_user_id: int | None
    outcome: IVOutcome | None
    outcome_notes: str
    notes: str
    cancelled_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_trainer_user_id(obj) -> int | None:
        return obj.trainer_id

    @staticmethod
    def resolve_scheduled_at(obj):
        return local(obj.scheduled_at, obj.lead.center)

    @staticmethod
    def resolve_attended_at(obj):
        return local(obj.attended_at, obj.lead.center)

    @staticmethod
    def resolve_cancelled_at(obj):
        return local(obj.cancelled_at, obj.lead.center)


class ExpectationChoiceOut(Schema):
    center_id: int
    code: str
    label: str


# -- follow-ups ---------------------------------------------------------------------------------


class FollowUpIn(Schema):
    scheduled_date: FollowUpTime = Field(
        description="Date-time in the center's time zone (naive) or with an offset; a bare date is 10:00 local."
    )
    notes: Text(4000) = ""
    assigned_to_user_id: Id | None = Field(None, description="Defaults to the lead's counselor.")


class EnrollmentTermsIn(Schema):
    batch_id: Id
    start_date: Day
    plan: Text(80) = ""


class FollowUpUpdateIn(Schema):
    status: FollowUpStatus | None = Field(
        None,
        description="COMPLETED (with an outcome) or CANCELLED; absent (or PENDING) with only notes, "
        "scheduled_date or assigned_to_user_id: edit the pending follow-up.",
    )
    outcome: FollowUpOutcome | None = None
    notes: Text(4000) = ""
    scheduled_date: FollowUpTime | None = Field(None, description="Edit: the new time of a pending follow-up.")
    assigned_to_user_id: Id | None = Field(None, description="Edit: who calls (staff of the lead's center).")
    next_follow_up_date: FollowUpTime | None = Field(
        None, description="For POSTPONED; absent: the center's follow_up_interval_days later, at the same time."
    )
    reason: Text(500) = Field("", description="For LOST: why the family is not joining (absent: the notes).")
    intro_visit: IntroVisitIn | None = Field(
        None, description="For SCHEDULED_IV; absent: a “book the visit” follow-up due today is created."
    )
    enrollment: EnrollmentTermsIn | None = Field(
        None, description="Required for ENROLLED (or `enrollment_id`): the enrollment, made as the lead converts."
    )
    enrollment_id: Id | None = Field(None, description="For ENROLLED: an enrollment made before.")


class NextFollowUpOut(Schema):
    """The follow-up that completing this one created (POSTPONED, SCHEDULED_IV without a visit)."""

    id: int
    scheduled_date: datetime.datetime
    assigned_to_user_id: int | None
    notes: str

    @staticmethod
    def resolve_scheduled_date(obj):
        return local(obj.scheduled_date, obj.lead.center)

    @staticmethod
    def resolve_assigned_to_user_id(obj) -> int | None:
        return obj.assigned_to_id


class FollowUpOut(StampedOut):
    id: int
    lead_id: int
    scheduled_date: datetime.datetime
    completed_at: datetime.datetime | None
    status: FollowUpStatus
    outcome: FollowUpOutcome | None
    notes: str
    assigned_to_user_id: int | None
    next_follow_up: NextFollowUpOut | None = Field(
        None, description="Set once completing this follow-up created the next one (which time the center chose)."
    )
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_scheduled_date(obj):
        return local(obj.scheduled_date, obj.lead.center)

    @staticmethod
    def resolve_completed_at(obj):
        return local(obj.completed_at, obj.lead.center)

    @staticmethod
    def resolve_assigned_to_user_id(obj) -> int | None:
        return obj.assigned_to_id

    @staticmethod
    def resolve_next_follow_up(obj):
        if obj.next_follow_up_id is None:
            return None
        follow_up = obj.next_follow_up
        follow_up.lead = obj.lead  # same lead: its center, without another query
        return follow_up


class LeadDetailOut(LeadOut):
    child: ChildOut
    parents: list[ParentOut]
    intro_visits: list[IntroVisitOut]
    follow_ups: list[FollowUpOut]
    status_history: list[StatusChangeOut]

    # The endpoint prefetches what these read (see routers/leads.py: DETAIL_PREFETCH).
    @staticmethod
    def resolve_child(obj) -> dict:
        child = obj.child
        return {
            "id": child.pk,
            "first_name": child.first_name,
            "last_name": child.last_name,
            "dob": child.dob,
            "dob_is_approximate": child.dob_is_approximate,
            "age_display": child.age_display,
            "gender": child.gender,
            "enquiry_id": obj.enquiry_id,
        }

    @staticmethod
    def resolve_parents(obj) -> list[dict]:
        return [
            {
                "id": link.parent.pk,
                "name": link.parent.name,
                "phone": link.parent.phone,
                "email": link.parent.email,
                "is_primary": link.is_primary,
            }
            for link in obj.child.links.all()
        ]

    @staticmethod
    def resolve_intro_visits(obj) -> list:
        return list(obj.intro_visits.all())

    @staticmethod
    def resolve_follow_ups(obj) -> list:
        return list(obj.follow_ups.all())

    @staticmethod
    def resolve_status_history(obj) -> list[dict]:
        return [
            {
                "from_status": change.from_status or None,
                "to_status": change.to_status,
                "action": change.action,
                "actor_user_id": change.actor_id,
                "at": local(change.at, obj.center),
                "note": change.note,
            }
            for change in obj.status_changes.all()
        ]


# -- reference data and enrollments -------------------------------------------------------------


class EnrollmentIn(Schema):
    """The child's enrollment; it converts the child's open lead (`lead_id`, or the only one) in the
    same transaction, so an enrollment never exists without its converted lead."""

    child_id: Id
    lead_id: Id | None = Field(None, description="The lead to convert; by default the child's open lead.")
    batch_id: Id
    start_date: Day
    plan: Text(80) = ""
    notes: Text(4000) = ""


class EnrollmentOut(StampedOut):
    id: int
    child_id: int
    center_id: int
    batch_id: int | None
    start_date: datetime.date
    plan: str
    notes: str
    created_at: datetime.datetime


class BatchOut(Schema):
    id: int
    center_id: int
    name: str
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    start_time: str = Field(description="HH:MM:SS in the center's timezone")
    duration_minutes: int
    min_age_months: int
    max_age_months: int
    capacity: int
    trainer_user_id: int | None
    is_active: bool

    @staticmethod
    def resolve_trainer_user_id(obj) -> int | None:
        return obj.trainer_id

    @staticmethod
    def resolve_start_time(obj) -> str:
        return obj.start_time.isoformat(timespec="seconds")


class SessionOut(Schema):
    batch_id: int
    starts_at: datetime.datetime = Field(description="In the center's timezone.")
    ends_at: datetime.datetime
    capacity: int
    enrolled: int
    booked: int = Field(description="Intro visits booked for this session (not cancelled).")
    free_seats: int

    @staticmethod
    def resolve_batch_id(obj) -> int:
        return obj.batch.pk

    @staticmethod
    def resolve_ends_at(obj):
        return obj.starts_at + datetime.timedelta(minutes=obj.batch.duration_minutes)

    @staticmethod
    def resolve_capacity(obj) -> int:
        return obj.batch.capacity

    @staticmethod
    def resolve_free_seats(obj) -> int:
        return obj.free


class CancelVisitIn(Schema):
    reason: Text(500, 1)


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    role: Role


class FamilyEraseIn(Schema):
    confirmation: Text(32) = Field(description="One of the family's enquiry IDs, typed exactly (e.g. TLGC0001).")


class FamilyErasedOut(Schema):
    family_id: int
    children: int = Field(description="Children erased.")
    parents: int = Field(description="Parents erased.")
    leads: int = Field(description="Leads whose free text was erased (statuses and dates stay).")
