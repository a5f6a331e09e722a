"""In real Chromium at 1280x800 and 768x1024: a pasted 300-character URL in notes, remarks and
names wraps on every page that shows it; no page gets wider than the viewport."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from leads.models import FollowUp, IntroVisit
from leads.tests.factories import make_lead, next_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "https://example.com/" + "a" * 280  # 300 characters, no break opportunity
assert len(URL) == 300
NAME = "x" * 80  # as long as a first name may be, unbroken


def login(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def long_lead(c):
    lead = make_lead(
        c.center,
        c.counselor,
        child={"first_name": NAME, "last_name": "y" * 80, "dob": datetime.date(2021, 1, 10), "gender": "Girl"},
        parent={"name": "p" * 120, "phone": "+919810055501", "email": ""},
        school="s" * 160,
        remarks=URL,
    )
    lead.add_note(body=URL, by=c.counselor)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, notes=URL, by=c.counselor)
    # Today, in the evening: on the trainer's list, the calendar's week and the lead page.
    today = timezone.localdate(timezone=c.center.tzinfo)
    IntroVisit.objects.filter(pk=visit.pk).update(
        scheduled_at=datetime.datetime.combine(today, datetime.time(23, 0), tzinfo=c.center.tzinfo)
    )
    FollowUp.objects.create(
        lead=lead,
        scheduled_date=datetime.datetime.combine(today, datetime.time(10, 0), tzinfo=c.center.tzinfo),
        notes=URL,
        assigned_to=c.counselor,
        created_by=c.counselor,
    )
    return lead


def _pages(live_server, lead) -> list[str]:
    return [
        f"/leads/{lead.pk}/",
        "/board/",
        "/leads/",
        "/follow-ups/",
        "/insights/calendar/",
        "/insights/",
    ]


@pytest.mark.parametrize("width,height", [(1280, 800), (768, 1024)])
def test_a_pasted_url_never_widens_a_page(page: Page, live_server, c, long_lead, width, height):
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server, "tlgc_admin")
    too_wide = []
    for path in _pages(live_server, long_lead):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            too_wide.append((path, page.evaluate("document.documentElement.scrollWidth")))
    assert too_wide == []
    # The trainer's own screen.
    page.context.clear_cookies()
    login(page, live_server, "tlgc_trainer")
    page.goto(f"{live_server.url}/trainer/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
