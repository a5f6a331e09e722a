"""The follow-up endpoints in the spec's shapes: times kept, edits of a pending follow-up, and
completions without the details (the same rules as the web forms: FollowUp.complete)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from leads.lifecycle import BOOK_THE_VISIT, FOLLOW_UP_TOO_LATE
from leads.models import FollowUp, FollowUpStatus, LeadStatus
from leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db


def local_day(center, n: int = 0) -> datetime.date:
    return timezone.localdate(timezone=center.tzinfo) + datetime.timedelta(days=n)


def create(api, lead, when, **extra):
    return api.post(f"/leads/{lead.pk}/follow-up", {"scheduled_date": when, **extra})


def messages(response) -> dict:
    return {".".join(map(str, e["loc"][1:])): e["msg"] for e in response.json()["detail"]}


# -- times ---------------------------------------------------------------------------------------


def test_post_follow_up_keeps_the_time_as_center_local(c, api_as):
    lead = make_lead(c.center, c.counselor)
    day = local_day(c.center, 18)
    response = create(api_as(c.counselor), lead, f"{day}T16:30:00")
    assert response.status_code == 201, response.content
    assert response.json()["scheduled_date"] == f"{day}T16:30:00+05:30"
    stored = FollowUp.objects.get(pk=response.json()["id"]).scheduled_date
    assert stored == datetime.datetime.combine(day, datetime.time(11, 0), tzinfo=datetime.UTC)


def test_post_follow_up_reads_an_offset_and_a_bare_date(c, api_as):
    api = api_as(c.counselor)
    day = local_day(c.center, 5)
    with_offset = create(api, make_lead(c.center, c.counselor), f"{day}T10:00:00Z")
    assert with_offset.json()["scheduled_date"] == f"{day}T15:30:00+05:30"
    bare = create(api, make_lead(c.center, c.counselor), f"{day}")
    assert bare.status_code == 201 and bare.json()["scheduled_date"] == f"{day}T10:00:00+05:30"


def test_pending_list_is_sorted_by_time(c, api_as):
    api = api_as(c.counselor)
    day = local_day(c.center, 2)
    late = create(api, make_lead(c.center, c.counselor), f"{day}T17:00").json()
    early = create(api, make_lead(c.center, c.counselor), f"{day}T09:15").json()
    rows = api.get("/leads/follow-ups/pending").json()
    assert [row["id"] for row in rows] == [early["id"], late["id"]]


def test_more_than_a_year_ahead_is_refused_on_create_and_edit(c, api_as):
    api = api_as(c.counselor)
    lead = make_lead(c.center, c.counselor)
    far = f"{local_day(c.center, 400)}T10:00:00"
    refused = create(api, lead, far)
    assert refused.status_code == 422 and messages(refused) == {"scheduled_date": FOLLOW_UP_TOO_LATE}
    follow_up = create(api, lead, f"{local_day(c.center, 1)}T10:00:00").json()
    edit = api.patch(f"/follow-ups/{follow_up['id']}", {"scheduled_date": far})
    assert edit.status_code == 422 and messages(edit) == {"scheduled_date": FOLLOW_UP_TOO_LATE}
    postponed = api.patch(
        f"/follow-ups/{follow_up['id']}", {"status": "COMPLETED", "outcome": "POSTPONED", "next_follow_up_date": far}
    )
    assert postponed.status_code == 422 and messages(postponed) == {"next_follow_up_date": FOLLOW_UP_TOO_LATE}


# -- PATCH edits a pending follow-up -------------------------------------------------------------


@pytest.fixture
def pending(c, api_as):
    lead = make_lead(c.center, c.counselor)
    return create(api_as(c.counselor), lead, f"{local_day(c.center, 1)}T16:00:00").json()


def test_patch_with_only_notes_edits_the_notes(c, api_as, pending):
    response = api_as(c.counselor).patch(f"/follow-ups/{pending['id']}", {"notes": "Call the father instead"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["notes"], body["scheduled_date"]) == (
        "PENDING",
        "Call the father instead",
        pending["scheduled_date"],
    )


def test_patch_with_only_scheduled_date_moves_it(c, api_as, pending):
    day = local_day(c.center, 3)
    response = api_as(c.counselor).patch(f"/follow-ups/{pending['id']}", {"scheduled_date": f"{day}T11:45:00"})
    assert response.status_code == 200
    assert response.json()["scheduled_date"] == f"{day}T11:45:00+05:30"
    assert FollowUp.objects.get(pk=pending["id"]).status == FollowUpStatus.PENDING


def test_patch_with_only_assigned_to_reassigns_within_the_center(c, b, api_as, pending):
    api = api_as(c.counselor)
    response = api.patch(f"/follow-ups/{pending['id']}", {"assigned_to_user_id": c.admin.pk})
    assert response.status_code == 200 and response.json()["assigned_to_user_id"] == c.admin.pk
    trainer = api.patch(f"/follow-ups/{pending['id']}", {"assigned_to_user_id": c.trainer.pk})
    assert trainer.status_code == 422 and "assigned_to_user_id" in messages(trainer)
    elsewhere = api.patch(f"/follow-ups/{pending['id']}", {"assigned_to_user_id": b.counselor.pk})
    assert elsewhere.status_code == 422 and "assigned_to_user_id" in messages(elsewhere)
    assert FollowUp.objects.get(pk=pending["id"]).assigned_to == c.admin


def test_patch_edit_is_refused_to_a_trainer_and_another_center(c, b, api_as, pending):
    assert api_as(c.trainer).patch(f"/follow-ups/{pending['id']}", {"notes": "x"}).status_code == 403
    assert api_as(b.counselor).patch(f"/follow-ups/{pending['id']}", {"notes": "x"}).status_code == 403


def test_patch_edit_of_a_completed_follow_up_is_refused_with_a_sentence(c, api_as, pending):
    api = api_as(c.counselor)
    api.patch(f"/follow-ups/{pending['id']}", {"status": "CANCELLED"})
    response = api.patch(f"/follow-ups/{pending['id']}", {"notes": "late"})
    assert response.status_code == 409
    assert response.json()["detail"] == "This follow-up is already cancelled: it can no longer be changed."


# -- PATCH completes without the details ---------------------------------------------------------


def test_postponed_without_a_date_answers_with_the_next_follow_up_at_the_centers_interval(c, api_as, pending):
    c.center.follow_up_interval_days = 4
    c.center.save()
    body = {"status": "COMPLETED", "outcome": "POSTPONED", "notes": "Exams this week"}
    response = api_as(c.counselor).patch(f"/follow-ups/{pending['id']}", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "COMPLETED" and data["outcome"] == "POSTPONED"
    # 4 days from today, at the time of the one completed (4:00 PM), in the center's clock.
    assert data["next_follow_up"]["scheduled_date"] == f"{local_day(c.center, 4)}T16:00:00+05:30"
    assert FollowUp.objects.get(pk=data["next_follow_up"]["id"]).status == FollowUpStatus.PENDING


def test_lost_without_reason_takes_the_notes(c, api_as, pending):
    body = {"status": "COMPLETED", "outcome": "LOST", "notes": "Joined a school club"}
    response = api_as(c.counselor).patch(f"/follow-ups/{pending['id']}", body)
    assert response.status_code == 200
    lead = FollowUp.objects.get(pk=pending["id"]).lead
    assert (lead.status, lead.closed_reason) == (LeadStatus.CLOSED_LOST, "Joined a school club")


def test_lost_with_neither_reason_nor_notes_names_reason(c, api_as, pending):
    response = api_as(c.counselor).patch(f"/follow-ups/{pending['id']}", {"status": "COMPLETED", "outcome": "LOST"})
    assert response.status_code == 422
    assert list(messages(response)) == ["reason"]


def test_scheduled_iv_without_a_visit_leaves_a_book_the_visit_follow_up_due_today(c, api_as, pending):
    body = {"status": "COMPLETED", "outcome": "SCHEDULED_IV", "notes": "Wants Saturday"}
    response = api_as(c.counselor).patch(f"/follow-ups/{pending['id']}", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["outcome"] == "SCHEDULED_IV" and data["next_follow_up"]["notes"].startswith(BOOK_THE_VISIT)
    next_one = FollowUp.objects.get(pk=data["next_follow_up"]["id"])
    assert timezone.localdate(next_one.scheduled_date, c.center.tzinfo) == local_day(c.center)
    assert next_one.lead.status == LeadStatus.FOLLOW_UP_PENDING


def test_the_next_follow_up_shows_in_the_leads_follow_ups_too(c, api_as, pending):
    api = api_as(c.counselor)
    api.patch(f"/follow-ups/{pending['id']}", {"status": "COMPLETED", "outcome": "POSTPONED"})
    lead_id = pending["lead_id"]
    rows = {row["id"]: row for row in api.get(f"/leads/{lead_id}/follow-ups").json()}
    assert rows[pending["id"]]["next_follow_up"]["id"] in rows
