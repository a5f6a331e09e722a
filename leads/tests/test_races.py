"""Every pair of lifecycle verbs on one lead, raced on PostgreSQL: two threads, a barrier, 20 rounds.

Whatever the interleaving, these must hold (STYLE.md: "Race tests on PostgreSQL for every pair of
verbs on one lead"; locks are taken lead first, then its visits and follow-ups):

- no deadlock and no other database error: a loser gets the rule's sentence (LifecycleError or
  ValidationError), never `deadlock detected`, which the API would answer with a 500;
- the result is one serial order's: the same verbs run one after the other on a twin lead, A then B
  or B then A, give the same winners and leave the same lead, visits, follow-ups and history;
- verbs that exclude each other (two terminal moves, two outcomes of one follow-up or of one visit,
  two schedulings, a double submit) have exactly one winner;
- one LeadStatusChange row per accepted move, and no enrollment without a converted lead.

Each pair starts where both verbs are valid alone (VALID_ALONE); where no status allows both, where
the narrower one is: a reopen from a closed lead, a visit outcome against a scheduling from a
scheduled visit (some outcomes make the scheduling valid). Each round races on a fresh lead, B's
start shifted from well before A's to well after (see `offsets`); the leads are made in bulk before
the first pair and the two worker threads keep their connections, so 120 pairs x 20 rounds take a
couple of minutes.
"""

from __future__ import annotations

import datetime
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from itertools import combinations_with_replacement
from types import SimpleNamespace
from typing import NamedTuple

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import Role
from leads.models import (
    Child,
    EnquiryCounter,
    Enrollment,
    FamilyLink,
    FollowUp,
    FollowUpOutcome,
    IntroVisit,
    IVOutcome,
    Lead,
    LeadStatus,
    LeadStatusChange,
    LifecycleError,
    Parent,
)
from leads.tests.factories import BatchFactory, CenterFactory, UserFactory, make_lead, next_phone, next_session, started

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,  # see `c`: the leads are committed for the module; workers race them, the test reads
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

ROUNDS = 20
S = LeadStatus

# -- the verbs, each as one actor calls it on its own (stale) copies of the lead's rows ----------


def _lost(x):
    x.follow_up.complete(outcome=FollowUpOutcome.LOST, reason="Fees are too high", by=x.c.counselor)


def _postponed(x):
    x.follow_up.complete(outcome=FollowUpOutcome.POSTPONED, next_date=x.next_date, by=x.c.counselor)


def _enrolled(x):
    # As the doors do it: the enrollment is made inside the completion, after the lead's lock.
    x.follow_up.complete(
        outcome=FollowUpOutcome.ENROLLED,
        enroll={"batch": x.c.batch, "start_date": x.today, "plan": "Weekly"},
        by=x.c.counselor,
    )


def _scheduled_iv(x):
    x.follow_up.complete(
        outcome=FollowUpOutcome.SCHEDULED_IV,
        intro_visit={"scheduled_at": x.visit_at, "batch": x.c.batch},
        by=x.c.counselor,
    )


def _cancel(x):
    x.follow_up.cancel(by=x.c.counselor)


def _edit_follow_up(x):
    x.follow_up.edit(notes="Call the father", scheduled_date=x.next_date, by=x.c.counselor)


def _outcome(outcome: str) -> Callable:
    def record(x):
        x.visit.record_outcome(outcome=outcome, by=x.c.trainer)

    return record


def _convert(x):
    x.lead.enroll_and_convert(batch=x.c.batch, start_date=x.today, plan="Weekly", by=x.c.counselor)


def _close(x):
    x.lead.close(reason="Moved to another city", by=x.c.counselor)


def _reopen(x):
    x.lead.reopen(by=x.c.admin)


def _reschedule(x):
    x.lead.schedule_intro_visit(scheduled_at=x.visit_at, batch=x.c.batch, by=x.c.counselor)


def _visit_move(x):
    x.visit.reschedule(scheduled_at=x.later_session, by=x.c.counselor)


def _visit_cancel(x):
    x.visit.cancel(reason="Family travelling", by=x.c.counselor)


