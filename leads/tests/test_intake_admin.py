"""The intake inbox and sources in admin: scoped to the admin's centers, the payload readable, a lead linked by hand."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leads.models import IntakeItem, IntakeSource, IntakeStatus
from leads.tests.factories import make_lead
from leads.tests.test_intake_inbox import meta_item


@pytest.fixture
def items(c, b):
    return {
        "ours": meta_item(c.center, c.counselor, "lg-ours-111"),
        "theirs": meta_item(b.center, b.counselor, "lg-theirs-999"),
    }


def test_the_inbox_lists_only_the_admins_centers_items(client, c, items):
    client.force_login(c.admin)
    response = client.get(reverse("admin:leads_intakeitem_changelist"), {"status__exact": "NEEDS_REVIEW"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert b"lg-ours-111" in response.content and b"lg-theirs-999" not in response.content


def test_an_item_shows_its_payload_what_we_read_and_the_way_to_make_the_enquiry(client, c, items):
    client.force_login(c.admin)
    response = client.get(reverse("admin:leads_intakeitem_change", args=[items["ours"].pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "No verifiable consent" in html and "&quot;leadgen_id&quot;: &quot;lg-ours-111&quot;" in html
    assert "phone: +919810054321" in html and "parent_name: Meera Iyer" in html
    assert reverse("leads:enquiry_new") in html


def test_another_centers_item_is_403(client, c, items):
    client.force_login(c.admin)

    assert client.get(reverse("admin:leads_intakeitem_change", args=[items["theirs"].pk])).status_code == 403


def test_counselors_have_no_admin_and_nobody_adds_items_by_hand(client, c, items):
    client.force_login(c.counselor)
    assert client.get(reverse("admin:leads_intakeitem_changelist")).status_code == 302  # admin's login page
    client.force_login(c.admin)
    assert client.get(reverse("admin:leads_intakeitem_add")).status_code == 403


def test_linking_the_lead_made_by_hand_marks_the_item_created(client, c, items):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.admin)

    response = client.post(reverse("admin:leads_intakeitem_change", args=[items["ours"].pk]), {"lead": lead.pk})

    assert response.status_code == 302, response.context["adminform"].form.errors
    item = IntakeItem.objects.get(pk=items["ours"].pk)
    assert (item.status, item.lead, item.resolved_by) == (IntakeStatus.CREATED, lead, c.admin)


def test_a_lead_of_another_center_cannot_be_linked(client, c, b, items, superadmin):
    theirs = make_lead(b.center, b.counselor)
    client.force_login(superadmin)

    response = client.post(reverse("admin:leads_intakeitem_change", args=[items["ours"].pk]), {"lead": theirs.pk})

    assert response.status_code == 200
    assert "in the source&#x27;s center" in response.content.decode()
    assert IntakeItem.objects.get(pk=items["ours"].pk).status == IntakeStatus.NEEDS_REVIEW


def test_a_center_admin_sets_up_a_source_for_their_center_only(client, c, b):
    client.force_login(c.admin)
    url = reverse("admin:leads_intakesource_add")
    form = client.get(url).context["adminform"].form
    assert list(form.fields["center"].queryset) == [c.center]

    response = client.post(
        url,
        {
            "center": c.center.pk,
            "kind": "google",
            "secret": "k3y",
            "verify_token": "vt",
            "assign_to": c.counselor.pk,
            "active": "on",
        },
    )

    assert response.status_code == 302
    source = IntakeSource.objects.get()
    assert (source.center, source.kind, source.assign_to, source.secret) == (c.center, "google", c.counselor, "k3y")
    listing = client.get(reverse("admin:leads_intakesource_changelist")).content.decode()
    assert "/api/v1/intake/TLGC/google" in listing


def test_a_source_assignee_must_work_in_its_center(client, c, b, superadmin):
    client.force_login(superadmin)

    response = client.post(
        reverse("admin:leads_intakesource_add"),
        {
            "center": c.center.pk,
            "kind": "generic",
            "secret": "s",
            "verify_token": "vt",
            "assign_to": b.counselor.pk,
            "active": "on",
        },
    )

    assert response.status_code == 200 and "Choose a counselor or admin of this center." in response.content.decode()
    assert not IntakeSource.objects.exists()
