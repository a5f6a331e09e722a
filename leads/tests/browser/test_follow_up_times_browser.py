"""In real Chromium, at 1280x800 and on a 768x1024 touch tablet: the follow-up queue shows each
call's time in the center's clock, sorted by it, and the forms take a date and a time.

Screenshots go to $SCREENSHOTS (when set) so that a person can look at them.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from leads.models import FollowUp
from leads.tests.browser import login
from leads.tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 800}, "tablet": {"width": 768, "height": 1024}}


def _shot(page: Page, name: str) -> None:
    if folder := os.environ.get("SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _queue(c) -> dict[str, FollowUp]:
    """An overdue call, three later today at different times (added out of order), one next week."""
    tz = c.center.tzinfo
    now = timezone.localtime(timezone=tz)
    today = now.date()
    midnight = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(0), tzinfo=tz)
    room = (midnight - now) / 4  # three times still ahead today, whatever the clock says
    made = {}
    for key, when, note in (
        ("late", now + 3 * room, "Father calls back after work"),
        ("soon", now + room, "Share the fee structure"),
        ("middle", now + 2 * room, ""),
        ("next_week", datetime.datetime.combine(today + datetime.timedelta(days=5), datetime.time(16), tzinfo=tz), ""),
    ):
        lead = make_lead(c.center, c.counselor)
        made[key] = lead.add_follow_up(scheduled_date=when.replace(second=0, microsecond=0), notes=note, by=c.counselor)
    overdue = make_lead(c.center, c.counselor).add_follow_up(scheduled_date=now, notes="Missed", by=c.counselor)
    FollowUp.objects.filter(pk=overdue.pk).update(scheduled_date=now - datetime.timedelta(days=1, hours=2))
    made["overdue"] = overdue
    return made


@pytest.mark.parametrize("size", ["desktop", "tablet"])
def test_queue_shows_times_in_order_and_the_outcome_form_takes_a_time(browser: Browser, live_server, c, size):
    follow_ups = _queue(c)
    context = browser.new_context(viewport=SIZES[size], has_touch=size == "tablet")
    page = context.new_page()
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/follow-ups/")

    today = page.locator("#section-today")
    rows = today.locator(".queue-row")
    expect(rows).to_have_count(3)
    ids = [rows.nth(i).get_attribute("id") for i in range(3)]
    assert ids == [f"follow-up-{follow_ups[k].pk}" for k in ("soon", "middle", "late")]
    soon_local = timezone.localtime(follow_ups["soon"].scheduled_date, c.center.tzinfo)
    expect(page.locator(f"#follow-up-{follow_ups['soon'].pk} .when")).to_contain_text(
        f"{int(soon_local.strftime('%I'))}:{soon_local:%M %p}"
    )
    expect(page.locator("#section-overdue")).to_contain_text("Missed")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    _shot(page, f"follow-up-queue-{size}")

    row = page.locator(f"#follow-up-{follow_ups['soon'].pk}")
    if size == "tablet":  # touch targets of the row
        for target in (
            row.get_by_role("link", name="Record outcome"),
            row.get_by_role("button", name="Cancel follow-up"),
        ):
            assert target.bounding_box()["height"] >= 44
    row.get_by_role("link", name="Record outcome").click()
    row.get_by_label("Call again later").check()
    when = row.get_by_label("Call again on")
    expect(when).to_have_attribute("type", "datetime-local")
    expect(row).to_contain_text("Empty: in 3 days, at the same time.")
    if size == "tablet":  # touch targets of the form
        choice = row.locator("label", has=page.get_by_label("Call again later"))
        for target in (when, choice, row.get_by_role("button", name="Save outcome")):
            assert target.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    _shot(page, f"follow-up-outcome-form-{size}")

    day = timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=2)
    when.fill(f"{day}T17:30")
    row.get_by_role("button", name="Save outcome").click()
    expect(page.locator(f"#follow-up-{follow_ups['soon'].pk}")).to_have_count(0)
    next_one = FollowUp.objects.filter(lead=follow_ups["soon"].lead, status="PENDING").get()
    assert next_one.scheduled_date == datetime.datetime.combine(day, datetime.time(17, 30), tzinfo=c.center.tzinfo)
    context.close()


@pytest.mark.parametrize("size", ["desktop", "tablet"])
def test_lead_page_add_follow_up_form_takes_a_date_and_time(browser: Browser, live_server, c, size):
    lead = make_lead(c.center, c.counselor)
    context = browser.new_context(viewport=SIZES[size], has_touch=size == "tablet")
    page = context.new_page()
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.get_by_text("Add follow-up", exact=True).first.click()
    field = page.locator("#id_follow_up-scheduled_date")
    expect(field).to_be_visible()
    expect(field).to_have_attribute("type", "datetime-local")
    day = timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=3)
    field.fill(f"{day}T16:15")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    _shot(page, f"lead-page-follow-up-form-{size}")
    page.locator("#id_follow_up-notes").fill("Ask about the Saturday batch")
    page.get_by_role("button", name="Add follow-up").click()
    expect(page.locator("body")).to_contain_text(f"{day:%a} {day.day} {day:%b}, 4:15 PM")
    _shot(page, f"lead-page-with-follow-up-{size}")
    assert lead.follow_ups.get().scheduled_date == datetime.datetime.combine(
        day, datetime.time(16, 15), tzinfo=c.center.tzinfo
    )
    context.close()
