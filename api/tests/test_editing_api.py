"""Issue 9 (editing) through the API: a duplicate names the open lead; an age instead of a dob."""

from django.utils import timezone

from api.tests.test_scenarios import ENQUIRY
from leads.models import Child


def test_api_duplicate_enquiry_409_names_the_open_lead(c, api_as):
    api = api_as(c.counselor)
    created = api.post("/leads/enquiry", ENQUIRY).json()
    response = api.post("/leads/enquiry", ENQUIRY)
    assert response.status_code == 409
    assert response.json()["lead_id"] == created["id"] and response.json()["enquiry_id"] == created["enquiry_id"]


def test_api_enquiry_accepts_age_when_dob_is_unknown(c, api_as):
    body = {**ENQUIRY, "child": {"first_name": "Ira", "gender": "Girl", "age": 4, "age_months": 3}}
    response = api_as(c.counselor).post("/leads/enquiry", body)
    assert response.status_code == 201, response.json()
    child = Child.objects.get(first_name="Ira")
    assert child.dob_is_approximate and child.age_on(timezone.localdate()) == (4, 3)
    detail = api_as(c.counselor).get(f"/leads/{response.json()['id']}/details").json()
    assert detail["child"]["dob_is_approximate"] is True and detail["child"]["age_display"] == "about 4 y"


def test_api_enquiry_without_dob_or_age_is_a_422_on_child_dob(c, api_as):
    response = api_as(c.counselor).post("/leads/enquiry", {**ENQUIRY, "child": {"first_name": "Ira", "gender": "Girl"}})
    assert response.status_code == 422
    assert ["body", "child", "dob"] in [entry["loc"] for entry in response.json()["detail"]]


def test_api_known_phone_under_another_name_same_links_different_is_a_422(c, api_as):
    api = api_as(c.counselor)
    assert api.post("/leads/enquiry", ENQUIRY).status_code == 201
    sibling = {**ENQUIRY, "child": {**ENQUIRY["child"], "first_name": "Kabir", "gender": "Boy"}}
    other = {**sibling["parent"], "name": "Rahul Goyal", "same_parent": "different"}
    refused = api.post("/leads/enquiry", {**sibling, "parent": other})
    assert refused.status_code == 422
    assert ["body", "parent", "contact_number"] in [entry["loc"] for entry in refused.json()["detail"]]
    same = api.post("/leads/enquiry", {**sibling, "parent": {**sibling["parent"], "name": "Anshu G."}})
    assert same.status_code == 201  # the spec's behaviour: the known parent, the known name kept
    assert Child.objects.get(first_name="Kabir").parents.get().name == "Anshu Goyal"
