"""Every look at a lead page or a lead through the API appends one access-log row, one INSERT."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessAction, AccessLog
from leads.tests.factories import make_lead


def test_lead_page_view_is_logged_with_user_center_family_and_address(client, c):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)

    assert client.get(reverse("leads:lead_detail", args=[lead.pk]), REMOTE_ADDR="198.51.100.4").status_code == 200

    row = AccessLog.objects.get()
    assert (row.action, row.object_type, row.object_id) == (AccessAction.VIEW, "lead", str(lead.pk))
    assert (row.user, row.center_id, row.family_id, row.address) == (
        c.counselor,
        c.center.pk,
        lead.child_id,
        "198.51.100.4",
    )


def test_logging_a_view_costs_exactly_one_insert(client, c):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    client.get(reverse("leads:lead_detail", args=[lead.pk]))  # warm caches (session, content types)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("leads:lead_detail", args=[lead.pk]))

    touching_log = [q["sql"] for q in queries.captured_queries if "accounts_accesslog" in q["sql"]]
    assert len(touching_log) == 1 and touching_log[0].startswith("INSERT")


def test_a_refused_view_logs_nothing(client, c, b):
    lead = make_lead(c.center, c.counselor)
    client.force_login(b.counselor)
    assert client.get(reverse("leads:lead_detail", args=[lead.pk])).status_code == 403
    assert not AccessLog.objects.exists()


# -- exports of the list ---------------------------------------------------------------------------


def test_csv_and_xlsx_exports_log_one_row_each_with_the_filters_but_not_the_search(client, c):
    make_lead(c.center, c.counselor)
    make_lead(c.center, c.counselor)
    client.force_login(c.counselor)

    for url in ("/leads/export.csv", "/leads/export.xlsx"):
        response = client.get(url, {"source": "WALK_IN", "q": "Priya"}, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 200
        b"".join(response.streaming_content)

    rows = list(AccessLog.objects.order_by("pk"))
    assert [(r.action, r.object_type, r.object_id, r.family_id) for r in rows] == [
        (AccessAction.EXPORT, "lead_list", "", None)
    ] * 2
    assert [r.detail for r in rows] == ["csv source=WALK_IN&q=(hidden)", "xlsx source=WALK_IN&q=(hidden)"]
    assert {(r.user_id, r.center_id, r.address) for r in rows} == {(c.counselor.pk, c.center.pk, "198.51.100.7")}


def test_a_refused_export_logs_nothing(client, c):
    client.force_login(c.trainer)
    assert client.get("/leads/export.csv").status_code == 403
    client.force_login(c.counselor)
    assert client.get("/leads/export.csv", {"source": "NOT_A_SOURCE"}).status_code == 400
    assert not AccessLog.objects.exists()


def test_a_super_admins_export_over_all_centers_has_no_center_and_one_center_when_chosen(client, c, b, superadmin):
    client.force_login(superadmin)
    b"".join(client.get("/leads/export.csv", {"center": ""}).streaming_content)
    b"".join(client.get("/leads/export.csv", {"center": b.center.pk}).streaming_content)
    assert list(AccessLog.objects.order_by("pk").values_list("center_id", flat=True)) == [None, b.center.pk]
