"""Issue 9 on the API: PATCH /intro-visits/{id} (attendance, outcome, correction) and
PATCH /leads/{id}/status reaching every status a verb can."""

import datetime

import pytest
from django.utils import timezone

from leads.models import Enrollment, IntroVisit, Lead
from leads.tests.factories import EnrollmentFactory, make_lead, next_session, started

NOT_STARTED = "record how it went once it has started"


def locs(response):
    return [entry["loc"] for entry in response.json()["detail"]]


def msg(response):
    return response.json()["detail"][0]["msg"]


def booked(c, *, in_minutes=-5):
    lead = make_lead(c.center, c.counselor)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.counselor)
    return lead, started(visit, minutes_ago=-in_minutes)


def now_iso(minutes=0):
    return (timezone.now() + datetime.timedelta(minutes=minutes)).isoformat()


# -- PATCH /intro-visits/{id} ------------------------------------------------------------------------


def test_attended_at_alone_records_attendance_then_the_outcome_follows(c, api_as):
    lead, visit = booked(c)
    api = api_as(c.trainer)
    first = api.patch(f"/intro-visits/{visit.pk}", {"attended_at": now_iso(-2)})
    assert first.status_code == 200, first.json()
    assert first.json()["outcome"] is None and first.json()["attended_at"] is not None
    lead.refresh_from_db()
    assert lead.status == "IV_SCHEDULED"
    assert lead.status_changes.last().action == "record_attendance"
    second = api.patch(f"/intro-visits/{visit.pk}", {"outcome": "INTERESTED_ENROLL_NOW"})
    assert second.status_code == 200, second.json()
    assert second.json()["attended_at"] == first.json()["attended_at"]
    lead.refresh_from_db()
    assert lead.status == "IV_COMPLETED"


def test_an_empty_patch_is_a_422_naming_the_outcome(c, api_as):
    lead, visit = booked(c)
    response = api_as(c.trainer).patch(f"/intro-visits/{visit.pk}", {})
    assert response.status_code == 422 and locs(response) == [["body", "outcome"]]


def test_an_outcome_before_the_start_is_a_422_naming_the_field(c, api_as):
    lead, visit = booked(c, in_minutes=90)
    response = api_as(c.trainer).patch(f"/intro-visits/{visit.pk}", {"outcome": "NO_SHOW"})
    assert response.status_code == 422 and locs(response) == [["body", "outcome"]]
    assert NOT_STARTED in msg(response)
    visit.refresh_from_db()
    assert visit.outcome is None


def test_attendance_before_the_start_is_a_422_with_the_verbs_sentence(c, api_as):
    lead, visit = booked(c, in_minutes=90)
    response = api_as(c.trainer).patch(f"/intro-visits/{visit.pk}", {"attended_at": now_iso()})
    assert response.status_code == 422 and locs(response) == [["body", "attended_at"]]
    assert NOT_STARTED in msg(response)


def test_a_different_outcome_later_is_a_correction(c, api_as):
    lead, visit = booked(c)
    api = api_as(c.trainer)
    api.patch(f"/intro-visits/{visit.pk}", {"outcome": "NO_SHOW"})
    response = api.patch(f"/intro-visits/{visit.pk}", {"outcome": "INTERESTED_ENROLL_LATER", "outcome_notes": "Oops"})
    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert lead.status == "FOLLOW_UP_PENDING"
    note = lead.status_changes.last().note
    assert note.startswith("outcome corrected from NO_SHOW to INTERESTED_ENROLL_LATER by ") and note.endswith(": Oops")


def test_a_correction_after_the_window_is_a_403_for_the_trainer_not_for_the_admin(c, api_as, settings):
    settings.INTRO_VISIT_CORRECTION_MINUTES = 10
    lead, visit = booked(c)
    api_as(c.trainer).patch(f"/intro-visits/{visit.pk}", {"outcome": "NO_SHOW"})
    IntroVisit.objects.filter(pk=visit.pk).update(outcome_recorded_at=timezone.now() - datetime.timedelta(minutes=11))
    late = api_as(c.trainer).patch(f"/intro-visits/{visit.pk}", {"outcome": "NOT_INTERESTED"})
    assert late.status_code == 403
    assert "10 minutes" in late.json()["detail"]
    assert api_as(c.admin).patch(f"/intro-visits/{visit.pk}", {"outcome": "NOT_INTERESTED"}).status_code == 200


def test_a_correction_once_the_lead_moved_on_is_a_422_naming_the_outcome(c, api_as):
    lead, visit = booked(c)
    api_as(c.trainer).patch(f"/intro-visits/{visit.pk}", {"outcome": "INTERESTED_ENROLL_LATER"})
    api_as(c.counselor).post(f"/leads/{lead.pk}/follow-up", {"scheduled_date": timezone.localdate().isoformat()})
    response = api_as(c.admin).patch(f"/intro-visits/{visit.pk}", {"outcome": "NO_SHOW"})
    assert response.status_code == 422 and locs(response) == [["body", "outcome"]]
    assert "moved on" in msg(response)


# -- PATCH /leads/{id}/status ------------------------------------------------------------------------


