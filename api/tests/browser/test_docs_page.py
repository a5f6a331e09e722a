"""In real Chromium: the Swagger page renders from the app's own assets, with the network to
anything else cut off, and "Try it out" gets a token."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_docs_page_renders_without_any_outside_request(page: Page, live_server, c):
    own_host = urlsplit(live_server.url).netloc
    outside: list[str] = []

    def guard(route):
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(f"{live_server.url}/api/v1/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Leads CRM API")
    expect(page.locator("#operations-leads-create_enquiry")).to_be_visible()
    expect(page.locator("#operations-leads-create_lead_legacy.opblock-deprecated")).to_be_visible()
    expect(page.locator("button.authorize")).to_be_visible()
    assert outside == []

    # Try it out: the token endpoint answers from the page itself.
    page.locator("#operations-auth-issue_token .opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.locator("#operations-auth-issue_token textarea.body-param__text").fill(
        '{"username": "tlgc_counselor", "password": "demo-pass-123"}'
    )
    page.get_by_role("button", name="Execute").click()
    live = page.locator("#operations-auth-issue_token .live-responses-table tbody .response-col_status")
    expect(live).to_have_text("200")
    expect(page.locator("#operations-auth-issue_token .live-responses-table tbody")).to_contain_text('"token"')
    assert outside == []
