"""In real Chromium at 1280x800 and on a 768x1024 touch tablet: the program filter of the leads
list (with its export links) and of the board; the URL reproduces the screen.

Screenshots go to $SCREENSHOT_DIR (or the test's temporary directory):
`SCREENSHOT_DIR=/tmp/shots .venv/bin/pytest leads/tests/browser/test_program_filters.py`.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from leads.demo import bulk_leads
from leads.lifecycle import TERMINAL_STATUSES
from leads.models import Lead
from leads.tests.factories import BatchFactory, ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "tablet": {"viewport": {"width": 768, "height": 1024}, "has_touch": True},
}


@pytest.fixture
def music(c):
    program = ProgramFactory(center=c.center, name="Music")
    BatchFactory(center=c.center, program=program, name="Music Makers", trainer=c.trainer)
    bulk_leads(c.center, 40, by=c.counselor, seed=9, days=20)
    return program


@pytest.mark.parametrize("device", VIEWPORTS)
def test_program_filter_on_the_list_and_the_board(browser: Browser, live_server, c, music, device, tmp_path):
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**VIEWPORTS[device])
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "tlgc_counselor")
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")

    music_leads = Lead.objects.filter(center=c.center, program=music)
    assert 0 < music_leads.count() < Lead.objects.filter(center=c.center).count()

    # The leads list: choose Music, the rows and both export links follow, the URL keeps it.
    page.goto(f"{live_server.url}/leads/")
    page.select_option("#id_program", label="Music")
    page.wait_for_url(f"**/leads/?*program={music.pk}*")
    results = page.locator("#lead-results")
    expect(results).to_contain_text(f"{music_leads.count()} leads match these filters")
    for link in ("#export-csv", "#export-xlsx"):
        assert f"program={music.pk}" in page.locator(link).get_attribute("href")
        box = page.locator(link).bounding_box()
        assert box["height"] >= (44 if device == "tablet" else 30)
    csv = page.request.get(f"{live_server.url}{page.locator('#export-csv').get_attribute('href')}")
    assert csv.text().count("\n") == music_leads.count() + 1  # the header and the Music leads only
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(shots / f"programs-list-{device}.png"), full_page=False)
    page.reload()  # the URL alone reproduces the screen
    expect(page.locator("#id_program")).to_have_value(str(music.pk))
    expect(results).to_contain_text(f"{music_leads.count()} leads match")

    # The board: the same filter, the cards of Music leads only.
    page.goto(f"{live_server.url}/board/")
    page.select_option("#id_program", label="Music")
    page.wait_for_url(f"**/board/?*program={music.pk}*")
    page.wait_for_load_state("networkidle")
    shown = {
        int(card.split("-")[1]) for card in page.locator(".card[id^=lead-]").evaluate_all("els => els.map(e => e.id)")
    }
    expected = set(music_leads.exclude(status__in=TERMINAL_STATUSES).values_list("pk", flat=True))
    assert expected <= shown and shown <= set(music_leads.values_list("pk", flat=True))
    page.screenshot(path=str(shots / f"programs-board-{device}.png"), full_page=False)
    context.close()
