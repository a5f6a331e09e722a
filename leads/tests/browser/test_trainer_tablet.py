"""In real Chromium on a 768x1024 touch tablet: a trainer records an intro visit only once it has
started, attendance first, a confirmed no-show, and undoes a wrong tap."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from leads.models import IntroVisit, LeadStatus
from leads.tests.factories import make_lead, next_session, started

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Where the screenshots go to be looked at (SCREENSHOTS=dir), else the test's tmp dir.
SHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 768, "height": 1024}, "has_touch": True}


def visit_in(c, minutes, *, name="Mehr"):
    """A visit of today's batch starting in `minutes` (negative: started that long ago)."""
    lead = make_lead(
        c.center,
        c.counselor,
        parent_expectations=["confidence"],
        child={"first_name": name, "last_name": "Goyal", "dob": datetime.date(2021, 3, 2), "gender": "Girl"},
    )
    visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, notes="Shy", by=c.counselor)
    return lead, started(visit, minutes_ago=-minutes)


def log_in(page: Page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "tlgc_trainer")
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/trainer/")


def shoot(page: Page, tmp_path: Path, name: str) -> None:
    """The page at the tablet's size and at 1280x800, to look at."""
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}-768x1024.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=folder / f"{name}-1280x800.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 768, "height": 1024})


def big_enough(locator) -> None:
    box = locator.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box


def test_before_the_start_the_card_says_when_and_offers_no_buttons(page: Page, live_server, c, tmp_path):
    lead, visit = visit_in(c, 90)
    log_in(page, live_server)
    card = page.locator(f"#visit-{visit.pk}")
    local = timezone.localtime(visit.scheduled_at, c.center.tzinfo)
    expect(card).to_contain_text(f"Starts at {local:%-I:%M %p}")
    expect(card.get_by_role("button")).to_have_count(0)
    expect(card.get_by_role("link", name="No-show")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, tmp_path, "trainer-not-started")


def test_attended_then_outcome_then_undo_within_the_window(page: Page, live_server, c, tmp_path):
    lead, visit = visit_in(c, -5)
    log_in(page, live_server)
    card = page.locator(f"#visit-{visit.pk}")
    expect(card).to_contain_text(lead.child.full_name)
    expect(card).to_contain_text("Confidence building")
    big_enough(card.get_by_role("button", name="Attended"))
    big_enough(card.get_by_role("link", name="No-show"))
    shoot(page, tmp_path, "trainer-started")

    card.get_by_role("button", name="Attended").tap()
    expect(card).to_contain_text("How did it go?")
    for label in ("Interested: enroll now", "Interested: enroll later", "Not interested"):
        expect(card.get_by_label(label)).not_to_be_checked()
        big_enough(card.locator("label", has_text=label))
    visit.refresh_from_db()
    assert visit.attended_at is not None and visit.outcome is None
    shoot(page, tmp_path, "trainer-attended")

    card.get_by_label("Interested: enroll later").check()
    card.get_by_label("Notes for the counselor").fill("Loved the bars")
    card.get_by_role("button", name="Save outcome").tap()
    expect(card).to_contain_text("Recorded: Interested, enroll later")
    undo = card.get_by_role("link", name="Undo / correct")
    big_enough(undo)
    shoot(page, tmp_path, "trainer-recorded")

    undo.tap()
    expect(card.get_by_label("Interested, enroll later")).to_have_count(0)  # not the one recorded
    expect(card.get_by_label("Not interested")).not_to_be_checked()
    card.get_by_label("Not interested").check()
    shoot(page, tmp_path, "trainer-correct")
    card.get_by_role("button", name="Save correction").tap()
    expect(card).to_contain_text("Recorded: Not interested")

    visit.refresh_from_db()
    lead.refresh_from_db()
    assert (visit.outcome, visit.outcome_notes) == ("NOT_INTERESTED", "Loved the bars")
    assert lead.status == LeadStatus.FOLLOW_UP_PENDING
    assert lead.status_changes.last().action == "correct_to_not_interested"


def test_no_show_needs_a_confirmation_tap(page: Page, live_server, c, tmp_path):
    lead, visit = visit_in(c, -5)
    log_in(page, live_server)
    card = page.locator(f"#visit-{visit.pk}")
    card.get_by_role("link", name="No-show").tap()
    confirm = card.get_by_role("button", name="Yes, no-show")
    expect(confirm).to_be_visible()
    big_enough(confirm)
    assert IntroVisit.objects.get(pk=visit.pk).outcome is None  # one tap records nothing
    shoot(page, tmp_path, "trainer-confirm-no-show")
    confirm.tap()
    expect(card).to_contain_text("Recorded: No-show")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.IV_NO_SHOW
