"""Django admin is where center admins live: every list, object and choice is scoped."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from leads.models import Lead, LeadStatus
from leads.tests.factories import make_lead


@pytest.fixture
def tlgc_lead(c):
    return make_lead(c.center, c.counselor)


def test_center_admin_lists_only_own_leads(client, c, b, tlgc_lead):
    theirs = make_lead(b.center, b.counselor)
    client.force_login(b.admin)
    response = client.get(reverse("admin:leads_lead_changelist"))
    assert response.status_code == 200
    assert theirs.enquiry_id.encode() in response.content
    assert tlgc_lead.enquiry_id.encode() not in response.content
    assert b"Gurgaon" not in response.content  # not even in the center filter


def test_center_admin_cannot_open_or_change_other_centers_lead(client, b, tlgc_lead):
    client.force_login(b.admin)
    url = reverse("admin:leads_lead_change", args=[tlgc_lead.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"source": "EVENT"}).status_code == 403
    tlgc_lead.refresh_from_db()
    assert tlgc_lead.source == "WALK_IN"


def test_center_admin_search_does_not_leak_other_center(client, b, tlgc_lead):
    client.force_login(b.admin)
    response = client.get(reverse("admin:leads_lead_changelist"), {"q": tlgc_lead.enquiry_id})
    assert response.context["cl"].result_count == 0


def test_center_admin_opens_own_lead_with_history(client, c, tlgc_lead):
    client.force_login(c.admin)
    response = client.get(reverse("admin:leads_lead_change", args=[tlgc_lead.pk]))
    assert response.status_code == 200
    assert b"status history" in response.content.lower()


def test_lead_admin_offers_no_delete_and_no_status_field(client, c, tlgc_lead):
    client.force_login(c.admin)
    changelist = client.get(reverse("admin:leads_lead_changelist"))
    assert b"delete_selected" not in changelist.content
    response = client.post(reverse("admin:leads_lead_delete", args=[tlgc_lead.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Lead.objects.filter(pk=tlgc_lead.pk).exists()
    form = client.get(reverse("admin:leads_lead_change", args=[tlgc_lead.pk])).context["adminform"].form
    assert "status" not in form.fields


def test_editing_details_in_admin_cannot_move_status(client, c, tlgc_lead):
    client.force_login(c.admin)
    url = reverse("admin:leads_lead_change", args=[tlgc_lead.pk])
    data = {
        "source": "EVENT",
        "assigned_to": c.counselor.pk,
        "school": "",
        "preferred_schedule": "",
        "parent_expectations": ["confidence", "motor_skills"],
        "discovery_notes": "",
        "status": "CONVERTED",
    }
    for prefix in ("status_changes", "intro_visits", "follow_ups", "notes"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    tlgc_lead.refresh_from_db()
    assert tlgc_lead.source == "EVENT" and tlgc_lead.status == LeadStatus.ENQUIRY_RECEIVED
    assert tlgc_lead.parent_expectations == ["confidence", "motor_skills"]


def test_close_action_asks_for_reason_then_closes(client, c, tlgc_lead):
    client.force_login(c.admin)
    url = reverse("admin:leads_lead_changelist")
    ask = client.post(url, {"action": "close_leads", "_selected_action": [tlgc_lead.pk]})
    assert ask.status_code == 200 and b"reason" in ask.content
    missing = client.post(
        url, {"action": "close_leads", "_selected_action": [tlgc_lead.pk], "apply": "1", "category": "PRICE"}
    )
    assert missing.status_code == 200
    tlgc_lead.refresh_from_db()
    assert tlgc_lead.status == LeadStatus.ENQUIRY_RECEIVED
    client.post(
        url,
        {
            "action": "close_leads",
            "_selected_action": [tlgc_lead.pk],
            "apply": "1",
            "category": "PRICE",
            "reason": "Fees",
        },
    )
    tlgc_lead.refresh_from_db()
    assert tlgc_lead.status == LeadStatus.CLOSED_LOST and tlgc_lead.closed_reason == "Fees"


def test_reopen_and_convert_actions_use_the_lifecycle(client, c, tlgc_lead):
    client.force_login(c.admin)
    url = reverse("admin:leads_lead_changelist")
    response = client.post(url, {"action": "convert_leads", "_selected_action": [tlgc_lead.pk]}, follow=True)
    assert b"Enroll and convert" in response.content  # asks for the batch and the first class first
    assert "batch" in response.context["form"].fields
    client.post(
        url,
        {
            "action": "convert_leads",
            "_selected_action": [tlgc_lead.pk],
            "apply": "1",
            "batch": c.batch.pk,
            "start_date": timezone.localdate().isoformat(),
        },
    )
    tlgc_lead.refresh_from_db()
    assert tlgc_lead.status == LeadStatus.CONVERTED
    assert tlgc_lead.enrollment.batch == c.batch
    response = client.post(url, {"action": "reopen_leads", "_selected_action": [tlgc_lead.pk]}, follow=True)
    assert b"A converted lead cannot be reopened." in response.content


def test_center_admin_batches_and_their_trainer_choices(client, c, b):
    client.force_login(b.admin)
    response = client.get(reverse("admin:leads_batch_add"))
    trainers = {str(v) for v, _ in response.context["adminform"].form.fields["trainer"].choices if v}
    assert trainers == {str(b.trainer.pk)}
    assert client.get(reverse("admin:leads_batch_change", args=[c.batch.pk])).status_code == 403


def test_center_admin_cannot_make_a_super_admin(client, b):
    client.force_login(b.admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "sneaky",
            "password1": "Very-strong-pass-42",
            "password2": "Very-strong-pass-42",
            "role": Role.SUPER_ADMIN,
            "centers": [b.center.pk],
        },
    )
    assert not User.objects.filter(username="sneaky", role=Role.SUPER_ADMIN).exists()
    assert response.status_code == 200


def test_center_admin_adds_counselor_to_own_center(client, b, c):
    client.force_login(b.admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "password1": "Very-strong-pass-42",
            "password2": "Very-strong-pass-42",
            "role": Role.COUNSELOR,
            "centers": [b.center.pk, c.center.pk],
        },
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        # Picking a center that is not yours is refused by the form.
        assert "centers" in response.context["adminform"].form.errors
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "password1": "Very-strong-pass-42",
            "password2": "Very-strong-pass-42",
            "role": Role.COUNSELOR,
            "centers": [b.center.pk],
        },
    )
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert list(newbie.centers()) == [b.center] and not newbie.is_staff


def test_center_admin_sees_only_own_centers_people(client, c, b):
    client.force_login(b.admin)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert b"tlgb_counselor" in response.content and b"tlgc_counselor" not in response.content
    assert client.get(reverse("admin:accounts_user_change", args=[c.counselor.pk])).status_code == 403


def test_counselor_and_trainer_have_no_admin(client, c):
    for user in (c.counselor, c.trainer):
        client.force_login(user)
        response = client.get(reverse("admin:leads_lead_changelist"))
        assert response.status_code == 302  # to the admin login


def test_super_admin_sees_every_center(client, c, b, superadmin, tlgc_lead):
    theirs = make_lead(b.center, b.counselor)
    client.force_login(superadmin)
    response = client.get(reverse("admin:leads_lead_changelist"))
    assert tlgc_lead.enquiry_id.encode() in response.content and theirs.enquiry_id.encode() in response.content
