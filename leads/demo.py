"""Believable demo data, fast: whole lead histories written with bulk inserts.

The rows obey every rule the model methods enforce (one open lead per child, consecutive
enquiry IDs, a history row per move, converted leads with an enrollment, closed leads with a
reason), so screens, figures and benchmarks see what real use would leave behind. Used by
`seed_demo` and by tests and benchmarks that need thousands of leads.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import Center, User
from leads.models import (
    Batch,
    Child,
    ClosedReason,
    Consent,
    ConsentMethod,
    EnquiryCounter,
    Enrollment,
    ExpectationChoice,
    FamilyLink,
    FollowUp,
    FollowUpOutcome,
    FollowUpStatus,
    IntroVisit,
    IVOutcome,
    Lead,
    LeadSource,
    LeadStatus,
    LeadStatusChange,
    Move,
    Parent,
    ParentExpectation,
    PrivacyNotice,
    Program,
)
from leads.models.lead import MILESTONE_MOVES, OPEN_STATUSES, STAY_FIELDS, check_move, format_enquiry_id

S = LeadStatus

#: Share of each final status in generated data (an ordinary month of a busy center).
DEFAULT_MIX: dict[str, float] = {
    S.ENQUIRY_RECEIVED: 0.14,
    S.DISCOVERY_COMPLETED: 0.11,
    S.IV_SCHEDULED: 0.12,
    S.IV_COMPLETED: 0.06,
    S.IV_NO_SHOW: 0.06,
    S.FOLLOW_UP_PENDING: 0.21,
    S.CONVERTED: 0.17,
    S.CLOSED_LOST: 0.13,
}

FIRST_NAMES_GIRL = [
    "Aanya",
    "Aarohi",
    "Ananya",
    "Diya",
    "Ira",
    "Kiara",
    "Myra",
    "Mehr",
    "Navya",
    "Pari",
    "Riya",
    "Saanvi",
    "Sara",
    "Tara",
    "Zoya",
    "Anika",
    "Meera",
    "Ishita",
    "Avni",
    "Kavya",
]
FIRST_NAMES_BOY = [
    "Aarav",
    "Advik",
    "Arjun",
    "Ayaan",
    "Dhruv",
    "Ishaan",
    "Kabir",
    "Reyansh",
    "Rudra",
    "Shaurya",
    "Vihaan",
    "Vivaan",
    "Yash",
    "Krish",
    "Aditya",
    "Arnav",
    "Neel",
    "Om",
    "Rohan",
    "Veer",
]
LAST_NAMES = [
    "Sharma",
    "Verma",
    "Gupta",
    "Goyal",
    "Mehta",
    "Kapoor",
    "Malhotra",
    "Iyer",
    "Nair",
    "Reddy",
    "Rao",
    "Singh",
    "Bansal",
    "Chopra",
    "Joshi",
    "Khanna",
    "Menon",
    "Pillai",
    "Saxena",
    "Agarwal",
]
PARENT_NAMES = [
    "Anshu",
    "Priya",
    "Neha",
    "Pooja",
    "Ritu",
    "Sonal",
    "Kavita",
    "Rahul",
    "Amit",
    "Vikram",
    "Sanjay",
    "Rohit",
    "Nikhil",
    "Deepa",
    "Shalini",
    "Meenal",
    "Arun",
    "Suresh",
    "Anjali",
    "Swati",
]
SCHOOLS = [
    "Delhi Public School",
    "The Shri Ram School",
    "Heritage Xperiential",
    "Pathways World School",
    "Lotus Valley",
    "Little Millennium",
    "Kangaroo Kids",
    "EuroKids",
    "",
]
SCHEDULES = ["Mon/Wed/Fri - 4:00 PM", "Tue/Thu - 5:00 PM", "Saturday mornings", "Weekends", "Weekday evenings"]
NOTES = [
    "Interested in Pre-K Gym",
    "Parent wants a weekend batch",
    "Referred by a current member",
    "Child is shy, wants confidence building",
    "Asked about sibling discount",
    "Saw our Instagram post",
    "",
]
CLOSE_REASONS = {
    ClosedReason.PRICE: "Fees above budget",
    ClosedReason.SCHEDULE: "Batch timings clash with school",
    ClosedReason.DISTANCE: "Moved to another part of the city",
    ClosedReason.CHILD_NOT_READY: "Parent feels child is too young",
    ClosedReason.OTHER_PROGRAM: "Joined a swimming program instead",
    ClosedReason.NOT_REACHABLE: "No answer after three calls",
}


@dataclass
class _Plan:
    """One lead's life, as moves with their times, before anything is written."""

    status: str
    created_at: datetime.datetime
    steps: list[tuple[str, str, datetime.datetime]] = field(default_factory=list)  # (move, to_status, at)
    batch: Batch | None = None  # the batch of the intro visit (and of the enrollment)
    session: datetime.datetime | None = None  # the visit: one of the batch's sessions