def test_status_iv_scheduled_with_scheduled_at_and_batch_schedules(c, lead, api_as):
    at = timezone.localtime(next_session(c.batch), c.center.tzinfo).replace(tzinfo=None).isoformat()
    response = api_as(c.counselor).patch(
        f"/leads/{lead.pk}/status", {"status": "IV_SCHEDULED", "scheduled_at": at, "batch_id": c.batch.pk}
    )
    assert response.status_code == 200, response.json()
    visit = IntroVisit.objects.get(lead=lead)
    assert timezone.localtime(visit.scheduled_at, c.center.tzinfo).hour == 16 and visit.batch == c.batch
    assert lead.status_changes.last().action == "schedule_intro_visit"


@pytest.mark.parametrize("missing", ["scheduled_at", "batch_id"])
def test_status_iv_scheduled_without_what_it_needs_names_the_field_and_the_endpoint(c, lead, api_as, missing):
    body = {"status": "IV_SCHEDULED", "scheduled_at": now_iso(60 * 48), "batch_id": c.batch.pk}
    del body[missing]
    response = api_as(c.counselor).patch(f"/leads/{lead.pk}/status", body)
    assert response.status_code == 422 and locs(response) == [["body", missing]]
    assert f"POST /api/v1/leads/{lead.pk}/intro-visit" in msg(response)


def test_status_converted_with_an_enrollment_id_converts(c, lead, api_as):
    enrollment = EnrollmentFactory(child=lead.child, batch=c.batch)
    response = api_as(c.counselor).patch(
        f"/leads/{lead.pk}/status", {"status": "CONVERTED", "enrollment_id": enrollment.pk}
    )
    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert lead.status == "CONVERTED" and lead.enrollment == enrollment


def test_status_converted_with_the_enrollment_that_converted_it_confirms(c, lead, api_as):
    api = api_as(c.counselor)
    made = api.post(
        "/enrollments",
        {
            "child_id": lead.child_id,
            "lead_id": lead.pk,
            "batch_id": c.batch.pk,
            "start_date": timezone.localdate().isoformat(),
        },
    )
    assert made.status_code in (200, 201), made.json()
    enrollment = Enrollment.objects.get(child=lead.child)
    response = api.patch(f"/leads/{lead.pk}/status", {"status": "CONVERTED", "enrollment_id": enrollment.pk})
    assert response.status_code == 200 and response.json()["status"] == "CONVERTED"
    assert Lead.objects.get(pk=lead.pk).status_changes.filter(action="convert").count() == 1


def test_status_converted_with_another_childs_enrollment_is_a_422(c, lead, api_as):
    other = make_lead(c.center, c.counselor)
    enrollment = EnrollmentFactory(child=other.child, batch=c.batch)
    response = api_as(c.counselor).patch(
        f"/leads/{lead.pk}/status", {"status": "CONVERTED", "enrollment_id": enrollment.pk}
    )
    assert response.status_code == 422 and locs(response) == [["body", "enrollment_id"]]


def test_status_closed_lost_takes_the_reason_or_the_notes(c, api_as):
    api = api_as(c.counselor)
    with_reason = make_lead(c.center, c.counselor)
    response = api.patch(
        f"/leads/{with_reason.pk}/status", {"status": "CLOSED_LOST", "reason": "Fees", "category": "PRICE"}
    )
    assert (response.json()["status"], response.json()["closed_reason"]) == ("CLOSED_LOST", "Fees")
    assert Lead.objects.get(pk=with_reason.pk).closed_reason_category == "PRICE"
    with_notes = make_lead(c.center, c.counselor)
    response = api.patch(f"/leads/{with_notes.pk}/status", {"status": "CLOSED_LOST", "notes": "Moved away"})
    assert response.json()["closed_reason"] == "Moved away"


def test_status_iv_completed_goes_through_the_outcome_verb_and_its_start_rule(c, api_as):
    lead, visit = booked(c, in_minutes=90)
    api = api_as(c.admin)
    early = api.patch(f"/leads/{lead.pk}/status", {"status": "IV_COMPLETED"})
    assert early.status_code == 422 and locs(early) == [["body", "outcome"]]
    assert NOT_STARTED in msg(early)
    started(visit)
    assert api.patch(f"/leads/{lead.pk}/status", {"status": "IV_COMPLETED"}).status_code == 200
    visit.refresh_from_db()
    assert visit.outcome == "INTERESTED_ENROLL_NOW"


def test_status_follow_up_from_a_scheduled_visit_needs_its_outcome(c, api_as):
    lead, visit = booked(c)
    api = api_as(c.admin)
    response = api.patch(f"/leads/{lead.pk}/status", {"status": "FOLLOW_UP_PENDING"})
    assert response.status_code == 422 and locs(response) == [["body", "outcome"]]
    assert f"PATCH /api/v1/intro-visits/{visit.pk}" in msg(response)
    response = api.patch(f"/leads/{lead.pk}/status", {"status": "FOLLOW_UP_PENDING", "outcome": "NOT_INTERESTED"})
    assert response.status_code == 200, response.json()
    visit.refresh_from_db()
    assert visit.outcome == "NOT_INTERESTED"


def test_status_a_move_the_lifecycle_refuses_is_still_a_409(c, api_as):
    lead = make_lead(c.center, c.counselor)
    lead.close(reason="Fees", by=c.counselor)
    response = api_as(c.admin).patch(f"/leads/{lead.pk}/status", {"status": "IV_SCHEDULED"})
    assert response.status_code == 409 and "closed lead cannot be scheduled" in response.json()["detail"]
