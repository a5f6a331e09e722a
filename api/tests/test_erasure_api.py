"""POST /api/v1/families/{id}/erase: the same verb, refusals and sentences as the lead page."""

from accounts.models import AccessAction, AccessLog
from leads.erasure import ERASED
from leads.models import Child, Parent
from leads.tests.factories import make_lead


def test_center_admin_erases_a_family_by_its_child_id(api_as, c):
    lead = make_lead(c.center, c.counselor)
    family_id = api_as(c.admin).get(f"/api/v1/leads/{lead.pk}/details").json()["child"]["id"]

    response = api_as(c.admin).post(f"/api/v1/families/{family_id}/erase", {"confirmation": lead.enquiry_id})

    assert response.status_code == 200, response.json()
    assert response.json() == {"family_id": lead.child_id, "children": 1, "parents": 1, "leads": 1}
    details = api_as(c.admin).get(f"/api/v1/leads/{lead.pk}/details").json()
    assert details["status"] == "ENQUIRY_RECEIVED"
    assert details["child"]["first_name"] == ERASED
    assert Parent.objects.get(links__child=lead.child).name == ERASED
    row = AccessLog.objects.get(action=AccessAction.ERASE)
    assert (row.user, row.family_id) == (c.admin, lead.child_id)


def test_a_wrong_or_missing_confirmation_is_a_422_naming_the_field(api_as, c):
    lead = make_lead(c.center, c.counselor)
    url = f"/api/v1/families/{lead.child_id}/erase"

    wrong = api_as(c.admin).post(url, {"confirmation": "ERASE"})
    missing = api_as(c.admin).post(url, {})

    assert wrong.status_code == 422
    assert wrong.json()["detail"] == [
        {
            "loc": ["body", "confirmation"],
            "msg": f"Type the enquiry ID {lead.enquiry_id} exactly to confirm the erasure.",
            "type": "value_error",
        }
    ]
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "confirmation"]
    assert Child.objects.get(pk=lead.child_id).erased_at is None
    assert not AccessLog.objects.filter(action=AccessAction.ERASE).exists()


def test_a_second_erasure_is_a_409(api_as, c):
    lead = make_lead(c.center, c.counselor)
    url = f"/api/v1/families/{lead.child_id}/erase"
    assert api_as(c.admin).post(url, {"confirmation": lead.enquiry_id}).status_code == 200

    again = api_as(c.admin).post(url, {"confirmation": lead.enquiry_id})

    assert again.status_code == 409
    assert "already erased" in again.json()["detail"]


def test_counselor_trainer_and_another_center_get_403_unknown_404(api_as, c, b):
    lead = make_lead(c.center, c.counselor)
    url = f"/api/v1/families/{lead.child_id}/erase"
    body = {"confirmation": lead.enquiry_id}

    assert api_as(c.counselor).post(url, body).status_code == 403
    assert api_as(c.trainer).post(url, body).status_code == 403
    assert api_as(b.admin).post(url, body).status_code == 403
    assert api_as(c.admin).post("/api/v1/families/999999/erase", body).status_code == 404
    assert api_as(c.admin).post("/api/v1/families/0/erase", body).status_code == 404
    assert Child.objects.get(pk=lead.child_id).erased_at is None


def test_a_super_admin_may_erase(api_as, c, superadmin):
    lead = make_lead(c.center, c.counselor)
    response = api_as(superadmin).post(f"/api/v1/families/{lead.child_id}/erase", {"confirmation": lead.enquiry_id})
    assert response.status_code == 200
