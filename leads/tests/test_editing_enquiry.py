"""Issue 9 (editing): the enquiry asks instead of guessing: known parent's name, the same-parent
question, an open lead shown rather than "saved", no silent source, and an age instead of a dob."""

import datetime
import json
import re

import pytest
from django.urls import reverse

from leads.models import Child, Lead, LeadSource, Parent
from leads.tests.factories import make_lead
from leads.tests.test_enquiry import URL, VALIDATE, form_data


@pytest.fixture
def anshu(c):
    return make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Kabir", "last_name": "Goyal", "dob": datetime.date(2018, 2, 2), "gender": "Boy"},
        parent={"name": "Anshu Goyal", "phone": "+919876543210", "email": ""},
    )


def _token(client) -> str:
    html = client.get(URL).content.decode()
    return re.search(r'name="submission" value="([0-9a-f]+)"', html).group(1)


# -- 2. a known phone ------------------------------------------------------------------------------


def test_known_phone_fills_in_the_known_parents_name(client, c, anshu):
    client.force_login(c.counselor)
    response = client.post(
        VALIDATE, form_data(parent_name=""), headers={"HX-Request": "true", "HX-Trigger-Name": "parent_phone"}
    )
    assert json.loads(response["HX-Trigger"]) == {"knownParentName": {"name": "Anshu Goyal"}}
    assert 'name="parent_name"' not in response.content.decode()  # the typed field is not replaced


def test_a_typed_name_is_not_overwritten_by_the_known_one(client, c, anshu):
    client.force_login(c.counselor)
    response = client.post(
        VALIDATE, form_data(parent_name="Anshu G"), headers={"HX-Request": "true", "HX-Trigger-Name": "parent_phone"}
    )
    assert "HX-Trigger" not in response


def test_a_different_spelling_asks_same_parent_or_different_person(client, c, anshu):
    client.force_login(c.counselor)
    response = client.post(
        VALIDATE, form_data(parent_name="Anshu Goel"), headers={"HX-Request": "true", "HX-Trigger-Name": "parent_phone"}
    )
    assert "Same parent (Anshu Goyal) or a different person?" in response.content.decode()
    # Saving without an answer asks again, next to the name, and saves nothing.
    page = client.post(URL, form_data(parent_name="Anshu Goel"))
    html = page.content.decode()
    assert page.status_code == 400 and Lead.objects.count() == 1
    assert 'id="same-parent-question"' in html
    assert re.search(r'id="errors-parent_name"[^>]*>\s*<p>Same parent \(Anshu Goyal\) or a different person\?', html)


def test_same_parent_answer_links_the_child_to_the_known_parent(client, c, anshu):
    client.force_login(c.counselor)
    response = client.post(URL, form_data(parent_name="Anshu Goel", same_parent="same"))
    assert response.status_code == 302
    lead = Lead.objects.get(child__first_name="Mehr")
    assert lead.child.parents.get() == anshu.child.parents.get()
    assert Parent.objects.get().name == "Anshu Goyal"  # the known name is kept, not overwritten


def test_different_person_answer_asks_for_their_own_number(client, c, anshu):
    client.force_login(c.counselor)
    response = client.post(URL, form_data(parent_name="Rahul Goyal", same_parent="different"))
    html = response.content.decode()
    assert response.status_code == 400 and Lead.objects.count() == 1
    assert "This phone is Anshu Goyal&#x27;s" in html and "enter Rahul Goyal&#x27;s own number" in html
    # With their own number the enquiry is saved as a new family.
    ok = client.post(URL, form_data(parent_name="Rahul Goyal", same_parent="different", parent_phone="98111 22233"))
    assert ok.status_code == 302
    assert Parent.objects.get(name="Rahul Goyal").phone == "+919811122233"


def test_the_same_name_in_another_case_is_the_same_parent_without_asking(client, c, anshu):
    client.force_login(c.counselor)
    assert client.post(URL, form_data(parent_name="anshu goyal")).status_code == 302


# -- 3. the same child again -----------------------------------------------------------------------


def test_re_entering_a_child_with_an_open_lead_shows_that_lead_never_saved(client, c):
    client.force_login(c.counselor)
    first = client.post(URL, form_data(submission=_token(client)))
    lead = Lead.objects.get()
    again = client.post(URL, form_data(submission=_token(client)))  # a new form, the same child
    html = again.content.decode()
    assert again.status_code == 400
    assert "Enquiry saved" not in html
    assert f'href="{reverse("leads:lead_detail", args=[lead.pk])}"' in html and lead.enquiry_id in html
    assert Lead.objects.count() == 1 and first.status_code == 302


def test_double_submit_of_one_form_lands_on_the_lead_it_created(client, c):
    client.force_login(c.counselor)
    token = _token(client)
    first = client.post(URL, form_data(submission=token))
    second = client.post(URL, form_data(submission=token))
    assert Lead.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]


# -- 4. no silent source ---------------------------------------------------------------------------


def test_enquiry_source_starts_empty_and_is_required(client, c):
    client.force_login(c.counselor)
    html = client.get(URL).content.decode()
    select = re.search(r'<select name="source".*?</select>', html, re.S).group(0)
    assert "selected" not in select.replace('value="" selected', "") and '<option value="" selected>' in select
    response = client.post(URL, form_data(source=""))
    assert response.status_code == 400 and Lead.objects.count() == 0
    assert "Choose how the family heard of us." in response.content.decode()
    assert client.post(URL, form_data(source=LeadSource.REFERRAL)).status_code == 302


# -- 5. an age instead of a date of birth ----------------------------------------------------------


def test_enquiry_with_only_an_age_stores_an_approximate_dob_shown_as_about(client, c):
    client.force_login(c.counselor)
    response = client.post(URL, form_data(child_dob="", child_age="4"))
    assert response.status_code == 302
    child = Child.objects.get()
    assert child.dob_is_approximate
    assert child.age_display == "about 4 y"
    page = client.get(reverse("leads:lead_detail", args=[Lead.objects.get().pk])).content.decode()
    assert "about 4 y" in page
    listing = client.get(reverse("leads:lead_list")).content.decode()
    assert "about 4 y" in listing


def test_enquiry_needs_a_dob_or_an_age(client, c):
    client.force_login(c.counselor)
    response = client.post(URL, form_data(child_dob=""))
    assert response.status_code == 400
    assert "Enter the date of birth, or the age if the parent does not know it." in response.content.decode()


def test_age_in_months_for_a_baby(c):
    lead = make_lead(c.center, c.counselor, child={"first_name": "Tia", "age": 0, "age_months": 10, "gender": "Girl"})
    assert lead.child.dob_is_approximate and lead.child.age_display == "about 10 mo"
