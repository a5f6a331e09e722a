"""Issue 9 (editing): counselors correct the child and the parents from the lead page; each edit is
one verb, one transaction, on the timeline ("details changed: phone A -> B by ..."), never a status move."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from leads.models import DetailChange, FamilyLink, Lead, LeadStatusChange, Parent
from leads.tests.factories import make_lead
from leads.tests.test_lead_page import act, version

PAGE = "leads:lead_detail"


@pytest.fixture
def goyal(c):
    return make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Mehr", "last_name": "Goyal", "dob": datetime.date(2020, 6, 15), "gender": "Girl"},
        parent={"name": "Anshu Goyal", "phone": "+919810055501", "email": "anshu@example.com"},
    )


def _parent(lead):
    return lead.child.parents.get()


def _edit_parent(client, lead, parent, htmx=False, **data):
    payload = {f"parent{parent.pk}-{key}": value for key, value in data.items()}
    payload["version"] = version(lead)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("leads:lead_parent", args=[lead.pk, parent.pk]), payload, headers=headers)


PARENT = {"name": "Anshu Goyal", "phone": "+91 98100 55502", "email": "anshu@example.com", "relationship": "Mother"}


def test_counselor_corrects_a_phone_and_the_timeline_says_so(client, c, goyal):
    client.force_login(c.counselor)
    response = _edit_parent(client, goyal, _parent(goyal), **PARENT)
    assert response.status_code == 302
    parent = Parent.objects.get()
    assert parent.phone == "+919810055502"  # E.164 through PhoneField
    page = client.get(reverse(PAGE, args=[goyal.pk])).content.decode()
    assert "details changed: phone +91 98100 55501 -&gt; +91 98100 55502" in page
    entry = re.search(
        r'class="detail-change">details changed: phone.*?</p>\s*<p class="tl-who">by ([^<]+)<', page, re.S
    )
    assert entry and entry.group(1).strip() == str(c.counselor)
    assert FamilyLink.objects.get().relationship == "Mother"


def test_htmx_parent_edit_renders_the_page_fragment(client, c, goyal):
    client.force_login(c.counselor)
    response = _edit_parent(client, goyal, _parent(goyal), htmx=True, **PARENT)
    assert response.status_code == 200 and "Parent saved." in response.content.decode()
    assert "leadUpdated" in response["HX-Trigger"]


def test_a_phone_of_another_parent_of_the_center_is_refused_with_a_sentence(client, c, goyal):
    make_lead(c.center, c.counselor, parent={"name": "Ravi Mehta", "phone": "+919810066602"})
    client.force_login(c.counselor)
    response = _edit_parent(client, goyal, _parent(goyal), **{**PARENT, "phone": "098100 66602"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This phone is Ravi Mehta&#x27;s, another parent of this center" in html
    assert Parent.objects.get(name="Anshu Goyal").phone == "+919810055501"
    assert not DetailChange.objects.exists()


def test_edit_child_name_dob_gender_school(client, c, goyal):
    client.force_login(c.counselor)
    data = {"first_name": "Meher", "last_name": "Goyal", "dob": "2020-07-15", "gender": "Girl", "school": "DPS"}
    assert act(client, goyal, "child", data).status_code == 302
    child = Lead.objects.get().child
    assert (child.first_name, child.dob, child.school) == ("Meher", datetime.date(2020, 7, 15), "DPS")
    change = DetailChange.objects.get()
    assert change.changes[0] == ["name", "Mehr Goyal", "Meher Goyal"]
    assert ["date of birth", "15 Jun 2020", "15 Jul 2020"] in change.changes


def test_real_dob_replaces_an_approximate_one(client, c):
    lead = make_lead(c.center, c.counselor, child={"first_name": "Ira", "age": 4, "gender": "Girl"})
    assert lead.child.dob_is_approximate
    client.force_login(c.counselor)
    data = {"first_name": "Ira", "dob": "2021-03-04", "gender": "Girl"}
    assert act(client, lead, "child", data).status_code == 302
    child = Lead.objects.get().child
    assert child.dob == datetime.date(2021, 3, 4) and not child.dob_is_approximate
    assert DetailChange.objects.get().changes[0][0] == "date of birth"


def test_add_a_second_parent(client, c, goyal):
    client.force_login(c.counselor)
    data = {"name": "Rahul Goyal", "phone": "98100 77703", "email": "", "relationship": "Father"}
    assert act(client, goyal, "add_parent", data).status_code == 302
    assert sorted(goyal.child.parents.values_list("name", flat=True)) == ["Anshu Goyal", "Rahul Goyal"]
    assert FamilyLink.objects.get(parent__name="Rahul Goyal").is_primary is False
    page = client.get(reverse(PAGE, args=[goyal.pk])).content.decode()
    assert "Rahul Goyal" in page and "details changed: parent added" in page


def test_adding_a_parent_with_a_known_phone_and_another_name_is_refused(client, c, goyal):
    make_lead(c.center, c.counselor, parent={"name": "Ravi Mehta", "phone": "+919810066602"})
    client.force_login(c.counselor)
    data = {"name": "Rahul Goyal", "phone": "+919810066602", "relationship": "Father"}
    response = act(client, goyal, "add_parent", data)
    assert response.status_code == 400 and "This phone is Ravi Mehta" in response.content.decode()
    assert goyal.child.parents.count() == 1


def test_edits_are_not_status_moves_so_the_figures_do_not_move(c, goyal):
    before = Lead.objects.values().get(pk=goyal.pk)
    goyal.edit_parent(_parent(goyal), name="Anshu Goyal", phone="+919810055502", by=c.counselor)
    goyal.edit_child(
        first_name="Meher", last_name="Goyal", dob=datetime.date(2020, 6, 15), gender="Girl", by=c.counselor
    )
    after = Lead.objects.values().get(pk=goyal.pk)
    figures = [k for k in before if k.startswith(("days_in_", "status", "discovery_", "iv_", "first_contact"))]
    assert {k: after[k] for k in figures} == {k: before[k] for k in figures}
    assert LeadStatusChange.objects.filter(lead=goyal).count() == 1  # only the enquiry itself
    assert DetailChange.objects.filter(lead=goyal).count() == 2


def test_nothing_changed_writes_no_change_row(c, goyal):
    parent = _parent(goyal)
    goyal.edit_parent(parent, name=parent.name, phone=parent.phone, email=parent.email, by=c.counselor)
    assert not DetailChange.objects.exists()


def test_trainer_and_other_center_cannot_edit(client, c, b, goyal):
    with pytest.raises(PermissionDenied):
        goyal.edit_child(first_name="X", gender="Girl", dob=datetime.date(2020, 1, 1), by=c.trainer)
    with pytest.raises(PermissionDenied):
        goyal.add_parent(name="X", phone="+919810088804", by=b.counselor)
    client.force_login(b.counselor)
    assert _edit_parent(client, goyal, _parent(goyal), **PARENT).status_code == 403
    client.force_login(c.trainer)
    assert _edit_parent(client, goyal, _parent(goyal), **PARENT).status_code == 403
    assert Parent.objects.get().phone == "+919810055501"


def test_parent_edit_needs_post_and_a_parent_of_this_lead(client, c, goyal):
    other = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    url = reverse("leads:lead_parent", args=[goyal.pk, _parent(other).pk])
    assert client.get(url).status_code == 405
    assert _edit_parent(client, goyal, _parent(other), **PARENT).status_code == 404


def test_bad_phone_is_a_sentence_beside_the_field(c, goyal):
    with pytest.raises(ValidationError) as error:
        goyal.edit_parent(_parent(goyal), name="Anshu", phone="12", by=c.counselor)
    assert "phone" in error.value.message_dict


# -- 4. closing asks for the category ------------------------------------------------------------


def test_close_category_starts_empty_and_is_required(client, c, goyal):
    client.force_login(c.counselor)
    page = client.get(reverse(PAGE, args=[goyal.pk])).content.decode()
    select = re.search(r'<select name="close-category".*?</select>', page, re.S).group(0)
    assert '<option value="" selected>' in select
    response = act(client, goyal, "close", {"reason": "Moved city", "category": ""})
    assert response.status_code == 400 and "Choose why the lead is lost." in response.content.decode()
    assert Lead.objects.get().status == "ENQUIRY_RECEIVED"
    assert act(client, goyal, "close", {"reason": "Moved city", "category": "DISTANCE"}).status_code == 302
    assert Lead.objects.get().closed_reason_category == "DISTANCE"


def test_follow_up_lost_needs_the_category_too(c, goyal):
    from leads.forms import CompleteFollowUpForm

    form = CompleteFollowUpForm({"outcome": "LOST", "reason": "Too far"}, outcomes=["LOST"])
    assert not form.is_valid() and form.errors["category"] == ["Choose why the lead is lost."]
