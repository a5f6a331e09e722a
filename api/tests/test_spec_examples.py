"""The spec's own request shapes, and every field of its "API Response Examples" in our answers.

`spec_examples.json` is the spec's four example bodies (LeadResponse, LeadDetail, IntroVisitResponse,
FollowUpResponse), copied as they stand in the spec. A frontend written against those examples reads
these keys with these JSON types; each request below is sent the way the spec's endpoints and test
scenarios describe it (no field of ours that the spec does not name).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.utils import timezone

from api.tests.test_scenarios import ENQUIRY  # EnquiryFormCreate in the spec's shape
from leads.models import IntroVisit
from leads.tests.factories import next_session, started

EXAMPLES = json.loads((Path(__file__).parent / "spec_examples.json").read_text())


JSON_TYPES = {str: "string", int: "number", float: "number", bool: "boolean", list: "array", dict: "object"}


def json_type(value) -> str:
    return "null" if value is None else JSON_TYPES[type(value)]


def assert_carries(example: dict, body: dict, where: str) -> None:
    """Every key of the spec's example is in `body`; where the example has a value (not null), ours
    has the same JSON type (a null of ours is fine: the example shows a later state); nested
    objects and the first item of lists are checked the same way."""
    missing = sorted(set(example) - set(body))
    assert not missing, f"{where}: the spec's fields {missing} are missing"
    for key, value in example.items():
        ours = body[key]
        if value is None or ours is None:
            continue
        assert json_type(ours) == json_type(value), f"{where}.{key}: {json_type(ours)}, spec {json_type(value)}"
        if isinstance(value, dict):
            assert_carries(value, ours, f"{where}.{key}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            assert ours, f"{where}.{key}: the spec shows an item, ours is empty"
            assert_carries(value[0], ours[0], f"{where}.{key}[0]")


def naive_local(moment: datetime.datetime, center) -> str:
    """A date-time as the spec writes them: "2026-02-15T16:00:00", in the center's clock."""
    return timezone.localtime(moment, center.tzinfo).replace(tzinfo=None).isoformat()


@pytest.fixture
def api(c, api_as):
    return api_as(c.counselor)


def test_the_examples_are_the_specs_four_bodies():
    assert set(EXAMPLES) == {"LeadResponse", "LeadDetail", "IntroVisitResponse", "FollowUpResponse"}
    assert EXAMPLES["LeadResponse"]["enrollment_id"] is None and EXAMPLES["FollowUpResponse"]["outcome"] == "ENROLLED"


def test_every_lead_endpoint_answers_a_lead_response_with_the_specs_fields(c, api):
    created = api.post("/leads/enquiry", ENQUIRY)
    assert created.status_code == 201, created.json()
    assert_carries(EXAMPLES["LeadResponse"], created.json(), "POST /leads/enquiry")
    lead_id = created.json()["id"]

    answers = {
        "GET /leads/{id}": api.get(f"/leads/{lead_id}"),
        "PATCH /leads/{id}/discovery": api.patch(
            f"/leads/{lead_id}/discovery",
            {"school": "DPS", "preferred_schedule": "Weekends", "discovery_notes": "Loves climbing"},
        ),
        "PATCH /leads/{id}/status": api.patch(
            f"/leads/{lead_id}/status", {"status": "FOLLOW_UP_PENDING", "notes": "Call after exams"}
        ),
        "POST /leads/{id}/close": api.post(f"/leads/{lead_id}/close", {"reason": "Moved to another city"}),
    }
    for where, response in answers.items():
        assert response.status_code == 200, (where, response.json())
        assert_carries(EXAMPLES["LeadResponse"], response.json(), where)
    closed = answers["POST /leads/{id}/close"].json()
    assert (closed["status"], closed["closed_reason"]) == ("CLOSED_LOST", "Moved to another city")
    assert closed["closed_at"] is not None

    listed = api.get("/leads")
    assert listed.status_code == 200
    assert_carries(EXAMPLES["LeadResponse"], listed.json()[0], "GET /leads[0]")
    # The spec's LeadSummary: the list shows who the lead is without a second request.
    row = listed.json()[0]
    assert (row["child_name"], row["parent_name"]) == ("Mehr Goyal", "Anshu Goyal")
    assert row["parent_phone"] and "next_follow_up" in row


