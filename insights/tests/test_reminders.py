"""send_reminders with time travel: the `now` it is given decides what is due."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from insights.models import Channel, DeliveryStatus, Notification, NotificationKind, ReminderLog
from insights.reminders import send_reminders
from insights.sms import BaseSMSBackend, LocmemSMSBackend, SMSError
from leads.tests.factories import book_visit, make_lead

pytestmark = pytest.mark.django_db

LOCMEM_SMS = "insights.sms.LocmemSMSBackend"


class BrokenSMSBackend(BaseSMSBackend):
    def send(self, to, body, *, idempotency_key):
        raise SMSError("provider down")


@pytest.fixture(autouse=True)
def _sms_outbox():
    LocmemSMSBackend.outbox = []
    LocmemSMSBackend.idempotency_keys = []
    with override_settings(SMS_BACKEND=LOCMEM_SMS, PARENT_VISIT_REMINDERS=False):
        yield


def at(center, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment in the center's own time zone."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=center.tzinfo)


def local_today(center) -> datetime.date:
    return timezone.localdate(timezone=center.tzinfo)


def follow_up_tomorrow(c, *, by=None, assigned_to=None):
    lead = make_lead(c.center, by or c.counselor)
    day = local_today(c.center) + datetime.timedelta(days=1)
    return lead.add_follow_up(scheduled_date=day, assigned_to=assigned_to or c.counselor, by=by or c.counselor)


def kinds(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_digest_waits_for_the_digest_hour_in_the_center_time_zone(c):
    c.center.timezone = "America/New_York"
    c.center.save()
    follow_up = follow_up_tomorrow(c)
    day = follow_up.scheduled_date

    send_reminders(at(c.center, day, 7, 59))
    assert kinds(c.counselor) == []

    send_reminders(at(c.center, day, 8, 0))
    assert kinds(c.counselor) == [NotificationKind.DIGEST]
    digest = Notification.objects.get(recipient=c.counselor)
    assert "1 follow-up" in digest.title
    assert str(follow_up.lead) in digest.body
    assert [m.to for m in mail.outbox] == [[c.counselor.email]]


@override_settings(REMINDER_DIGEST_HOUR=18)
def test_digest_hour_is_a_setting(c):
    day = follow_up_tomorrow(c).scheduled_date
    send_reminders(at(c.center, day, 17, 30))
    assert kinds(c.counselor) == []
    send_reminders(at(c.center, day, 18, 5))
    assert kinds(c.counselor) == [NotificationKind.DIGEST]


def test_running_twice_sends_each_reminder_once(c):
    c.counselor.phone = "+919811111111"
    c.counselor.save()
    day = follow_up_tomorrow(c).scheduled_date

    send_reminders(at(c.center, day, 8, 0))
    send_reminders(at(c.center, day, 8, 5))
    call_command("send_reminders", now=at(c.center, day, 9, 0).isoformat(), stdout=StringIO())

    assert kinds(c.counselor) == [NotificationKind.DIGEST]
    assert len(mail.outbox) == 1
    assert len(LocmemSMSBackend.outbox) == 1
    assert ReminderLog.objects.filter(status=DeliveryStatus.SENT).count() == 3  # bell, email, SMS


def test_next_day_brings_a_new_digest_with_the_overdue_follow_up(c):
    follow_up = follow_up_tomorrow(c)
    day = follow_up.scheduled_date
    send_reminders(at(c.center, day, 8))
    send_reminders(at(c.center, day + datetime.timedelta(days=1), 8))
    digests = Notification.objects.filter(recipient=c.counselor, kind=NotificationKind.DIGEST)
    assert digests.count() == 2
    assert "1 overdue" in digests.first().title  # newest first


def test_overdue_alert_goes_to_the_assignee_once_the_date_has_passed(c):
    follow_up = follow_up_tomorrow(c)
    day = follow_up.scheduled_date

    send_reminders(at(c.center, day, 23, 59))
    assert NotificationKind.OVERDUE not in kinds(c.counselor)

    send_reminders(at(c.center, day + datetime.timedelta(days=1), 0, 5))
    # The 23:59 run sent that day's digest; past midnight comes the overdue alert.
    assert kinds(c.counselor) == [NotificationKind.DIGEST, NotificationKind.OVERDUE]
    assert kinds(c.admin) == []


def test_completed_follow_up_is_never_overdue(c):
    follow_up = follow_up_tomorrow(c)
    follow_up.complete(
        outcome="POSTPONED", next_date=follow_up.scheduled_date + datetime.timedelta(days=7), by=c.counselor
    )
    send_reminders(at(c.center, follow_up.scheduled_date + datetime.timedelta(days=1), 1))
    assert kinds(c.counselor) == []


@override_settings(OVERDUE_ESCALATION_DAYS=2)
def test_escalation_to_the_center_admin_after_n_days(c, b):
    follow_up = follow_up_tomorrow(c)
    day = follow_up.scheduled_date

    send_reminders(at(c.center, day + datetime.timedelta(days=1), 1))
    assert kinds(c.admin) == []

    send_reminders(at(c.center, day + datetime.timedelta(days=2), 1))
    assert kinds(c.admin) == [NotificationKind.ESCALATION]
    escalation = Notification.objects.get(recipient=c.admin)
    assert "2 days overdue" in escalation.title
    assert escalation.url == f"/leads/{follow_up.lead_id}/"
    assert kinds(b.admin) == []  # the other center's admin hears nothing

    send_reminders(at(c.center, day + datetime.timedelta(days=3), 1))
    assert kinds(c.admin) == [NotificationKind.ESCALATION]  # once, not daily
    assert kinds(c.counselor) == [NotificationKind.OVERDUE]


def test_failing_sms_backend_keeps_the_email_and_does_not_mark_the_sms_sent(c):
    c.counselor.phone = "+919811111111"
    c.counselor.save()
    day = follow_up_tomorrow(c).scheduled_date

    with override_settings(SMS_BACKEND="insights.tests.test_reminders.BrokenSMSBackend"):
        send_reminders(at(c.center, day, 8))
    assert len(mail.outbox) == 1
    assert kinds(c.counselor) == [NotificationKind.DIGEST]
    sms = ReminderLog.objects.get(channel=Channel.SMS)
    assert sms.status == DeliveryStatus.FAILED
    assert sms.sent_at is None
    assert "provider down" in sms.error

    # The provider is back: the next run sends the SMS, and only the SMS.
    send_reminders(at(c.center, day, 8, 5))
    assert LocmemSMSBackend.outbox == [("+919811111111", LocmemSMSBackend.outbox[0][1])]
    assert len(mail.outbox) == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (DeliveryStatus.SENT, 2)


def test_failed_sms_is_retried_at_most_three_times(c):
    c.counselor.phone = "+919811111111"
    c.counselor.save()
    day = follow_up_tomorrow(c).scheduled_date
    with override_settings(SMS_BACKEND="insights.tests.test_reminders.BrokenSMSBackend"):
        for minute in range(5):
            send_reminders(at(c.center, day, 8, minute))
    sms = ReminderLog.objects.get(channel=Channel.SMS)
    assert (sms.status, sms.attempts) == (DeliveryStatus.FAILED, 3)


def test_lead_assigned_by_someone_else_is_announced_once(c):
    lead = make_lead(c.center, c.admin, assigned_to=c.counselor)
    make_lead(c.center, c.counselor)  # the counselor's own lead: nothing to announce
    now = timezone.now()

    send_reminders(now)
    send_reminders(now)
    assert kinds(c.counselor) == [NotificationKind.LEAD_ASSIGNED]
    notification = Notification.objects.get(recipient=c.counselor)
    assert notification.lead == lead
    assert str(c.admin) in notification.title


def test_admin_editing_a_counselors_own_lead_is_not_an_assignment(c):
    lead = make_lead(c.center, c.counselor)
    lead.update_details(by=c.admin, discovery_notes="Prefers weekends")
    send_reminders(timezone.now())
    assert kinds(c.counselor) == []


def test_reassignment_is_announced_to_each_new_assignee(c):
    other = type(c.counselor).objects.create_user("tlgc_counselor2", email="c2@example.com", role="COUNSELOR")
    other.add_to_center(c.center)
    lead = make_lead(c.center, c.counselor)
    lead.reassign(assigned_to=other, by=c.admin)
    send_reminders(timezone.now())
    assert kinds(other) == [NotificationKind.LEAD_ASSIGNED]

    lead.reassign(assigned_to=c.counselor, by=c.admin)
    send_reminders(timezone.now())
    assert kinds(c.counselor) == [NotificationKind.LEAD_ASSIGNED]


def test_follow_up_assigned_by_someone_else_is_announced(c):
    follow_up_tomorrow(c, by=c.admin, assigned_to=c.counselor)
    follow_up_tomorrow(c)  # own follow-up: nothing
    send_reminders(timezone.now())
    assert NotificationKind.FOLLOW_UP_ASSIGNED in kinds(c.counselor)
    assert kinds(c.counselor).count(NotificationKind.FOLLOW_UP_ASSIGNED) == 1


@override_settings(PARENT_VISIT_REMINDERS=True)
def test_parent_is_reminded_the_day_before_the_visit(c):
    lead = make_lead(c.center, c.counselor)
    tomorrow = local_today(c.center) + datetime.timedelta(days=2)
    visit = book_visit(lead, at=at(c.center, tomorrow, 16), batch=c.batch, by=c.counselor)
    parent_phone = lead.child.parents.get().phone

    send_reminders(at(c.center, tomorrow - datetime.timedelta(days=2), 9))
    assert LocmemSMSBackend.outbox == []
    send_reminders(at(c.center, tomorrow - datetime.timedelta(days=1), 9))
    send_reminders(at(c.center, tomorrow - datetime.timedelta(days=1), 10))
    assert len(LocmemSMSBackend.outbox) == 1
    to, body = LocmemSMSBackend.outbox[0]
    assert to == parent_phone
    assert lead.child.first_name in body and "4:00 PM" in body
    assert ReminderLog.objects.filter(kind=NotificationKind.VISIT_REMINDER, object_id=visit.pk).exists()


def test_command_accepts_now_and_reports(c):
    day = follow_up_tomorrow(c).scheduled_date
    out = StringIO()
    call_command("send_reminders", now=at(c.center, day, 8, 30).isoformat(), stdout=out)
    assert "EMAIL sent 1" in out.getvalue()
    assert "IN_APP sent 1" in out.getvalue()
