"""In real Chromium on a 390x844 phone: a parent enquires, books a trial class from the thank-you
step, sees the confirmation, follows the manage link and cancels.

Screenshots go to $SCREENSHOTS (public_booking*.png) when set, else to the test's temporary directory;
the booking step is shot at 390px and 1280px wide.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leads.models import IntroVisit, Lead, LeadStatus
from leads.tests.factories import BatchFactory, next_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_parent_books_a_trial_class_then_cancels_it_on_a_phone(page: Page, live_server, c, settings, tmp_path):
    settings.PUBLIC_ENQUIRY_MIN_SECONDS = 0  # a robot fills the form faster than any parent
    c.center.address = "2nd floor, Galleria Market, DLF Phase 4, Gurugram 122009"
    c.center.save()
    BatchFactory(center=c.center, program=c.batch.program, name="Saturday Movers", weekday=5, min_age_months=36)
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/enquire/TLGC/")
    page.fill("#id_parent_name", "Anita Rao")
    page.fill("#id_parent_phone", "98765 11122")
    page.fill("#id_parent_email", "anita@example.com")
    page.fill("#id_child_first_name", "Meera")
    page.check("input[name=child_gender][value=Girl]")
    page.fill("#id_child_age", "4")
    page.check("#id_consent_processing")
    page.click("button[type=submit]")

    expect(page.locator("h1")).to_contain_text("Meera")
    options = page.locator(".session-option")
    expect(options.first).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path=str(folder / "public_booking.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(folder / "public_booking_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})

    box = options.first.bounding_box()
    assert box["height"] >= 44  # a thumb hits it
    options.first.click()
    page.click("text=Book this class")

    expect(page.locator("h1")).to_contain_text("is booked")
    expect(page.locator("#visit-where")).to_contain_text("Galleria Market")
    no_sideways_scroll(page)
    page.screenshot(path=str(folder / "public_booking_confirmed.png"), full_page=True)
    lead = Lead.objects.get()
    visit = IntroVisit.objects.get(lead=lead)
    assert lead.status == LeadStatus.IV_SCHEDULED
    assert visit.scheduled_at == min(next_session(c.batch), next_session(visit.batch))

    page.click("#change-link")
    expect(page.locator("h1")).to_contain_text("Reschedule or cancel")
    no_sideways_scroll(page)
    page.screenshot(path=str(folder / "public_booking_change.png"), full_page=True)
    page.fill("#id_reason", "She has a cold")
    page.click("#public-cancel button[type=submit]")
    expect(page.locator("h1")).to_contain_text("was cancelled")
    expect(page.locator("#book-again")).to_be_visible()
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert visit.cancelled_at is not None and lead.status == LeadStatus.FOLLOW_UP_PENDING
