"""New enquiry: create, inline validation, phone match, double submit, scoping and roles."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, LeadStatus
from leads.tests.factories import UserFactory, make_lead

URL = reverse("leads:enquiry_new")
VALIDATE = reverse("leads:enquiry_validate")


def form_data(**overrides):
    data = {
        "child_first_name": "Mehr",
        "child_last_name": "Goyal",
        "child_dob": "2020-06-15",
        "child_gender": "Girl",
        "parent_name": "Anshu Goyal",
        "parent_phone": "98765 43210",
        "parent_email": "anshu@example.com",
        "school": "Delhi Public School",
        "source": "WALK_IN",
        "parent_expectations": ["child_development", "confidence"],
        "preferred_schedule": "Weekdays after 4 PM",
        "remarks": "Saw the poster",
        "assigned_to": "",
        "consent_method": "PHONE_VERBAL",
        "consent_processing": "on",
        "consent_reminders": "on",
    }
    data.update(overrides)
    return data


def test_form_renders_with_inline_validation_hooks(client, c):
    client.force_login(c.counselor)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-post="{VALIDATE}"' in html
    assert 'hx-trigger="blur changed"' in html
    assert 'id="errors-child_dob"' in html and 'id="phone-match"' in html
    assert 'value="child_development"' in html  # expectations as checkboxes


def test_counselor_creates_an_enquiry_and_sees_its_id_big(client, c):
    client.force_login(c.counselor)
    response = client.post(URL, form_data())
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:enquiry_created", args=[lead.pk])
    assert lead.status == LeadStatus.ENQUIRY_RECEIVED
    assert lead.center == c.center and lead.assigned_to == c.counselor
    assert lead.parent_expectations == ["child_development", "confidence"]
    assert lead.child.links.get().parent.phone == "+919876543210"
    page = client.get(response["Location"]).content.decode()
    assert 'class="big-id"' in page and lead.enquiry_id in page
    assert "Mehr Goyal" in page  # then the lead page itself


def test_htmx_submit_redirects_with_hx_redirect(client, c):
    client.force_login(c.counselor)
    response = client.post(URL, form_data(), headers={"HX-Request": "true"})
    lead = Lead.objects.get()
    assert response["HX-Redirect"] == reverse("leads:enquiry_created", args=[lead.pk])


def test_assignee_can_be_another_counselor_of_the_center(client, c):
    colleague = UserFactory(username="colleague", centers=[c.center])
    client.force_login(c.counselor)
    client.post(URL, form_data(assigned_to=colleague.pk))
    assert Lead.objects.get().assigned_to == colleague


def test_assignee_of_another_center_is_refused(client, c, b):
    client.force_login(c.counselor)
    response = client.post(URL, form_data(assigned_to=b.counselor.pk))
    assert response.status_code == 400
    assert not Lead.objects.exists()
    assert str(b.counselor) not in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("parent_phone", "12", "phone number"),
        ("child_dob", (timezone.localdate() + datetime.timedelta(days=3)).isoformat(), "cannot be in the future"),
        ("child_first_name", "", "This field is required"),
        ("parent_email", "not-an-email", "valid email"),
        ("source", "CARRIER_PIGEON", "Select a valid choice"),
        ("parent_expectations", ["world_domination"], "Select a valid choice"),
    ],
)
def test_bad_input_shows_the_error_beside_the_field(client, c, field, value, message):
    client.force_login(c.counselor)
    response = client.post(URL, form_data(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].errors.get(field)
    assert not Lead.objects.exists()
    htmx = client.post(URL, form_data(**{field: value}), headers={"HX-Request": "true"})
    assert htmx.status_code == 200  # HTMX swaps the form with its errors
    assert htmx.content.decode().lstrip().startswith('<form id="enquiry-form"')
    assert message in htmx.content.decode()


def test_validation_of_one_field_on_blur(client, c):
    client.force_login(c.counselor)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post(
        VALIDATE, form_data(child_dob=future), headers={"HX-Request": "true", "HX-Trigger-Name": "child_dob"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div class="errors" id="errors-child_dob"')
    assert "cannot be in the future" in html
    # Only the field the user left: the (valid) name says nothing.
    ok = client.post(VALIDATE, form_data(), headers={"HX-Request": "true", "HX-Trigger-Name": "child_first_name"})
    assert "<p>" not in ok.content.decode()


def test_age_is_shown_from_the_date_of_birth(client, c):
    client.force_login(c.counselor)
    dob = timezone.localdate().replace(day=1) - datetime.timedelta(days=365 * 4 + 40)
    response = client.post(
        VALIDATE, form_data(child_dob=dob.isoformat()), headers={"HX-Request": "true", "HX-Trigger-Name": "child_dob"}
    )
    html = response.content.decode()
    assert 'id="child-age"' in html and 'hx-swap-oob="true"' in html and "Age: 4 y" in html


def test_phone_match_shows_the_family_before_saving(client, c, b):
    sibling = make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Kabir", "last_name": "Goyal", "dob": datetime.date(2018, 2, 2), "gender": "Boy"},
        parent={"name": "Anshu Goyal", "phone": "+919876543210", "email": ""},
    )
    client.force_login(c.counselor)
    response = client.post(
        VALIDATE,
        form_data(parent_phone="098765-43210"),
        headers={"HX-Request": "true", "HX-Trigger-Name": "parent_phone"},
    )
    html = response.content.decode()
    assert "This phone belongs to Anshu Goyal" in html
    assert "Kabir Goyal" in html and sibling.enquiry_id in html
    assert 'id="phone-match" aria-live="polite" hx-swap-oob="true"' in html
    # The full form shows the same notice when submitted with errors.
    page = client.post(URL, form_data(child_first_name="")).content.decode()
    assert "This phone belongs to Anshu Goyal" in page


def test_phone_match_never_shows_another_centers_family(client, c, b):
    make_lead(b.center, b.counselor, parent={"name": "Secret Parent", "phone": "+919876543210", "email": ""})
    client.force_login(c.counselor)
    response = client.post(VALIDATE, form_data(), headers={"HX-Request": "true", "HX-Trigger-Name": "parent_phone"})
    assert "Secret Parent" not in response.content.decode()
    assert "belongs to" not in response.content.decode()


def test_sibling_enquiry_joins_the_same_family(client, c):
    make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Kabir", "last_name": "Goyal", "dob": datetime.date(2018, 2, 2), "gender": "Boy"},
        parent={"name": "Anshu Goyal", "phone": "+919876543210", "email": ""},
    )
    client.force_login(c.counselor)
    client.post(URL, form_data())
    assert Lead.objects.count() == 2
    assert {lead.child.links.get().parent_id for lead in Lead.objects.all()}.__len__() == 1


def test_double_submit_creates_one_lead_and_lands_on_it(client, c):
    client.force_login(c.counselor)
    # A double submit sends the same rendered form twice: the same `submission` token.
    token = client.get(URL).context["form"]["submission"].value()
    first = client.post(URL, form_data(submission=token))
    second = client.post(URL, form_data(submission=token))
    assert Lead.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]


def test_same_child_with_an_open_lead_from_someone_else_is_an_error(client, c):
    existing = make_lead(
        c.center,
        c.admin,
        child={"first_name": "Mehr", "last_name": "Goyal", "dob": datetime.date(2020, 6, 15), "gender": "Girl"},
        parent={"name": "Anshu Goyal", "phone": "+919876543210", "email": ""},
    )
    client.force_login(c.counselor)
    response = client.post(URL, form_data())
    assert response.status_code == 400
    assert existing.enquiry_id in response.content.decode()
    assert Lead.objects.count() == 1


def test_trainer_may_not_create_enquiries(client, c):
    client.force_login(c.trainer)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data()).status_code == 403
    assert client.post(VALIDATE, form_data(), headers={"HX-Request": "true"}).status_code == 403
    assert not Lead.objects.exists()


def test_csrf_is_required(c):
    client = Client(enforce_csrf_checks=True)
    client.force_login(c.counselor)
    assert client.post(URL, form_data()).status_code == 403
    assert not Lead.objects.exists()


def test_wrong_method(client, c):
    client.force_login(c.counselor)
    assert client.put(URL).status_code == 405
    assert client.get(VALIDATE).status_code == 405


def test_super_admin_must_pick_a_center_and_may_pick_any(client, c, b, superadmin):
    client.force_login(superadmin)
    html = client.get(URL).content.decode()
    assert 'name="center"' in html and b.center.name in html
    response = client.post(URL, form_data())
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    client.post(URL, form_data(center=b.center.pk))
    assert Lead.objects.get().center == b.center


def test_multi_center_counselor_cannot_create_in_a_center_they_do_not_work_in(client, c, b):
    from leads.tests.factories import CenterFactory

    third = CenterFactory(code="TLGD", name="Delhi")
    roaming = UserFactory(username="roaming", centers=[c.center, third])
    client.force_login(roaming)
    response = client.post(URL, form_data(center=b.center.pk))
    assert response.status_code == 400
    assert not Lead.objects.exists()
    client.post(URL, form_data(center=third.pk))
    assert Lead.objects.get().center == third


def test_switcher_center_is_the_default_center(client, c, b, superadmin):
    client.force_login(superadmin)
    client.post(reverse("leads:switch_center"), {"center": b.center.pk})
    html = client.get(URL).content.decode()
    assert f'<option value="{b.center.pk}" selected>' in html
