"""The lifecycle's vocabulary: statuses, outcomes, moves, the one transition table, who may make
each move, and the sentences a refusal reads as.

No models here (only Django's choice enums), so every model module imports this one and none
imports another to learn a status name. The verbs that use the table live on the models
(`Lead._transition` and the verbs it serves); `plan_move` is the one function from "the status
the user wants" to the verb that gets the lead there, for the board, the API and the lead page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models

from accounts.models import Action, Role

if TYPE_CHECKING:
    from accounts.models import User


class LifecycleError(Exception):
    """A move the lifecycle does not allow. `str(error)` is the sentence to show."""

    def __init__(self, message: str, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


class LeadStatus(models.TextChoices):
    ENQUIRY_RECEIVED = "ENQUIRY_RECEIVED", "Enquiry received"
    DISCOVERY_COMPLETED = "DISCOVERY_COMPLETED", "Discovery completed"
    IV_SCHEDULED = "IV_SCHEDULED", "Intro visit scheduled"
    IV_COMPLETED = "IV_COMPLETED", "Intro visit completed"
    IV_NO_SHOW = "IV_NO_SHOW", "Intro visit no-show"
    FOLLOW_UP_PENDING = "FOLLOW_UP_PENDING", "Follow-up pending"
    CONVERTED = "CONVERTED", "Converted"
    CLOSED_LOST = "CLOSED_LOST", "Closed (lost)"


S = LeadStatus
OPEN_STATUSES: tuple[str, ...] = (
    S.ENQUIRY_RECEIVED,
    S.DISCOVERY_COMPLETED,
    S.IV_SCHEDULED,
    S.IV_COMPLETED,
    S.IV_NO_SHOW,
    S.FOLLOW_UP_PENDING,
)
TERMINAL_STATUSES: tuple[str, ...] = (S.CONVERTED, S.CLOSED_LOST)


class LeadSource(models.TextChoices):
    WALK_IN = "WALK_IN", "Walk-in"
    PHONE_CALL = "PHONE_CALL", "Phone call"
    ONLINE = "ONLINE", "Online"
    REFERRAL = "REFERRAL", "Referral"
    SOCIAL_MEDIA = "SOCIAL_MEDIA", "Social media"
    EVENT = "EVENT", "Event"
    OTHER = "OTHER", "Other"


class ParentExpectation(models.TextChoices):
    CHILD_DEVELOPMENT = "child_development", "Child development"
    PHYSICAL_ACTIVITY = "physical_activity", "Physical activity"
    SOCIAL_SKILLS = "social_skills", "Social skills"
    CONFIDENCE = "confidence", "Confidence building"
    MOTOR_SKILLS = "motor_skills", "Motor skills"
    SCHOOL_READINESS = "school_readiness", "School readiness"
    FUN_RECREATION = "fun_recreation", "Fun and recreation"
    DISCIPLINE = "discipline", "Discipline and focus"


class ClosedReason(models.TextChoices):
    """Why a lead was lost: a category for the figures, beside the free-text reason."""

    PRICE = "PRICE", "Price"
    SCHEDULE = "SCHEDULE", "Schedule / timing"
    DISTANCE = "DISTANCE", "Distance"
    CHILD_NOT_READY = "CHILD_NOT_READY", "Child not ready"
    OTHER_PROGRAM = "OTHER_PROGRAM", "Chose another program"
    NOT_REACHABLE = "NOT_REACHABLE", "Not reachable"
    OTHER = "OTHER", "Other"


class IVOutcome(models.TextChoices):
    INTERESTED_ENROLL_NOW = "INTERESTED_ENROLL_NOW", "Interested, enroll now"
    INTERESTED_ENROLL_LATER = "INTERESTED_ENROLL_LATER", "Interested, enroll later"
    NOT_INTERESTED = "NOT_INTERESTED", "Not interested"
    NO_SHOW = "NO_SHOW", "No-show"


class FollowUpStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    COMPLETED = "COMPLETED", "Completed"
    CANCELLED = "CANCELLED", "Cancelled"


class FollowUpOutcome(models.TextChoices):
    ENROLLED = "ENROLLED", "Enrolled"
    POSTPONED = "POSTPONED", "Postponed"
    LOST = "LOST", "Lost"
    SCHEDULED_IV = "SCHEDULED_IV", "Intro visit scheduled"


class Move(models.TextChoices):
    """Every lifecycle action; the `action` of a status-history row."""

    CREATE_ENQUIRY = "create_enquiry", "Enquiry received"
    COMPLETE_DISCOVERY = "complete_discovery", "Discovery completed"
    SCHEDULE_INTRO_VISIT = "schedule_intro_visit", "Intro visit scheduled"
    RESCHEDULE_INTRO_VISIT = "reschedule_intro_visit", "Intro visit rescheduled"
    CANCEL_INTRO_VISIT = "cancel_intro_visit", "Intro visit cancelled"
    RECORD_ENROLL_NOW = "record_enroll_now", "Intro visit: interested, enroll now"
    RECORD_ENROLL_LATER = "record_enroll_later", "Intro visit: interested, enroll later"
    RECORD_NOT_INTERESTED = "record_not_interested", "Intro visit: not interested"
    RECORD_NO_SHOW = "record_no_show", "Intro visit: no-show"
    RECORD_ATTENDANCE = "record_attendance", "Intro visit: attended"
    # A wrong tap undone: the outcome is corrected (one move per outcome it is corrected to).
    CORRECT_TO_ENROLL_NOW = "correct_to_enroll_now", "Outcome corrected: interested, enroll now"
    CORRECT_TO_ENROLL_LATER = "correct_to_enroll_later", "Outcome corrected: interested, enroll later"
    CORRECT_TO_NOT_INTERESTED = "correct_to_not_interested", "Outcome corrected: not interested"
    CORRECT_TO_NO_SHOW = "correct_to_no_show", "Outcome corrected: no-show"
    ADD_FOLLOW_UP = "add_follow_up", "Follow-up added"
    CONVERT = "convert", "Converted"
    CLOSE = "close", "Closed"
    REOPEN = "reopen", "Reopened"


#: The one transition table: for each move, the statuses it may start from and where it leads.
#: A status missing from a move's row means the move is refused there.
TRANSITIONS: dict[str, dict[str, str]] = {
    Move.CREATE_ENQUIRY: {},  # creates the lead; no "from" status
    Move.COMPLETE_DISCOVERY: {
        S.ENQUIRY_RECEIVED: S.DISCOVERY_COMPLETED,
        # Later open statuses: the details are updated, the status never moves backwards.
        S.DISCOVERY_COMPLETED: S.DISCOVERY_COMPLETED,
        S.IV_SCHEDULED: S.IV_SCHEDULED,
        S.IV_COMPLETED: S.IV_COMPLETED,
        S.IV_NO_SHOW: S.IV_NO_SHOW,
        S.FOLLOW_UP_PENDING: S.FOLLOW_UP_PENDING,
    },
    Move.SCHEDULE_INTRO_VISIT: {
        S.ENQUIRY_RECEIVED: S.IV_SCHEDULED,
        S.DISCOVERY_COMPLETED: S.IV_SCHEDULED,
        S.IV_NO_SHOW: S.IV_SCHEDULED,
        S.FOLLOW_UP_PENDING: S.IV_SCHEDULED,
    },
    # Another session (same rules as booking); the lead stays where it is.
    Move.RESCHEDULE_INTRO_VISIT: {S.IV_SCHEDULED: S.IV_SCHEDULED},
    # The visit is off: the lead goes back to the follow-up queue (a follow-up is added with it).
    Move.CANCEL_INTRO_VISIT: {S.IV_SCHEDULED: S.FOLLOW_UP_PENDING},
    Move.RECORD_ENROLL_NOW: {S.IV_SCHEDULED: S.IV_COMPLETED},
    Move.RECORD_ENROLL_LATER: {S.IV_SCHEDULED: S.FOLLOW_UP_PENDING},
    Move.RECORD_NOT_INTERESTED: {S.IV_SCHEDULED: S.FOLLOW_UP_PENDING},
    Move.RECORD_NO_SHOW: {S.IV_SCHEDULED: S.IV_NO_SHOW},
    # Attendance is its own step before the outcome: the lead stays until the trainer says how it went.
    Move.RECORD_ATTENDANCE: {S.IV_SCHEDULED: S.IV_SCHEDULED},
    # A correction starts where an outcome lands and goes where the corrected outcome would have.
    # The verb (IntroVisit.correct_outcome) also refuses once the lead has moved on since the outcome.
    Move.CORRECT_TO_ENROLL_NOW: dict.fromkeys((S.IV_COMPLETED, S.FOLLOW_UP_PENDING, S.IV_NO_SHOW), S.IV_COMPLETED),
    Move.CORRECT_TO_ENROLL_LATER: dict.fromkeys(
        (S.IV_COMPLETED, S.FOLLOW_UP_PENDING, S.IV_NO_SHOW), S.FOLLOW_UP_PENDING
    ),
    Move.CORRECT_TO_NOT_INTERESTED: dict.fromkeys(
        (S.IV_COMPLETED, S.FOLLOW_UP_PENDING, S.IV_NO_SHOW), S.FOLLOW_UP_PENDING
    ),
    Move.CORRECT_TO_NO_SHOW: dict.fromkeys((S.IV_COMPLETED, S.FOLLOW_UP_PENDING, S.IV_NO_SHOW), S.IV_NO_SHOW),
    Move.ADD_FOLLOW_UP: {
        S.ENQUIRY_RECEIVED: S.FOLLOW_UP_PENDING,
        S.DISCOVERY_COMPLETED: S.FOLLOW_UP_PENDING,
        S.IV_SCHEDULED: S.IV_SCHEDULED,  # the visit still comes first
        S.IV_COMPLETED: S.FOLLOW_UP_PENDING,
        S.IV_NO_SHOW: S.FOLLOW_UP_PENDING,
        S.FOLLOW_UP_PENDING: S.FOLLOW_UP_PENDING,
    },
    Move.CONVERT: dict.fromkeys(OPEN_STATUSES, S.CONVERTED),
    Move.CLOSE: dict.fromkeys(OPEN_STATUSES, S.CLOSED_LOST),
    Move.REOPEN: {S.CLOSED_LOST: S.FOLLOW_UP_PENDING},
}

#: The move each intro-visit outcome makes.
OUTCOME_MOVES: dict[str, str] = {
    IVOutcome.INTERESTED_ENROLL_NOW: Move.RECORD_ENROLL_NOW,
    IVOutcome.INTERESTED_ENROLL_LATER: Move.RECORD_ENROLL_LATER,
    IVOutcome.NOT_INTERESTED: Move.RECORD_NOT_INTERESTED,
    IVOutcome.NO_SHOW: Move.RECORD_NO_SHOW,
}

#: The move that corrects a recorded outcome to each outcome.
CORRECTION_MOVES: dict[str, str] = {
    IVOutcome.INTERESTED_ENROLL_NOW: Move.CORRECT_TO_ENROLL_NOW,
    IVOutcome.INTERESTED_ENROLL_LATER: Move.CORRECT_TO_ENROLL_LATER,
    IVOutcome.NOT_INTERESTED: Move.CORRECT_TO_NOT_INTERESTED,
    IVOutcome.NO_SHOW: Move.CORRECT_TO_NO_SHOW,
}
#: The moves after which a visit's outcome may still be corrected (nothing else happened to the lead since).
OUTCOME_OR_CORRECTION_MOVES = frozenset({*OUTCOME_MOVES.values(), *CORRECTION_MOVES.values()})

#: The move each follow-up outcome makes on the lead (the follow-up is completed in the same step).
FOLLOW_UP_MOVES: dict[str, str] = {
    FollowUpOutcome.ENROLLED: Move.CONVERT,
    FollowUpOutcome.POSTPONED: Move.ADD_FOLLOW_UP,
    FollowUpOutcome.LOST: Move.CLOSE,
    FollowUpOutcome.SCHEDULED_IV: Move.SCHEDULE_INTRO_VISIT,
}

_ATTENDED_MOVES = (
    Move.RECORD_ENROLL_NOW,
    Move.RECORD_ENROLL_LATER,
    Move.RECORD_NOT_INTERESTED,
    Move.RECORD_ATTENDANCE,
    Move.CORRECT_TO_ENROLL_NOW,
    Move.CORRECT_TO_ENROLL_LATER,
    Move.CORRECT_TO_NOT_INTERESTED,
)
#: The lead's milestones: each field holds when a move of its row first happened (a move that
#: shows the step "or a later one", so a walk-in converted without a visit reached discovery).
#: Written by `Lead._transition` with the move, so the figures read one row per lead, never the history.
MILESTONE_MOVES: dict[str, tuple[str, ...]] = {
    "discovery_reached_at": (
        Move.COMPLETE_DISCOVERY,
        Move.SCHEDULE_INTRO_VISIT,
        *_ATTENDED_MOVES,
        Move.RECORD_NO_SHOW,
        Move.CONVERT,
    ),
    "iv_scheduled_reached_at": (Move.SCHEDULE_INTRO_VISIT, *_ATTENDED_MOVES, Move.RECORD_NO_SHOW, Move.CONVERT),
    # Literally attended (attendance, or an outcome other than no-show). A correction to no-show
    # takes it back (IntroVisit.correct_outcome), so the figures never count a child who did not come.
    "iv_attended_at": _ATTENDED_MOVES,
    # Taps on call / WhatsApp links count too: `insights.models.ContactAttempt` keeps this field.
    "first_contact_at": (Move.ADD_FOLLOW_UP, Move.SCHEDULE_INTRO_VISIT),
}

#: Where the days of a lead's first stay in each open status are kept (see Lead.repeat_stays).
STAY_FIELDS: dict[str, str] = {status: f"days_in_{status.lower()}" for status in OPEN_STATUSES}

#: The role permission each move needs (see accounts.models.ROLE_ACTIONS).
MOVE_PERMISSION: dict[str, str] = {
    Move.CREATE_ENQUIRY: Action.CREATE_ENQUIRY,
    Move.COMPLETE_DISCOVERY: Action.MANAGE_LEAD,
    Move.SCHEDULE_INTRO_VISIT: Action.SCHEDULE_VISIT,
    Move.RESCHEDULE_INTRO_VISIT: Action.SCHEDULE_VISIT,
    Move.CANCEL_INTRO_VISIT: Action.SCHEDULE_VISIT,
    Move.RECORD_ENROLL_NOW: Action.RECORD_OUTCOME,
    Move.RECORD_ENROLL_LATER: Action.RECORD_OUTCOME,
    Move.RECORD_NOT_INTERESTED: Action.RECORD_OUTCOME,
    Move.RECORD_NO_SHOW: Action.RECORD_OUTCOME,
    Move.RECORD_ATTENDANCE: Action.RECORD_OUTCOME,
    **dict.fromkeys(CORRECTION_MOVES.values(), Action.RECORD_OUTCOME),
    Move.ADD_FOLLOW_UP: Action.MANAGE_FOLLOW_UP,
    Move.CONVERT: Action.CONVERT,
    Move.CLOSE: Action.CLOSE,
    Move.REOPEN: Action.REOPEN,
}

# -- sentences ----------------------------------------------------------------------------------

#: How each status reads at the start of a refusal sentence.
_STATUS_SUBJECT = {
    S.ENQUIRY_RECEIVED: "A new enquiry",
    S.DISCOVERY_COMPLETED: "A lead with discovery completed",
    S.IV_SCHEDULED: "A lead with an intro visit already scheduled",
    S.IV_COMPLETED: "A lead whose intro visit is completed",
    S.IV_NO_SHOW: "A lead who missed the intro visit",
    S.FOLLOW_UP_PENDING: "A lead pending follow-up",
    S.CONVERTED: "A converted lead",
    S.CLOSED_LOST: "A closed lead",
}

#: How each move reads at the end of a refusal sentence: "A converted lead cannot be closed".
_MOVE_PHRASE = {
    Move.COMPLETE_DISCOVERY: "have its discovery updated",
    Move.SCHEDULE_INTRO_VISIT: "be scheduled for an intro visit",
    Move.RESCHEDULE_INTRO_VISIT: "have an intro visit rescheduled",
    Move.CANCEL_INTRO_VISIT: "have an intro visit cancelled",
    Move.RECORD_ENROLL_NOW: "have an intro-visit outcome recorded",
    Move.RECORD_ENROLL_LATER: "have an intro-visit outcome recorded",
    Move.RECORD_NOT_INTERESTED: "have an intro-visit outcome recorded",
    Move.RECORD_NO_SHOW: "have an intro-visit outcome recorded",
    Move.RECORD_ATTENDANCE: "have intro-visit attendance recorded",
    **dict.fromkeys(CORRECTION_MOVES.values(), "have an intro-visit outcome corrected"),
    Move.ADD_FOLLOW_UP: "get a follow-up",
    Move.CONVERT: "be converted",
    Move.CLOSE: "be closed",
    Move.REOPEN: "be reopened",
}

NOT_YOUR_ROLE = "Your role does not allow this action."
ANOTHER_CENTER = "This lead belongs to another center."
ANOTHER_TRAINERS_VISIT = "This intro visit is another trainer's."
ENROLLED_NEEDS_ENROLLMENT = "An enrolled family is converted: choose the batch and the first class date."
START_TOO_EARLY = "The first class is more than two months ago: check the date."
START_TOO_LATE = "The first class is more than a year away: check the date."
BATCH_FULL = "{batch} is full ({capacity} children): choose another batch."
SESSION_FULL = "That session is full ({capacity} children): choose another session."
VISIT_TOO_LATE = "The visit is more than a year away: choose a nearer session."
NOT_A_SESSION = "{batch} meets on {weekday}s at {time}: choose one of its next sessions: {sessions}."
OUTSIDE_AGE_BAND = "{batch} is for children aged {band}; {child} will be {age} at the session."
AGE_BAND_OVERRIDE_ONLY_ADMINS = "Only a center admin may book a child outside the batch's age band."
AGE_BAND_OVERRIDDEN = "Age band overridden: {child} will be {age}; {batch} is for {band}."
VISIT_ALREADY_THERE = "The visit is already on that session, with that trainer: nothing to change."
VISIT_NOT_OPEN = "This intro visit is {state}: it can no longer be changed."
CANCEL_NEEDS_REASON = "Say why the visit is cancelled."
VISIT_NOT_STARTED = "This intro visit starts at {when}: record how it went once it has started."
VISIT_CANCELLED = "This intro visit was cancelled."
VISIT_HAS_OUTCOME = "This intro visit already has an outcome."
ALREADY_ATTENDED = "Attendance is already recorded for this intro visit."
ATTENDANCE_IN_FUTURE = "Attendance cannot be in the future."
NO_OUTCOME_TO_CORRECT = "This intro visit has no outcome yet: record it first."
SAME_OUTCOME = "The outcome is already “{outcome}”."
CORRECTION_TOO_LATE = (
    "A recorded outcome can be corrected for {minutes} minutes only: ask a center admin to correct it."
)
LEAD_MOVED_ON = (
    "The lead has moved on since this outcome was recorded ({last}), so the outcome can no longer be "
    "corrected: take the next step from the lead page instead."
)
CORRECTION_NOTE = "outcome corrected from {old} to {new} by {name}"


def visit_not_started(when: str) -> str:
    """The refusal for an outcome or attendance recorded before the visit has started."""
    return VISIT_NOT_STARTED.format(when=when)


FOLLOW_UP_IN_PAST = "Pick today or a later date."
FOLLOW_UP_TOO_LATE = "A follow-up more than a year ahead is too far: pick a date within the next 12 months."
FOLLOW_UP_NOT_PENDING = "This follow-up is already {status}: it can no longer be changed."
FOLLOW_UP_NEEDS_REASON = "Say why the family is not joining (the reason, or the notes)."
BOOK_THE_VISIT = "Book the intro visit: the family said yes to a trial class."

#: A follow-up given only a day (an old row, a bare date from the API or a picker) is at this local time.
FOLLOW_UP_DEFAULT_TIME = datetime.time(10, 0)
#: How far ahead a follow-up may be scheduled.
FOLLOW_UP_HORIZON = datetime.timedelta(days=365)


def follow_up_moment(value: object, tz: datetime.tzinfo) -> datetime.datetime | None:
    """When a follow-up is due, as an aware datetime: a naive date-time is the center's local time
    (`tz`), a bare date is FOLLOW_UP_DEFAULT_TIME on that day; anything else is None."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo is not None and value.utcoffset() is not None else value.replace(tzinfo=tz)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, FOLLOW_UP_DEFAULT_TIME, tzinfo=tz)
    return None