VERBS: dict[str, Callable] = {
    "fu_lost": _lost,
    "fu_postponed": _postponed,
    "fu_enrolled": _enrolled,
    "fu_scheduled_iv": _scheduled_iv,
    "fu_cancel": _cancel,
    "edit_follow_up": _edit_follow_up,  # not a completion: both of two edits win
    "iv_enroll_now": _outcome(IVOutcome.INTERESTED_ENROLL_NOW),
    "iv_enroll_later": _outcome(IVOutcome.INTERESTED_ENROLL_LATER),
    "iv_not_interested": _outcome(IVOutcome.NOT_INTERESTED),
    "iv_no_show": _outcome(IVOutcome.NO_SHOW),
    "convert": _convert,
    "close": _close,
    "reopen": _reopen,
    "reschedule": _reschedule,  # scheduling again
    "visit_move": _visit_move,  # the booked visit to another session
    "visit_cancel": _visit_cancel,  # the booked visit called off (and a follow-up added)
}
FOLLOW_UP_VERBS = {v for v in VERBS if v.startswith("fu_")}
VISIT_VERBS = {v for v in VERBS if v.startswith("iv_")}

#: Status-history rows an accepted verb writes: cancelling or editing a follow-up moves no status;
#: cancelling a visit writes its move and the follow-up it adds.
HISTORY_ROWS = {verb: {"fu_cancel": 0, "edit_follow_up": 0, "visit_cancel": 2}.get(verb, 1) for verb in VERBS}
#: Verbs that may both win when repeated (a second edit is an edit, not a double submit).
REPEATABLE = {"edit_follow_up"}

#: Verbs that cannot both win, written by hand (the serial runs must agree): each group uses up one thing.
EXCLUSIVE_GROUPS = [
    {"convert", "close", "fu_lost", "fu_enrolled"},  # terminal moves: a lead converts or closes once
    FOLLOW_UP_VERBS,  # one follow-up is completed or cancelled once
    VISIT_VERBS | {"visit_cancel"},  # one visit has one outcome, or is cancelled
    {"fu_scheduled_iv", "reschedule"},  # a scheduled lead cannot be scheduled again
]


def excludes(a: str, b: str) -> bool:
    return (a == b and a not in REPEATABLE) or any(a in group and b in group for group in EXCLUSIVE_GROUPS)


# -- where each pair starts ------------------------------------------------------------------------

#: The start states and the verbs valid alone in each (the transition table and the rows they need).
#: P: FOLLOW_UP_PENDING with a pending follow-up. V: IV_SCHEDULED with a visit awaiting its outcome and
#: a pending follow-up. C: CLOSED_LOST (that visit and follow-up cancelled by the close).
VALID_ALONE = {
    "P": FOLLOW_UP_VERBS | {"convert", "close", "reschedule", "edit_follow_up"},
    "V": VISIT_VERBS
    | (FOLLOW_UP_VERBS - {"fu_scheduled_iv"})
    | {"convert", "close", "edit_follow_up", "visit_move", "visit_cancel"},
    "C": {"reopen"},
}


def start_state(a: str, b: str) -> str:
    """A state where both verbs are valid alone; else where the narrower one is (the other may become valid)."""
    for state, valid in VALID_ALONE.items():
        if a in valid and b in valid:
            return state
    return "C" if "reopen" in (a, b) else "V"  # a visit outcome vs a scheduling


PAIRS = list(combinations_with_replacement(VERBS, 2))


def template(state: str, c) -> Lead:
    """One TLGC lead brought to `state` through the verbs."""
    lead = make_lead(c.center, c.counselor)
    if state in ("V", "C"):
        visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.admin)
        started(visit)  # under way: its outcome may be recorded
    lead.add_follow_up(scheduled_date=timezone.localdate(timezone=c.center.tzinfo), by=c.admin)
    if state == "C":
        lead.close(reason="Fees", by=c.admin)
    return lead


def _copy(row: Model, **changes) -> Model:
    new = type(row)(**{f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key})
    for name, value in changes.items():
        setattr(new, name, value)
    return new


def clone(lead: Lead, n: int) -> list[int]:
    """`n` twins of `lead`, each with its own family, history, visits and follow-ups: a few bulk inserts.

    Committed (the racing threads read them on their own connections). The verbs made `lead`; the
    twins are its rows copied, so every round starts from the same state at the cost of none of the verbs.
    """
    child = lead.child
    link = FamilyLink.objects.get(child=child)
    parent = link.parent
    with transaction.atomic():
        children = Child.objects.bulk_create(_copy(child, first_name=f"Racer{i}") for i in range(n))
        parents = Parent.objects.bulk_create(_copy(parent, phone=next_phone()) for _ in range(n))
        FamilyLink.objects.bulk_create(
            _copy(link, child_id=kid.pk, parent_id=grown_up.pk) for kid, grown_up in zip(children, parents, strict=True)
        )
        counter = EnquiryCounter.objects.select_for_update().get(center=lead.center)
        first = counter.last_number + 1
        counter.last_number += n
        counter.save(update_fields=["last_number"])
        twins = Lead.objects.bulk_create(
            _copy(lead, child_id=kid.pk, enquiry_id=f"{lead.center.code}{first + i:04d}")
            for i, kid in enumerate(children)
        )
        for model in (LeadStatusChange, FollowUp, IntroVisit):
            rows = list(model.objects.filter(lead=lead).order_by("pk"))
            model.objects.bulk_create(_copy(row, lead_id=twin.pk) for twin in twins for row in rows)
    return [twin.pk for twin in twins]


