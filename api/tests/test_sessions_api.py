"""The API's side of "intro visits fit the batch": sessions, the session and age-band rules, reschedule, cancel."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from leads.models import FollowUp, IntroVisit, LeadStatus, Move
from leads.models.enrollment import session_time
from leads.models.intro_visit import next_working_day
from leads.tests.factories import BatchFactory, EnrollmentFactory, make_lead, next_session, started


def local(at: datetime.datetime, c) -> str:
    return timezone.localtime(at, c.center.tzinfo).isoformat()


@pytest.fixture
def tiny(c):
    """Saturdays 4:00 PM, 2 y to 3 y 6 m, two seats."""
    return BatchFactory(
        center=c.center, name="Tiny Tumblers", weekday=5, min_age_months=24, max_age_months=42, capacity=2
    )


def toddler(c, n=0):
    today = timezone.localdate(timezone=c.center.tzinfo)
    dob = today.replace(year=today.year - 3)
    return make_lead(c.center, c.counselor, child={"first_name": f"Mehr{n}", "dob": dob, "gender": "Girl"})


# -- GET /batches/{id}/sessions ------------------------------------------------------------------


def test_sessions_list_the_coming_sessions_with_free_seats(c, tiny, api_as):
    EnrollmentFactory(child=make_lead(c.center, c.counselor).child, batch=tiny)
    toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny, 1), batch=tiny, by=c.counselor)

    response = api_as(c.counselor).get(f"/batches/{tiny.pk}/sessions", count=3)

    assert response.status_code == 200
    rows = response.json()
    assert [row["starts_at"] for row in rows] == [local(next_session(tiny, n), c) for n in range(3)]
    assert rows[0]["starts_at"].endswith("T16:00:00+05:30")
    assert [(r["enrolled"], r["booked"], r["free_seats"], r["capacity"]) for r in rows] == [
        (1, 0, 1, 2),
        (1, 1, 0, 2),
        (1, 0, 1, 2),
    ]
    assert rows[0]["ends_at"] == local(next_session(tiny) + datetime.timedelta(minutes=45), c)
    assert rows[0]["batch_id"] == tiny.pk


def test_sessions_are_scoped_like_batches(c, b, api_as):
    assert api_as(c.counselor).get(f"/batches/{b.batch.pk}/sessions").status_code == 403
    assert api_as(c.counselor).get("/batches/99999/sessions").status_code == 404
    assert api_as(c.trainer).get(f"/batches/{c.batch.pk}/sessions").status_code == 403
    assert len(api_as(c.admin).get(f"/batches/{c.batch.pk}/sessions").json()) == 6  # the default


@pytest.mark.parametrize("count", [0, 53, "x"])
def test_sessions_count_is_bounded(c, api_as, count):
    assert api_as(c.counselor).get(f"/batches/{c.batch.pk}/sessions", count=count).status_code == 422


def test_sessions_take_a_constant_number_of_queries(c, tiny, api_as, django_assert_max_num_queries):
    api = api_as(c.counselor)
    for n in range(5):
        toddler(c, n).schedule_intro_visit(scheduled_at=next_session(tiny, n % 3), batch=tiny, by=c.counselor)
    with django_assert_max_num_queries(8):
        assert len(api.get(f"/batches/{tiny.pk}/sessions", count=52).json()) == 52


# -- POST /leads/{id}/intro-visit -------------------------------------------------------------------


def test_an_off_session_time_is_a_422_naming_the_nearest_sessions(c, tiny, api_as):
    lead = toddler(c)
    friday = timezone.localtime(next_session(tiny, 1), c.center.tzinfo) - datetime.timedelta(days=1)

    response = api_as(c.counselor).post(
        f"/leads/{lead.pk}/intro-visit", {"scheduled_at": friday.strftime("%Y-%m-%dT%H:%M:%S"), "batch_id": tiny.pk}
    )

    assert response.status_code == 422
    [entry] = response.json()["detail"]
    assert entry["loc"] == ["body", "scheduled_at"]
    assert entry["msg"].startswith("Tiny Tumblers meets on Saturdays at 4:00 PM")
    # The sessions either side of the asked time.
    assert session_time(timezone.localtime(next_session(tiny, 0), c.center.tzinfo)) in entry["msg"]
    assert session_time(timezone.localtime(next_session(tiny, 1), c.center.tzinfo)) in entry["msg"]


def test_a_visit_on_a_session_is_booked_through_the_api(c, tiny, api_as):
    lead = toddler(c)
    at = local(next_session(tiny), c)
    response = api_as(c.counselor).post(f"/leads/{lead.pk}/intro-visit", {"scheduled_at": at, "batch_id": tiny.pk})
    assert response.status_code == 201, response.json()
    assert response.json()["scheduled_at"] == at


def test_the_age_band_refusal_names_the_band_and_only_admins_override(c, tiny, lead, api_as):
    body = {"scheduled_at": local(next_session(tiny), c), "batch_id": tiny.pk}

    refused = api_as(c.counselor).post(f"/leads/{lead.pk}/intro-visit", body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "batch_id"]
    assert refused.json()["detail"][0]["msg"].startswith("Tiny Tumblers is for children aged 2 y to 3 y 6 m")

    not_theirs = api_as(c.counselor).post(f"/leads/{lead.pk}/intro-visit", {**body, "override_age_band": True})
    assert not_theirs.status_code == 403
    assert not IntroVisit.objects.filter(lead=lead).exists()

    booked = api_as(c.admin).post(f"/leads/{lead.pk}/intro-visit", {**body, "override_age_band": True})
    assert booked.status_code == 201
    assert lead.status_changes.get(action=Move.SCHEDULE_INTRO_VISIT).note.startswith("Age band overridden")


def test_the_last_seat_goes_once(c, tiny, api_as):
    at = local(next_session(tiny), c)
    api = api_as(c.counselor)
    for n in range(2):
        assert (
            api.post(f"/leads/{toddler(c, n).pk}/intro-visit", {"scheduled_at": at, "batch_id": tiny.pk}).status_code
            == 201
        )
    full = api.post(f"/leads/{toddler(c, 9).pk}/intro-visit", {"scheduled_at": at, "batch_id": tiny.pk})
    assert full.status_code == 422
    assert full.json()["detail"][0]["msg"].startswith("That session is full")


# -- PATCH /intro-visits/{id}: reschedule ----------------------------------------------------------------


def test_patch_with_scheduled_at_reschedules_a_visit_without_an_outcome(c, tiny, api_as):
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    later = local(next_session(tiny, 2), c)

    response = api_as(c.counselor).patch(f"/intro-visits/{visit.pk}", {"scheduled_at": later})

    assert response.status_code == 200, response.json()
    assert response.json()["scheduled_at"] == later
    visit.refresh_from_db()
    assert visit.scheduled_at == next_session(tiny, 2)
    assert visit.lead.status_changes.filter(action=Move.RESCHEDULE_INTRO_VISIT).count() == 1


def test_patch_reschedules_into_another_batch_and_trainer(c, tiny, api_as):
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    response = api_as(c.counselor).patch(
        f"/intro-visits/{visit.pk}",
        {"batch_id": c.batch.pk, "scheduled_at": local(next_session(c.batch), c), "trainer_user_id": c.trainer.pk},
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["batch_id"], response.json()["trainer_user_id"]) == (c.batch.pk, c.trainer.pk)


def test_patch_reschedule_keeps_the_rules(c, tiny, api_as):
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    api = api_as(c.counselor)
    off = api.patch(
        f"/intro-visits/{visit.pk}", {"scheduled_at": local(next_session(tiny) + datetime.timedelta(hours=2), c)}
    )
    assert off.status_code == 422 and "meets on Saturdays" in off.json()["detail"][0]["msg"]
    new_batch_without_time = api.patch(f"/intro-visits/{visit.pk}", {"batch_id": c.batch.pk})
    assert new_batch_without_time.json()["detail"][0]["loc"] == ["body", "scheduled_at"]
    both = api.patch(
        f"/intro-visits/{visit.pk}", {"scheduled_at": local(next_session(tiny, 1), c), "outcome": "NO_SHOW"}
    )
    assert both.status_code == 422
    assert (
        api_as(c.trainer)
        .patch(f"/intro-visits/{visit.pk}", {"scheduled_at": local(next_session(tiny, 1), c)})
        .status_code
        == 403
    )
    started(visit).record_outcome(outcome="NO_SHOW", by=c.admin)
    done = api.patch(f"/intro-visits/{visit.pk}", {"scheduled_at": local(next_session(tiny, 1), c)})
    assert done.status_code == 409


# -- POST /intro-visits/{id}/cancel --------------------------------------------------------------------


def test_cancel_puts_the_lead_back_in_the_follow_up_queue(c, tiny, api_as):
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)

    response = api_as(c.counselor).post(f"/intro-visits/{visit.pk}/cancel", {"reason": "Family travelling"})

    assert response.status_code == 200, response.json()
    assert response.json()["cancelled_at"] is not None
    lead = visit.lead
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOW_UP_PENDING
    follow_up = FollowUp.objects.get(lead=lead, status="PENDING")
    due = timezone.localtime(follow_up.scheduled_date, c.center.tzinfo)
    assert due.date() == next_working_day(timezone.localdate(timezone=c.center.tzinfo))


def test_cancel_needs_a_reason_and_the_right(c, b, tiny, api_as):
    visit = toddler(c).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    assert api_as(c.counselor).post(f"/intro-visits/{visit.pk}/cancel", {"reason": ""}).status_code == 422
    assert api_as(c.counselor).post(f"/intro-visits/{visit.pk}/cancel", {}).status_code == 422
    assert api_as(c.trainer).post(f"/intro-visits/{visit.pk}/cancel", {"reason": "Ill"}).status_code == 403
    assert api_as(b.counselor).post(f"/intro-visits/{visit.pk}/cancel", {"reason": "Ill"}).status_code == 403
    visit.refresh_from_db()
    assert visit.cancelled_at is None
    assert api_as(c.counselor).post(f"/intro-visits/{visit.pk}/cancel", {"reason": "Ill"}).status_code == 200
    assert api_as(c.counselor).post(f"/intro-visits/{visit.pk}/cancel", {"reason": "Ill"}).status_code == 409
