"""The intake inbox in the app: what the webhooks could not turn into leads, dealt with by a counselor.

Owner (TLGC's counselor), teammate (TLGC's admin), outsider (TLGB's staff); plus retention of the
deliveries that never became a lead.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import retention
from leads.models import IntakeItem, IntakeSource, IntakeStatus, Lead
from leads.tests.factories import make_lead
from leads.tests.test_enquiry import form_data

NO_CONSENT = "No verifiable consent: call the parent."


def meta_item(center, staff, external_id, *, name="Meera Iyer", phone="+919810054321", child="Kabir Iyer"):
    source, _ = IntakeSource.objects.get_or_create(center=center, kind="meta", defaults={"assign_to": staff})
    return IntakeItem.objects.create(
        source=source,
        external_id=external_id,
        payload={
            "field": "leadgen",
            "value": {
                "leadgen_id": external_id,
                "field_data": [
                    {"name": "full_name", "values": [name]},
                    {"name": "phone_number", "values": [phone]},
                    {"name": "child_name", "values": [child]},
                ],
            },
        },
        status=IntakeStatus.NEEDS_REVIEW,
        error=NO_CONSENT,
    )


@pytest.fixture
def items(c, b):
    return {
        "ours": meta_item(c.center, c.counselor, "lg-ours-111"),
        "theirs": meta_item(b.center, b.counselor, "lg-b-9"),
    }


def test_the_counselor_sees_their_centers_waiting_items_with_what_we_read(client, c, items):
    client.force_login(c.counselor)

    response = client.get(reverse("leads:intake_inbox"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="intake-{items["ours"].pk}"' in html and f'id="intake-{items["theirs"].pk}"' not in html
    assert NO_CONSENT in html and "Meera Iyer" in html and "+919810054321" in html and "Kabir Iyer" in html
    assert f"{reverse('leads:enquiry_new')}?intake={items['ours'].pk}" in html
    assert 'href="/enquire/TLGC/"' in html and "/enquire/TLGB/" not in html  # where parents enquire themselves


def test_dealt_with_items_leave_the_inbox(client, c, items):
    IntakeItem.objects.filter(pk=items["ours"].pk).update(status=IntakeStatus.CREATED)
    client.force_login(c.counselor)

    html = client.get(reverse("leads:intake_inbox")).content.decode()

    assert f'id="intake-{items["ours"].pk}"' not in html
    assert "Nothing waiting." in html


def test_the_nav_links_the_inbox_for_staff_who_make_enquiries(client, c):
    client.force_login(c.counselor)
    assert reverse("leads:intake_inbox") in client.get(reverse("leads:lead_list")).content.decode()


def test_a_trainer_may_not_open_the_inbox(client, c, items):
    client.force_login(c.trainer)

    assert client.get(reverse("leads:intake_inbox")).status_code == 403
    assert client.post(reverse("leads:intake_dismiss", args=[items["ours"].pk]), {"reason": "x"}).status_code == 403


def test_the_enquiry_form_opens_filled_in_from_the_item(client, c, items):
    client.force_login(c.counselor)

    response = client.get(reverse("leads:enquiry_new"), {"intake": items["ours"].pk})

    form = response.context["form"]
    assert form.initial["parent_name"] == "Meera Iyer"
    assert form.initial["parent_phone"] == "+919810054321"
    assert (form.initial["child_first_name"], form.initial["child_last_name"]) == ("Kabir", "Iyer")
    assert form.initial["source"] == "SOCIAL_MEDIA"
    assert 'id="from-intake"' in response.content.decode()


def test_another_centers_item_never_fills_the_form(client, c, items):
    client.force_login(c.counselor)

    response = client.get(reverse("leads:enquiry_new"), {"intake": items["theirs"].pk})

    assert response.status_code == 200
    assert "parent_name" not in response.context["form"].initial


def test_saving_the_filled_in_form_links_the_item_to_the_new_lead(client, c, items):
    client.force_login(c.counselor)
    data = form_data(
        parent_name="Meera Iyer",
        parent_phone="+919810054321",
        child_first_name="Kabir",
        child_last_name="Iyer",
        intake=str(items["ours"].pk),
    )

    response = client.post(reverse("leads:enquiry_new"), data)

    assert response.status_code == 302
    lead = Lead.objects.get(child__first_name="Kabir")
    item = IntakeItem.objects.get(pk=items["ours"].pk)
    assert (item.status, item.lead, item.resolved_by) == (IntakeStatus.CREATED, lead, c.counselor)


def test_linking_by_enquiry_id_resolves_the_item(client, c, items):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)

    response = client.post(
        reverse("leads:intake_link", args=[items["ours"].pk]),
        {"enquiry_id": lead.enquiry_id.lower()},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "Linked to" in response.content.decode() and lead.enquiry_id in response.content.decode()
    item = IntakeItem.objects.get(pk=items["ours"].pk)
    assert (item.status, item.lead) == (IntakeStatus.CREATED, lead)


def test_linking_an_unknown_or_another_centers_enquiry_id_says_so_beside_the_field(client, c, b, items):
    theirs = make_lead(b.center, b.counselor)
    client.force_login(c.counselor)

    for code in ("TLGC9999", theirs.enquiry_id):
        response = client.post(reverse("leads:intake_link", args=[items["ours"].pk]), {"enquiry_id": code})
        assert response.status_code == 400
        assert "No lead of yours has this enquiry ID." in response.content.decode()
    assert IntakeItem.objects.get(pk=items["ours"].pk).status == IntakeStatus.NEEDS_REVIEW


def test_dismissing_needs_a_reason_and_clears_the_childs_details(client, c, items):
    client.force_login(c.counselor)
    url = reverse("leads:intake_dismiss", args=[items["ours"].pk])

    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()

    response = client.post(url, {"reason": "Test lead from the ad manager"})

    assert response.status_code == 302 and response.url == reverse("leads:intake_inbox")
    item = IntakeItem.objects.get(pk=items["ours"].pk)
    assert (item.status, item.payload, item.resolved_by) == (IntakeStatus.DISMISSED, {}, c.counselor)
    assert item.error == "Dismissed: Test lead from the ad manager"


def test_the_verb_refuses_a_blank_reason_and_a_second_answer(c, items):
    from django.core.exceptions import ValidationError

    from leads.models import LifecycleError

    with pytest.raises(ValidationError) as error:
        items["ours"].dismiss(reason=" ", by=c.counselor)
    assert error.value.message_dict["reason"] == ["Say why this is not an enquiry (a test, spam, a wrong number...)."]
    items["ours"].dismiss(reason="Spam", by=c.counselor)
    with pytest.raises(LifecycleError, match="already dealt with"):
        items["ours"].resolve(lead=make_lead(c.center, c.counselor), by=c.counselor)


def test_an_item_dealt_with_meanwhile_gets_the_sentence(client, c, items):
    items["ours"].dismiss(reason="Spam", by=c.admin)
    client.force_login(c.counselor)

    response = client.post(reverse("leads:intake_dismiss", args=[items["ours"].pk]), {"reason": "Spam too"})

    assert response.status_code == 400
    assert "This intake item is already dealt with." in response.content.decode()


def test_another_centers_item_is_403_and_an_unknown_one_404(client, c, items):
    client.force_login(c.counselor)

    assert client.post(reverse("leads:intake_dismiss", args=[items["theirs"].pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("leads:intake_link", args=[items["theirs"].pk]), {"enquiry_id": "x"}).status_code == 403
    assert client.post(reverse("leads:intake_dismiss", args=[987654]), {"reason": "x"}).status_code == 404
    assert IntakeItem.objects.get(pk=items["theirs"].pk).status == IntakeStatus.NEEDS_REVIEW


def test_wrong_methods(client, c, items):
    client.force_login(c.counselor)

    assert client.get(reverse("leads:intake_dismiss", args=[items["ours"].pk])).status_code == 405
    assert client.post(reverse("leads:intake_inbox")).status_code == 405


def test_the_inbox_pages_and_its_query_count_stays_flat(client, c, django_assert_max_num_queries):
    for n in range(3):
        meta_item(c.center, c.counselor, f"lg-{n}", phone=f"+91981005{n:04d}")
    client.force_login(c.counselor)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("leads:intake_inbox"))
    for n in range(3, 60):
        meta_item(c.center, c.counselor, f"lg-{n}", phone=f"+91981005{n:04d}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("leads:intake_inbox"), {"page": 2})
    assert len(response.context["rows"]) == 25
    assert client.get(reverse("leads:intake_inbox"), {"page": "junk"}).status_code == 200


def test_retention_clears_old_deliveries_that_never_became_leads(c, items):
    old = timezone.now() - datetime.timedelta(days=800)  # past the default 24 months
    linked = meta_item(c.center, c.counselor, "lg-linked")
    linked.resolve(lead=make_lead(c.center, c.counselor), by=c.counselor)
    IntakeItem.objects.filter(pk__in=[items["ours"].pk, linked.pk]).update(received_at=old)
    fresh = meta_item(c.center, c.counselor, "lg-fresh")

    plans = retention.plan(timezone.now(), [c.center])
    assert plans[0].counts()[retention.INTAKE] == 1
    done = retention.apply(plans)

    assert done[0].counts()[retention.INTAKE] == 1
    stale = IntakeItem.objects.get(pk=items["ours"].pk)
    assert (stale.status, stale.payload, stale.error) == (IntakeStatus.DISMISSED, {}, retention.INTAKE_EXPIRED)
    assert IntakeItem.objects.get(pk=linked.pk).payload != {}  # its lead's own retention erases it
    assert IntakeItem.objects.get(pk=fresh.pk).payload != {}
