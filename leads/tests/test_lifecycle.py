"""The rules of each verb. The transition table, cell by cell, is in test_transitions.py."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from leads.models import (
    Enrollment,
    FollowUp,
    FollowUpOutcome,
    FollowUpStatus,
    IntroVisit,
    IVOutcome,
    Lead,
    LeadStatus,
    LeadStatusChange,
    LifecycleError,
    Move,
)
from leads.tests.factories import AGREED, BatchFactory, EnrollmentFactory, make_lead, persona_session, started

S = LeadStatus
TOMORROW = datetime.timedelta(days=1)


def _visit_time():
    return persona_session()


def bring_to(status, c):
    """A fresh TLGC lead in `status`, reached through the verbs themselves."""
    by = c.admin
    lead = make_lead(c.center, c.counselor)
    if status == S.DISCOVERY_COMPLETED:
        lead.complete_discovery(school="DPS", by=by)
    elif status in (S.IV_SCHEDULED, S.IV_COMPLETED, S.IV_NO_SHOW):
        visit = started(lead.schedule_intro_visit(scheduled_at=_visit_time(), batch=c.batch, by=by))
        if status == S.IV_COMPLETED:
            visit.record_outcome(outcome=IVOutcome.INTERESTED_ENROLL_NOW, by=c.trainer)
        elif status == S.IV_NO_SHOW:
            visit.record_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    elif status == S.FOLLOW_UP_PENDING:
        lead.add_follow_up(scheduled_date=timezone.localdate(), by=by)
    elif status == S.CONVERTED:
        lead.convert(enrollment=EnrollmentFactory(child=lead.child), by=by)
    elif status == S.CLOSED_LOST:
        lead.close(reason="Fees", by=by)
    lead.refresh_from_db()
    assert lead.status == status
    return lead


def test_refusal_sentence_is_plain(c):
    lead = bring_to(S.CONVERTED, c)
    with pytest.raises(LifecycleError, match="^A converted lead cannot be closed.$"):
        lead.close(reason="x", by=c.admin)


# -- enquiries -------------------------------------------------------------------------------


def _enquiry(c, **kw):
    child = kw.pop(
        "child", {"first_name": "Mehr", "last_name": "Goyal", "dob": datetime.date(2020, 6, 15), "gender": "Girl"}
    )
    parent = kw.pop("parent", {"name": "Anshu Goyal", "phone": "98765 43210", "email": "anshu@example.com"})
    kw.setdefault("consent", AGREED)
    return Lead.create_enquiry(center=c.center, child=child, parent=parent, by=kw.pop("by", c.counselor), **kw)


def test_enquiry_ids_are_consecutive_per_center(c, b):
    ids = [make_lead(c.center, c.counselor).enquiry_id for _ in range(3)]
    ids_b = [make_lead(b.center, b.counselor).enquiry_id for _ in range(2)]
    assert ids == ["TLGC0001", "TLGC0002", "TLGC0003"]
    assert ids_b == ["TLGB0001", "TLGB0002"]


def test_enquiry_id_grows_past_9999(c):
    from leads.models import EnquiryCounter

    EnquiryCounter.objects.create(center=c.center, last_number=9999)
    assert make_lead(c.center, c.counselor).enquiry_id == "TLGC10000"


def test_enquiry_stores_phone_in_e164_and_creates_family(c):
    lead = _enquiry(c, source="REFERRAL", parent_expectations=["confidence"], remarks="Shy child")
    parent = lead.child.parents.get()
    assert parent.phone == "+919876543210"
    assert lead.child.links.get().is_primary
    assert (lead.status, lead.source, lead.parent_expectations, lead.discovery_notes) == (
        S.ENQUIRY_RECEIVED,
        "REFERRAL",
        ["confidence"],
        "Shy child",
    )
    assert lead.assigned_to == c.counselor


def test_second_enquiry_reuses_parent_and_adds_sibling(c):
    first = _enquiry(c)
    sibling = _enquiry(
        c,
        child={"first_name": "Kabir", "last_name": "Goyal", "dob": datetime.date(2018, 1, 2), "gender": "Boy"},
        parent={"name": "Anshu G.", "phone": "+91 98765 43210", "same_parent": "same"},
    )
    assert sibling.child.parents.get() == first.child.parents.get()
    assert sibling.child != first.child


def test_second_open_enquiry_for_same_child_is_refused_naming_the_lead(c):
    first = _enquiry(c)
    with pytest.raises(LifecycleError, match=first.enquiry_id):
        _enquiry(
            c, child={"first_name": "mehr", "last_name": "goyal", "dob": datetime.date(2020, 6, 15), "gender": "Girl"}
        )
    assert Lead.objects.count() == 1


def test_child_with_closed_lead_can_enquire_again(c):
    first = _enquiry(c)
    first.close(reason="Moved away", by=c.counselor)
    second = _enquiry(c)
    assert second.child == first.child and second.enquiry_id == "TLGC0002"


@pytest.mark.parametrize(
    "child, parent, field",
    [
        (
            {"first_name": "", "last_name": "X", "dob": datetime.date(2020, 1, 1), "gender": "Boy"},
            None,
            "child.first_name",
        ),
        ({"first_name": "A", "last_name": "X", "dob": datetime.date(2099, 1, 1), "gender": "Boy"}, None, "child.dob"),
        (
            {"first_name": "A", "last_name": "X", "dob": datetime.date(2020, 1, 1), "gender": "Robot"},
            None,
            "child.gender",
        ),
        (None, {"name": "P", "phone": "12345"}, "parent.phone"),
        (None, {"name": "P", "phone": "98765 43210", "email": "not-an-email"}, "parent.email"),
        (None, {"name": "", "phone": "98765 43210"}, "parent.name"),
    ],
)
def test_bad_enquiry_input_names_the_field_and_writes_nothing(c, child, parent, field):
    kwargs = {}
    if child:
        kwargs["child"] = child
    if parent:
        kwargs["parent"] = parent
    with pytest.raises(ValidationError) as error:
        _enquiry(c, **kwargs)
    assert field in error.value.message_dict
    assert Lead.objects.count() == 0 and LeadStatusChange.objects.count() == 0


def test_unknown_expectation_and_source_are_refused(c):
    with pytest.raises(ValidationError) as error:
        _enquiry(c, source="BILLBOARD", parent_expectations=["world_peace"])
    assert set(error.value.message_dict) == {"source", "parent_expectations"}


def test_trainer_cannot_create_enquiry(c):
    with pytest.raises(PermissionDenied):
        _enquiry(c, by=c.trainer)


def test_counselor_of_other_center_cannot_create_enquiry_here(c, b):
    with pytest.raises(PermissionDenied):
        _enquiry(c, by=b.counselor)


# -- the verbs -------------------------------------------------------------------------------


def test_discovery_stamps_once_and_never_moves_back(c):
    lead = bring_to(S.ENQUIRY_RECEIVED, c)
    lead.complete_discovery(
        school="DPS", parent_expectations=["motor_skills"], discovery_notes="Loves climbing", by=c.counselor
    )
    stamped = lead.discovery_completed_at
    assert lead.status == S.DISCOVERY_COMPLETED and stamped is not None
    lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)
    lead.complete_discovery(school="Heritage", by=c.counselor)
    lead.refresh_from_db()
    assert lead.status == S.FOLLOW_UP_PENDING and lead.school == "Heritage"
    assert lead.discovery_completed_at == stamped


def test_schedule_refuses_other_centers_batch_trainer_and_the_past(c, b):
    lead = bring_to(S.ENQUIRY_RECEIVED, c)
    cases = [
        ({"batch": b.batch, "scheduled_at": _visit_time()}, "batch"),
        ({"batch": c.batch, "trainer": b.trainer, "scheduled_at": _visit_time()}, "trainer"),
        ({"batch": c.batch, "scheduled_at": timezone.now() - TOMORROW}, "scheduled_at"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as error:
            lead.schedule_intro_visit(by=c.counselor, **kwargs)
        assert field in error.value.message_dict
    assert not IntroVisit.objects.exists()
    assert lead.status_changes.count() == 1


def test_schedule_defaults_trainer_to_the_batch_trainer(c):
    visit = bring_to(S.ENQUIRY_RECEIVED, c).schedule_intro_visit(
        scheduled_at=_visit_time(), batch=c.batch, by=c.counselor
    )
    assert visit.trainer == c.trainer


@pytest.mark.parametrize(
    "outcome, status, attended",
    [
        (IVOutcome.INTERESTED_ENROLL_NOW, S.IV_COMPLETED, True),
        (IVOutcome.INTERESTED_ENROLL_LATER, S.FOLLOW_UP_PENDING, True),
        (IVOutcome.NOT_INTERESTED, S.FOLLOW_UP_PENDING, True),
        (IVOutcome.NO_SHOW, S.IV_NO_SHOW, False),
    ],
)
def test_outcome_moves_the_lead_and_stamps_attendance(c, outcome, status, attended):
    lead = bring_to(S.IV_SCHEDULED, c)
    visit = lead.intro_visits.get()
    visit.record_outcome(outcome=outcome, notes="Enjoyed it", by=c.trainer)
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert lead.status == status
    assert (visit.attended_at is not None) == attended
    assert visit.outcome_notes == "Enjoyed it"


def test_outcome_cannot_be_recorded_twice(c):
    visit = bring_to(S.IV_SCHEDULED, c).intro_visits.get()
    visit.record_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    with pytest.raises(LifecycleError):
        visit.record_outcome(outcome=IVOutcome.INTERESTED_ENROLL_NOW, by=c.trainer)


def test_trainer_records_outcomes_only(c):
    lead = bring_to(S.IV_SCHEDULED, c)
    with pytest.raises(PermissionDenied):
        lead.close(reason="x", by=c.trainer)
    with pytest.raises(PermissionDenied):
        lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.trainer)
    lead.intro_visits.get().record_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)


def test_trainer_of_other_center_cannot_record(c, b):
    visit = bring_to(S.IV_SCHEDULED, c).intro_visits.get()
    with pytest.raises(PermissionDenied):
        visit.record_outcome(outcome=IVOutcome.NO_SHOW, by=b.trainer)


def test_follow_up_in_the_past_is_refused(c):
    lead = bring_to(S.ENQUIRY_RECEIVED, c)
    with pytest.raises(ValidationError) as error:
        lead.add_follow_up(scheduled_date=timezone.localdate() - TOMORROW, by=c.counselor)
    assert "scheduled_date" in error.value.message_dict
    assert not FollowUp.objects.exists()


def test_follow_up_keeps_scheduled_visit_status(c):
    lead = bring_to(S.IV_SCHEDULED, c)
    lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)
    assert lead.status == S.IV_SCHEDULED


def test_complete_lost_needs_reason_then_closes(c):
    lead = bring_to(S.FOLLOW_UP_PENDING, c)
    follow_up = lead.follow_ups.get()
    with pytest.raises(ValidationError) as error:
        follow_up.complete(outcome=FollowUpOutcome.LOST, by=c.counselor)
    assert "reason" in error.value.message_dict
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.PENDING
    follow_up.complete(outcome=FollowUpOutcome.LOST, reason="Too far", by=c.counselor)
    lead.refresh_from_db()
    follow_up.refresh_from_db()
    assert lead.status == S.CLOSED_LOST and lead.closed_reason == "Too far"
    assert (follow_up.status, follow_up.outcome) == (FollowUpStatus.COMPLETED, FollowUpOutcome.LOST)
    assert follow_up.completed_at is not None


def test_complete_postponed_creates_the_next_follow_up(c):
    lead = bring_to(S.FOLLOW_UP_PENDING, c)
    follow_up = lead.follow_ups.get()
    next_day = timezone.localdate() + datetime.timedelta(days=7)
    new = follow_up.complete(outcome=FollowUpOutcome.POSTPONED, next_date=next_day, by=c.counselor)
    # A bare date is 10:00 in the center's clock (Asia/Kolkata: 04:30 UTC).
    assert new.scheduled_date == datetime.datetime.combine(next_day, datetime.time(4, 30), tzinfo=datetime.UTC)
    assert new.status == FollowUpStatus.PENDING
    assert lead.follow_ups.pending().get() == new


def test_complete_postponed_to_the_past_rolls_back_the_completion(c):
    follow_up = bring_to(S.FOLLOW_UP_PENDING, c).follow_ups.get()
    with pytest.raises(ValidationError) as error:
        follow_up.complete(outcome=FollowUpOutcome.POSTPONED, next_date=timezone.localdate() - TOMORROW, by=c.counselor)
    assert "next_follow_up_date" in error.value.message_dict
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.PENDING and follow_up.completed_at is None


def test_complete_scheduled_iv_schedules_the_visit(c):
    lead = bring_to(S.FOLLOW_UP_PENDING, c)
    lead.follow_ups.get().complete(
        outcome=FollowUpOutcome.SCHEDULED_IV,
        intro_visit={"scheduled_at": _visit_time(), "batch": c.batch},
        by=c.counselor,
    )
    lead.refresh_from_db()
    assert lead.status == S.IV_SCHEDULED and lead.intro_visits.count() == 1


def test_complete_enrolled_with_enrollment_converts(c):
    lead = bring_to(S.FOLLOW_UP_PENDING, c)
    enrollment = EnrollmentFactory(child=lead.child, batch=c.batch)
    lead.follow_ups.get().complete(outcome=FollowUpOutcome.ENROLLED, enrollment=enrollment, by=c.counselor)
    lead.refresh_from_db()
    assert lead.status == S.CONVERTED and lead.enrollment == enrollment and lead.converted_at


def test_completed_follow_up_cannot_be_completed_again(c):
    follow_up = bring_to(S.FOLLOW_UP_PENDING, c).follow_ups.get()
    follow_up.cancel(by=c.counselor)
    assert follow_up.status == FollowUpStatus.CANCELLED
    with pytest.raises(LifecycleError):
        follow_up.complete(outcome=FollowUpOutcome.LOST, reason="Moved away", by=c.counselor)


def test_convert_cancels_pending_follow_ups_and_checks_the_enrollment(c):
    lead = bring_to(S.FOLLOW_UP_PENDING, c)
    other = make_lead(c.center, c.counselor)
    with pytest.raises(ValidationError) as error:
        lead.convert(enrollment=EnrollmentFactory(child=other.child), by=c.counselor)
    assert "enrollment" in error.value.message_dict
    lead.convert(enrollment=EnrollmentFactory(child=lead.child), by=c.counselor)
    assert lead.follow_ups.get().status == FollowUpStatus.CANCELLED
    assert lead.status == S.CONVERTED and lead.converted_at is not None


def test_enrollment_cannot_convert_two_leads(c):
    first = bring_to(S.ENQUIRY_RECEIVED, c)
    enrollment = EnrollmentFactory(child=first.child)
    first.convert(enrollment=enrollment, by=c.counselor)
    second = make_lead(
        c.center,
        c.counselor,
        child={"first_name": first.child.first_name, "last_name": "Other", "dob": first.child.dob, "gender": "Girl"},
    )
    with pytest.raises(ValidationError):
        second.convert(enrollment=enrollment, by=c.counselor)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_close_needs_a_reason_of_1_to_500_chars(c, reason):
    lead = bring_to(S.ENQUIRY_RECEIVED, c)
    with pytest.raises(ValidationError) as error:
        lead.close(reason=reason, by=c.counselor)
    assert "reason" in error.value.message_dict
    lead.refresh_from_db()
    assert lead.status == S.ENQUIRY_RECEIVED


def test_close_cancels_follow_ups_and_visits(c):
    lead = bring_to(S.IV_SCHEDULED, c)
    lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)
    lead.close(reason="Chose swimming", category="OTHER_PROGRAM", by=c.counselor)
    assert lead.closed_at and lead.closed_reason_category == "OTHER_PROGRAM"
    assert lead.follow_ups.get().status == FollowUpStatus.CANCELLED
    assert lead.intro_visits.get().cancelled_at is not None


def test_reopen_is_for_center_admins_and_keeps_history(c):
    lead = bring_to(S.CLOSED_LOST, c)
    with pytest.raises(PermissionDenied):
        lead.reopen(by=c.counselor)
    follow_up = lead.reopen(by=c.admin)
    lead.refresh_from_db()
    assert lead.status == S.FOLLOW_UP_PENDING and lead.closed_at is None
    assert follow_up.status == FollowUpStatus.PENDING
    assert [row.action for row in lead.status_changes.all()] == [Move.CREATE_ENQUIRY, Move.CLOSE, Move.REOPEN]


def test_reopen_refused_when_child_has_another_open_lead(c):
    lead = bring_to(S.CLOSED_LOST, c)
    child = lead.child
    Lead.create_enquiry(
        center=c.center,
        child={"first_name": child.first_name, "last_name": child.last_name, "dob": child.dob, "gender": child.gender},
        parent={"name": "P", "phone": child.parents.get().phone, "same_parent": "same"},
        consent=AGREED,
        by=c.counselor,
    )
    with pytest.raises(LifecycleError, match="already has an open lead"):
        lead.reopen(by=c.admin)


def test_leads_are_never_deleted(c, lead):
    with pytest.raises(LifecycleError):
        lead.delete()
    with pytest.raises(LifecycleError):
        Lead.objects.all().delete()
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_history_is_append_only(lead):
    row = lead.status_changes.get()
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        LeadStatusChange.objects.all().delete()


def test_for_user_scopes_leads_by_center(c, b, superadmin):
    mine = make_lead(c.center, c.counselor)
    theirs = make_lead(b.center, b.counselor)
    assert list(Lead.objects.for_user(c.counselor)) == [mine]
    assert list(Lead.objects.for_user(b.admin)) == [theirs]
    assert set(Lead.objects.for_user(superadmin)) == {mine, theirs}


def test_batch_in_other_center_cannot_be_used_for_enrollment(c, b, lead):
    enrollment = Enrollment(child=lead.child, center=c.center, batch=b.batch, start_date=timezone.localdate())
    with pytest.raises(ValidationError) as error:
        enrollment.full_clean()
    assert "batch" in error.value.message_dict


def test_inactive_batch_cannot_take_visits(c, lead):
    batch = BatchFactory(center=c.center, is_active=False)
    with pytest.raises(ValidationError):
        lead.schedule_intro_visit(scheduled_at=_visit_time(), batch=batch, by=c.counselor)


def test_enroll_and_convert_is_one_step(c, lead):
    enrollment = lead.enroll_and_convert(batch=c.batch, start_date=timezone.localdate(), plan="Weekly", by=c.counselor)
    lead.refresh_from_db()
    assert lead.status == S.CONVERTED and lead.enrollment == enrollment and enrollment.created_by == c.counselor


def test_enroll_and_convert_writes_nothing_when_the_move_is_refused(c, lead):
    lead.close(reason="Moved", by=c.counselor)
    with pytest.raises(LifecycleError):
        lead.enroll_and_convert(batch=c.batch, start_date=timezone.localdate(), by=c.counselor)
    assert not Enrollment.objects.exists()


def test_enroll_refuses_other_centers_batch_and_trainers(c, b, lead):
    with pytest.raises(ValidationError) as error:
        Enrollment.enroll(child=lead.child, batch=b.batch, start_date=timezone.localdate(), by=c.counselor)
    assert "batch" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        Enrollment.enroll(child=lead.child, batch=c.batch, start_date=timezone.localdate(), by=c.trainer)
    assert not Enrollment.objects.exists()


def test_complete_lost_records_the_closure_category(c):
    lead = bring_to(S.FOLLOW_UP_PENDING, c)
    lead.follow_ups.get().complete(outcome=FollowUpOutcome.LOST, reason="Fees", category="PRICE", by=c.counselor)
    lead.refresh_from_db()
    assert (lead.status, lead.closed_reason_category) == (S.CLOSED_LOST, "PRICE")


def test_demo_visits_happen_before_their_outcome(c):
    from leads.demo import bulk_leads

    bulk_leads(c.center, 200, by=c.counselor, seed=7)
    for visit in IntroVisit.objects.filter(outcome__isnull=False).select_related("lead"):
        recorded = visit.lead.status_changes.filter(action__startswith="record_").get().at
        scheduled = visit.lead.status_changes.filter(action=Move.SCHEDULE_INTRO_VISIT).get().at
        assert scheduled <= visit.scheduled_at <= recorded


def test_every_foreign_key_to_a_lead_protects_it():
    from django.apps import apps
    from django.db import models

    pointing = {
        f"{model.__name__}.{field.name}": field.remote_field.on_delete
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.related_model is Lead
    }
    assert len(pointing) >= 6  # visits, follow-ups, history, notes, contact attempts, notifications
    assert {name: rule for name, rule in pointing.items() if rule is not models.PROTECT} == {}


def test_demo_paths_end_in_their_status():
    from leads.demo import PATHS
    from leads.models.lead import check_move

    for status, moves in PATHS.items():
        current = S.ENQUIRY_RECEIVED
        for move in moves:
            current = check_move(current, move)
        assert current == status
