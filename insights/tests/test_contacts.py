"""Message templates and the tel:/wa.me links built from them."""

import pytest
from django.test import override_settings

from insights import sms
from insights.contacts import default_kind, message_for, primary_parent, tel_url, whatsapp_url
from insights.models import MessageTemplate, TemplateKind


def test_whatsapp_link_has_digits_only_and_an_encoded_text():
    assert (
        whatsapp_url("+91 98765-43210", "Hi Priya & co?") == "https://wa.me/919876543210?text=Hi%20Priya%20%26%20co%3F"
    )


def test_tel_link_keeps_the_plus():
    assert tel_url("+91 98765 43210") == "tel:+919876543210"


def test_template_with_unknown_or_broken_placeholders_never_fails():
    assert MessageTemplate.render("Hi {parent}, {nope}!", parent="Priya") == "Hi Priya, !"
    assert MessageTemplate.render("Hi {parent", parent="Priya") == "Hi {parent"


@pytest.mark.django_db
def test_message_uses_the_centers_own_template_or_the_default(c, lead):
    parent = primary_parent(lead.child_id)
    assert default_kind(lead) == TemplateKind.WELCOME
    assert lead.center.name in message_for(lead, TemplateKind.WELCOME, parent=parent)
    MessageTemplate.objects.create(center=c.center, kind=TemplateKind.WELCOME, body="Namaste {parent}, {child}!")
    first_name = parent.name.split()[0]
    assert message_for(lead, TemplateKind.WELCOME, parent=parent) == f"Namaste {first_name}, {lead.child.first_name}!"


def test_sms_backend_comes_from_the_setting():
    sms.LocmemSMSBackend.outbox = []
    with override_settings(SMS_BACKEND="insights.sms.LocmemSMSBackend"):
        sms.send_sms("+919800000000", "Hello")
    assert sms.LocmemSMSBackend.outbox == [("+919800000000", "Hello")]
    assert isinstance(sms.get_backend(), sms.ConsoleSMSBackend)
