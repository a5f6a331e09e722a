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


# -- changes: one row per successful action, from every door ----------------------------------------


def _changes():
    return list(
        AccessLog.objects.filter(action=AccessAction.CHANGE)
        .order_by("pk")
        .values_list("object_type", "object_id", "user_id", "center_id", "family_id", "detail")
    )


def _change(lead, user, detail):
    return ("lead", str(lead.pk), user.pk, lead.center_id, lead.child_id, detail)


def test_a_lead_page_action_logs_one_change_in_its_transaction(client, c):
    from leads.tests.test_lead_page import act

    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    response = act(client, lead, "close", {"reason": "Moved away", "category": "PRICE"})
    assert response.status_code == 302
    assert _changes() == [_change(lead, c.counselor, "lead page close")]


def test_a_refused_lead_page_action_logs_nothing(client, c, b):
    from leads.tests.test_lead_page import act

    lead = make_lead(c.center, c.counselor)
    lead.close(reason="Moved away", by=c.counselor)
    client.force_login(c.counselor)
    assert act(client, lead, "close", {"reason": "Again", "category": "PRICE"}).status_code == 400  # the verb refuses
    client.force_login(b.counselor)
    assert act(client, lead, "note", {"body": "Not my lead"}).status_code == 403  # another center
    client.force_login(c.trainer)
    assert act(client, lead, "note", {"body": "Not my role"}).status_code == 403
    assert _changes() == []


def test_a_board_move_logs_one_change_and_a_refused_one_nothing(client, c):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    url = reverse("leads:board_move", args=[lead.pk])
    assert client.post(url, {"to": "DISCOVERY_COMPLETED"}).status_code == 302
    assert client.post(url, {"to": "ENQUIRY_RECEIVED"}, headers={"HX-Request": "true"}).status_code == 409
    assert _changes() == [_change(lead, c.counselor, "board move to DISCOVERY_COMPLETED")]


def test_the_queue_logs_a_completed_and_a_cancelled_follow_up(client, c):
    from leads.tests.test_follow_ups import follow_up

    done, dropped = follow_up(c), follow_up(c)
    client.force_login(c.counselor)
    response = client.post(
        reverse("leads:follow_up_complete", args=[done.pk]), {"outcome": "LOST", "reason": "Fees", "category": "PRICE"}
    )
    assert response.status_code == 302
    assert client.post(reverse("leads:follow_up_cancel", args=[dropped.pk])).status_code == 302
    assert client.post(reverse("leads:follow_up_cancel", args=[dropped.pk])).status_code == 302  # already: refused
    assert _changes() == [
        _change(done.lead, c.counselor, f"queue follow-up {done.pk} complete LOST"),
        _change(dropped.lead, c.counselor, f"queue follow-up {dropped.pk} cancel"),
    ]


def test_the_trainer_view_logs_attendance_and_outcome_and_not_a_refusal(client, c):
    from leads.tests.test_trainer import now_visit

    visit = now_visit(c)
    client.force_login(c.trainer)
    assert client.post(reverse("leads:trainer_attendance", args=[visit.pk])).status_code == 302
    outcome = reverse("leads:trainer_outcome", args=[visit.pk])
    assert client.post(outcome, {"outcome": "INTERESTED_ENROLL_NOW"}).status_code == 302
    assert client.post(outcome, {"outcome": "NOT_INTERESTED"}).status_code == 302  # recorded already: refused
    assert _changes() == [
        _change(visit.lead, c.trainer, f"trainer visit {visit.pk} attendance"),
        _change(visit.lead, c.trainer, f"trainer visit {visit.pk} outcome INTERESTED_ENROLL_NOW"),
    ]


def test_admin_is_a_door_too_a_look_an_action_and_an_edit_are_logged(client, c):
    lead = make_lead(c.center, c.counselor)
    closed = make_lead(c.center, c.counselor)
    closed.close(reason="Moved away", by=c.counselor)
    client.force_login(c.admin)
    assert client.get(reverse("admin:leads_lead_change", args=[lead.pk])).status_code == 200
    url = reverse("admin:leads_lead_changelist")
    data = {"action": "close_leads", "_selected_action": [lead.pk, closed.pk], "apply": "1"}
    client.post(url, {**data, "category": "PRICE", "reason": "Fees"})  # the closed one is refused

    assert list(AccessLog.objects.order_by("pk").values_list("action", "object_id", "detail")) == [
        (AccessAction.VIEW, str(lead.pk), "admin lead"),
        (AccessAction.CHANGE, str(lead.pk), "admin closed"),
    ]
