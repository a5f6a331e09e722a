"""The follow-up queue: sections, mine/center, inline outcomes, the nav count, budgets."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.demo import bulk_leads
from leads.models import Enrollment, FollowUp, FollowUpStatus, IntroVisit, LeadStatus
from leads.tests.factories import make_lead, next_session, session_choice

S = LeadStatus
HTMX = {"HTTP_HX_REQUEST": "true"}
QUEUE = "/follow-ups/"
COUNT = "/follow-ups/count/"


def today(c):
    return timezone.localdate(timezone=c.center.tzinfo)


def later_today(c) -> datetime.datetime:
    """A minute from now, but still today in the center's clock (due today, not yet overdue)."""
    tz = c.center.tzinfo
    end_of_day = datetime.datetime.combine(today(c) + datetime.timedelta(days=1), datetime.time(0), tzinfo=tz)
    return min(timezone.now() + datetime.timedelta(minutes=1), end_of_day - datetime.timedelta(seconds=1))


def follow_up(c, *, days=0, assignee=None, by=None):
    """A pending follow-up `days` from now (negative: overdue; 0: later today) on a fresh lead of c."""
    lead = make_lead(c.center, by or c.counselor)
    fu = lead.add_follow_up(scheduled_date=later_today(c), assigned_to=assignee or c.counselor, by=by or c.counselor)
    if days:
        FollowUp.objects.filter(pk=fu.pk).update(scheduled_date=timezone.now() + datetime.timedelta(days=days))
        fu.refresh_from_db()
    return fu


def complete_url(fu):
    return reverse("leads:follow_up_complete", args=[fu.pk])


def section(html, key):
    start = html.index(f'id="section-{key}"')
    return html[start : html.index("</section>", start)]


# -- the queue ---------------------------------------------------------------------------------------


def test_queue_has_overdue_today_and_upcoming_sections(client, c):
    late = follow_up(c, days=-2)
    due = follow_up(c)
    soon = follow_up(c, days=3)
    later = follow_up(c, days=12)
    client.force_login(c.counselor)
    response = client.get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="follow-up-{late.pk}"' in section(html, "overdue")
    assert f'id="follow-up-{due.pk}"' in section(html, "today")
    assert f'id="follow-up-{soon.pk}"' in section(html, "upcoming")
    assert f'id="follow-up-{later.pk}"' not in html
    assert 'id="count-overdue">1<' in html and 'id="count-today">1<' in html and 'id="count-upcoming">1<' in html
    assert late.lead.child.full_name in html and late.lead.enquiry_id in html


def test_queue_is_mine_by_default_with_a_switch_to_the_whole_center(client, c):
    mine = follow_up(c)
    admins = follow_up(c, assignee=c.admin)
    client.force_login(c.counselor)
    html = client.get(QUEUE).content.decode()
    assert f'id="follow-up-{mine.pk}"' in html and f'id="follow-up-{admins.pk}"' not in html
    html = client.get(QUEUE, {"scope": "center"}).content.decode()
    assert f'id="follow-up-{mine.pk}"' in html and f'id="follow-up-{admins.pk}"' in html


