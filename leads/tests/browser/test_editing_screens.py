"""In real Chromium at 1280x800 and 768x1024 (touch): the known-phone question on the enquiry form
and the lead page's edit forms. Screenshots go to $SCREENSHOT_DIR when set (looked at by hand)."""

import datetime
import os

import pytest
from playwright.sync_api import Page, expect

from leads.models import Lead, Parent
from leads.tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def login(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


# Intermittent since stop 15 (about 1 run in 3 on this machine, either viewport): the parent's name,
# changed after the phone filled it, sometimes brings no "Same parent?" question. Not yet explained
# (it happens with the no-store and axes middleware off too); the stop 15 note tracks it. The plain
# HTTP test (test_editing_enquiry.py) still proves the question itself.
@pytest.mark.parametrize("width,height", [(1280, 800), (768, 1024)])
def test_known_phone_fills_the_name_then_asks_about_another_spelling(page: Page, live_server, c, width, height):
    make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Kabir", "last_name": "Goyal", "dob": datetime.date(2018, 2, 2), "gender": "Boy"},
        parent={"name": "Anshu Goyal", "phone": "+919810055501", "email": ""},
    )
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/enquiries/new/")
    page.fill("#id_parent_phone", "098100 55501")
    page.locator("#id_parent_phone").blur()
    expect(page.locator("#id_parent_name")).to_have_value("Anshu Goyal")  # filled in
    page.fill("#id_parent_name", "Anshu Goel")
    page.locator("#id_parent_name").blur()
    question = page.locator("#same-parent-question")
    expect(question).to_contain_text("Same parent (Anshu Goyal) or a different person?")
    for label in question.locator("label.choice").all():
        assert label.bounding_box()["height"] >= 44  # touch target
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, f"enquiry-same-parent-{width}.png")
    page.fill("#id_child_first_name", "Mehr")
    page.fill("#id_child_last_name", "Goyal")
    page.fill("#id_child_age", "4")
    page.check("input[name=child_gender][value=Girl]")
    page.select_option("#id_source", "PHONE_CALL")
    question.get_by_text("Same parent: keep Anshu Goyal").click()
    page.check("input[name=consent_method][value=PHONE_VERBAL]")
    page.check("#id_consent_processing")
    page.get_by_role("button", name="Save enquiry").click()
    expect(page.locator("#new-enquiry-id")).to_be_visible()
    lead = Lead.objects.get(child__first_name="Mehr")
    assert lead.child.parents.get().name == "Anshu Goyal" and lead.child.dob_is_approximate
    expect(page.locator(".lead-head h1")).to_contain_text("about 4 y")


@pytest.mark.parametrize("width,height", [(1280, 800), (768, 1024)])
def test_counselor_edits_the_child_and_a_phone_on_the_lead_page(page: Page, live_server, c, width, height):
    lead = make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Mehr", "last_name": "Goyal", "dob": datetime.date(2020, 6, 15), "gender": "Girl"},
        parent={"name": "Anshu Goyal", "phone": "+919810055501", "email": ""},
    )
    parent = Parent.objects.get()
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.locator("#action-child summary").click()
    page.locator(f"#action-parent{parent.pk} summary").click()
    page.locator("#action-add_parent summary").click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, f"lead-edit-forms-{width}.png")
    form = page.locator(f"#action-parent{parent.pk} form")
    form.locator("input[name$=phone]").fill("+91 98100 55502")
    form.get_by_role("button", name="Save parent").click()
    expect(page.locator("#timeline")).to_contain_text("details changed: phone +91 98100 55501 -> +91 98100 55502")
    expect(page.locator("#timeline")).to_contain_text(f"by {c.counselor}")
    shot(page, f"lead-after-edit-{width}.png")
    assert Parent.objects.get().phone == "+919810055502"
