"""In real Chromium: a counselor books an intro visit through the session picker, moves it, cancels it.

Screenshots of the three steps at 1280x800 and on a 768x1024 touch tablet go to $SCREENSHOTS (when set,
to look at them), else to the test's temporary directory.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from leads.models import FollowUp, IntroVisit, LeadStatus
from leads.tests.factories import make_lead, next_session, session_choice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 800}, "tablet": {"width": 768, "height": 1024}}


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")
    expect(page.locator(".userbox")).to_be_visible()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", list(SIZES))
def test_counselor_books_moves_and_cancels_a_visit_through_the_session_picker(
    browser: Browser, live_server, c, size, tmp_path
):
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    context = browser.new_context(viewport=SIZES[size], has_touch=size == "tablet")
    page = context.new_page()
    lead = make_lead(c.center, c.counselor)
    log_in(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")

    # Book: the batch's coming sessions, grouped by batch, with their free seats; no free date-time.
    page.click("#action-visit summary")
    picker = page.locator("#id_visit-session")
    expect(picker).to_be_visible()
    expect(picker.locator("optgroup")).to_have_attribute("label", f"{c.batch.name} · 2 y to 10 y")
    expect(picker).to_contain_text("10 seats free")
    assert page.locator("#action-visit input[type=datetime-local]").count() == 0
    assert page.locator("#id_visit-override_age_band").count() == 0  # counselors cannot override the band
    if size == "tablet":  # touch targets of at least 44px
        assert picker.bounding_box()["height"] >= 44
    picker.select_option(session_choice(c.batch))
    page.locator("#action-visit").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"visit_schedule_{size}.png"), full_page=False)
    no_sideways_scroll(page)
    page.get_by_role("button", name="Schedule visit").click()
    expect(page.locator(".notice-line")).to_have_text("Intro visit scheduled.")
    visit = IntroVisit.objects.get(lead=lead)
    assert visit.scheduled_at == next_session(c.batch)

    # Move it to the session after.
    task = page.locator(f"#visit-{visit.pk}")
    task.locator(f"#reschedule-{visit.pk} summary").click()
    page.locator(f"#id_visit{visit.pk}-reschedule-session").select_option(session_choice(c.batch, 1))
    page.fill(f"#id_visit{visit.pk}-reschedule-notes", "Family away that week")
    task.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"visit_reschedule_{size}.png"), full_page=False)
    no_sideways_scroll(page)
    task.get_by_role("button", name="Move the visit").click()
    expect(page.locator(".notice-line")).to_have_text("Intro visit moved.")
    visit.refresh_from_db()
    assert visit.scheduled_at == next_session(c.batch, 1)
    expect(page.locator("#timeline")).to_contain_text("Intro visit rescheduled")

    # Cancel it, with a reason: the lead goes back to the follow-up queue.
    task = page.locator(f"#visit-{visit.pk}")
    task.locator(f"#cancel-visit-{visit.pk} summary").click()
    page.fill(f"#id_visit{visit.pk}-cancel-reason", "Child unwell this month")
    task.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"visit_cancel_{size}.png"), full_page=False)
    task.get_by_role("button", name="Cancel the visit").click()
    expect(page.locator(".notice-line")).to_have_text("Intro visit cancelled: a follow-up call is due.")
    expect(page.locator(".lead-meta .badge")).to_have_text("Follow-up pending")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOW_UP_PENDING
    assert FollowUp.objects.filter(lead=lead, status="PENDING").count() == 1
    context.close()


def test_a_center_admin_sees_the_age_band_override(browser: Browser, live_server, c):
    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    lead = make_lead(c.center, c.counselor)
    log_in(page, live_server, "tlgc_admin")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.click("#action-visit summary")
    expect(page.locator("#id_visit-override_age_band")).to_be_visible()
    context.close()
