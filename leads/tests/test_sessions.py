"""Intro visits fit their batch: real sessions, the age band, the seats, reschedule and cancel."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from leads import lifecycle
from leads.models import FollowUp, IntroVisit, LeadStatus, LifecycleError, Move
from leads.models.enrollment import Batch, sessions_of
from leads.models.intro_visit import next_working_day
from leads.tests.factories import BatchFactory, EnrollmentFactory, UserFactory, make_lead, next_session, started

IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))


def toddler(c, **overrides):
    """A lead whose child is 2 y 6 m old at the coming sessions (a Tiny Tumblers age)."""
    today = timezone.localdate(timezone=c.center.tzinfo)
    dob = today.replace(year=today.year - 2) - datetime.timedelta(days=180)
    n = overrides.pop("n", "")
    child = {"first_name": f"Mehr{n}", "last_name": "Goyal", "dob": dob, "gender": "Girl"}
    return make_lead(c.center, c.counselor, child=child, **overrides)


@pytest.fixture
def tiny(c):
    """Tiny Tumblers: Saturdays 4:00 PM, 2 y to 3 y 6 m, two seats."""
    return BatchFactory(
        center=c.center,
        name="Tiny Tumblers",
        weekday=5,
        start_time=datetime.time(16, 0),
        min_age_months=24,
        max_age_months=42,
        capacity=2,
        trainer=c.trainer,
    )


# -- the sessions --------------------------------------------------------------------------------


def test_next_sessions_are_the_batchs_weekday_and_time_in_the_centers_zone(c, tiny):
    now = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=IST)  # a Wednesday morning in Gurgaon

    sessions = tiny.next_sessions(3, now=now)

    assert [s.starts_at for s in sessions] == [
        datetime.datetime(2026, 12, 5, 16, 0, tzinfo=IST),
        datetime.datetime(2026, 12, 12, 16, 0, tzinfo=IST),
        datetime.datetime(2026, 12, 19, 16, 0, tzinfo=IST),
    ]
    assert [s.free for s in sessions] == [2, 2, 2]
    assert sessions[0].label == "Sat 5 Dec, 4:00 PM · 2 seats free"


def test_a_session_later_today_is_offered_and_one_that_started_is_not(c, tiny):
    saturday_noon = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=IST)
    saturday_evening = datetime.datetime(2026, 12, 5, 16, 1, tzinfo=IST)

    assert tiny.next_sessions(1, now=saturday_noon)[0].starts_at.day == 5
    assert tiny.next_sessions(1, now=saturday_evening)[0].starts_at.day == 12


def test_free_seats_count_enrolled_children_and_booked_visits_not_cancelled(c, tiny):
    first = next_session(tiny)
    EnrollmentFactory(child=make_lead(c.center, c.counselor).child, batch=tiny)
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny, 1), batch=tiny, by=c.counselor)

    sessions = tiny.next_sessions(2)

    assert sessions[0].starts_at == first
    assert [(s.enrolled, s.booked, s.free) for s in sessions] == [(1, 0, 1), (1, 1, 0)]
    assert sessions[1].label.endswith("· full")
    visit.cancel(reason="Family travelling", by=c.counselor)
    assert tiny.next_sessions(2)[1].free == 1


def test_sessions_of_many_batches_take_two_queries(c, django_assert_max_num_queries):
    batches = [BatchFactory(center=c.center, weekday=day % 7) for day in range(8)]
    batches = list(Batch.objects.filter(pk__in=[b.pk for b in batches]).select_related("center"))
    with django_assert_max_num_queries(2):
        sessions = sessions_of(batches, count=6)
    assert all(len(sessions[b.pk]) == 6 for b in batches)


# -- scheduling only on a session ----------------------------------------------------------------


def test_a_visit_off_the_batchs_sessions_is_refused_naming_the_next_sessions(c, tiny):
    lead = toddler(c)
    friday = next_session(tiny) - datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        lead.schedule_intro_visit(scheduled_at=friday, batch=tiny, by=c.counselor)

    message = error.value.message_dict["scheduled_at"][0]
    assert message.startswith("Tiny Tumblers meets on Saturdays at 4:00 PM: choose one of its next sessions: ")
    from leads.models.enrollment import session_time

    assert session_time(next_session(tiny)) in message
    assert not IntroVisit.objects.filter(lead=lead).exists()


def test_a_visit_at_the_right_day_but_wrong_time_is_refused(c, tiny):
    with pytest.raises(ValidationError) as error:
        toddler(c).schedule_intro_visit(
            scheduled_at=next_session(tiny) + datetime.timedelta(minutes=30), batch=tiny, by=c.counselor
        )
    assert "meets on Saturdays" in error.value.message_dict["scheduled_at"][0]


def test_a_visit_on_a_session_is_booked(c, tiny):
    lead = toddler(c)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(tiny, 2), batch=tiny, by=c.counselor)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.IV_SCHEDULED
    assert visit.scheduled_at == next_session(tiny, 2)


def test_a_visit_more_than_a_year_ahead_is_refused(c, tiny):
    far = next_session(tiny, 53)  # a year and a week
    with pytest.raises(ValidationError) as error:
        toddler(c).schedule_intro_visit(scheduled_at=far, batch=tiny, by=c.counselor)
    assert error.value.message_dict["scheduled_at"] == [lifecycle.VISIT_TOO_LATE]
    # Within the year is fine.
    toddler(c, n=2).schedule_intro_visit(scheduled_at=next_session(tiny, 50), batch=tiny, by=c.counselor)


# -- the age band ----------------------------------------------------------------------------------


def test_a_child_outside_the_age_band_is_refused_with_the_band_named(c, tiny, lead):
    # `lead`'s child was born in June 2020: six and a half at the session.
    with pytest.raises(ValidationError) as error:
        lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    message = error.value.message_dict["batch"][0]
    assert message.startswith("Tiny Tumblers is for children aged 2 y to 3 y 6 m; ")
    assert "will be 6 y" in message


def test_the_age_is_taken_at_the_session_not_today(c, tiny):
    session = next_session(tiny, 4)
    day = timezone.localtime(session, c.center.tzinfo).date()
    dob = day.replace(year=day.year - 2) - datetime.timedelta(days=1)  # turns 2 the day before that session
    lead = make_lead(c.center, c.counselor, child={"first_name": "Ira", "dob": dob, "gender": "Girl"})

    with pytest.raises(ValidationError):  # still 1 y 11 m at the next session
        lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    lead.schedule_intro_visit(scheduled_at=session, batch=tiny, by=c.counselor)


def test_a_center_admin_may_override_the_age_band_and_the_history_says_so(c, tiny, lead):
    lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, override_age_band=True, by=c.admin)

    change = lead.status_changes.get(action=Move.SCHEDULE_INTRO_VISIT)
    assert change.note.startswith("Age band overridden: Child")
    assert "Tiny Tumblers is for 2 y to 3 y 6 m" in change.note


def test_a_super_admin_may_override_the_age_band(c, tiny, lead, superadmin):
    lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, override_age_band=True, by=superadmin)
    assert lead.status == LeadStatus.IV_SCHEDULED


def test_a_counselor_may_not_override_the_age_band(c, tiny, lead):
    with pytest.raises(PermissionDenied, match="Only a center admin"):
        lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, override_age_band=True, by=c.counselor)
    assert not IntroVisit.objects.filter(lead=lead).exists()


# -- capacity ---------------------------------------------------------------------------------------


def test_a_full_session_is_refused_and_the_next_one_is_not(c, tiny):
    session = next_session(tiny)
    EnrollmentFactory(child=make_lead(c.center, c.counselor).child, batch=tiny)
    toddler(c, n=1).schedule_intro_visit(scheduled_at=session, batch=tiny, by=c.counselor)
    late = toddler(c, n=2)

    with pytest.raises(ValidationError) as error:
        late.schedule_intro_visit(scheduled_at=session, batch=tiny, by=c.counselor)

    assert error.value.message_dict["scheduled_at"] == [lifecycle.SESSION_FULL.format(capacity=2)]
    assert error.value.message_dict["scheduled_at"][0].startswith("That session is full")
    late.refresh_from_db()
    assert late.status == LeadStatus.ENQUIRY_RECEIVED and not late.status_changes.exclude(action="create_enquiry")
    late.schedule_intro_visit(scheduled_at=next_session(tiny, 1), batch=tiny, by=c.counselor)


# -- reschedule ---------------------------------------------------------------------------------------


def test_reschedule_moves_the_visit_to_another_session_with_a_history_row(c, tiny):
    lead = toddler(c)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)

    visit.reschedule(scheduled_at=next_session(tiny, 1), notes="Family away", by=c.counselor)

    visit.refresh_from_db()
    lead.refresh_from_db()
    assert visit.scheduled_at == next_session(tiny, 1)
    assert lead.status == LeadStatus.IV_SCHEDULED
    change = lead.status_changes.get(action=Move.RESCHEDULE_INTRO_VISIT)
    assert (change.from_status, change.to_status, change.actor) == ("IV_SCHEDULED", "IV_SCHEDULED", c.counselor)
    assert change.note.startswith("From Tiny Tumblers, ") and "Family away" in change.note


def test_reschedule_keeps_the_rules_session_age_and_seats(c, tiny):
    lead = toddler(c)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    with pytest.raises(ValidationError, match="meets on Saturdays"):
        visit.reschedule(scheduled_at=next_session(tiny, 1) + datetime.timedelta(hours=1), by=c.counselor)
    big_kids = BatchFactory(center=c.center, name="Big Kids", weekday=5, min_age_months=60, max_age_months=96)
    with pytest.raises(ValidationError, match="Big Kids is for children aged 5 y to 8 y"):
        visit.reschedule(scheduled_at=next_session(big_kids), batch=big_kids, by=c.counselor)
    EnrollmentFactory(child=make_lead(c.center, c.counselor).child, batch=tiny)
    toddler(c, n=3).schedule_intro_visit(scheduled_at=next_session(tiny, 1), batch=tiny, by=c.counselor)
    with pytest.raises(ValidationError, match="That session is full"):
        visit.reschedule(scheduled_at=next_session(tiny, 1), by=c.counselor)
    visit.refresh_from_db()
    assert visit.scheduled_at == next_session(tiny) and visit.batch == tiny


def test_reschedule_within_a_full_session_counts_the_visit_once(c, tiny):
    """The visit's own seat is free for it: changing the trainer of a full session is not refused."""
    session = next_session(tiny)
    toddler(c, n=1).schedule_intro_visit(scheduled_at=session, batch=tiny, by=c.counselor)
    visit = toddler(c, n=2).schedule_intro_visit(scheduled_at=session, batch=tiny, by=c.counselor)
    other = UserFactory(username="tlgc_trainer2", role="TRAINER", centers=[c.center])
    visit.reschedule(scheduled_at=session, trainer=other, by=c.counselor)
    visit.refresh_from_db()
    assert visit.trainer == other


