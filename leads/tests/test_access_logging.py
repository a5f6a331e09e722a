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