def test_queue_htmx_path_returns_the_fragment(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    response = client.get(QUEUE, {"scope": "center"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html and 'id="queue"' in html and f'id="follow-up-{fu.pk}"' in html


def test_empty_queue_says_what_to_do_next(client, c):
    client.force_login(c.counselor)
    html = client.get(QUEUE).content.decode()
    assert "No follow-ups due today." in html and "New enquiry?" in html


def test_queue_never_shows_another_centers_follow_ups(client, c, b):
    theirs = follow_up(b, by=b.counselor, assignee=b.counselor)
    client.force_login(c.counselor)
    html = client.get(QUEUE, {"scope": "center"}).content.decode()
    assert f'id="follow-up-{theirs.pk}"' not in html
    assert client.get(complete_url(theirs)).status_code == 403
    assert client.post(complete_url(theirs), {"outcome": "LOST", "reason": "x"}).status_code == 403
    assert client.post(reverse("leads:follow_up_cancel", args=[theirs.pk])).status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == FollowUpStatus.PENDING


def test_trainer_gets_403_on_the_queue_and_its_actions(client, c):
    fu = follow_up(c)
    client.force_login(c.trainer)
    assert client.get(QUEUE).status_code == 403
    assert client.get(COUNT).status_code == 403
    assert client.post(complete_url(fu), {"outcome": "LOST", "reason": "x"}).status_code == 403
    fu.refresh_from_db()
    assert fu.status == FollowUpStatus.PENDING


def test_queue_is_get_only(client, c):
    client.force_login(c.counselor)
    assert client.post(QUEUE).status_code == 405
    assert client.post(COUNT).status_code == 405
    fu = follow_up(c)
    assert client.get(reverse("leads:follow_up_cancel", args=[fu.pk])).status_code == 405
    assert client.put(complete_url(fu)).status_code == 405


def test_count_is_the_users_due_today_and_overdue(client, c):
    follow_up(c, days=-1)
    follow_up(c)
    follow_up(c, days=2)
    follow_up(c, assignee=c.admin)
    client.force_login(c.counselor)
    response = client.get(COUNT, **HTMX)
    assert response.status_code == 200
    assert response.content.decode() == "2"


# -- recording outcomes inline -------------------------------------------------------------------


def test_record_outcome_opens_the_form_in_the_row(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    response = client.get(complete_url(fu), **HTMX)
    html = response.content.decode()
    assert "<html" not in html and f'id="follow-up-{fu.pk}"' in html
    for outcome in ("ENROLLED", "POSTPONED", "LOST", "SCHEDULED_IV"):
        assert f'value="{outcome}"' in html
    assert c.batch.name in html
    # without JS the same link is a page
    page = client.get(complete_url(fu))
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_postponed_inline_leaves_the_queue_and_fires_follow_up_done(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    next_day = today(c) + datetime.timedelta(days=4)
    response = client.post(
        complete_url(fu),
        {"outcome": "POSTPONED", "next_date": f"{next_day}T18:30", "notes": "Call after 6"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Reswap"] == "delete"
    assert "followUpDone" in json.loads(response["HX-Trigger"])
    fu.refresh_from_db()
    assert (fu.status, fu.outcome) == (FollowUpStatus.COMPLETED, "POSTPONED")
    next_call = FollowUp.objects.filter(lead=fu.lead, status=FollowUpStatus.PENDING).get().scheduled_date
    # The time typed is the center's (Asia/Kolkata, UTC+5:30): 18:30 there is 13:00 UTC.
    assert next_call == datetime.datetime.combine(next_day, datetime.time(13, 0), tzinfo=datetime.UTC)


def test_postponed_to_the_past_shows_the_error_in_the_row(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    response = client.post(complete_url(fu), {"outcome": "POSTPONED", "next_date": "2001-01-01T10:00"}, **HTMX)
    assert response.status_code == 200
    assert "Pick today or a later date." in response.content.decode()
    plain = client.post(complete_url(fu), {"outcome": "POSTPONED", "next_date": "2001-01-01"})
    assert plain.status_code == 400
    assert "Pick today or a later date." in plain.content.decode()
    fu.refresh_from_db()
    assert fu.status == FollowUpStatus.PENDING


def test_bad_outcome_is_refused(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    response = client.post(complete_url(fu), {"outcome": "MAYBE"})
    assert response.status_code == 400
    fu.refresh_from_db()
    assert fu.status == FollowUpStatus.PENDING


def test_lost_closes_the_lead_with_the_reason(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    response = client.post(complete_url(fu), {"outcome": "LOST", "reason": "Moved to Pune", "category": "DISTANCE"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    fu.lead.refresh_from_db()
    assert (fu.lead.status, fu.lead.closed_reason, fu.lead.closed_reason_category) == (
        S.CLOSED_LOST,
        "Moved to Pune",
        "DISTANCE",
    )


def test_scheduled_iv_schedules_the_visit(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    response = client.post(complete_url(fu), {"outcome": "SCHEDULED_IV", "session": session_choice(c.batch, 1)}, **HTMX)
    assert response.status_code == 200, response.content
    visit = IntroVisit.objects.get(lead=fu.lead)
    assert (visit.batch, visit.scheduled_at) == (c.batch, next_session(c.batch, 1))
    fu.lead.refresh_from_db()
    assert fu.lead.status == S.IV_SCHEDULED


def test_scheduled_iv_in_the_past_is_shown_as_an_error(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    response = client.post(
        complete_url(fu),
        {"outcome": "SCHEDULED_IV", "session": f"{c.batch.pk}|2020-01-29T16:00:00+05:30"},  # a past Wednesday
        **HTMX,
    )
    assert "The visit must be in the future." in response.content.decode()
    fu.refresh_from_db()
    assert fu.status == FollowUpStatus.PENDING  # one transaction: nothing half-done


def test_an_outcome_the_lead_refuses_keeps_the_row_and_says_why(client, c):
    lead = make_lead(c.center, c.counselor)
    lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.counselor)
    fu = lead.add_follow_up(scheduled_date=today(c), by=c.counselor)
    client.force_login(c.counselor)
    response = client.post(complete_url(fu), {"outcome": "SCHEDULED_IV", "session": session_choice(c.batch, 1)}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "cannot be scheduled for an intro visit" in html and 'class="outcome-form"' in html
    assert "followUpDone" not in response.headers.get("HX-Trigger", "")
    fu.refresh_from_db()
    assert fu.status == FollowUpStatus.PENDING
    assert IntroVisit.objects.filter(lead=lead).count() == 1


def test_enrolled_creates_the_enrollment_and_converts(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    data = {"outcome": "ENROLLED", "batch": c.batch.pk, "start_date": today(c), "plan": "3 months"}
    response = client.post(complete_url(fu), data, **HTMX)
    assert response.status_code == 200, response.content
    fu.lead.refresh_from_db()
    assert fu.lead.status == S.CONVERTED
    assert fu.lead.enrollment.plan == "3 months"


def test_completing_twice_shows_the_message_and_writes_once(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    data = {"outcome": "ENROLLED", "batch": c.batch.pk, "start_date": today(c)}
    client.post(complete_url(fu), data, **HTMX)
    again = client.post(complete_url(fu), data, **HTMX)
    assert again.status_code == 200
    assert "This follow-up is already completed." in again.content.decode()
    assert Enrollment.objects.count() == 1
    plain = client.post(complete_url(fu), data, follow=True)
    assert plain.status_code == 200
    assert "This follow-up is already completed." in plain.content.decode()


def test_cancel_inline(client, c):
    fu = follow_up(c)
    client.force_login(c.counselor)
    response = client.post(reverse("leads:follow_up_cancel", args=[fu.pk]), **HTMX)
    assert response["HX-Reswap"] == "delete"
    fu.refresh_from_db()
    assert fu.status == FollowUpStatus.CANCELLED
    again = client.post(reverse("leads:follow_up_cancel", args=[fu.pk]), **HTMX)
    assert "already cancelled" in again.content.decode()


def test_outcome_post_needs_csrf(c):
    fu = follow_up(c)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(c.counselor)
    assert strict.post(complete_url(fu), {"outcome": "LOST", "reason": "x"}).status_code == 403


def test_counts_part_refreshes_the_section_counts(client, c):
    follow_up(c, days=-1)
    client.force_login(c.counselor)
    html = client.get(QUEUE, {"part": "counts"}, **HTMX).content.decode()
    assert '<span id="count-overdue" class="count" hx-swap-oob="true">1</span>' in html


# -- query budget -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 1000])
def test_queue_stays_within_15_queries(client, c, django_assert_max_num_queries, n):
    bulk_leads(c.center, n, by=c.counselor, assignees=[c.counselor, c.admin], seed=n)
    client.force_login(c.counselor)
    client.get(QUEUE)
    for params in ({}, {"scope": "center"}):
        with django_assert_max_num_queries(15):
            response = client.get(QUEUE, params)
        assert response.status_code == 200
    with django_assert_max_num_queries(15):
        client.get(COUNT)


def test_queue_rows_have_one_tap_call_and_whatsapp_links(client, c):
    from leads.tests.factories import make_lead

    lead = make_lead(c.center, c.counselor)
    lead.add_follow_up(scheduled_date=timezone.localdate(timezone=c.center.tzinfo), by=c.counselor)
    client.force_login(c.counselor)
    body = client.get(reverse("leads:follow_ups")).content.decode()
    assert f"/insights/contact/{lead.pk}/call/" in body
    assert f"/insights/contact/{lead.pk}/whatsapp/?template=FOLLOW_UP" in body
