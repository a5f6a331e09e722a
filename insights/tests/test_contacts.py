"""Message templates and the tel:/wa.me links built from them."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from insights import sms
from insights.contacts import default_kind, message_for, primary_parent, tel_url, whatsapp_url
from insights.models import MessageTemplate, TemplateKind
from insights.placeholders import MESSAGE_MAX_LENGTH, validate_template


def test_whatsapp_link_has_digits_only_and_an_encoded_text():
    assert (
        whatsapp_url("+91 98765-43210", "Hi Priya & co?") == "https://wa.me/919876543210?text=Hi%20Priya%20%26%20co%3F"
    )


def test_tel_link_keeps_the_plus():
    assert tel_url("+91 98765 43210") == "tel:+919876543210"


def test_template_with_unknown_or_broken_placeholders_never_fails():
    assert MessageTemplate.render("Hi {parent}, {nope}!", parent="Priya") == "Hi Priya, !"
    assert MessageTemplate.render("Hi {parent", parent="Priya") == "Hi {parent"


# The probe: as a str.format template this built a 100 MB string per message (32 s, 1 GB a worker).
FORMAT_SPEC_BOMB = "Hi {parent:>100000000}"


def test_a_format_spec_is_not_run_but_dropped_in_constant_time():
    assert len(FORMAT_SPEC_BOMB) == 22
    started = time.perf_counter()
    text = MessageTemplate.render(FORMAT_SPEC_BOMB, parent="Priya")
    assert time.perf_counter() - started < 0.1
    assert text == "Hi"


@pytest.mark.parametrize(
    "body", ["{parent.__class__}", "{parent[0]}", "{0}", "{}", "{parent!r}", "{ parent }", "{{parent}}"]
)
def test_attribute_index_and_conversion_placeholders_are_not_placeholders(body):
    assert MessageTemplate.render(body, parent="Priya") in ("", "{Priya}")
    with pytest.raises(ValidationError):
        validate_template(body)


def test_only_named_placeholders_pass_validation():
    validate_template("Hello {parent}, {child} at {center} with {counselor} on {visit}.")
    with pytest.raises(ValidationError, match=r"\{parent:>100000000\} is not a placeholder"):
        validate_template(FORMAT_SPEC_BOMB)
    with pytest.raises(ValidationError, match="is not closed"):
        validate_template("Hi {parent")
    with pytest.raises(ValidationError, match="under 1,000 characters"):
        validate_template("x" * 1001)


def test_the_result_is_bounded_whatever_the_values():
    text = MessageTemplate.render("{parent}" * 125, parent="P" * 10_000)
    assert len(text) == MESSAGE_MAX_LENGTH


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
        assert sms.send_sms("+919800000000", "Hello", idempotency_key="k1") is True
    assert sms.LocmemSMSBackend.outbox == [("+919800000000", "Hello")]
    # The default writes to the log and says so: nothing left the machine.
    assert isinstance(sms.get_backend(), sms.LogSMSBackend)
    assert sms.send_sms("+919800000000", "Hello", idempotency_key="k2") is False