def test_rescheduling_to_where_the_visit_already_is_changes_nothing(c, tiny):
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    with pytest.raises(LifecycleError, match="already on that session"):
        visit.reschedule(scheduled_at=next_session(tiny), by=c.counselor)
    assert not visit.lead.status_changes.filter(action=Move.RESCHEDULE_INTRO_VISIT).exists()


def test_a_visit_with_an_outcome_cannot_be_rescheduled_or_cancelled(c, tiny):
    lead = toddler(c)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    started(visit).record_outcome(outcome="NO_SHOW", by=c.trainer)
    with pytest.raises(LifecycleError, match="no-show: it can no longer be changed"):
        visit.reschedule(scheduled_at=next_session(tiny, 1), by=c.counselor)
    with pytest.raises(LifecycleError):
        visit.cancel(reason="x", by=c.counselor)


def test_a_trainer_may_not_reschedule_or_cancel(c, tiny):
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    with pytest.raises(PermissionDenied):
        visit.reschedule(scheduled_at=next_session(tiny, 1), by=c.trainer)
    with pytest.raises(PermissionDenied):
        visit.cancel(reason="Ill", by=c.trainer)


# -- cancel -------------------------------------------------------------------------------------------


def test_cancel_returns_the_lead_to_follow_up_pending_with_a_call_the_next_working_day(c, tiny):
    lead = toddler(c)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)

    follow_up = visit.cancel(reason="Child unwell", by=c.counselor)

    lead.refresh_from_db()
    visit.refresh_from_db()
    assert visit.cancelled_at is not None
    assert lead.status == LeadStatus.FOLLOW_UP_PENDING
    today = timezone.localdate(timezone=c.center.tzinfo)
    due = timezone.localtime(follow_up.scheduled_date, c.center.tzinfo)
    assert (due.date(), due.time()) == (next_working_day(today), datetime.time(10, 0))  # the default hour
    assert FollowUp.objects.filter(lead=lead, status="PENDING").count() == 1
    actions = list(lead.status_changes.values_list("action", "from_status", "to_status", "note"))
    assert actions[-2:] == [
        (Move.CANCEL_INTRO_VISIT, "IV_SCHEDULED", "FOLLOW_UP_PENDING", "Child unwell"),
        (Move.ADD_FOLLOW_UP, "FOLLOW_UP_PENDING", "FOLLOW_UP_PENDING", follow_up.notes),
    ]


