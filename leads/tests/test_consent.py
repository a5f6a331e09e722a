"""Issue 10, consent: recorded before a child's data is saved on every door, obeyed by every message
path, withdrawn in one action (itself recorded), and asked for on families from before."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessAction, AccessLog
from insights.reminders import send_reminders
from insights.sms import LocmemSMSBackend
from leads.models import Child, Consent, ConsentMethod, Lead, Parent, PrivacyNotice
from leads.models.consent import BUILT_IN_NOTICE
from leads.tests.factories import AGREED, book_visit, make_lead
from leads.tests.test_enquiry import URL, form_data

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return Lead.objects.count(), Child.objects.count(), Parent.objects.count(), Consent.objects.count()


def field_errors(html: str, field: str) -> str:
    start = html.index(f'id="errors-{field}"')
    return html[start : html.index("</div>", start)]


# -- the enquiry form -----------------------------------------------------------------------------


def test_enquiry_form_without_consent_saves_nothing_and_says_why_next_to_the_field(client, c):
    client.force_login(c.counselor)
    before = counts()
    data = form_data()
    for name in ("consent_method", "consent_processing", "consent_reminders"):
        data.pop(name)
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "Record the parent&#x27;s consent before saving" in field_errors(response.content.decode(), "consent_method")
    assert counts() == before


def test_one_submit_shows_the_consent_error_beside_the_other_fields_errors(client, c):
    client.force_login(c.counselor)
    data = form_data(child_first_name="")
    data.pop("consent_method")
    html = client.post(URL, data).content.decode()
    assert "This field is required" in field_errors(html, "child_first_name")
    assert "Say how the parent agreed" in field_errors(html, "consent_method")


def test_enquiry_form_refused_processing_is_said_next_to_the_checkbox(client, c):
    client.force_login(c.counselor)
    before = counts()
    data = form_data()
    data.pop("consent_processing")
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "nothing about the child can be saved" in field_errors(response.content.decode(), "consent_processing")
    assert counts() == before


def test_enquiry_form_shows_the_notice_and_records_who_how_when_and_which_version(client, c):
    notice = PrivacyNotice.publish(center=c.center, text="Our notice, v1 of TLGC.", by=c.admin)
    client.force_login(c.counselor)
    page = client.get(URL).content.decode()
    assert "Our notice, v1 of TLGC." in page and f'name="consent_notice_version" value="{notice.version}"' in page

    response = client.post(URL, form_data(consent_notice_version=str(notice.version), consent_marketing="on"))
    assert response.status_code == 302
    lead = Lead.objects.get()
    consent = Consent.objects.get(parent__links__child=lead.child)
    assert consent.notice == notice
    assert consent.method == ConsentMethod.PHONE_VERBAL and consent.obtained_by == c.counselor
    assert (consent.processing, consent.reminders, consent.marketing) == (True, True, True)
    assert abs(consent.obtained_at - timezone.now()) < datetime.timedelta(minutes=1)


def test_a_notice_published_while_the_form_was_open_is_caught(client, c):
    shown = PrivacyNotice.publish(center=c.center, text="First text.", by=c.admin)
    client.force_login(c.counselor)
    newer = PrivacyNotice.publish(center=c.center, text="Second text.", by=c.admin)
    before = counts()
    response = client.post(URL, form_data(consent_notice_version=str(shown.version)))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"The privacy notice is now version {newer.version}" in html
    assert "Second text." in html and f'name="consent_notice_version" value="{newer.version}"' in html
    assert counts() == before


# -- notices ---------------------------------------------------------------------------------------


def test_publishing_adds_a_version_and_keeps_every_earlier_text(c, b):
    assert PrivacyNotice.current_for(c.center).version == 1  # the built-in, franchise-wide
    first = PrivacyNotice.publish(center=c.center, text="One.", by=c.admin)
    second = PrivacyNotice.publish(center=c.center, text="Two.", by=c.admin)
    assert (first.version, second.version) == (2, 3)  # the center's parents saw version 1 before
    assert PrivacyNotice.current_for(c.center) == second
    assert PrivacyNotice.objects.get(pk=first.pk).text == "One."
    assert PrivacyNotice.current_for(b.center).text == BUILT_IN_NOTICE  # another center: the franchise's


def test_a_center_admin_cannot_publish_another_centers_notice(c, b):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        PrivacyNotice.publish(center=b.center, text="Not mine.", by=c.admin)
    with pytest.raises(PermissionDenied):
        PrivacyNotice.publish(center=None, text="Franchise.", by=c.admin)


# -- purposes are obeyed ---------------------------------------------------------------------------


def _visit_in_two_days(c, consent):
    lead = make_lead(c.center, c.counselor, consent=consent)
    day = timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=2)
    at = datetime.datetime.combine(day, datetime.time(16), tzinfo=c.center.tzinfo)
    book_visit(lead, at=at, batch=c.batch, by=c.counselor)
    return lead, datetime.datetime.combine(day - datetime.timedelta(days=1), datetime.time(10), tzinfo=c.center.tzinfo)


@override_settings(SMS_BACKEND="insights.sms.LocmemSMSBackend", PARENT_VISIT_REMINDERS=True)
def test_send_reminders_skips_a_parent_without_the_reminders_purpose(c):
    LocmemSMSBackend.outbox = []
    agreed, when = _visit_in_two_days(c, AGREED)
    _visit_in_two_days(c, {**AGREED, "reminders": False})
    report = send_reminders(when)
    assert [to for to, _ in LocmemSMSBackend.outbox] == [agreed.child.parents.get().phone]
    assert report.no_consent == 1


@override_settings(SMS_BACKEND="insights.sms.LocmemSMSBackend", PARENT_VISIT_REMINDERS=True)
def test_withdrawing_on_the_lead_page_stops_reminders_and_messages_at_once_and_is_recorded(client, c):
    LocmemSMSBackend.outbox = []
    lead, when = _visit_in_two_days(c, AGREED)
    client.force_login(c.counselor)
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert 'id="consent-purposes"' in page and "Withdraw consent" in page
    version = lead.__class__.objects.get(pk=lead.pk).updated_at.isoformat()

    response = client.post(reverse("leads:consent_withdraw", args=[lead.pk]), {"version": version})
    assert response.status_code == 302
    consent = Consent.objects.get(parent__links__child=lead.child)
    assert consent.withdrawn_by == c.counselor and consent.withdrawn_at is not None
    row = AccessLog.objects.get(action=AccessAction.CONSENT)
    assert (row.user, row.family_id, row.object_id) == (c.counselor, lead.child_id, str(consent.pk))

    send_reminders(when)
    assert LocmemSMSBackend.outbox == []
    whatsapp = client.post(reverse("insights:contact", args=[lead.pk, "whatsapp"]), follow=True)
    assert "withdrew their consent" in whatsapp.content.decode()
    assert not lead.contact_attempts.exists()
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert 'id="consent-withdrawn"' in page and "Consent withdrawn: do not contact." in page


def test_withdrawing_twice_is_refused_and_writes_nothing(client, c):
    lead = make_lead(c.center, c.counselor)
    Consent.withdraw(lead.child.parents.get(), by=c.counselor)
    client.force_login(c.counselor)
    version = Lead.objects.get(pk=lead.pk).updated_at.isoformat()
    response = client.post(reverse("leads:consent_withdraw", args=[lead.pk]), {"version": version}, follow=True)
    assert "There is no consent to withdraw" in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessAction.CONSENT).exists()


def test_trainer_and_another_center_cannot_change_consent(client, c, b):
    lead = make_lead(c.center, c.counselor)
    version = Lead.objects.get(pk=lead.pk).updated_at.isoformat()
    for user in (c.trainer, b.counselor):
        client.force_login(user)
        response = client.post(reverse("leads:consent_withdraw", args=[lead.pk]), {"version": version})
        assert response.status_code == 403
    assert Consent.objects.get().withdrawn_at is None


# -- families from before consent was kept ---------------------------------------------------------


def test_a_family_without_recorded_consent_is_asked_for_it_on_the_lead_page(client, c):
    lead = make_lead(c.center, c.counselor)
    parent = lead.child.parents.get()
    Consent.objects.filter(parent=parent).delete()
    Consent.objects.create(parent=parent, method=ConsentMethod.NOT_RECORDED)  # what the migration writes
    client.force_login(c.counselor)
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert 'id="consent-missing"' in page and '<details class="action" id="action-consent" open>' in page

    version = Lead.objects.get(pk=lead.pk).updated_at.isoformat()
    refused = client.post(
        reverse("leads:consent_record", args=[lead.pk]), {"version": version, "consent_method": "IN_PERSON"}
    )
    assert refused.status_code == 400 and "nothing about the child can be saved" in refused.content.decode()
    response = client.post(
        reverse("leads:consent_record", args=[lead.pk]),
        {"version": version, "consent_method": "IN_PERSON", "consent_processing": "on"},
    )
    assert response.status_code == 302
    current = Consent.current(parent.pk)
    assert current.method == ConsentMethod.IN_PERSON and current.is_active and not current.reminders


def test_demo_families_have_a_recorded_consent(c):
    from leads.demo import bulk_leads

    bulk_leads(c.center, 30, by=c.counselor, seed=3)
    parents = Parent.objects.filter(center=c.center)
    assert parents.count() == 30
    assert all(Consent.current(p.pk).is_active for p in parents)
    assert Consent.objects.filter(reminders=True).count() >= 20  # most demo parents take reminders


# -- admin: notices are published, never edited ---------------------------------------------------


def test_center_admin_publishes_a_new_version_in_admin_and_cannot_edit_one(client, c, b):
    theirs = PrivacyNotice.publish(center=b.center, text="TLGB words.", by=b.admin)
    client.force_login(c.admin)
    response = client.post("/admin/leads/privacynotice/add/", {"center": c.center.pk, "text": "TLGC words."})
    assert response.status_code == 302
    mine = PrivacyNotice.objects.get(center=c.center)
    assert mine.version == 2 and mine.published_by == c.admin
    listing = client.get("/admin/leads/privacynotice/").content.decode()
    assert "TLGC notice v2" in listing and "Franchise notice v1" in listing and "TLGB" not in listing
    client.post(f"/admin/leads/privacynotice/{mine.pk}/change/", {"center": c.center.pk, "text": "Edited."})
    assert PrivacyNotice.objects.get(pk=mine.pk).text == "TLGC words."
    assert client.get(f"/admin/leads/privacynotice/{theirs.pk}/change/").status_code in (302, 403, 404)


def test_center_admin_cannot_publish_the_franchise_notice_in_admin(client, c):
    client.force_login(c.admin)
    response = client.post("/admin/leads/privacynotice/add/", {"center": "", "text": "For everyone."})
    assert response.status_code == 200 and "only a super admin publishes" in response.content.decode()
    assert not PrivacyNotice.objects.filter(text="For everyone.").exists()


# -- the data migration ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_marks_existing_families_consent_not_recorded():
    from leads.tests.migrating import migrate, newest_afterwards

    with newest_afterwards() as leaf:
        accounts_leaf = [node for node in leaf if node[0] == "accounts"]
        old = migrate([("leads", "0008_merge_20261202_1121"), *accounts_leaf])
        Center = old.get_model("accounts", "Center")
        center = Center.objects.create(name="Old", code="OLDC", timezone="Asia/Kolkata")
        parent = old.get_model("leads", "Parent").objects.create(center=center, name="Before", phone="+919800000001")
        new = migrate([("leads", "0009_consent")])
        [row] = new.get_model("leads", "Consent").objects.filter(parent_id=parent.pk)
        assert (row.method, row.processing, row.notice_id) == ("NOT_RECORDED", False, None)
