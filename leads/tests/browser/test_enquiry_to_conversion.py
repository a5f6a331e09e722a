"""In real Chromium: a counselor takes a lead from enquiry to conversion through the screens."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from leads.models import Lead, LeadStatus
from leads.tests.factories import session_choice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")
    expect(page.locator(".userbox")).to_be_visible()


def test_counselor_takes_a_lead_from_enquiry_to_conversion(page: Page, live_server, c):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "tlgc_counselor")

    # New enquiry, checked field by field as the counselor leaves each one.
    page.get_by_role("link", name="New enquiry").first.click()
    expect(page.get_by_role("heading", name="New enquiry")).to_be_visible()
    page.fill("#id_child_first_name", "Mehr")
    page.fill("#id_child_last_name", "Goyal")
    dob = timezone.localdate().replace(day=1) - datetime.timedelta(days=365 * 4 + 40)
    page.fill("#id_child_dob", dob.isoformat())
    expect(page.locator("#child-age")).to_contain_text("Age: 4 y")
    page.check("input[name=child_gender][value=Girl]")
    page.fill("#id_parent_name", "Anshu Goyal")
    page.fill("#id_parent_phone", "12")
    page.locator("#id_parent_phone").blur()
    expect(page.locator("#errors-parent_phone")).to_contain_text("phone number")
    page.fill("#id_parent_phone", "98765 43210")
    page.locator("#id_parent_phone").blur()
    expect(page.locator("#errors-parent_phone")).to_be_empty()
    page.check("input[name=parent_expectations][value=confidence]")
    page.select_option("#id_source", "WALK_IN")  # no default source: the counselor asks
    # Without the parent's consent nothing is saved, and the form says so beside the consent (issue 10).
    page.get_by_role("button", name="Save enquiry").click()
    expect(page.locator("#errors-consent_method")).to_contain_text("Record the parent's consent")
    page.get_by_text("Privacy notice, version 1").click()
    expect(page.locator("#consent-section .notice-text p")).to_contain_text("withdraw your consent")
    page.check("input[name=consent_method][value=IN_PERSON]")
    page.check("#id_consent_processing")
    page.check("#id_consent_reminders")
    page.get_by_role("button", name="Save enquiry").click()

    # Success: the enquiry ID, big, then the lead page.
    expect(page.locator("#new-enquiry-id")).to_have_text("TLGC0001")
    expect(page.locator(".lead-head h1")).to_contain_text("Mehr Goyal")

    # Discovery.
    page.click("#action-discovery summary")
    page.fill("#id_discovery-school", "Delhi Public School")
    page.fill("#id_discovery-preferred_schedule", "Saturday mornings")
    page.get_by_role("button", name="Save discovery").click()
    expect(page.locator(".notice-line")).to_have_text("Discovery saved.")
    expect(page.locator(".lead-meta .badge")).to_have_text("Discovery completed")
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))

    # Intro visit: one of the batch's coming sessions, with its free seats in the choice.
    page.click("#action-visit summary")
    session_select = page.locator("#id_visit-session")
    expect(session_select).to_contain_text("seats free")
    session_select.select_option(session_choice(c.batch))
    page.get_by_role("button", name="Schedule visit").click()
    expect(page.locator(".notice-line")).to_have_text("Intro visit scheduled.")
    expect(page.locator(".lead-meta .badge")).to_have_text("Intro visit scheduled")
    expect(page.locator("#timeline")).to_contain_text("4:00 PM")

    # A note on the timeline.
    page.fill("#id_note-body", "Mother prefers WhatsApp")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline")).to_contain_text("Mother prefers WhatsApp")

    # Convert: the enrollment is created in the same step.
    page.click("#action-convert summary")
    page.locator("#id_convert-batch").select_option(str(c.batch.pk))
    page.fill("#id_convert-plan", "Weekly, 3 months")
    page.get_by_role("button", name="Enroll and convert").click()
    expect(page.locator(".notice-line")).to_have_text("Converted: the child is enrolled.")
    expect(page.locator(".lead-meta .badge")).to_have_text("Converted")
    expect(page.locator("#action-convert")).to_have_count(0)

    lead = Lead.objects.get()
    assert lead.status == LeadStatus.CONVERTED and lead.enrollment.plan == "Weekly, 3 months"

    # The list finds it by phone digits, in place, with the URL reproducing the search.
    page.get_by_role("link", name="Leads", exact=True).click()
    page.fill("#id_q", "43210")
    expect(page).to_have_url(re.compile(r"/leads/\?q=43210$"))  # empty filters stay out of the URL
    expect(page.locator("#lead-results tbody tr")).to_have_count(1)
    expect(page.locator("#lead-results")).to_contain_text("Converted")


def test_lead_page_at_tablet_size_shows_actions_first(page: Page, live_server, c, lead):
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    actions = page.locator(".lead-actions").bounding_box()
    timeline = page.locator("#timeline").bounding_box()
    assert actions["y"] < timeline["y"]
    assert actions["width"] > 600  # one column on a tablet
    summary = page.locator("#action-close summary").bounding_box()
    assert summary["height"] >= 44  # touch target