def test_cancel_needs_a_reason(c, tiny):
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    with pytest.raises(ValidationError) as error:
        visit.cancel(reason="  ", by=c.counselor)
    assert error.value.message_dict == {"reason": [lifecycle.CANCEL_NEEDS_REASON]}
    visit.refresh_from_db()
    assert visit.cancelled_at is None


def test_a_cancelled_visit_frees_its_seat(c, tiny):
    session = next_session(tiny)
    first = toddler(c, n=1).schedule_intro_visit(scheduled_at=session, batch=tiny, by=c.counselor)
    toddler(c, n=2).schedule_intro_visit(scheduled_at=session, batch=tiny, by=c.counselor)
    first.cancel(reason="Moved away", by=c.counselor)
    toddler(c, n=3).schedule_intro_visit(scheduled_at=session, batch=tiny, by=c.counselor)


@pytest.mark.parametrize(
    ("today", "next_day"),
    [
        (datetime.date(2026, 12, 4), datetime.date(2026, 12, 5)),  # Friday -> Saturday (centers run then)
        (datetime.date(2026, 12, 5), datetime.date(2026, 12, 7)),  # Saturday -> Monday (Sunday is off)
        (datetime.date(2026, 12, 6), datetime.date(2026, 12, 7)),  # Sunday -> Monday
        (datetime.date(2026, 12, 7), datetime.date(2026, 12, 8)),  # Monday -> Tuesday
    ],
)
def test_the_next_working_day_skips_sunday(today, next_day):
    assert next_working_day(today) == next_day


