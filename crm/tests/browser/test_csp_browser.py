"""In real Chromium: every main screen, as each role, runs under the Content-Security-Policy without a
single violation (an inline script or style, a CDN, a form posting elsewhere would all be one)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import Page, expect

from accounts.sessions import SEEN_AT
from leads.tests.browser import login
from leads.tests.factories import make_lead, next_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Reports every violation to the test, on every page the tab opens (the binding survives navigations).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolation(`${e.violatedDirective} blocked ${e.blockedURI} on ${document.location.pathname}`
    + (e.sample ? `: ${e.sample}` : ""));
});
"""


@pytest.fixture
def violations(page: Page) -> list[str]:
    found: list[str] = []
    page.expose_function("cspViolation", lambda text: found.append(text))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found


def visit(page: Page, live_server, path: str) -> None:
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200, path
    assert "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers
    page.wait_for_load_state("networkidle")


@pytest.fixture
def lead_with_visit(c):
    lead = make_lead(c.center, c.counselor)
    lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.counselor)
    return lead


def test_counselor_screens_raise_no_violation(page: Page, live_server, c, lead_with_visit, violations):
    login(page, live_server, "tlgc_counselor")
    for path in ["/board/", "/leads/", f"/leads/{lead_with_visit.pk}/", "/follow-ups/", "/insights/notifications/"]:
        visit(page, live_server, path)
    # The leads list's filters swap the results in with htmx.
    visit(page, live_server, "/leads/")
    page.fill("#id_q", "Sharma")
    page.wait_for_load_state("networkidle")
    # The enquiry form checks fields as they are left (htmx fragments with errors).
    visit(page, live_server, "/enquiries/new/")
    page.fill("#id_parent_phone", "12")
    page.locator("#id_parent_phone").blur()
    expect(page.locator("#errors-parent_phone p")).to_have_count(1)
    assert violations == []


def test_call_and_whatsapp_buttons_may_redirect_out(page: Page, live_server, c, lead_with_visit, violations):
    """form-action governs a form's redirects too: the Call form's 303 to tel: and the WhatsApp
    form's 303 to wa.me must not be refused."""
    asked: list[str] = []
    page.context.on("request", lambda request: asked.append(request.url))
    login(page, live_server, "tlgc_counselor")
    visit(page, live_server, f"/leads/{lead_with_visit.pk}/")
    page.locator(".contact-wa").first.click()  # target=_blank: a new tab (wa.me is not reached in tests)
    page.wait_for_timeout(1500)
    assert violations == []
    assert any(url.startswith("https://wa.me/") for url in asked), asked
    page.locator(".contact-call").first.click()
    page.wait_for_timeout(1000)
    assert violations == []


def test_signed_out_pages_raise_no_violation(page: Page, live_server, db, violations):
    for path in ["/login/", "/admin/login/", "/password-reset/"]:
        visit(page, live_server, path)
    assert violations == []


def test_trainer_screen_raises_no_violation(page: Page, live_server, c, lead_with_visit, violations):
    login(page, live_server, "tlgc_trainer")
    visit(page, live_server, "/trainer/")
    assert violations == []


def test_admin_screens_raise_no_violation(page: Page, live_server, c, lead_with_visit, violations):
    login(page, live_server, "tlgc_admin")
    for path in [
        "/insights/",
        "/insights/calendar/",
        "/board/",
        "/admin/",
        "/admin/leads/lead/",
        f"/admin/leads/lead/{lead_with_visit.pk}/change/",
        f"/admin/accounts/user/{c.counselor.pk}/change/",
    ]:
        visit(page, live_server, path)
    assert violations == []


def test_super_admin_screens_and_api_docs_raise_no_violation(
    page: Page, live_server, c, superadmin, lead_with_visit, violations
):
    login(page, live_server, "superadmin")
    for path in [
        "/insights/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{c.counselor.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/leads/lead/",
        f"/admin/leads/lead/{lead_with_visit.pk}/change/",
    ]:
        visit(page, live_server, path)
    visit(page, live_server, "/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.locator(".swagger-ui .opblock-summary").first.click()
    page.wait_for_timeout(300)
    assert violations == []


def test_an_idle_session_lands_on_the_login_page_whole(page: Page, live_server, c, violations):
    """An htmx request of a timed-out session gets HX-Redirect: the whole tab goes to the login page,
    which says why, rather than the login form appearing inside the leads list."""
    login(page, live_server, "tlgc_counselor")
    visit(page, live_server, "/leads/")
    key = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "sessionid")
    session = SessionStore(session_key=key)
    session[SEEN_AT] -= 9 * 3600
    session.save()
    page.fill("#id_q", "Sharma")
    page.wait_for_url(lambda url: "/login/?next=" in url)
    expect(page.locator(".messages")).to_contain_text("Signed out after 8 hours without activity.")
    assert page.locator("#lead-filters").count() == 0
    assert violations == []
