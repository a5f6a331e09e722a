"""API reads of a lead are access-logged."""

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