#: The moves that bring a new enquiry to each final status; the statuses in between come from
#: the transition table itself (`check_move`), so demo histories can only be ones the rules allow.
_VISIT = (Move.COMPLETE_DISCOVERY, Move.SCHEDULE_INTRO_VISIT)
PATHS: dict[str, tuple[str, ...]] = {
    S.ENQUIRY_RECEIVED: (),
    S.DISCOVERY_COMPLETED: (Move.COMPLETE_DISCOVERY,),
    S.IV_SCHEDULED: _VISIT,
    S.IV_COMPLETED: (*_VISIT, Move.RECORD_ENROLL_NOW),
    S.IV_NO_SHOW: (*_VISIT, Move.RECORD_NO_SHOW),
    S.FOLLOW_UP_PENDING: (*_VISIT, Move.RECORD_ENROLL_LATER),
    S.CONVERTED: (*_VISIT, Move.RECORD_ENROLL_NOW, Move.CONVERT),
    S.CLOSED_LOST: (*_VISIT, Move.RECORD_NOT_INTERESTED, Move.CLOSE),
}
_CLOSED_AFTER_DISCOVERY = (Move.COMPLETE_DISCOVERY, Move.CLOSE)


def _plan(rng: random.Random, status: str, created_at: datetime.datetime, now: datetime.datetime) -> _Plan:
    path = PATHS[status]
    if status == S.CLOSED_LOST and rng.random() < 0.4:
        path = _CLOSED_AFTER_DISCOVERY
    plan = _Plan(status=status, created_at=created_at)
    span = max((now - created_at).total_seconds(), 3600.0)
    at = created_at
    current = S.ENQUIRY_RECEIVED
    for move in path:
        current = check_move(current, move)
        # Spread the remaining time over the remaining steps, with some jitter.
        left = (now - at).total_seconds()
        at = at + datetime.timedelta(seconds=rng.uniform(0.1, 0.6) * min(left, span / max(len(path), 1)))
        plan.steps.append((move, current, at))
    return plan


def _phone_block(center: Center, n: int) -> Callable[[], str]:
    """Unique, valid Indian mobile numbers for this center, after any already used."""
    used = set(Parent.objects.filter(center=center).values_list("phone", flat=True))
    base = 9_000_000_000 + (center.pk % 90) * 10_000_000 + len(used)

    def take() -> str:
        nonlocal base
        while True:
            base += 1
            phone = f"+91{base}"
            if phone not in used:
                used.add(phone)
                return phone

    return take


