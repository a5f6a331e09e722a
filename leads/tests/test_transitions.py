"""The lifecycle's rules, written out by hand from the spec and README, checked cell by cell through the verbs.

The expected table below is literal data, not `TRANSITIONS`: a wrong cell in the model's table (a
move allowed where the spec refuses it, or landing in another status) fails here. Where the spec
decides, the comment quotes it; the other cells are the app's decisions (README, "Lifecycle in the
models"), written down so that changing one is a visible edit here too.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from leads.models import Enrollment, FollowUp, IntroVisit, IVOutcome, LifecycleError, Move
from leads.tests.factories import make_lead, persona_session, started

NO = None  # refused: LifecycleError with a sentence, nothing written
SAME = "same outcome"  # the table allows it, but the visit already has that outcome: ValidationError, nothing written
# The spec's statuses, short so the table reads as a grid.
ENQ, DISC, IV_S, IV_C, NOSHOW, FUP, CONV, LOST = STATUSES = (
    "ENQUIRY_RECEIVED",
    "DISCOVERY_COMPLETED",
    "IV_SCHEDULED",
    "IV_COMPLETED",
    "IV_NO_SHOW",
    "FOLLOW_UP_PENDING",
    "CONVERTED",
    "CLOSED_LOST",
)

# fmt: off
#: move -> where it lands from each status (columns in the order of STATUSES).
EXPECTED: dict[str, tuple[str | None, ...]] = {
    #                         ENQ     DISC    IV_S    IV_C    NOSHOW  FUP     CONV    LOST
    # Spec, update_discovery_form(): "Marks discovery as completed with timestamp. Changes status to
    # DISCOVERY_COMPLETED". Later open statuses keep theirs: the details change, the status never goes back.
    "complete_discovery":    (DISC,   DISC,   IV_S,   IV_C,   NOSHOW, FUP,    NO,     NO),
    # Spec, schedule_intro_visit(): "Auto-updates lead status to IV_SCHEDULED". Not while a visit is
    # already scheduled, nor once the child attended; again after a no-show, or from a follow-up.
    "schedule_intro_visit":  (IV_S,   IV_S,   NO,     NO,     IV_S,   IV_S,   NO,     NO),
    # Spec, update_intro_visit(): "Auto-updates lead status based on outcome: INTERESTED_ENROLL_NOW ->
    # IV_COMPLETED, INTERESTED_ENROLL_LATER -> FOLLOW_UP_PENDING, NOT_INTERESTED -> FOLLOW_UP_PENDING,
    # NO_SHOW -> IV_NO_SHOW". Only a lead with a scheduled visit has an outcome to record.
    # Not in the spec; issue 9: a booked visit moves to another session of its batch (the lead stays
    # IV_SCHEDULED), or is called off with a reason and the lead goes back to the follow-up queue.
    "reschedule_intro_visit": (NO,    NO,     IV_S,   NO,     NO,     NO,     NO,     NO),
    "cancel_intro_visit":    (NO,     NO,     FUP,    NO,     NO,     NO,     NO,     NO),
    "record_enroll_now":     (NO,     NO,     IV_C,   NO,     NO,     NO,     NO,     NO),
    "record_enroll_later":   (NO,     NO,     FUP,    NO,     NO,     NO,     NO,     NO),
    "record_not_interested": (NO,     NO,     FUP,    NO,     NO,     NO,     NO,     NO),
    "record_no_show":        (NO,     NO,     NOSHOW, NO,     NO,     NO,     NO,     NO),
    # Issue 9: "Attended" is its own step before the outcome; the lead waits in IV_SCHEDULED for it.
    "record_attendance":     (NO,     NO,     IV_S,   NO,     NO,     NO,     NO,     NO),
    # Issue 9: a wrong outcome tap is corrected; the lead goes where the corrected outcome leads (as
    # recording it would have), from where an outcome lands. Not before an outcome, not once converted
    # or closed (the verb also refuses once any later move was made: test_trainer_corrections.py).
    "correct_to_enroll_now":     (NO, NO,     NO,     SAME,   IV_C,   IV_C,   NO,     NO),
    "correct_to_enroll_later":   (NO, NO,     NO,     FUP,    FUP,    FUP,    NO,     NO),
    "correct_to_not_interested": (NO, NO,     NO,     FUP,    FUP,    FUP,    NO,     NO),
    "correct_to_no_show":        (NO, NO,     NO,     NOSHOW, SAME,   NOSHOW, NO,     NO),
    # Spec, POST /leads/{id}/follow-up: "Auto-updates lead status to FOLLOW_UP_PENDING"; create_follow_up():
    # "Auto-updates lead status if needed": a scheduled visit still comes first, so IV_SCHEDULED stays.
    "add_follow_up":         (FUP,    FUP,    IV_S,   FUP,    FUP,    FUP,    NO,     NO),
    # Spec, convert_lead(): "Sets status to CONVERTED", from any open status (a walk-in may enroll at once).
    "convert":               (CONV,   CONV,   CONV,   CONV,   CONV,   CONV,   NO,     NO),
    # Spec, close_lead(): "Sets status to CLOSED_LOST". "Leads are NEVER deleted. Marked as CONVERTED or
    # CLOSED_LOST instead": both are ends; README: "A converted lead cannot be closed."
    "close":                 (LOST,   LOST,   LOST,   LOST,   LOST,   LOST,   NO,     NO),
    # Not in the spec; README: center admins reopen. Only a closed lead, back to FOLLOW_UP_PENDING.
    "reopen":                (NO,     NO,     NO,     NO,     NO,     NO,     NO,     FUP),
}
# fmt: on

CELLS = [(move, status, row[i]) for move, row in EXPECTED.items() for i, status in enumerate(STATUSES)]

TOMORROW = datetime.timedelta(days=1)
OUTCOMES = {
    "record_enroll_now": IVOutcome.INTERESTED_ENROLL_NOW,
    "record_enroll_later": IVOutcome.INTERESTED_ENROLL_LATER,
    "record_not_interested": IVOutcome.NOT_INTERESTED,
    "record_no_show": IVOutcome.NO_SHOW,
}
CORRECTIONS = {
    "correct_to_enroll_now": IVOutcome.INTERESTED_ENROLL_NOW,
    "correct_to_enroll_later": IVOutcome.INTERESTED_ENROLL_LATER,
    "correct_to_not_interested": IVOutcome.NOT_INTERESTED,
    "correct_to_no_show": IVOutcome.NO_SHOW,
}
#: The trainer's moves (the others are made by the center admin).
TRAINER_MOVES = {*OUTCOMES, *CORRECTIONS, "record_attendance"}


def _visit_time():
    return persona_session()


def lead_in(status, c):
    """A fresh TLGC lead in `status`, reached through the verbs (the spec's happy paths)."""
    by = c.admin
    lead = make_lead(c.center, c.counselor)
    if status == "DISCOVERY_COMPLETED":
        lead.complete_discovery(school="DPS", by=by)
    elif status in ("IV_SCHEDULED", "IV_COMPLETED", "IV_NO_SHOW"):
        visit = started(lead.schedule_intro_visit(scheduled_at=_visit_time(), batch=c.batch, by=by))
        if status == "IV_COMPLETED":
            visit.record_outcome(outcome=IVOutcome.INTERESTED_ENROLL_NOW, by=c.trainer)
        elif status == "IV_NO_SHOW":
            visit.record_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    elif status == "FOLLOW_UP_PENDING":
        lead.add_follow_up(scheduled_date=timezone.localdate(), by=by)
    elif status == "CONVERTED":
        lead.enroll_and_convert(batch=c.batch, start_date=timezone.localdate(), by=by)
    elif status == "CLOSED_LOST":
        lead.close(reason="Fees", by=by)
    lead.refresh_from_db()
    assert lead.status == status, f"could not bring a lead to {status}"
    return lead


def lead_for(move, status, c):
    """A lead in `status`; for a correction, one whose outcome (a different one where one lands
    there) brought it to `status`, so that the rule is what decides."""
    if move not in CORRECTIONS or status not in ("IV_COMPLETED", "IV_NO_SHOW", "FOLLOW_UP_PENDING"):
        return lead_in(status, c)
    lead = make_lead(c.center, c.counselor)
    visit = started(lead.schedule_intro_visit(scheduled_at=_visit_time(), batch=c.batch, by=c.admin))
    lands_there = {
        "IV_COMPLETED": [IVOutcome.INTERESTED_ENROLL_NOW],
        "IV_NO_SHOW": [IVOutcome.NO_SHOW],
        "FOLLOW_UP_PENDING": [IVOutcome.INTERESTED_ENROLL_LATER, IVOutcome.NOT_INTERESTED],
    }[status]
    outcome = next((o for o in lands_there if o != CORRECTIONS[move]), lands_there[0])
    visit.record_outcome(outcome=outcome, by=c.trainer)
    lead.refresh_from_db()
    assert lead.status == status
    return lead


def perform(move, lead, c):
    """Call the verb behind `move`, as the screens and the API do."""
    by = c.admin
    if move == "complete_discovery":
        lead.complete_discovery(school="New school", preferred_schedule="Weekends", by=by)
    elif move == "schedule_intro_visit":
        lead.schedule_intro_visit(scheduled_at=_visit_time(), batch=c.batch, by=by)
    elif move in OUTCOMES:
        visit = IntroVisit.objects.filter(lead=lead).awaiting_outcome().first()
        visit.record_outcome(outcome=OUTCOMES[move], by=c.trainer)
    elif move == "reschedule_intro_visit":
        IntroVisit.objects.filter(lead=lead).awaiting_outcome().first().reschedule(
            scheduled_at=persona_session(1), by=by
        )
    elif move == "cancel_intro_visit":
        IntroVisit.objects.filter(lead=lead).awaiting_outcome().first().cancel(reason="Child unwell", by=by)
    elif move == "record_attendance":
        IntroVisit.objects.filter(lead=lead).awaiting_outcome().first().record_attendance(by=c.trainer)
    elif move in CORRECTIONS:
        visit = IntroVisit.objects.filter(lead=lead, outcome__isnull=False).last()
        visit.correct_outcome(outcome=CORRECTIONS[move], by=c.trainer)
    elif move == "add_follow_up":
        lead.add_follow_up(scheduled_date=timezone.localdate() + TOMORROW, by=by)
    elif move == "convert":
        lead.enroll_and_convert(batch=c.batch, start_date=timezone.localdate(), by=by)
    elif move == "close":
        lead.close(reason="Schedule clash", by=by)
    elif move == "reopen":
        lead.reopen(by=by)
    else:  # pragma: no cover
        raise AssertionError(move)


def give_a_visit_to_record(move, lead, c):
    """An outcome needs a visit awaiting one; in statuses that have none, add one so the rule is what refuses."""
    if move in ("reschedule_intro_visit", "cancel_intro_visit") and not (
        IntroVisit.objects.filter(lead=lead).awaiting_outcome().exists()
    ):
        IntroVisit.objects.create(lead=lead, scheduled_at=_visit_time(), batch=c.batch)
    just_started = timezone.now() - datetime.timedelta(minutes=1)
    if (move in OUTCOMES or move == "record_attendance") and not (
        IntroVisit.objects.filter(lead=lead).awaiting_outcome().exists()
    ):
        IntroVisit.objects.create(lead=lead, scheduled_at=just_started, batch=c.batch)
    if move in CORRECTIONS and not IntroVisit.objects.filter(lead=lead, outcome__isnull=False).exists():
        other = IVOutcome.NO_SHOW if CORRECTIONS[move] != IVOutcome.NO_SHOW else IVOutcome.NOT_INTERESTED
        IntroVisit.objects.create(
            lead=lead, scheduled_at=just_started, batch=c.batch, outcome=other, outcome_recorded_at=timezone.now()
        )


def snapshot(lead):
    lead.refresh_from_db()
    return (
        model_to_dict(lead),
        list(lead.status_changes.values_list("pk", flat=True)),
        list(IntroVisit.objects.filter(lead=lead).values_list("pk", "outcome", "cancelled_at")),
        list(FollowUp.objects.filter(lead=lead).values_list("pk", "status")),
        Enrollment.objects.filter(child=lead.child).count(),
    )


def test_the_table_names_every_move_and_status():
    assert set(EXPECTED) == {m.value for m in Move} - {Move.CREATE_ENQUIRY}, "a move without a hand-written row"
    assert all(len(row) == len(STATUSES) for row in EXPECTED.values())


@pytest.mark.parametrize("move, status, target", CELLS, ids=[f"{m}-from-{s}" for m, s, _ in CELLS])
def test_move_from_status(c, move, status, target):
    lead = lead_for(move, status, c)
    give_a_visit_to_record(move, lead, c)
    history_before = lead.status_changes.count()
    if target is SAME:
        before = snapshot(lead)
        with pytest.raises(ValidationError) as refused:
            perform(move, lead, c)
        assert "already" in " ".join(refused.value.messages)
        assert snapshot(lead) == before, "a refused correction wrote something"
        return
    if target is NO:
        before = snapshot(lead)
        with pytest.raises(LifecycleError) as refused:
            perform(move, lead, c)
        sentence = str(refused.value)
        assert sentence[:1].isupper() and sentence.endswith(".") and "cannot" in sentence, sentence
        assert snapshot(lead) == before, "a refused move wrote something"
        return
    perform(move, lead, c)
    lead.refresh_from_db()
    assert lead.status == target, f"{move} from {status} should land in {target}, not {lead.status}"
    new_rows = list(lead.status_changes.all()[history_before:])
    expected_rows = [(status, target, move)]
    if move == "cancel_intro_visit":  # and the follow-up that keeps the lead in a queue, through its own verb
        expected_rows.append((target, target, "add_follow_up"))
    assert [(r.from_status, r.to_status, r.action) for r in new_rows] == expected_rows
    assert new_rows[0].actor == (c.trainer if move in TRAINER_MOVES else c.admin)


def test_a_new_enquiry_starts_in_enquiry_received(c):
    # Spec, create_enquiry(): "Sets initial status to ENQUIRY_RECEIVED".
    lead = make_lead(c.center, c.counselor)
    assert lead.status == "ENQUIRY_RECEIVED"
    assert list(lead.status_changes.values_list("from_status", "to_status", "action")) == [
        ("", "ENQUIRY_RECEIVED", "create_enquiry")
    ]


@pytest.mark.parametrize("status", STATUSES)
def test_the_actions_offered_are_the_allowed_moves(c, status):
    """The screens offer `lead.allowed_moves()`: exactly the row's cells that are not refused."""
    expected = {move for move, row in EXPECTED.items() if row[STATUSES.index(status)] is not NO}
    assert set(lead_in(status, c).allowed_moves()) == expected
