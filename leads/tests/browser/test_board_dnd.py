"""In real Chromium: drag cards on the board; allowed moves land, refused ones snap back with the rule."""

import re

import pytest
from playwright.sync_api import Page, expect

from leads.models import LeadStatus
from leads.tests.browser import login
from leads.tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = LeadStatus


def test_drag_to_an_allowed_column_moves_the_card(page: Page, live_server, c):
    lead = make_lead(c.center, c.counselor)
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/board/")
    page.evaluate("window.__sameDocument = true")
    card = page.locator(f"#lead-{lead.pk}")
    expect(page.locator("#cards-ENQUIRY_RECEIVED")).to_contain_text(lead.enquiry_id)

    card.drag_to(page.locator("#column-DISCOVERY_COMPLETED"))

    expect(page.locator(f"#cards-DISCOVERY_COMPLETED #lead-{lead.pk}")).to_be_visible()
    expect(page.locator(f"#cards-ENQUIRY_RECEIVED #lead-{lead.pk}")).to_have_count(0)
    expect(page.locator("#count-DISCOVERY_COMPLETED")).to_have_text("1")
    expect(page.locator("#count-ENQUIRY_RECEIVED")).to_have_text("0")
    expect(page.locator("#board-message")).to_contain_text("moved to")
    assert page.evaluate("window.__sameDocument") is True  # no page reload
    lead.refresh_from_db()
    assert lead.status == S.DISCOVERY_COMPLETED


def test_refused_drop_snaps_back_with_the_rules_message(page: Page, live_server, c):
    lead = make_lead(c.center, c.counselor)
    lead.complete_discovery(by=c.counselor)
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/board/")

    page.locator(f"#lead-{lead.pk}").drag_to(page.locator("#column-ENQUIRY_RECEIVED"))

    message = page.locator("#board-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("never moves back")
    expect(page.locator(f"#cards-DISCOVERY_COMPLETED #lead-{lead.pk}")).to_be_visible()
    expect(page.locator(f"#lead-{lead.pk}")).to_have_class(re.compile("refused"))
    lead.refresh_from_db()
    assert lead.status == S.DISCOVERY_COMPLETED


def test_drop_needing_input_opens_a_dialog_then_moves(page: Page, live_server, c):
    lead = make_lead(c.center, c.counselor)
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/board/")

    page.locator(f"#lead-{lead.pk}").drag_to(page.locator("#column-CLOSED_LOST"))
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close lead").click()  # no reason yet: the error shows beside it
    expect(dialog).to_be_visible()
    dialog.locator("textarea[name=reason]").fill("Chose swimming classes")
    dialog.locator("select[name=category]").select_option("OTHER_PROGRAM")
    dialog.get_by_role("button", name="Close lead").click()

    expect(dialog).to_be_hidden()
    expect(page.locator(f"#cards-CLOSED_LOST #lead-{lead.pk}")).to_be_visible()
    lead.refresh_from_db()
    assert (lead.status, lead.closed_reason) == (S.CLOSED_LOST, "Chose swimming classes")


def test_move_to_menu_works_by_keyboard(page: Page, live_server, c):
    lead = make_lead(c.center, c.counselor)
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/board/")
    card = page.locator(f"#lead-{lead.pk}")
    card.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the menu
    expect(card.get_by_role("button", name="Discovery completed")).to_be_visible()
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Discovery completed")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#cards-DISCOVERY_COMPLETED #lead-{lead.pk}")).to_be_visible()


def test_filters_update_the_board_in_place_and_the_url(page: Page, live_server, c):
    from leads.models import LeadSource

    walk_in = make_lead(c.center, c.counselor)
    referral = make_lead(c.center, c.counselor, source=LeadSource.REFERRAL)
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/board/")
    page.evaluate("window.__sameDocument = true")
    page.select_option("#id_source", LeadSource.REFERRAL)
    expect(page.locator(f"#lead-{walk_in.pk}")).to_have_count(0)
    expect(page.locator(f"#lead-{referral.pk}")).to_be_visible()
    expect(page.locator("#count-ENQUIRY_RECEIVED")).to_have_text("1")
    expect(page).to_have_url(re.compile(r"source=REFERRAL"))
    assert page.evaluate("window.__sameDocument") is True


def test_without_javascript_the_menu_and_the_form_page_move_the_card(browser, live_server, c):
    lead = make_lead(c.center, c.counselor)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/board/")
    card = page.locator(f"#lead-{lead.pk}")
    card.locator("summary").click()
    card.get_by_role("button", name="Closed (lost)").click()
    expect(page).to_have_url(re.compile(rf"/board/move/{lead.pk}/$"))  # the move's own form page
    page.locator("textarea[name=reason]").fill("Moved city")
    page.locator("select[name=category]").select_option("DISTANCE")  # required: no silent "Other"
    page.get_by_role("button", name="Close lead").click()
    expect(page).to_have_url(f"{live_server.url}/board/")
    expect(page.locator(".messages")).to_contain_text(f"{lead.enquiry_id} moved to “Closed (lost)”.")
    expect(page.locator(f"#cards-CLOSED_LOST #lead-{lead.pk}")).to_have_count(1)
    context.close()