def actors(pks: list[int], c) -> list[SimpleNamespace]:
    """A racer's own copies of each lead and its first follow-up and visit, loaded before anyone moves."""
    leads = Lead.objects.select_related("center", "child").in_bulk(pks)
    first_follow_up, first_visit = {}, {}
    for model, first in ((FollowUp, first_follow_up), (IntroVisit, first_visit)):
        for row in model.objects.filter(lead_id__in=pks).order_by("-pk"):
            row.lead = leads[row.lead_id]
            first[row.lead_id] = row
    today = timezone.localdate(timezone=c.center.tzinfo)
    return [
        SimpleNamespace(
            c=c,
            lead=leads[pk],
            follow_up=first_follow_up.get(pk),
            visit=first_visit.get(pk),
            today=today,
            next_date=today + datetime.timedelta(days=7),
            visit_at=next_session(c.batch),
            later_session=next_session(c.batch, 1),
        )
        for pk in pks
    ]


class State(NamedTuple):
    """A lead's end state without ids or clocks, so twins can be compared."""

    status: str
    history: tuple  # (from, to, action) of the rows written after the setup's
    follow_ups: tuple  # sorted (status, outcome)
    visits: tuple  # sorted (outcome, cancelled, attended)
    converted_with_enrollment: bool
    enrollments: int
    closed_reason: bool


def states_of(pks: list[int], setup_rows: int) -> dict[int, State]:
    leads = Lead.objects.in_bulk(pks)
    history, follow_ups, visits = ({pk: [] for pk in pks} for _ in range(3))
    for row in LeadStatusChange.objects.filter(lead_id__in=pks).order_by("pk"):
        history[row.lead_id].append((row.from_status, row.to_status, row.action))
    for row in FollowUp.objects.filter(lead_id__in=pks):
        follow_ups[row.lead_id].append((row.status, row.outcome or ""))
    for row in IntroVisit.objects.filter(lead_id__in=pks):
        visits[row.lead_id].append((row.outcome or "", row.cancelled_at is not None, row.attended_at is not None))
    enrollments = Counter(
        Enrollment.objects.filter(child_id__in=[lead.child_id for lead in leads.values()]).values_list(
            "child_id", flat=True
        )
    )
    return {
        pk: State(
            status=lead.status,
            history=tuple(history[pk][setup_rows:]),
            follow_ups=tuple(sorted(follow_ups[pk])),
            visits=tuple(sorted(visits[pk])),
            converted_with_enrollment=lead.enrollment_id is not None,
            enrollments=enrollments[lead.child_id],
            closed_reason=bool(lead.closed_reason),
        )
        for pk, lead in leads.items()
    }


class Outcome(NamedTuple):
    a_won: bool
    b_won: bool
    state: State


# -- what an error is ------------------------------------------------------------------------------

SENTENCE = re.compile(r"[A-Z0-9].*[.!?]", re.DOTALL)


def kind(error: BaseException | None) -> str:
    if error is None:
        return "won"
    if isinstance(error, LifecycleError | ValidationError):
        return "refused"
    if "deadlock detected" in str(error):
        return "deadlock"
    if isinstance(error, DatabaseError):
        return "db error"
    return "other"


def sentences(error: LifecycleError | ValidationError) -> list[str]:
    return [str(error)] if isinstance(error, LifecycleError) else list(error.messages)


def describe(error: BaseException | None) -> str:
    return "won" if error is None else f"{type(error).__name__}: {str(error).strip()[:160]}"


# -- two racers ----------------------------------------------------------------------------------