# -- the demo data keeps the rules -------------------------------------------------------------------


@pytest.mark.parametrize("source", ["seed_demo", "bulk_leads"])
def test_every_demo_visit_is_on_its_batchs_session_in_its_age_band(db, source, c):
    from django.core.management import call_command

    from leads.demo import bulk_leads

    if source == "seed_demo":
        call_command("seed_demo", per_center=120, stdout=io.StringIO())
    else:
        bulk_leads(c.center, 400, by=c.counselor, batches=[c.batch, tiny_batch(c)], seed=11)
    visits = list(IntroVisit.objects.select_related("batch__center", "lead__child", "lead__center"))
    assert len(visits) > 50
    now = timezone.now()
    for visit in visits:
        batch, child = visit.batch, visit.lead.child
        assert batch.is_session(visit.scheduled_at), f"{visit} is not on a session of {batch}"
        years, months = child.age_on(timezone.localdate(visit.scheduled_at, timezone=visit.lead.center.tzinfo))
        assert batch.min_age_months <= years * 12 + months <= batch.max_age_months, f"{child} outside {batch.age_band}"
        assert visit.scheduled_at <= now + datetime.timedelta(days=365)
        if visit.outcome:
            recorded = visit.lead.status_changes.filter(action__startswith="record_").get().at
            booked = visit.lead.status_changes.get(action=Move.SCHEDULE_INTRO_VISIT).at
            assert booked <= visit.scheduled_at <= recorded <= now
        else:
            assert visit.scheduled_at > now and visit.lead.status == LeadStatus.IV_SCHEDULED
    if source == "bulk_leads":
        return  # bulk volume for benchmarks: enrollments are not held to the batches' capacity
    for batch in Batch.objects.all():  # the demo's coming sessions are not overbooked
        assert all(session.enrolled + session.booked <= batch.capacity for session in batch.next_sessions(4))


def tiny_batch(c):
    return BatchFactory(center=c.center, name="Tiny", weekday=5, min_age_months=18, max_age_months=42, capacity=40)
