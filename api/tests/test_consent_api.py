"""Issue 10, consent through the API: the spec's enquiry body without it is a 422 naming `consent`
with the enquiry form's sentence; the notice to show; withdraw and record again."""

import pytest

from accounts.models import AccessAction, AccessLog
from leads.models import Child, Consent, Lead, Parent, PrivacyNotice
from leads.models.consent import BUILT_IN_NOTICE, CONSENT_MISSING, PROCESSING_REFUSED
from leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return Lead.objects.count(), Child.objects.count(), Parent.objects.count(), Consent.objects.count()


# -- the API door: the same rule, the same sentence ---------------------------------------------------

SPEC_BODY = {
    "child": {"first_name": "Mehr", "last_name": "Goyal", "dob": "2020-06-15", "gender": "Girl"},
    "parent": {"name": "Anshu Goyal", "contact_number": "+91-9876543210"},
    "source": "WALK_IN",
}


def test_api_spec_body_without_consent_is_a_422_naming_consent_with_the_forms_sentence(c, api_as):
    before = counts()
    response = api_as(c.counselor).post("/leads/enquiry", SPEC_BODY)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "consent"], "msg": CONSENT_MISSING, "type": "value_error"}]
    assert counts() == before


def test_api_consent_without_processing_is_refused_on_that_field(c, api_as):
    body = {**SPEC_BODY, "consent": {"method": "PHONE_VERBAL", "processing": False}}
    response = api_as(c.counselor).post("/leads/enquiry", body)
    assert response.status_code == 422
    assert {"loc": ["body", "consent", "processing"], "msg": PROCESSING_REFUSED, "type": "value_error"} in (
        response.json()["detail"]
    )


def test_api_web_form_consent_needs_and_keeps_the_parents_address_and_browser(c, api_as):
    api = api_as(c.counselor)
    bare = {**SPEC_BODY, "consent": {"method": "WEB_FORM", "processing": True}}
    refused = api.post("/leads/enquiry", bare)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "consent", "address"]
    web = {"method": "WEB_FORM", "processing": True, "address": "203.0.113.7", "user_agent": "Mozilla/5.0 (Phone)"}
    created = api.post("/leads/enquiry", {**SPEC_BODY, "consent": web})
    assert created.status_code == 201
    consent = Consent.objects.get()
    assert (consent.method, consent.address, consent.user_agent) == ("WEB_FORM", "203.0.113.7", "Mozilla/5.0 (Phone)")


def test_api_names_the_notice_to_show_and_refuses_an_old_version(c, api_as):
    api = api_as(c.counselor)
    notice = api.get(f"/privacy-notice?center_id={c.center.pk}").json()
    assert notice["version"] == 1 and notice["text"] == BUILT_IN_NOTICE
    PrivacyNotice.publish(center=c.center, text="New words.", by=c.admin)
    old = {**SPEC_BODY, "consent": {"method": "PAPER_FORM", "processing": True, "notice_version": 1}}
    response = api.post("/leads/enquiry", old)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "consent", "notice_version"]
    assert api.get(f"/privacy-notice?center_id={c.center.pk}").json()["text"] == "New words."


def test_api_withdraw_then_record_again(c, api_as):
    lead = make_lead(c.center, c.counselor)
    api = api_as(c.counselor)
    withdrawn = api.post(f"/leads/{lead.pk}/consent/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_by_user_id"] == c.counselor.pk
    again = api.post(f"/leads/{lead.pk}/consent/withdraw")
    assert again.status_code == 409 and "no consent to withdraw" in again.json()["detail"]
    recorded = api.post(f"/leads/{lead.pk}/consent", {"method": "PAPER_FORM", "processing": True, "marketing": True})
    assert recorded.status_code == 201
    current = api.get(f"/leads/{lead.pk}/consent").json()
    assert (current["method"], current["marketing"], current["withdrawn_at"]) == ("PAPER_FORM", True, None)
    assert AccessLog.objects.filter(action=AccessAction.CONSENT, family_id=lead.child_id).count() == 2
    assert api_as(c.trainer).post(f"/leads/{lead.pk}/consent/withdraw").status_code == 403
