"""API reads, list pages and writes of a lead are access-logged."""

import datetime

from accounts.models import AccessLog
from leads.tests.factories import make_lead


def test_api_lead_and_details_are_logged(api_as, c):
    lead = make_lead(c.center, c.counselor)
    api = api_as(c.counselor)
    assert api.get(f"/api/v1/leads/{lead.pk}").status_code == 200
    assert api.get(f"/api/v1/leads/{lead.pk}/details").status_code == 200
    rows = list(AccessLog.objects.order_by("pk").values_list("user_id", "detail", "family_id"))
    assert rows == [(c.counselor.pk, "api lead", lead.child_id), (c.counselor.pk, "api lead details", lead.child_id)]


def test_each_api_list_page_is_one_export_row_with_its_page_and_filters(api_as, c):
    for _ in range(3):
        make_lead(c.center, c.counselor)
    api = api_as(c.counselor)
    assert len(api.get("/leads", limit=2).json()) == 2
    assert api.get("/leads", skip=2, limit=2, source="WALK_IN", search="Priya").json() == []
    rows = list(AccessLog.objects.order_by("pk").values_list("action", "object_type", "center_id", "detail"))
    assert rows == [
        ("EXPORT", "lead_list", c.center.pk, "api skip=0 limit=2 rows=2"),
        ("EXPORT", "lead_list", c.center.pk, "api skip=2 limit=2 rows=0 source=WALK_IN&search=(hidden)"),
    ]


def test_a_refused_api_list_logs_nothing(api_as, c, b):
    assert api_as(c.trainer).get("/leads").status_code == 403
    assert api_as(c.counselor).get("/leads", center_id=b.center.pk).status_code == 403
    assert api_as(c.counselor).get("/leads", source="NOPE").status_code == 422
    assert not AccessLog.objects.exists()


def test_api_writes_log_one_change_each_and_refusals_nothing(api_as, c, b):
    from accounts.models import AccessAction

    lead = make_lead(c.center, c.counselor)
    api = api_as(c.counselor)
    created = api.post(
        f"/leads/{lead.pk}/follow-up",
        {"scheduled_date": (datetime.date.today() + datetime.timedelta(days=3)).isoformat()},
    )
    assert created.status_code == 201, created.json()
    follow_up = created.json()
    assert api.patch(f"/follow-ups/{follow_up['id']}", {"status": "CANCELLED"}).status_code == 200
    assert api.post(f"/leads/{lead.pk}/close", {"reason": "Moved away"}).status_code == 200
    assert api.post(f"/leads/{lead.pk}/close", {"reason": "Again"}).status_code == 409  # refused by the verb
    assert api_as(b.counselor).post(f"/leads/{lead.pk}/close", {"reason": "Not mine"}).status_code == 403
    rows = list(
        AccessLog.objects.filter(action=AccessAction.CHANGE)
        .order_by("pk")
        .values_list("object_type", "object_id", "user_id", "center_id", "family_id", "detail")
    )
    expected = ("lead", str(lead.pk), c.counselor.pk, c.center.pk, lead.child_id)
    assert rows == [
        (*expected, f"api follow-up {follow_up['id']} create"),
        (*expected, f"api follow-up {follow_up['id']} cancel"),
        (*expected, "api close"),
    ]
