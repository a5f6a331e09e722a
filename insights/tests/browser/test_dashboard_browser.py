"""End to end in Chromium: an admin opens the dashboard, widens the range, clicks a funnel step."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from insights.tests.helpers import travel
from leads.tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_admin_changes_the_range_and_clicks_a_funnel_step(page, live_server, c):
    recent = make_lead(c.center, c.counselor)
    recent.complete_discovery(discovery_notes="Weekend batch", by=c.counselor)
    make_lead(c.center, c.counselor)
    with travel(timezone.now() - datetime.timedelta(days=200)):
        old = make_lead(c.center, c.counselor)
        old.complete_discovery(discovery_notes="Asked about fees", by=c.counselor)

    login(page, live_server, c.admin)
    page.goto(f"{live_server.url}/insights/")
    expect(page.locator("#figure-leads")).to_have_text("2")
    expect(page.locator("#funnel-step-discovery a")).to_have_text("1")

    start = (timezone.localdate() - datetime.timedelta(days=365)).isoformat()
    page.fill("#id_start", start)  # a date input: fill fires input and change, so one request
    expect(page.locator("#figure-leads")).to_have_text("3")
    expect(page).to_have_url(re.compile(rf"start={start}"))  # the URL reproduces the screen

    page.locator("#funnel-step-discovery a").click()
    expect(page).to_have_url(re.compile(r"/insights/leads/\?.*step=discovery"))
    expect(page.locator("#drill-count")).to_have_text("2 leads")
    expect(page.locator(f"#lead-{recent.pk}")).to_be_visible()
    expect(page.locator(f"#lead-{old.pk}")).to_be_visible()
    # Each row leads on to the lead page.
    expect(page.get_by_role("link", name=old.enquiry_id, exact=True)).to_have_attribute("href", f"/leads/{old.pk}/")