def bulk_leads(
    center: Center,
    n: int,
    *,
    by: User,
    assignees: Sequence[User] | None = None,
    batches: Sequence[Batch] | None = None,
    mix: dict[str, float] | None = None,
    days: int = 120,
    seed: int | None = None,
    now: datetime.datetime | None = None,
    chunk: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Create `n` leads of `center` with whole histories; returns the number of rows written.

    Each chunk is one transaction holding the center's enquiry counter, so IDs stay consecutive
    even beside counselors creating enquiries at the same time.
    """
    rng = random.Random(seed)
    now = now or timezone.now()
    mix = mix or DEFAULT_MIX
    statuses, weights = zip(*mix.items(), strict=True)
    assignees = list(assignees or User.objects.in_centers(center, roles=["COUNSELOR", "CENTER_ADMIN"]))
    assignees = assignees or [by]
    batches = list(batches or Batch.objects.filter(center=center, is_active=True).select_related("trainer"))
    if not batches:
        gym, _ = Program.objects.get_or_create(center=center, name="Gym")
        batches = [
            Batch.objects.create(
                center=center, program=gym, name="Pre-K Gym", weekday=2, start_time=datetime.time(16, 0), capacity=12
            )
        ]
    next_phone = _phone_block(center, n)
    today = timezone.localdate(now, timezone=center.tzinfo)
    rows = 0
    done = 0
    while done < n:
        size = min(chunk, n - done)
        with transaction.atomic():
            EnquiryCounter.objects.get_or_create(center=center)
            counter = EnquiryCounter.objects.select_for_update().get(center=center)
            first_number = counter.last_number + 1
            counter.last_number += size
            counter.save(update_fields=["last_number"])
            rows += _write_chunk(
                rng, center, size, first_number, by, assignees, batches, statuses, weights, days, now, today, next_phone
            )
        done += size
        if progress:
            progress(size)
    return rows


def _write_chunk(
    rng, center, size, first_number, by, assignees, batches, statuses, weights, days, now, today, next_phone
):
    plans = []
    children, parents = [], []
    # The center's own "what the parents expect" list (the starting one if it has none).
    expectations = [code for code, _ in ExpectationChoice.choices_for(center)] or ParentExpectation.values
    for _ in range(size):
        status = rng.choices(statuses, weights)[0]
        created_at = now - datetime.timedelta(seconds=rng.uniform(0, days * 86400))
        if status in (S.IV_SCHEDULED,):
            created_at = max(created_at, now - datetime.timedelta(days=20))
        plan = _plan(rng, status, created_at, now)
        plan.batch = rng.choice(batches)
        if any(move == Move.SCHEDULE_INTRO_VISIT for move, _, _ in plan.steps):
            _fit_visit(rng, plan, now)
        plans.append(plan)
        girl = rng.random() < 0.5
        last = rng.choice(LAST_NAMES)
        if plan.session is not None:  # of an age the batch is for, on the day of the visit
            dob = _dob_in_band(rng, plan.batch, timezone.localdate(plan.session, timezone=center.tzinfo))
        else:
            dob = today - datetime.timedelta(days=rng.randint(18 * 30, 10 * 365))
        children.append(
            Child(
                center=center,
                first_name=rng.choice(FIRST_NAMES_GIRL if girl else FIRST_NAMES_BOY),
                last_name=last,
                dob=dob,
                gender="Girl" if girl else "Boy",
                school=rng.choice(SCHOOLS),
            )
        )
        pname = f"{rng.choice(PARENT_NAMES)} {last}"
        parents.append(
            Parent(
                center=center,
                name=pname,
                phone=next_phone(),
                email=f"{pname.split()[0].lower()}.{last.lower()}{rng.randint(1, 999)}@example.com",
            )
        )
    Child.objects.bulk_create(children)
    Parent.objects.bulk_create(parents)
    FamilyLink.objects.bulk_create(
        [
            FamilyLink(parent=p, child=ch, relationship=rng.choice(["Mother", "Father"]), is_primary=True)
            for p, ch in zip(parents, children, strict=True)
        ]
    )
    # Demo families agreed when they enquired (so reminders and the lead pages work as in real use);
    # the mix comes from the row number, not the generator, so the rest of the data stays as it was.
    notice = PrivacyNotice.current_for(center)
    methods = [ConsentMethod.PHONE_VERBAL, ConsentMethod.IN_PERSON, ConsentMethod.PAPER_FORM]
    Consent.objects.bulk_create(
        Consent(
            parent=p,
            notice=notice,
            method=methods[i % 3],
            processing=True,
            reminders=i % 10 != 9,
            marketing=i % 3 == 0,
            obtained_at=plan.created_at,
            obtained_by=by,
        )
        for i, (p, plan) in enumerate(zip(parents, plans, strict=True))
    )
    enrollments = {}
    for i, plan in enumerate(plans):
        if plan.status == S.CONVERTED:
            batch = plan.batch
            converted_at = plan.steps[-1][2]
            enrollments[i] = Enrollment(
                child=children[i],
                center=center,
                batch=batch,
                start_date=timezone.localdate(converted_at, timezone=center.tzinfo) + datetime.timedelta(days=3),
                plan=rng.choice(["Weekly", "Twice a week", "3 months", "6 months"]),
                created_by=by,
            )
    Enrollment.objects.bulk_create(list(enrollments.values()))

    # The program each parent asked about: that of the batch the child tried or joined, else the
    # programs in turn.
    programs = sorted({batch.program_id for batch in batches if batch.program_id})
    leads = []
    for i, plan in enumerate(plans):
        # A lead with a visit or an enrollment is interested in its batch's program.
        program_id = plan.batch.program_id if i in enrollments or plan.session is not None else None
        if program_id is None and programs:
            program_id = programs[(first_number + i) % len(programs)]
        step_at = {move: at for move, _, at in plan.steps}
        last_at = plan.steps[-1][2] if plan.steps else plan.created_at
        category = rng.choice(list(CLOSE_REASONS)) if plan.status == S.CLOSED_LOST else ""
        leads.append(
            Lead(
                center=center,
                child=children[i],
                enquiry_id=format_enquiry_id(center.code, first_number + i),
                status=plan.status,
                program_id=program_id,
                source=rng.choices(LeadSource.values, [22, 18, 20, 14, 16, 6, 4])[0],
                school=children[i].school,
                preferred_schedule=rng.choice(SCHEDULES),
                parent_expectations=rng.sample(expectations, min(len(expectations), rng.randint(1, 3))),
                discovery_notes=rng.choice(NOTES),
                discovery_completed_at=step_at.get(Move.COMPLETE_DISCOVERY),
                closed_reason=CLOSE_REASONS[category] if category else "",
                closed_reason_category=category,
                closed_at=step_at.get(Move.CLOSE),
                enrollment=enrollments.get(i),
                converted_at=step_at.get(Move.CONVERT),
                status_changed_at=last_at,
                **_milestones(plan),
                **_stays(plan),
                assigned_to=rng.choice(assignees),
                created_by=by,
                updated_by=by,
                created_at=plan.created_at,
            )
        )
    Lead.objects.bulk_create(leads)
    # bulk_create skips auto_now; the last move is the honest "updated at".
    history, visits, follow_ups = [], [], []
    for lead, plan in zip(leads, plans, strict=True):
        history.append(
            LeadStatusChange(
                lead=lead,
                from_status="",
                to_status=S.ENQUIRY_RECEIVED,
                action=Move.CREATE_ENQUIRY,
                actor=by,
                at=plan.created_at,
                note=lead.discovery_notes,
            )
        )
        previous = S.ENQUIRY_RECEIVED
        for move, to, at in plan.steps:
            note = lead.closed_reason if move == Move.CLOSE else ""
            history.append(
                LeadStatusChange(lead=lead, from_status=previous, to_status=to, action=move, actor=by, at=at, note=note)
            )
            previous = to
            if move == Move.SCHEDULE_INTRO_VISIT:
                batch = plan.batch
                visits.append(
                    IntroVisit(lead=lead, scheduled_at=plan.session, batch=batch, trainer=batch.trainer, created_by=by)
                )
            elif move.startswith("record_") and visits and visits[-1].lead is lead:
                visit = visits[-1]  # recorded right after the class (`_fit_visit`)
                visit.outcome = {
                    Move.RECORD_ENROLL_NOW: IVOutcome.INTERESTED_ENROLL_NOW,
                    Move.RECORD_ENROLL_LATER: IVOutcome.INTERESTED_ENROLL_LATER,
                    Move.RECORD_NOT_INTERESTED: IVOutcome.NOT_INTERESTED,
                    Move.RECORD_NO_SHOW: IVOutcome.NO_SHOW,
                }[move]
                visit.outcome_recorded_at = at  # the trainer's correction window closed long ago
                if visit.outcome != IVOutcome.NO_SHOW:
                    visit.attended_at = min(visit.scheduled_at + datetime.timedelta(minutes=5), now)
                visit.outcome_notes = rng.choice(["Loved the bars and trampoline", "Settled in after 10 minutes", ""])
        if plan.status == S.FOLLOW_UP_PENDING:
            # Some overdue, some today, most in the coming days.
            offset = rng.choice([-6, -3, -1, 0, 0, 1, 2, 3, 5, 7, 10])
            follow_ups.append(
                FollowUp(
                    lead=lead,
                    scheduled_date=datetime.datetime.combine(
                        today + datetime.timedelta(days=offset),
                        datetime.time(rng.choice([10, 11, 12, 15, 16, 17]), rng.choice([0, 30])),
                        tzinfo=center.tzinfo,
                    ),
                    notes=rng.choice(["Call about weekend batch", "Share fee structure", "Check after exams"]),
                    assigned_to=lead.assigned_to,
                    created_by=by,
                )
            )
        elif plan.status in (S.CONVERTED, S.CLOSED_LOST) and plan.steps:
            done_at = plan.steps[-1][2]
            follow_ups.append(
                FollowUp(
                    lead=lead,
                    scheduled_date=done_at - datetime.timedelta(minutes=30),
                    status=FollowUpStatus.COMPLETED,
                    outcome=FollowUpOutcome.ENROLLED if plan.status == S.CONVERTED else FollowUpOutcome.LOST,
                    completed_at=done_at,
                    notes="Spoke to the parent",
                    assigned_to=lead.assigned_to,
                    created_by=by,
                )
            )
    LeadStatusChange.objects.bulk_create(history)
    IntroVisit.objects.bulk_create(visits)
    FollowUp.objects.bulk_create(follow_ups)
    return len(children) * 3 + len(enrollments) + len(leads) + len(history) + len(visits) + len(follow_ups)


def _milestones(plan: _Plan) -> dict[str, datetime.datetime | None]:
    """What `Lead._transition` would have kept for these moves: the first time of each milestone."""
    return {
        name: min((at for move, _to, at in plan.steps if move in moves), default=None)
        for name, moves in MILESTONE_MOVES.items()
    }


def _stays(plan: _Plan) -> dict:
    """The days spent in each open status the lead left, as `Lead._transition` records them."""
    stays: dict = {}
    status, since = S.ENQUIRY_RECEIVED, plan.created_at
    for _move, to, at in plan.steps:
        if to != status:
            if status in OPEN_STATUSES:
                days = (at - since).total_seconds() / 86400
                if STAY_FIELDS[status] not in stays:
                    stays[STAY_FIELDS[status]] = days
                else:
                    stays["repeat_stays"] = [*stays.get("repeat_stays", []), [status, days]]
            status, since = to, at
    return stays


def _fit_visit(rng: random.Random, plan: _Plan, now: datetime.datetime) -> None:
    """Put the plan's intro visit on a real session of its batch, as the booking rules would: a
    visit still to come on one of the next three sessions; one with an outcome on a session after
    it was booked, the outcome recorded 50-180 minutes after the session started, and the later
    moves after that (earlier steps move back when the lead is too young for a past session)."""
    batch = plan.batch
    moves = [move for move, _, _ in plan.steps]
    book = moves.index(Move.SCHEDULE_INTRO_VISIT)
    if plan.status == S.IV_SCHEDULED:
        plan.session = rng.choice(batch.session_starts(after=now, count=3))
        return
    booked_at = plan.steps[book][2]
    session = batch.session_starts(after=booked_at + datetime.timedelta(hours=2), count=1)[0]
    latest = now - datetime.timedelta(hours=3)
    while session > latest:  # the next session has not happened: an earlier one, booked before it
        session -= datetime.timedelta(days=7)
    plan.session = session
    steps = list(plan.steps)
    if booked_at >= session - datetime.timedelta(hours=2):
        booked_at = session - datetime.timedelta(hours=rng.randint(4, 120))
        steps[book] = (steps[book][0], steps[book][1], booked_at)
        for i in range(book - 1, -1, -1):  # the steps before the booking, before it
            if steps[i][2] >= steps[i + 1][2]:
                steps[i] = (steps[i][0], steps[i][1], steps[i + 1][2] - datetime.timedelta(hours=rng.randint(1, 48)))
        first = steps[0][2] if steps else booked_at
        if plan.created_at >= first:
            plan.created_at = first - datetime.timedelta(hours=rng.randint(1, 48))
    recorded_at = min(session + datetime.timedelta(minutes=rng.randint(50, 180)), now)
    steps[book + 1] = (steps[book + 1][0], steps[book + 1][1], recorded_at)
    later = sorted(recorded_at + (now - recorded_at) * rng.uniform(0.05, 0.9) for _ in steps[book + 2 :])
    for offset, at in enumerate(later, start=book + 2):
        steps[offset] = (steps[offset][0], steps[offset][1], at)
    plan.steps = steps


def _dob_in_band(rng: random.Random, batch: Batch, day: datetime.date) -> datetime.date:
    """A date of birth that makes the child `batch`'s age on `day` (whole months, as the rule counts)."""
    months = rng.randint(batch.min_age_months, batch.max_age_months)
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    # The 1st of the month `months` before: exactly `months` old on `day` (any day of its month).
    return datetime.date(year, month + 1, 1)