def day_start(day: datetime.date, tz: datetime.tzinfo) -> datetime.datetime:
    """The first moment of `day` in `tz` (the end of the day before)."""
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=tz)


def allowed_moves(status: str) -> list[str]:
    """The moves the table allows from `status` (for showing only the valid actions)."""
    return [move for move, row in TRANSITIONS.items() if status in row]


def check_move(status: str, move: str) -> str:
    """The status `move` leads to from `status`, or LifecycleError with the rule's sentence."""
    try:
        return TRANSITIONS[move][status]
    except KeyError:
        raise LifecycleError(f"{_STATUS_SUBJECT[status]} cannot {_MOVE_PHRASE[move]}.") from None


def require_permission(user: User | None, action: str, center_id: int) -> None:
    """Raise PermissionDenied unless `user`'s role in the center allows `action` (roles are per center)."""
    if user is None or not user.may(action):
        raise PermissionDenied(NOT_YOUR_ROLE)
    if not user.works_in(center_id):
        raise PermissionDenied(ANOTHER_CENTER)
    if not user.may(action, center_id):
        raise PermissionDenied(NOT_YOUR_ROLE)


def require_own_visit(user: User, trainer_ids: tuple[int | None, ...], center_id: int) -> None:
    """Trainers (in the visit's center) record only their own visits: assigned to them, or in a batch they teach."""
    if user.role_in(center_id) == Role.TRAINER and user.pk not in trainer_ids:
        raise PermissionDenied(ANOTHER_TRAINERS_VISIT)


