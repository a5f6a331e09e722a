"""Hypothesis properties of the API: whatever the input or the order of calls, an answer is a
2xx, 409 or 422 (never a 5xx), and a refused call writes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from leads.models import (
    Child,
    Consent,
    EnquiryCounter,
    FamilyLink,
    FollowUp,
    IntroVisit,
    Lead,
    LeadStatusChange,
    Parent,
)
from leads.tests.factories import EnrollmentFactory, make_lead, next_session

from .test_errors import snapshot

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def mostly(valid: list, other: st.SearchStrategy) -> st.SearchStrategy:
    """Valid values most of the time, so that calls get past validation and reach the verbs."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(valid), other)


names = mostly(
    ["Mehr", "Ira", " Kabir ", "Zoë"], st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=90)
)
phones = mostly(["+91 98765 43210", "9876543211", "+91-9812345678"], st.sampled_from(["12345", "", "+1 202 555 0143"]))
dobs = mostly(["2020-06-15", "2019-01-31"], st.dates(datetime.date(1990, 1, 1), datetime.date(2040, 1, 1)).map(str))
enquiries = st.fixed_dictionaries(
    {
        "child": st.fixed_dictionaries(
            {
                "first_name": names,
                "last_name": names,
                "dob": dobs | st.just("not a date"),
                "gender": mostly(["Boy", "Girl", "Other"], st.just("Cat")),
            }
        ),
        "parent": st.fixed_dictionaries(
            {"name": names, "contact_number": phones, "email": mostly(["", "a@b.co"], st.just("nope"))}
        ),
        "source": mostly(["WALK_IN", "ONLINE", "REFERRAL"], st.just("FAX")),
        "parent_expectations": st.lists(mostly(["confidence", "motor_skills"], st.just("magic")), max_size=3),
        "consent": mostly(
            [{"method": "PHONE_VERBAL", "processing": True}],
            st.just({"method": "PHONE_VERBAL", "processing": False}) | st.just({"method": "FAX", "processing": True}),
        ),
    }
)


def family_counts(center) -> tuple:
    counter = EnquiryCounter.objects.filter(center=center).first()
    return (
        Lead.objects.count(),
        Child.objects.count(),
        Parent.objects.count(),
        FamilyLink.objects.count(),
        LeadStatusChange.objects.count(),
        Consent.objects.count(),
        counter.last_number if counter else 0,
    )


@PROPERTY_SETTINGS
@given(body=enquiries)
def test_enquiry_is_created_whole_or_not_at_all(c, api_as, body):
    api = api_as(c.counselor)
    before = family_counts(c.center)

    response = api.post("/leads/enquiry", body)

    event(f"status {response.status_code}")
    assert response.status_code in (201, 409, 422), response.content
    after = family_counts(c.center)
    if response.status_code == 201:
        lead = Lead.objects.get(pk=response.json()["id"])
        assert lead.enquiry_id == f"TLGC{after[-1]:04d}"
        assert after[0] == before[0] + 1 and after[-1] == before[-1] + 1
        assert lead.status_changes.count() == 1
    else:
        assert after == before  # no family, no history, no enquiry number taken


def _action_request(c, lead: Lead, action: str) -> tuple[str, str, dict]:
    soon = next_session(c.batch).isoformat()
    visit = lead.intro_visits.order_by("-pk").first()
    follow_up = lead.follow_ups.filter(status="PENDING").first()
    requests = {
        "discovery": ("patch", f"/leads/{lead.pk}/discovery", {"school": "DPS", "discovery_notes": "Met"}),
        "visit": ("post", f"/leads/{lead.pk}/intro-visit", {"scheduled_at": soon, "batch_id": c.batch.pk}),
        "past visit": (
            "post",
            f"/leads/{lead.pk}/intro-visit",
            {"scheduled_at": "2001-01-01T10:00", "batch_id": c.batch.pk},
        ),
        "enroll now": ("patch", f"/intro-visits/{visit.pk if visit else 0}", {"outcome": "INTERESTED_ENROLL_NOW"}),
        "no show": ("patch", f"/intro-visits/{visit.pk if visit else 0}", {"outcome": "NO_SHOW"}),
        "follow-up": ("post", f"/leads/{lead.pk}/follow-up", {"scheduled_date": timezone.localdate().isoformat()}),
        "postpone": (
            "patch",
            f"/follow-ups/{follow_up.pk if follow_up else 0}",
            {"outcome": "POSTPONED", "next_follow_up_date": str(timezone.localdate() + datetime.timedelta(days=3))},
        ),
        "lost": ("patch", f"/follow-ups/{follow_up.pk if follow_up else 0}", {"outcome": "LOST", "reason": "Price"}),
        "status discovery": ("patch", f"/leads/{lead.pk}/status", {"status": "DISCOVERY_COMPLETED", "notes": "x"}),
        "status follow-up": ("patch", f"/leads/{lead.pk}/status", {"status": "FOLLOW_UP_PENDING"}),
        "close": ("post", f"/leads/{lead.pk}/close", {"reason": "Moved away"}),
        "convert": ("post", f"/leads/{lead.pk}/convert", {"enrollment_id": "ENROLLMENT"}),
    }
    return requests[action]


ACTIONS = [
    "discovery",
    "visit",
    "past visit",
    "enroll now",
    "no show",
    "follow-up",
    "postpone",
    "lost",
    "status discovery",
    "status follow-up",
    "close",
    "convert",
]


@PROPERTY_SETTINGS
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=8))
def test_any_sequence_of_calls_keeps_the_lead_consistent(c, api_as, actions):
    api = api_as(c.admin)  # may do every action, so the lifecycle is what refuses
    lead = make_lead(c.center, c.counselor)
    enrollment = EnrollmentFactory(child=lead.child, batch=c.batch)

    for action in actions:
        method, path, body = _action_request(c, lead, action)
        if body.get("enrollment_id") == "ENROLLMENT":
            body = {"enrollment_id": enrollment.pk}
        before = snapshot(lead)

        response = getattr(api, method)(path, body)
        event(f"{action}: {response.status_code}")

        assert response.status_code in (200, 201, 404, 409, 422), (action, response.content)
        if response.status_code >= 400:
            assert snapshot(lead) == before, action
        lead.refresh_from_db()
        history = list(lead.status_changes.order_by("at", "pk").values_list("from_status", "to_status"))
        assert history[-1][1] == lead.status  # the history ends where the lead is
        assert all(prev[1] == nxt[0] for prev, nxt in zip(history, history[1:], strict=False))
        assert IntroVisit.objects.filter(lead=lead, outcome__isnull=True, cancelled_at__isnull=True).count() <= 1 or (
            lead.status == "IV_SCHEDULED"
        )
        if lead.status in ("CONVERTED", "CLOSED_LOST"):
            assert not FollowUp.objects.filter(lead=lead, status="PENDING").exists()


@pytest.mark.parametrize("field", ["school", "discovery_notes"])
def test_long_text_is_a_422_not_a_truncation(c, lead, api_as, field):
    response = api_as(c.counselor).patch(f"/leads/{lead.pk}/discovery", {field: "x" * 5000})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
