"""In real Chromium: a counselor completes a follow-up inline; it leaves the queue, counts update."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from leads.models import FollowUp, FollowUpStatus
from leads.tests.browser import login
from leads.tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def later_today(center) -> datetime.datetime:
    """An hour from now, but still today in the center's clock (due today, not overdue)."""
    today = timezone.localdate(timezone=center.tzinfo)
    midnight = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(0), tzinfo=center.tzinfo)
    return min(timezone.now() + datetime.timedelta(hours=1), midnight - datetime.timedelta(minutes=1))


def test_counselor_postpones_a_follow_up_inline(page: Page, live_server, c):
    today = timezone.localdate(timezone=c.center.tzinfo)
    first = make_lead(c.center, c.counselor).add_follow_up(scheduled_date=later_today(c.center), by=c.counselor)
    second = make_lead(c.center, c.counselor).add_follow_up(scheduled_date=later_today(c.center), by=c.counselor)
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/follow-ups/")
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#count-today")).to_have_text("2")
    expect(page.locator("#follow-up-count")).to_have_text("2")

    row = page.locator(f"#follow-up-{first.pk}")
    row.get_by_role("link", name="Record outcome").click()
    row.get_by_label("Call again later").check()
    next_day = today + datetime.timedelta(days=3)
    row.get_by_label("Call again on").fill(f"{next_day}T18:00")
    row.get_by_label("Notes").fill("Call after 6 pm")
    row.get_by_role("button", name="Save outcome").click()

    expect(page.locator(f"#follow-up-{first.pk}")).to_have_count(0)
    expect(page.locator("#count-today")).to_have_text("1")
    expect(page.locator("#count-upcoming")).to_have_text("1")
    expect(page.locator("#follow-up-count")).to_have_text("1")
    expect(page.locator(f"#follow-up-{second.pk}")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True  # no reload

    first.refresh_from_db()
    assert (first.status, first.outcome) == (FollowUpStatus.COMPLETED, "POSTPONED")
    six_pm = datetime.datetime.combine(next_day, datetime.time(18, 0), tzinfo=c.center.tzinfo)
    assert FollowUp.objects.filter(lead=first.lead, status=FollowUpStatus.PENDING).get().scheduled_date == six_pm


def test_counselor_marks_a_follow_up_lost_inline(page: Page, live_server, c):
    fu = make_lead(c.center, c.counselor).add_follow_up(scheduled_date=later_today(c.center), by=c.counselor)
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/follow-ups/")
    row = page.locator(f"#follow-up-{fu.pk}")
    row.get_by_role("link", name="Record outcome").click()
    row.get_by_label("Not joining: close the lead").check()
    row.get_by_role("button", name="Save outcome").click()
    expect(row).to_contain_text("Say why the family is not joining (the reason, or the notes).")
    row.get_by_label("Why are they not joining?").fill("Too expensive")
    row.get_by_label("Reason category").select_option("PRICE")  # required: no silent "Other"
    row.get_by_role("button", name="Save outcome").click()
    expect(page.locator(f"#follow-up-{fu.pk}")).to_have_count(0)
    fu.lead.refresh_from_db()
    assert fu.lead.closed_reason == "Too expensive"
