"""`send_reminders` writes no parent's phone or name and no child's name to the logs (issue 10)."""

import datetime
import logging
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from insights.models import DeliveryStatus, NotificationKind, ReminderLog
from insights.sms import BaseSMSBackend, SMSError
from leads.tests.factories import book_visit, make_lead

pytestmark = pytest.mark.django_db

PARENT = {"name": "Anshu Goyal", "phone": "+919876543210", "email": "anshu@example.com"}
CHILD = {"first_name": "Mehr", "last_name": "Goyal", "dob": datetime.date(2021, 3, 4), "gender": "Girl"}


class EchoingBrokenSMSBackend(BaseSMSBackend):
    """A provider that fails and, like some do, echoes the number it was given."""

    def send(self, to, body, *, idempotency_key):
        raise SMSError(f"Provider refused {to}")


def _visit_tomorrow(c):
    lead = make_lead(c.center, c.counselor, parent=PARENT, child=CHILD)
    day = timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=1)
    book_visit(
        lead,
        at=datetime.datetime.combine(day, datetime.time(16), tzinfo=c.center.tzinfo),
        batch=c.batch,
        by=c.counselor,
    )
    return lead


def _after_digest_hour(c) -> datetime.datetime:
    """Today, an hour after the digest hour in the center's time: parents' reminders go from then on
    (a run just after midnight there would rightly send none)."""
    today = timezone.localdate(timezone=c.center.tzinfo)
    return datetime.datetime.combine(today, datetime.time(settings.REMINDER_DIGEST_HOUR + 1), tzinfo=c.center.tzinfo)


def _assert_no_personal_data(text: str) -> None:
    for secret in ("9876543210", "98765", "Anshu", "Goyal", "Mehr", "anshu@example.com"):
        assert secret not in text, f"{secret!r} in the logs: {text}"


@pytest.mark.parametrize(
    "backend",
    ["insights.sms.LogSMSBackend", f"{__name__}.EchoingBrokenSMSBackend"],
    ids=["log backend", "failing provider"],
)
def test_send_reminders_logs_no_parent_phone_or_name(c, caplog, backend):
    _visit_tomorrow(c)
    caplog.set_level(logging.DEBUG)
    out = StringIO()
    with override_settings(SMS_BACKEND=backend, PARENT_VISIT_REMINDERS=True):
        call_command("send_reminders", now=_after_digest_hour(c).isoformat(), stdout=out)

    assert (
        ReminderLog.objects.filter(kind=NotificationKind.VISIT_REMINDER).exclude(status=DeliveryStatus.SENDING).exists()
    )  # the parent's reminder was attempted: there was something to leak
    assert caplog.records  # and the run did log
    _assert_no_personal_data("\n".join(record.getMessage() for record in caplog.records))
    _assert_no_personal_data(out.getvalue())


def test_numbers_are_masked_in_log_text():
    from insights.sms import masked, without_numbers

    assert masked("+919876543210") == "+91******3210"
    assert without_numbers("Provider refused +91 98765-43210 (HTTP 400)") == "Provider refused +91******3210 (HTTP 400)"
