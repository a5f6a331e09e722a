"""In real Chromium on a 768x1024 tablet: a trainer records an intro-visit outcome."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from leads.models import IntroVisit, LeadStatus
from leads.tests.factories import make_lead, next_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 768, "height": 1024}, "has_touch": True}


def test_trainer_records_attended_and_outcome_on_a_tablet(page: Page, live_server, c):
    lead = make_lead(c.center, c.counselor, parent_expectations=["confidence"])
    visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, notes="Shy", by=c.counselor)
    local_today = timezone.localdate(timezone=c.center.tzinfo)
    at = datetime.datetime.combine(local_today, datetime.time(18, 0), tzinfo=c.center.tzinfo)
    IntroVisit.objects.filter(pk=visit.pk).update(scheduled_at=at)

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "tlgc_trainer")
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/trainer/")

    card = page.locator(f"#visit-{visit.pk}")
    expect(card).to_contain_text(lead.child.full_name)
    expect(card).to_contain_text("Confidence building")
    # Touch targets of at least 44px, and no horizontal scrolling on the tablet.
    for name in ("Attended", "No-show"):
        box = card.get_by_role("button" if name == "No-show" else "link", name=name).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    card.get_by_role("link", name="Attended").tap()
    card.get_by_label("Interested: enroll later").check()
    card.get_by_label("Notes for the counselor").fill("Loved the bars")
    card.get_by_role("button", name="Save outcome").tap()

    expect(card).to_contain_text("Recorded: Interested, enroll later")
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert (visit.outcome, visit.outcome_notes) == ("INTERESTED_ENROLL_LATER", "Loved the bars")
    assert lead.status == LeadStatus.FOLLOW_UP_PENDING
