"""The spec's "Test Scenarios" 1-10, through the API, asserting each of their "Verify" lines."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from leads.models import Child, FamilyLink, FollowUp, IntroVisit, Lead, Parent
from leads.tests.factories import make_lead, persona_session, started

ENQUIRY = {
    "child": {"first_name": "Mehr", "last_name": "Goyal", "dob": "2020-06-15", "gender": "Girl"},
    "parent": {"name": "Anshu Goyal", "contact_number": "+91-9876543210", "email": "anshu@example.com"},
    "school": "Delhi Public School",
    "source": "WALK_IN",
    "parent_expectations": ["child_development", "physical_activity"],
    "preferred_schedule": "Mon/Wed/Fri - 4:00 PM",
    "remarks": "Interested in Pre-K Gym",
    # Not in the spec's body: the parent's consent (issue 10), required on every door.
    "consent": {"method": "PHONE_VERBAL", "processing": True, "reminders": True},
}


def in_days(days: int, hour: int = 16) -> str:
    """A naive local datetime string (read in the center's timezone)."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00"


def session_in(n: int = 0) -> str:
    """The personas' batch's `n`-th coming session (Wednesdays 4 PM) as a naive local datetime: visits
    are booked on real sessions only."""
    return timezone.localtime(persona_session(n), timezone.get_fixed_timezone(330)).strftime("%Y-%m-%dT%H:%M:%S")


def day_in(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def scheduled_lead(c, api):
    lead = make_lead(c.center, c.counselor)
    response = api.post(f"/leads/{lead.pk}/intro-visit", {"scheduled_at": session_in(1), "batch_id": c.batch.pk})
    assert response.status_code == 201, response.json()
    return lead, response.json()


def started_now(visit: dict) -> None:
    """The class has begun (the outcome may be recorded only then)."""
    started(IntroVisit.objects.get(pk=visit["id"]))


def test_1_create_new_enquiry(c, api_as):
    response = api_as(c.counselor).post("/leads/enquiry", ENQUIRY)

    assert response.status_code == 201, response.json()
    body = response.json()
    # Verify: Enquiry ID auto-generated (TLGC####)
    assert re.fullmatch(r"TLGC\d{4}", body["enquiry_id"])
    assert body["enquiry_id"] == "TLGC0001"
    # Verify: Status = ENQUIRY_RECEIVED
    assert body["status"] == "ENQUIRY_RECEIVED"
    # Verify: Child, parent, family link created
    child = Child.objects.get(pk=body["child_id"])
    assert (child.first_name, child.last_name, child.dob) == ("Mehr", "Goyal", datetime.date(2020, 6, 15))
    parent = Parent.objects.get(center=c.center, phone="+919876543210")
    assert FamilyLink.objects.filter(child=child, parent=parent, is_primary=True).exists()
    # The spec's LeadResponse fields, as sent.
    assert body["center_id"] == c.center.pk
    assert body["school"] == "Delhi Public School"
    assert body["preferred_schedule"] == "Mon/Wed/Fri - 4:00 PM"
    assert body["parent_expectations"] == ["child_development", "physical_activity"]
    assert body["discovery_notes"] == "Interested in Pre-K Gym"
    assert body["assigned_to_user_id"] == c.counselor.pk
    for empty in ("discovery_completed_at", "closed_reason", "closed_at", "enrollment_id", "converted_at"):
        assert body[empty] is None
    details = api_as(c.counselor).get(f"/leads/{body['id']}/details").json()
    assert details["child"]["enquiry_id"] == "TLGC0001"
    assert details["parents"] == [
        {
            "id": parent.pk,
            "name": "Anshu Goyal",
            "phone": "+919876543210",
            "email": "anshu@example.com",
            "is_primary": True,
        }
    ]


def test_1_enquiry_ids_are_consecutive_per_center(c, b, api_as):
    first = api_as(c.counselor).post("/leads/enquiry", ENQUIRY).json()
    other = {**ENQUIRY, "child": {**ENQUIRY["child"], "first_name": "Ira"}}
    second = api_as(c.counselor).post("/leads/enquiry", other).json()
    elsewhere = api_as(b.counselor).post("/leads/enquiry", ENQUIRY).json()
    assert [first["enquiry_id"], second["enquiry_id"], elsewhere["enquiry_id"]] == ["TLGC0001", "TLGC0002", "TLGB0001"]


def test_2_update_discovery_form(c, lead, api_as):
    response = api_as(c.counselor).patch(
        f"/leads/{lead.pk}/discovery",
        {
            "school": "DPS",
            "preferred_schedule": "Sat 10 AM",
            "parent_expectations": ["confidence"],
            "discovery_notes": "Shy",
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    # Verify: discovery_completed_at set
    assert body["discovery_completed_at"] is not None
    # Verify: Status = DISCOVERY_COMPLETED
    assert body["status"] == "DISCOVERY_COMPLETED"
    lead.refresh_from_db()
    assert lead.status == "DISCOVERY_COMPLETED" and lead.discovery_completed_at is not None
    assert (lead.school, lead.preferred_schedule, lead.parent_expectations, lead.discovery_notes) == (
        "DPS",
        "Sat 10 AM",
        ["confidence"],
        "Shy",
    )


def test_3_schedule_intro_visit(c, lead, api_as):
    response = api_as(c.counselor).post(
        f"/leads/{lead.pk}/intro-visit", {"scheduled_at": session_in(2), "batch_id": c.batch.pk, "notes": "Bring socks"}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    # Verify: IntroVisit created
    visit = IntroVisit.objects.get(pk=body["id"])
    assert visit.lead_id == lead.pk and visit.batch_id == c.batch.pk
    assert body["trainer_user_id"] == c.trainer.pk  # the batch's trainer by default
    # A naive time is the center's local time, and comes back in it.
    assert body["scheduled_at"] == session_in(2) + "+05:30"
    # Verify: Status = IV_SCHEDULED
    lead.refresh_from_db()
    assert lead.status == "IV_SCHEDULED"


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("INTERESTED_ENROLL_NOW", "IV_COMPLETED"),
        ("NO_SHOW", "IV_NO_SHOW"),
        ("INTERESTED_ENROLL_LATER", "FOLLOW_UP_PENDING"),
        ("NOT_INTERESTED", "FOLLOW_UP_PENDING"),
    ],
)
def test_4_mark_intro_visit_attended_with_outcome(c, api_as, outcome, status):
    lead, visit = scheduled_lead(c, api_as(c.counselor))
    started_now(visit)

    response = api_as(c.trainer).patch(
        f"/intro-visits/{visit['id']}", {"outcome": outcome, "outcome_notes": "Child enjoyed the session"}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["outcome"] == outcome
    assert body["outcome_notes"] == "Child enjoyed the session"
    assert (body["attended_at"] is None) == (outcome == "NO_SHOW")
    # Verify: Status = IV_COMPLETED (INTERESTED_ENROLL_NOW) / IV_NO_SHOW (NO_SHOW)
    lead.refresh_from_db()
    assert lead.status == status
    assert api_as(c.counselor).get(f"/leads/{lead.pk}").json()["status"] == status


def test_5_create_follow_up(c, lead, api_as):
    # The spec's shape: a date-time, kept (naive = the center's local time).
    response = api_as(c.counselor).post(
        f"/leads/{lead.pk}/follow-up", {"scheduled_date": f"{day_in(2)}T16:00:00", "notes": "Call"}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    # Verify: FollowUp created with PENDING status
    assert body["status"] == "PENDING"
    assert FollowUp.objects.get(pk=body["id"]).status == "PENDING"
    assert body["scheduled_date"] == f"{day_in(2)}T16:00:00+05:30"
    assert body["assigned_to_user_id"] == c.counselor.pk
    # Verify: Status = FOLLOW_UP_PENDING
    lead.refresh_from_db()
    assert lead.status == "FOLLOW_UP_PENDING"


def _follow_up(c, lead, api) -> dict:
    response = api.post(f"/leads/{lead.pk}/follow-up", {"scheduled_date": day_in(0)})
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize(
    ("outcome", "extra", "lead_status"),
    [
        ("POSTPONED", {"next_follow_up_date": "NEXT"}, "FOLLOW_UP_PENDING"),
        ("LOST", {"reason": "Too far from home"}, "CLOSED_LOST"),
        ("ENROLLED", {"enrollment": "TERMS"}, "CONVERTED"),
        ("SCHEDULED_IV", {"intro_visit": "VISIT"}, "IV_SCHEDULED"),
    ],
)
def test_6_update_follow_up_with_outcome(c, lead, api_as, outcome, extra, lead_status):
    api = api_as(c.counselor)
    follow_up = _follow_up(c, lead, api)
    body = {"status": "COMPLETED", "outcome": outcome, "notes": "Spoke to mother", **extra}
    if outcome == "POSTPONED":
        body["next_follow_up_date"] = day_in(7)
    if outcome == "ENROLLED":
        body["enrollment"] = {"batch_id": c.batch.pk, "start_date": day_in(1), "plan": "Weekly"}
    if outcome == "SCHEDULED_IV":
        body["intro_visit"] = {"scheduled_at": session_in(3), "batch_id": c.batch.pk}

    response = api.patch(f"/follow-ups/{follow_up['id']}", body)

    assert response.status_code == 200, response.json()
    done = response.json()
    # Verify: completed_at set
    assert done["completed_at"] is not None
    # Verify: Outcome recorded (ENROLLED/LOST/POSTPONED)
    assert done["outcome"] == outcome
    assert done["status"] == "COMPLETED"
    assert FollowUp.objects.get(pk=follow_up["id"]).outcome == outcome
    lead.refresh_from_db()
    assert lead.status == lead_status
    if outcome == "POSTPONED":
        pending = api.get(f"/leads/{lead.pk}/follow-ups").json()
        # A bare date is 10:00 in the center's clock.
        assert [(f["status"], f["scheduled_date"]) for f in pending][0] == ("PENDING", f"{day_in(7)}T10:00:00+05:30")
    if outcome == "LOST":
        assert lead.closed_reason == "Too far from home"


def test_6_cancel_follow_up(c, lead, api_as):
    api = api_as(c.counselor)
    follow_up = _follow_up(c, lead, api)
    response = api.patch(f"/follow-ups/{follow_up['id']}", {"status": "CANCELLED", "notes": "Duplicate"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "CANCELLED"
    assert response.json()["completed_at"] is not None
    assert response.json()["outcome"] is None


def test_7_convert_lead(c, api_as):
    api = api_as(c.counselor)
    lead, visit = scheduled_lead(c, api)
    api_as(c.trainer).patch(f"/intro-visits/{visit['id']}", {"outcome": "INTERESTED_ENROLL_NOW"})
    # First create enrollment
    enrollment = api.post(
        "/enrollments",
        {"child_id": lead.child_id, "batch_id": c.batch.pk, "start_date": day_in(3), "notes": "Weekly plan"},
    )
    assert enrollment.status_code == 201, enrollment.json()
    enrollment_id = enrollment.json()["id"]
    assert enrollment.json()["center_id"] == c.center.pk

    # Then convert lead
    response = api.post(f"/leads/{lead.pk}/convert", {"enrollment_id": enrollment_id})

    assert response.status_code == 200, response.json()
    body = response.json()
    # Verify: Status = CONVERTED
    assert body["status"] == "CONVERTED"
    # Verify: enrollment_id linked
    assert body["enrollment_id"] == enrollment_id
    # Verify: converted_at set
    assert body["converted_at"] is not None
    lead.refresh_from_db()
    assert (lead.status, lead.enrollment_id) == ("CONVERTED", enrollment_id)


def test_8_close_lead(c, lead, api_as):
    response = api_as(c.counselor).post(f"/leads/{lead.pk}/close", {"reason": "Chose a nearer center"})

    assert response.status_code == 200, response.json()
    body = response.json()
    # Verify: Status = CLOSED_LOST
    assert body["status"] == "CLOSED_LOST"
    # Verify: closed_reason recorded
    assert body["closed_reason"] == "Chose a nearer center"
    # Verify: closed_at set
    assert body["closed_at"] is not None
    lead.refresh_from_db()
    assert lead.status == "CLOSED_LOST" and lead.closed_at is not None  # preserved, never deleted


def test_9_get_pending_follow_ups(c, b, api_as):
    api = api_as(c.counselor)
    later, sooner, done = (make_lead(c.center, c.counselor) for _ in range(3))
    api.post(f"/leads/{later.pk}/follow-up", {"scheduled_date": day_in(9)})
    api.post(f"/leads/{sooner.pk}/follow-up", {"scheduled_date": day_in(1)})
    finished = api.post(f"/leads/{done.pk}/follow-up", {"scheduled_date": day_in(0)}).json()
    api.patch(f"/follow-ups/{finished['id']}", {"status": "CANCELLED"})
    elsewhere = make_lead(b.center, b.counselor)
    api_as(b.counselor).post(f"/leads/{elsewhere.pk}/follow-up", {"scheduled_date": day_in(0)})

    response = api.get("/leads/follow-ups/pending")

    assert response.status_code == 200, response.json()
    rows = response.json()
    # Verify: Only PENDING status returned
    assert {row["status"] for row in rows} == {"PENDING"}
    assert [row["lead_id"] for row in rows] == [sooner.pk, later.pk]  # and only this center's
    # Verify: Ordered by scheduled_date
    assert [row["scheduled_date"] for row in rows] == sorted(row["scheduled_date"] for row in rows)
    # Filters: assignee, pagination.
    assert api.get("/leads/follow-ups/pending", assigned_to=c.admin.pk).json() == []
    assert [r["lead_id"] for r in api.get("/leads/follow-ups/pending", skip=1, limit=1).json()] == [later.pk]


def test_10_tenant_isolation(c, b, api_as):
    # Login as center admin
    api = api_as(b.admin)
    lead = make_lead(c.center, c.counselor)
    # Try to access lead from different center
    response = api.get(f"/leads/{lead.pk}")
    # Verify: 403 Forbidden
    assert response.status_code == 403
    assert response.json() == {"detail": "This belongs to another center."}
    assert api.get(f"/leads/{lead.pk}/details").status_code == 403
    assert api.post(f"/leads/{lead.pk}/close", {"reason": "x"}).status_code == 403
    assert Lead.objects.get(pk=lead.pk).status == "ENQUIRY_RECEIVED"
    assert lead.pk not in [row["id"] for row in api.get("/leads").json()]
