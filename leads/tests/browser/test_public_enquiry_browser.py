"""In real Chromium on a 390x844 phone: a parent fills in the public enquiry form and sees the thank-you.

The screenshot goes to $SCREENSHOTS/public_enquiry.png when set (SCREENSHOTS=docs/screenshots makes the
README's), else to the test's temporary directory.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leads.models import Consent, Lead
from leads.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_parent_enquires_on_a_phone(page: Page, live_server, c, settings, tmp_path):
    settings.PUBLIC_ENQUIRY_MIN_SECONDS = 0  # a robot fills the form faster than any parent
    ProgramFactory(center=c.center, name="Gym")
    page.goto(f"{live_server.url}/enquire/TLGC/")
    no_sideways_scroll(page)
    expect(page.locator(".hp")).not_to_be_in_viewport()
    page.fill("#id_parent_name", "Anita Rao")
    page.fill("#id_parent_phone", "98765 11122")
    page.fill("#id_parent_email", "anita@example.com")
    page.fill("#id_child_first_name", "Meera")
    page.check("input[name=child_gender][value=Girl]")
    page.fill("#id_child_age", "4")
    page.select_option("#id_program", label="Gym")
    page.fill("#id_preferred_schedule", "Saturday mornings")
    page.select_option("#id_source", "SOCIAL_MEDIA")
    page.check("#id_consent_processing")
    no_sideways_scroll(page)
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "public_enquiry.png"), full_page=True)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Meera")
    no_sideways_scroll(page)
    lead = Lead.objects.get()
    assert lead.assigned_to == c.counselor and lead.program.name == "Gym"
    assert Consent.objects.get().user_agent  # the phone's browser, as the consent record asks


def test_a_missing_consent_is_shown_next_to_the_box_on_a_phone(page: Page, live_server, c, settings):
    settings.PUBLIC_ENQUIRY_MIN_SECONDS = 0
    page.goto(f"{live_server.url}/enquire/TLGC/?lang=hi")
    page.fill("#id_parent_name", "Anita Rao")
    page.fill("#id_parent_phone", "98765 11122")
    page.fill("#id_child_first_name", "Meera")
    page.check("input[name=child_gender][value=Girl]")
    page.fill("#id_child_age", "4")
    page.click("button[type=submit]")
    expect(page.locator("#errors-consent_processing")).to_contain_text("निशान")
    no_sideways_scroll(page)
    assert not Lead.objects.exists()
