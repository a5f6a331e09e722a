"""Follow-up times in the reminders, the message templates, the calendar and the figures."""

import datetime

import pytest
from django.utils import timezone

from insights.contacts import message_for
from insights.metrics import follow_up_effectiveness
from insights.metrics.filters import Filters
from insights.models import MessageTemplate, Notification, NotificationKind, TemplateKind
from insights.reminders import send_reminders
from insights.tests.helpers import travel
from leads.models import FollowUp, FollowUpOutcome
from leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db


def local(center, day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=center.tzinfo)


def today(center):
    return timezone.localdate(timezone=center.tzinfo)


def test_digest_lists_todays_calls_with_their_time_in_the_centers_clock(c):
    day = today(c.center) + datetime.timedelta(days=1)
    lead = make_lead(c.center, c.counselor)
    lead.add_follow_up(scheduled_date=local(c.center, day, 16, 30), by=c.counselor)
    send_reminders(local(c.center, day, 8, 5))
    digest = Notification.objects.get(recipient=c.counselor, kind=NotificationKind.DIGEST)
    assert f"- 4:30 PM · {lead}" in digest.body


def test_overdue_alert_says_when_the_call_was_due(c):
    day = today(c.center) + datetime.timedelta(days=1)
    lead = make_lead(c.center, c.counselor)
    lead.add_follow_up(scheduled_date=local(c.center, day, 15, 0), by=c.counselor)
    send_reminders(local(c.center, day, 18, 0))  # the time passed, the day did not: no alert yet
    assert not Notification.objects.filter(kind=NotificationKind.OVERDUE).exists()
    send_reminders(local(c.center, day + datetime.timedelta(days=1), 0, 10))
    alert = Notification.objects.get(recipient=c.counselor, kind=NotificationKind.OVERDUE)
    assert f"was due on {day:%a %d %b}, 3:00 PM." in alert.body


def test_assignment_notice_says_the_time(c):
    day = today(c.center) + datetime.timedelta(days=2)
    lead = make_lead(c.center, c.admin)
    lead.add_follow_up(scheduled_date=local(c.center, day, 11, 15), assigned_to=c.counselor, by=c.admin)
    send_reminders(timezone.now())
    notice = Notification.objects.get(recipient=c.counselor, kind=NotificationKind.FOLLOW_UP_ASSIGNED)
    assert notice.body.endswith(f"on {day:%a %d %b}, 11:15 AM.")


def test_message_template_follow_up_placeholder_is_the_next_calls_time(c):
    day = today(c.center) + datetime.timedelta(days=3)
    lead = make_lead(c.center, c.counselor)
    lead.add_follow_up(scheduled_date=local(c.center, day, 17, 0), by=c.counselor)
    MessageTemplate.objects.create(center=c.center, kind=TemplateKind.FOLLOW_UP, body="We will call {follow_up}.")
    text = message_for(lead, TemplateKind.FOLLOW_UP, parent=None)
    assert text == f"We will call {day:%a %d %b}, 5:00 PM."


def test_calendar_puts_a_follow_up_on_its_local_day_with_its_time(client, c):
    # 00:30 on a Monday in Gurgaon is still Sunday in UTC: the call belongs to Monday.
    day = today(c.center) + datetime.timedelta(days=7 - today(c.center).weekday())  # next Monday
    lead = make_lead(c.center, c.counselor)
    follow_up = lead.add_follow_up(scheduled_date=local(c.center, day, 0, 30), by=c.counselor)
    client.force_login(c.counselor)
    html = client.get("/insights/calendar/", {"week": day.isoformat()}).content.decode()
    monday = html[html.index(day.isoformat()) :]
    assert f'id="follow-up-{follow_up.pk}"' in monday[: monday.index("</section>")]
    assert "12:30 AM · Follow-up" in html


def test_a_call_done_later_the_same_day_counts_as_on_time(c):
    day = today(c.center) - datetime.timedelta(days=3)
    with travel(local(c.center, day, 8)):
        lead = make_lead(c.center, c.counselor)
        on_time = lead.add_follow_up(scheduled_date=local(c.center, day, 10), by=c.counselor)
    with travel(local(c.center, day, 18)):  # 8 hours after its time, the same day
        on_time.complete(outcome=FollowUpOutcome.POSTPONED, next_date=day + datetime.timedelta(days=1), by=c.counselor)
    with travel(local(c.center, day + datetime.timedelta(days=2), 9)):  # the next one, a day late
        FollowUp.objects.get(lead=lead, status="PENDING").complete(
            outcome=FollowUpOutcome.LOST, reason="Moved", by=c.counselor
        )
    filters = Filters(start=day, end=day + datetime.timedelta(days=1), center=c.center, source="", counselor=None)
    [row] = follow_up_effectiveness(c.admin, filters, timezone.now())
    assert (row["total"], row["on_time"], row["late"]) == (2, 1, 1)
