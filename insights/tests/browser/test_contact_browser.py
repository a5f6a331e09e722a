"""In real Chromium: one tap on Call or WhatsApp logs the contact attempt, with and without JavaScript."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from insights.models import ContactAttempt
from leads.tests.browser import login
from leads.tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for_attempts(page, lead, count: int) -> None:
    for _ in range(50):
        if ContactAttempt.objects.filter(lead=lead).count() >= count:
            break
        page.wait_for_timeout(100)
    assert ContactAttempt.objects.filter(lead=lead).count() == count


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_one_tap_on_call_logs_the_attempt_and_hands_over_to_the_dialer(browser, live_server, c, javascript):
    lead = make_lead(c.center, c.counselor)
    phone = lead.child.parents.get().phone
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/leads/")

    with page.expect_response(re.compile(rf"/insights/contact/{lead.pk}/call/$")) as tap:
        page.get_by_role("button", name=f"Call the parent of {lead}").click()
    assert tap.value.request.method == "POST"
    assert tap.value.status == 303
    assert tap.value.headers["location"] == f"tel:{phone}"
    wait_for_attempts(page, lead, 1)
    attempt = ContactAttempt.objects.get(lead=lead)
    assert (attempt.channel, attempt.by.username) == ("CALL", "tlgc_counselor")
    expect(page).to_have_url(f"{live_server.url}/leads/")  # the list stays; the phone's dialer takes over
    context.close()


def test_one_tap_on_whatsapp_logs_the_attempt_and_opens_wa_me_in_a_new_tab(browser, live_server, c):
    lead = make_lead(c.center, c.counselor)
    lead.add_follow_up(scheduled_date=timezone.localdate(timezone=c.center.tzinfo), by=c.counselor)
    context = browser.new_context()
    # No network here: answer for wa.me so the new tab has somewhere to land.
    context.route("https://wa.me/**", lambda route: route.fulfill(status=200, body="WhatsApp"))
    page = context.new_page()
    login(page, live_server, "tlgc_counselor")
    page.goto(f"{live_server.url}/follow-ups/")

    with page.expect_popup() as popup:
        page.get_by_role("button", name=f"WhatsApp the parent of {lead}").click()
    digits = lead.child.parents.get().phone.lstrip("+")
    popup.value.wait_for_url(re.compile(rf"^https://wa\.me/{digits}\?text=Hello%20"))
    expect(page).to_have_url(f"{live_server.url}/follow-ups/")  # the queue stays where it was
    wait_for_attempts(page, lead, 1)
    attempt = ContactAttempt.objects.get(lead=lead)
    assert (attempt.channel, attempt.template) == ("WHATSAPP", "FOLLOW_UP")
    context.close()
