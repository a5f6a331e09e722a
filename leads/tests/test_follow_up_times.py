"""Follow-ups carry a time of day (in the center's clock), a year at most ahead, can be edited
while pending, and completing one without the details fills them the same way on every door."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from insights.tests.helpers import travel
from leads.lifecycle import BOOK_THE_VISIT, FOLLOW_UP_TOO_LATE
from leads.models import FollowUp, FollowUpOutcome, FollowUpStatus, Lead, LeadStatus, LifecycleError
from leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db
S = LeadStatus
HTMX = {"HTTP_HX_REQUEST": "true"}
UTC = datetime.UTC


def local(center, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=center.tzinfo)


def today(center) -> datetime.date:
    return timezone.localdate(timezone=center.tzinfo)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def pending_lead(c, when=None):
    lead = make_lead(c.center, c.counselor)
    follow_up = lead.add_follow_up(
        scheduled_date=when or local(c.center, today(c.center) + days(1), 16), by=c.counselor
    )
    return lead, follow_up


# -- the time of day -----------------------------------------------------------------------------


def test_a_naive_time_is_the_centers_local_time(c):
    lead = make_lead(c.center, c.counselor)
    day = today(c.center) + days(2)
    follow_up = lead.add_follow_up(scheduled_date=datetime.datetime.combine(day, datetime.time(16, 0)), by=c.counselor)
    follow_up.refresh_from_db()
    # Gurgaon is UTC+5:30: 4:00 PM there is 10:30 UTC.
    assert follow_up.scheduled_date == datetime.datetime.combine(day, datetime.time(10, 30), tzinfo=UTC)


def test_a_bare_date_is_ten_in_the_morning_local(c):
    c.center.timezone = "America/New_York"
    c.center.save()
    lead = make_lead(c.center, c.counselor)
    day = today(c.center) + days(2)
    follow_up = lead.add_follow_up(scheduled_date=day, by=c.counselor)
    follow_up.refresh_from_db()
    assert timezone.localtime(follow_up.scheduled_date, c.center.tzinfo).time() == datetime.time(10, 0)
    assert timezone.localdate(follow_up.scheduled_date, c.center.tzinfo) == day


def test_queue_sorts_by_time_and_a_time_passed_today_is_overdue(client, c):
    day = today(c.center)
    noon = local(c.center, day, 12)
    with travel(noon - days(1)):  # booked the day before
        _, morning = pending_lead(c, local(c.center, day, 9, 30))
        _, late = pending_lead(c, local(c.center, day, 17, 0))
        _, afternoon = pending_lead(c, local(c.center, day, 14, 15))
    client.force_login(c.counselor)
    with travel(noon):
        html = client.get("/follow-ups/").content.decode()
    overdue = html[html.index('id="section-overdue"') : html.index('id="section-today"')]
    due_today = html[html.index('id="section-today"') : html.index('id="section-upcoming"')]
    assert f'id="follow-up-{morning.pk}"' in overdue  # 9:30 AM has passed at noon
    assert due_today.index(f'id="follow-up-{afternoon.pk}"') < due_today.index(f'id="follow-up-{late.pk}"')
    assert "2:15 PM" in due_today and "5:00 PM" in due_today
    assert 'id="count-overdue">1<' in html and 'id="count-today">2<' in html


def test_today_is_the_centers_today_not_the_servers(client, c):
    # 20:00 UTC on the 1st is 01:30 on the 2nd in Gurgaon: a 10:00 call on the 2nd is due "today".
    moment = datetime.datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    with travel(moment - days(1)):
        _, follow_up = pending_lead(c, local(c.center, datetime.date(2026, 12, 2), 10))
    client.force_login(c.counselor)
    with travel(moment):
        html = client.get("/follow-ups/").content.decode()
    due_today = html[html.index('id="section-today"') : html.index('id="section-upcoming"')]
    assert f'id="follow-up-{follow_up.pk}"' in due_today
    assert "<b>10:00 AM</b>" in due_today  # today's rows show the time only


def test_lead_page_follow_up_form_takes_a_time(client, c):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    day = today(c.center) + days(3)
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert 'name="follow_up-scheduled_date"' in page and 'type="datetime-local"' in page
    response = client.post(
        reverse("leads:lead_follow_up", args=[lead.pk]),
        {"follow_up-scheduled_date": f"{day}T18:45", "version": Lead.objects.get(pk=lead.pk).updated_at.isoformat()},
    )
    assert response.status_code == 302
    follow_up = lead.follow_ups.get()
    assert follow_up.scheduled_date == local(c.center, day, 18, 45)
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert f"{day:%a} {day.day} {day:%b}, 6:45 PM" in page


# -- a year at most ------------------------------------------------------------------------------


def test_a_follow_up_more_than_a_year_ahead_is_refused_by_the_verb(c):
    lead = make_lead(c.center, c.counselor)
    with pytest.raises(ValidationError) as error:
        lead.add_follow_up(scheduled_date=today(c.center) + days(370), by=c.counselor)
    assert error.value.message_dict == {"scheduled_date": [FOLLOW_UP_TOO_LATE]}
    assert lead.add_follow_up(scheduled_date=today(c.center) + days(360), by=c.counselor).pk


def test_a_follow_up_more_than_a_year_ahead_is_refused_on_the_lead_page_and_the_queue(client, c):
    lead, follow_up = pending_lead(c)
    client.force_login(c.counselor)
    too_late = f"{today(c.center) + days(400)}T10:00"
    page = client.post(
        reverse("leads:lead_follow_up", args=[lead.pk]),
        {"follow_up-scheduled_date": too_late, "version": Lead.objects.get(pk=lead.pk).updated_at.isoformat()},
    )
    assert page.status_code == 400 and FOLLOW_UP_TOO_LATE in page.content.decode()
    queue = client.post(
        reverse("leads:follow_up_complete", args=[follow_up.pk]), {"outcome": "POSTPONED", "next_date": too_late}
    )
    assert queue.status_code == 400 and FOLLOW_UP_TOO_LATE in queue.content.decode()
    assert lead.follow_ups.count() == 1 and lead.follow_ups.get().status == FollowUpStatus.PENDING


def test_editing_a_follow_up_to_more_than_a_year_ahead_is_refused(c):
    _, follow_up = pending_lead(c)
    with pytest.raises(ValidationError) as error:
        follow_up.edit(scheduled_date=today(c.center) + days(500), by=c.counselor)
    assert error.value.message_dict == {"scheduled_date": [FOLLOW_UP_TOO_LATE]}


# -- editing a pending follow-up -----------------------------------------------------------------


def test_edit_changes_notes_time_and_assignee_of_a_pending_follow_up(c):
    _, follow_up = pending_lead(c)
    later = local(c.center, today(c.center) + days(4), 11, 30)
    follow_up.edit(notes="Mother prefers mornings", scheduled_date=later, assigned_to=c.admin, by=c.counselor)
    follow_up.refresh_from_db()
    assert (follow_up.notes, follow_up.scheduled_date, follow_up.assigned_to) == (
        "Mother prefers mornings",
        later,
        c.admin,
    )


def test_edit_refuses_an_assignee_of_another_center_and_a_trainer(c, b):
    _, follow_up = pending_lead(c)
    with pytest.raises(ValidationError) as error:
        follow_up.edit(assigned_to=b.counselor, by=c.counselor)
    assert "assigned_to" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        follow_up.edit(notes="x", by=c.trainer)
    with pytest.raises(PermissionDenied):
        follow_up.edit(notes="x", by=b.counselor)


def test_edit_refuses_a_completed_follow_up_with_a_sentence(c):
    _, follow_up = pending_lead(c)
    follow_up.cancel(by=c.counselor)
    with pytest.raises(LifecycleError) as error:
        follow_up.edit(notes="too late", by=c.counselor)
    assert str(error.value) == "This follow-up is already cancelled: it can no longer be changed."


# -- completing without the details --------------------------------------------------------------


def test_postponed_without_a_date_uses_the_centers_interval_at_the_same_time(c):
    c.center.follow_up_interval_days = 5
    c.center.save()
    lead, follow_up = pending_lead(c, local(c.center, today(c.center) + days(1), 16, 30))
    lead.refresh_from_db()
    follow_up = FollowUp.objects.get(pk=follow_up.pk)
    new = follow_up.complete(outcome=FollowUpOutcome.POSTPONED, notes="Busy this week", by=c.counselor)
    assert new.scheduled_date == local(c.center, today(c.center) + days(5), 16, 30)
    follow_up.refresh_from_db()
    assert follow_up.next_follow_up == new


def test_lost_without_a_reason_takes_the_notes_and_refuses_when_both_are_empty(c):
    lead, follow_up = pending_lead(c)
    with pytest.raises(ValidationError) as error:
        follow_up.complete(outcome=FollowUpOutcome.LOST, notes="  ", by=c.counselor)
    assert list(error.value.message_dict) == ["reason"]
    follow_up.complete(outcome=FollowUpOutcome.LOST, notes="Moved to Pune", by=c.counselor)
    lead.refresh_from_db()
    assert (lead.status, lead.closed_reason) == (S.CLOSED_LOST, "Moved to Pune")


def test_scheduled_iv_without_a_visit_leaves_a_book_the_visit_follow_up_due_today(c):
    lead, follow_up = pending_lead(c)
    noon = local(c.center, today(c.center), 12, 10)
    with travel(noon):
        new = follow_up.complete(outcome=FollowUpOutcome.SCHEDULED_IV, notes="Saturday suits", by=c.counselor)
    follow_up.refresh_from_db()
    lead.refresh_from_db()
    assert (follow_up.status, follow_up.outcome) == (FollowUpStatus.COMPLETED, FollowUpOutcome.SCHEDULED_IV)
    assert lead.status == S.FOLLOW_UP_PENDING and not lead.intro_visits.exists()
    assert new.status == FollowUpStatus.PENDING and new.notes.startswith(BOOK_THE_VISIT)
    assert new.scheduled_date == local(c.center, today(c.center), 13, 0)  # the next full hour, today
    assert follow_up.next_follow_up == new


def test_the_queue_completes_the_same_way_without_the_details(client, c):
    c.center.follow_up_interval_days = 2
    c.center.save()
    client.force_login(c.counselor)
    lead1, postponed = pending_lead(c, local(c.center, today(c.center) + days(1), 15))
    response = client.post(reverse("leads:follow_up_complete", args=[postponed.pk]), {"outcome": "POSTPONED"}, **HTMX)
    assert response.status_code == 200 and response["HX-Reswap"] == "delete"
    assert lead1.follow_ups.pending().get().scheduled_date == local(c.center, today(c.center) + days(2), 15)

    lead2, lost = pending_lead(c)
    client.post(
        reverse("leads:follow_up_complete", args=[lost.pk]),
        {"outcome": "LOST", "category": "OTHER_PROGRAM", "notes": "Chose swimming"},
    )
    lead2.refresh_from_db()
    assert (lead2.status, lead2.closed_reason) == (S.CLOSED_LOST, "Chose swimming")

    lead3, booked = pending_lead(c)
    client.post(reverse("leads:follow_up_complete", args=[booked.pk]), {"outcome": "SCHEDULED_IV"})
    assert lead3.follow_ups.pending().get().notes.startswith(BOOK_THE_VISIT)

    lead4, empty = pending_lead(c)
    refused = client.post(reverse("leads:follow_up_complete", args=[empty.pk]), {"outcome": "LOST"})
    assert refused.status_code == 400 and "Say why the family is not joining" in refused.content.decode()


def test_the_lead_page_postpones_without_a_date_at_the_centers_interval(client, c):
    lead, follow_up = pending_lead(c, local(c.center, today(c.center) + days(1), 9, 0))
    client.force_login(c.counselor)
    url = reverse("leads:follow_up_action", args=[lead.pk, follow_up.pk, "postpone"])
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert "Empty: in 3 days, at the same time." in page
    client.post(url, {"version": Lead.objects.get(pk=lead.pk).updated_at.isoformat()})
    assert lead.follow_ups.pending().get().scheduled_date == local(c.center, today(c.center) + days(3), 9, 0)