class Racers:
    """Two worker threads, each on its own database connection for every round; a barrier starts a round."""

    def __init__(self):
        self.barrier = threading.Barrier(2)
        self.inboxes = [queue.Queue(), queue.Queue()]
        self.outbox: queue.Queue = queue.Queue()
        self.threads = [threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(2)]
        for thread in self.threads:
            thread.start()

    def _work(self, i: int) -> None:
        try:
            while (job := self.inboxes[i].get()) is not None:
                verb, delay, together = job
                error, started = None, time.perf_counter()
                try:
                    if together:
                        self.barrier.wait(timeout=30)
                    time.sleep(delay)
                    started = time.perf_counter()
                    verb()
                except Exception as raised:  # reported and asserted on by the test
                    error = raised
                self.outbox.put((i, error, time.perf_counter() - started))
        finally:
            connections.close_all()

    def race(self, job_a: Callable[[], None], job_b: Callable[[], None], b_later: float = 0.0):
        """Start both jobs at once, `b_later` seconds apart (negative: A later); return their errors (None: won)."""
        self.inboxes[0].put((job_a, max(-b_later, 0.0), True))
        self.inboxes[1].put((job_b, max(b_later, 0.0), True))
        results = {i: error for i, error, _ in (self.outbox.get(timeout=120) for _ in range(2))}
        return results[0], results[1]

    def alone(self, job: Callable[[], None]) -> tuple[BaseException | None, float]:
        """Run one job on the first worker, committed like a race's; return its error and how long it took."""
        self.inboxes[0].put((job, 0.0, False))
        _, error, seconds = self.outbox.get(timeout=120)
        return error, seconds

    def stop(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for thread in self.threads:
            thread.join(30)


@pytest.fixture(scope="module")
def c(django_db_setup, django_db_blocker):
    """TLGC, its staff, and every pair's leads, committed once for the module (the threads see them).

    Each state's leads are twins of one lead the verbs brought there (see `clone`), 22 a pair: two
    for the serial runs, 20 to race. Not `transaction=True` per test, which would truncate every
    table after each of the 120 pairs (about 1.5 s each here, more than racing them): the test's own
    thread only reads (inside the test's transaction, which it never writes in); the worker threads
    write and commit, and every table is flushed once after the last pair.
    """
    with django_db_blocker.unblock():
        center = CenterFactory(name="The Little Gym Gurgaon", code="TLGC", city="Gurgaon")
        trainer = UserFactory(username="race_trainer", role=Role.TRAINER, centers=[center])
        staff = SimpleNamespace(
            center=center,
            admin=UserFactory(username="race_admin", role=Role.CENTER_ADMIN, centers=[center]),
            counselor=UserFactory(username="race_counselor", role=Role.COUNSELOR, centers=[center]),
            trainer=trainer,
            # Room for every enrollment the module makes (about 2,000), and for any age.
            batch=BatchFactory(
                center=center,
                name="TLGC Pre-K Gym",
                trainer=trainer,
                capacity=30000,
                min_age_months=0,
                max_age_months=144,
            ),
        )
        for user in (staff.admin, staff.counselor, staff.trainer):
            user.works_in(center)  # fill the per-user center cache before two threads read it
        try:
            staff.leads, staff.setup_rows = {}, {}
            pairs_from = Counter(start_state(a, b) for a, b in PAIRS)
            for state, pairs in pairs_from.items():
                model = template(state, staff)
                staff.setup_rows[state] = model.status_changes.count()
                staff.leads[state] = clone(model, pairs * (ROUNDS + 2))
            yield staff
        finally:
            call_command("flush", verbosity=0, interactive=False)


@pytest.fixture
def racers():
    racers = Racers()
    yield racers
    racers.stop()


class Serial(NamedTuple):
    first: BaseException | None
    second: BaseException | None
    state: State
    first_took: float  # seconds: how long the first verb ran alone


def serial(racers: Racers, pk: int, first: str, second: str, c, setup_rows: int) -> Serial:
    """`first` then `second` on one lead, each with copies taken before either ran (as the racers have).

    Run by a worker, not by the test's thread: that one is inside the test's transaction, whose locks
    would be held to the end of the test.
    """
    (x,), (y,) = actors([pk], c), actors([pk], c)
    first_error, first_took = racers.alone(partial(VERBS[first], x))
    second_error, _ = racers.alone(partial(VERBS[second], y))
    for verb, error in ((first, first_error), (second, second_error)):
        assert kind(error) in ("won", "refused"), f"{verb} alone, one after the other: {describe(error)}"
    return Serial(first_error, second_error, states_of([pk], setup_rows)[pk], first_took)


def offsets(a_takes: float, b_takes: float, n: int = ROUNDS) -> list[float]:
    """How much later B starts than A in each round: from "B well ahead" to "A well ahead", evenly.

    Started by the barrier alone, the faster verb nearly always wins and the interleavings that
    deadlock are never tried; sweeping the start over both verbs' run times tries them all.
    """
    low, high = -b_takes, a_takes
    return [low + (high - low) * i / (n - 1) for i in range(n)]


# -- the test --------------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", PAIRS, ids=[f"{a}-vs-{b}" for a, b in PAIRS])
def test_race(c, racers, a, b):
    state = start_state(a, b)
    setup_rows = c.setup_rows[state]
    pks = [c.leads[state].pop() for _ in range(ROUNDS + 2)]

    # The oracle: the two serial orders, on twin leads.
    ab_a, ab_b, ab_state, a_takes = serial(racers, pks[0], a, b, c, setup_rows)
    ba_b, ba_a, ba_state, b_takes = serial(racers, pks[1], b, a, c, setup_rows)
    serial_outcomes = {
        Outcome(ab_a is None, ab_b is None, ab_state): f"{a} then {b}",
        Outcome(ba_a is None, ba_b is None, ba_state): f"{b} then {a}",
    }
    if a in VALID_ALONE[state] and b in VALID_ALONE[state]:
        assert (ab_a, ba_b) == (None, None), (
            f"setup: each must be valid alone in {state}: {describe(ab_a)}; {describe(ba_b)}"
        )
    if excludes(a, b):
        assert [o.a_won + o.b_won for o in serial_outcomes] == [1] * len(serial_outcomes), (
            f"{a} and {b} should exclude each other, but one after the other: "
            f"{a} then {b}: {describe(ab_a)} / {describe(ab_b)}; {b} then {a}: {describe(ba_b)} / {describe(ba_a)}"
        )

    racing = pks[2:]
    errors = [
        racers.race(partial(VERBS[a], x), partial(VERBS[b], y), b_later)
        for x, y, b_later in zip(actors(racing, c), actors(racing, c), offsets(a_takes, b_takes), strict=True)
    ]
    end_states = states_of(racing, setup_rows)

    figures, winners, problems = Counter(), Counter(), {}

    def problem(what: str, round_no: int, detail: str) -> None:
        problems.setdefault(what, []).append(f"round {round_no}: {detail}")

    for round_no, (pk, (error_a, error_b)) in enumerate(zip(racing, errors, strict=True), 1):
        outcome = Outcome(error_a is None, error_b is None, end_states[pk])
        figures["races"] += 1
        won = {(True, True): "both", (True, False): f"{a} only", (False, True): f"{b} only"}
        winners[won.get(outcome[:2], "none")] += 1
        for verb, error in ((a, error_a), (b, error_b)):
            figures[kind(error)] += 1
            if kind(error) not in ("won", "refused"):
                problem(kind(error), round_no, f"{verb} -> {describe(error)}")
            elif kind(error) == "refused" and not all(SENTENCE.fullmatch(s.strip()) for s in sentences(error)):
                problem("refused without a sentence", round_no, f"{verb}: {sentences(error)}")
        if kind(error_a) not in ("won", "refused") or kind(error_b) not in ("won", "refused"):
            continue  # a deadlock's loser wrote nothing; its round has no serial order to compare
        if outcome not in serial_outcomes:
            problem(
                "no serial order ends like this",
                round_no,
                f"{a} {describe(error_a)}; {b} {describe(error_b)}; {outcome.state}; serial orders: "
                + "; ".join(f"{order}: {o}" for o, order in serial_outcomes.items()),
            )
        expected_rows = HISTORY_ROWS[a] * outcome.a_won + HISTORY_ROWS[b] * outcome.b_won
        if len(outcome.state.history) != expected_rows:
            problem(
                "history rows",
                round_no,
                f"{len(outcome.state.history)} for {expected_rows} accepted moves: {outcome.state.history}",
            )
        if excludes(a, b) and outcome.a_won + outcome.b_won != 1:
            problem("not one winner of two exclusive verbs", round_no, f"{outcome.a_won + outcome.b_won} won")

    orphans = list(
        Enrollment.objects.filter(child__leads__in=pks)
        .exclude(lead__status=S.CONVERTED)
        .values_list("child__leads__enquiry_id", "lead__status")
    )
    if orphans:
        problems["enrollments without a converted lead"] = [str(orphans[:5])]
    report = (
        f"{a} vs {b} from {state}: {figures['races']} races, {figures['deadlock']} deadlocks, "
        f"{figures['db error']} other database errors, {figures['other']} other errors, "
        f"winners {dict(winners)}, {len(orphans)} orphan enrollments"
    )
    print(report)
    details = "".join(
        f"\n{what} ({len(lines)}):\n  " + "\n  ".join(line[:600] for line in lines[:3])
        for what, lines in problems.items()
    )
    assert figures["races"] == ROUNDS and not problems, report + details