# -- from a wanted status to its verb -----------------------------------------------------------


@dataclass(frozen=True)
class PlannedMove:
    """What "put this lead in status `to`" means: which verb (`kind`) and which table row (`move`)."""

    kind: str  # discovery, schedule, enroll_now, no_show, visit_outcome, follow_up, reopen, convert, close
    move: str
    to: str


def plan_move(status: str, to: str, *, allow_same: bool = False) -> PlannedMove:
    """The verb that moves a lead from `status` to `to`; LifecycleError with the rule's sentence if none.

    `allow_same`: "to the status it is in" means the verb that keeps it there (discovery details
    updated, one more follow-up), as the API's status call allows; the board refuses it.
    """
    if to not in S.values:
        raise LifecycleError("Choose one of the lead statuses.", code="bad_status")
    if to == status and not (allow_same and to in (S.DISCOVERY_COMPLETED, S.FOLLOW_UP_PENDING)):
        raise LifecycleError(f"The lead is already in “{S(to).label}”.", code="same_status")
    if to == S.ENQUIRY_RECEIVED:
        raise LifecycleError("A lead never moves back to “Enquiry received”: its status only moves forward.")
    if to == S.DISCOVERY_COMPLETED:
        kind, move = "discovery", Move.COMPLETE_DISCOVERY
    elif to == S.IV_SCHEDULED:
        kind, move = "schedule", Move.SCHEDULE_INTRO_VISIT
    elif to == S.IV_COMPLETED:
        kind, move = "enroll_now", Move.RECORD_ENROLL_NOW
    elif to == S.IV_NO_SHOW:
        kind, move = "no_show", Move.RECORD_NO_SHOW
    elif to == S.FOLLOW_UP_PENDING and status == S.IV_SCHEDULED:
        kind, move = "visit_outcome", Move.RECORD_ENROLL_LATER
    elif to == S.FOLLOW_UP_PENDING and status == S.CLOSED_LOST:
        kind, move = "reopen", Move.REOPEN
    elif to == S.FOLLOW_UP_PENDING:
        kind, move = "follow_up", Move.ADD_FOLLOW_UP
    elif to == S.CONVERTED:
        kind, move = "convert", Move.CONVERT
    else:
        kind, move = "close", Move.CLOSE
    lands_in = check_move(status, move)  # the rule's own sentence when refused
    if lands_in != to:
        # e.g. "complete discovery" on a lead with a visit scheduled updates details, but stays put.
        raise LifecycleError(f"A lead at “{S(status).label}” cannot move back to “{S(to).label}”.")
    return PlannedMove(kind, move, to)


def move_targets(status: str, user: User) -> list[tuple[str, str]]:
    """The statuses a lead in `status` may be moved to by `user` (the board's "Move to…" menu)."""
    targets = []
    for to, label in S.choices:
        try:
            planned = plan_move(status, to)
        except LifecycleError:
            continue
        if user.may(MOVE_PERMISSION[planned.move]):
            targets.append((to, label))
    return targets