def test_the_visit_and_follow_up_walk_answers_every_example_field(c, api, api_as):
    lead_id = api.post("/leads/enquiry", ENQUIRY).json()["id"]

    # Schedule the intro visit (IntroVisitCreate: scheduled_at, batch_id, trainer) on a real session.
    session = next_session(c.batch)
    scheduled = api.post(
        f"/leads/{lead_id}/intro-visit",
        {"scheduled_at": naive_local(session, c.center), "batch_id": c.batch.pk, "trainer_user_id": c.trainer.pk},
    )
    assert scheduled.status_code == 201, scheduled.json()
    assert_carries(EXAMPLES["IntroVisitResponse"], scheduled.json(), "POST /leads/{id}/intro-visit")
    visit_id = scheduled.json()["id"]

    # Mark it attended with an outcome, in one PATCH, as the spec's example shows it (once it has started).
    started(IntroVisit.objects.get(pk=visit_id), minutes_ago=15)
    attended = naive_local(timezone.now() - datetime.timedelta(minutes=5), c.center)
    recorded = api_as(c.trainer).patch(
        f"/intro-visits/{visit_id}",
        {
            "attended_at": attended,
            "outcome": "INTERESTED_ENROLL_NOW",
            "outcome_notes": "Child enjoyed the session, parent ready to enroll",
        },
    )
    assert recorded.status_code == 200, recorded.json()
    assert_carries(EXAMPLES["IntroVisitResponse"], recorded.json(), "PATCH /intro-visits/{id}")
    assert recorded.json()["attended_at"].startswith(attended[:16])
    assert_carries(
        EXAMPLES["IntroVisitResponse"], api.get(f"/intro-visits/{visit_id}").json(), "GET /intro-visits/{id}"
    )
    assert_carries(EXAMPLES["IntroVisitResponse"], api.get("/intro-visits").json()[0], "GET /intro-visits[0]")

    # A follow-up with a time of day, in the spec's shape: the time is kept.
    due = (timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=3)).isoformat() + "T10:30:00"
    follow_up = api.post(
        f"/leads/{lead_id}/follow-up",
        {"scheduled_date": due, "notes": "Share fee structure", "assigned_to_user_id": c.counselor.pk},
    )
    assert follow_up.status_code == 201, follow_up.json()
    assert_carries(EXAMPLES["FollowUpResponse"], follow_up.json(), "POST /leads/{id}/follow-up")
    assert "T10:30:00" in follow_up.json()["scheduled_date"]
    follow_up_id = follow_up.json()["id"]
    pending = api.get("/leads/follow-ups/pending").json()
    assert_carries(EXAMPLES["FollowUpResponse"], pending[0], "GET /leads/follow-ups/pending[0]")
    assert_carries(EXAMPLES["FollowUpResponse"], api.get(f"/leads/{lead_id}/follow-ups").json()[0], "GET follow-ups")

    # The lead with its relationships (LeadDetail): child, parents, intro visits, follow-ups.
    details = api.get(f"/leads/{lead_id}/details").json()
    assert_carries(EXAMPLES["LeadDetail"], details, "GET /leads/{id}/details")
    assert details["child"]["enquiry_id"].startswith("TLGC") and details["parents"][0]["is_primary"] is True

    # The family joins on the call: the follow-up is completed ENROLLED with the enrollment's terms,
    # as FollowUpResponse's example shows it (status COMPLETED, outcome ENROLLED, completed_at).
    start = timezone.localdate(timezone=c.center.tzinfo).isoformat()
    completed = api.patch(
        f"/follow-ups/{follow_up_id}",
        {
            "status": "COMPLETED",
            "outcome": "ENROLLED",
            "notes": "Parent enrolled child in weekly plan",
            "enrollment": {"batch_id": c.batch.pk, "start_date": start, "plan": "Weekly"},
        },
    )
    assert completed.status_code == 200, completed.json()
    assert_carries(EXAMPLES["FollowUpResponse"], completed.json(), "PATCH /follow-ups/{id}")
    assert (completed.json()["status"], completed.json()["outcome"]) == ("COMPLETED", "ENROLLED")
    assert completed.json()["completed_at"] is not None
    lead = api.get(f"/leads/{lead_id}").json()
    assert lead["status"] == "CONVERTED" and lead["enrollment_id"] is not None
    assert_carries(EXAMPLES["LeadResponse"], lead, "GET /leads/{id} (converted)")


def test_convert_after_creating_the_enrollment_answers_a_lead_response(c, api):
    """Scenario 7 in the spec's order: POST /enrollments, then POST /leads/{id}/convert."""
    lead = api.post("/leads/enquiry", ENQUIRY).json()
    enrollment = api.post(
        "/enrollments",
        {"child_id": lead["child_id"], "batch_id": c.batch.pk, "start_date": timezone.localdate().isoformat()},
    ).json()
    converted = api.post(f"/leads/{lead['id']}/convert", {"enrollment_id": enrollment["id"]})
    assert converted.status_code == 200, converted.json()
    assert_carries(EXAMPLES["LeadResponse"], converted.json(), "POST /leads/{id}/convert")
    assert converted.json()["enrollment_id"] == enrollment["id"] and converted.json()["converted_at"]
