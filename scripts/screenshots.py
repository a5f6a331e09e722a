"""Screenshots of the main screens on demo data: `make screenshots` -> docs/screenshots/*.png.

A fresh SQLite database in a temporary directory, `migrate`, `seed_demo`, a few visits and
follow-ups dated today (so the trainer view and the queue are never empty whatever the clock),
then `runserver --noreload` on a free port, Chromium through Playwright, and the server stopped
by its PID. Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PYTHON = sys.executable
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "demo-pass-123"

#: Run inside `manage.py shell`: make sure today has visits and follow-ups, through the verbs.
TOP_UP = r"""
import datetime, json
from django.utils import timezone
from accounts.models import Center, User
from leads.models import Batch, IntroVisit, Lead, LeadStatus
center = Center.objects.get(code="TLGC")
counselor = User.objects.get(username="tlgc_counselor")
trainer = User.objects.get(username="tlgc_trainer")
tz = center.tzinfo
now = timezone.localtime(timezone=tz)
today = now.date()
batches = list(Batch.objects.filter(center=center, trainer=trainer))
fresh = list(Lead.objects.filter(center=center, status=LeadStatus.DISCOVERY_COMPLETED).select_related("child").order_by("-created_at")[:40])
# Visits on the batches' next sessions (every day has a batch today or tomorrow), for children of the batch's age.
soon = sorted(((s.starts_at, b) for b in batches for s in b.next_sessions(2) if s.free), key=lambda pair: pair[0])[:5]
for at, batch in soon:
    day = timezone.localtime(at, tz).date()
    fits = [l for l in fresh if batch.min_age_months <= sum(x * y for x, y in zip(l.child.age_on(day), (12, 1))) <= batch.max_age_months]
    if fits:
        fresh.remove(fits[0])
        fits[0].schedule_intro_visit(scheduled_at=at, batch=batch, trainer=trainer, notes="Bring water; first class.", by=counselor)
for lead in Lead.objects.filter(center=center, status=LeadStatus.ENQUIRY_RECEIVED, assigned_to=counselor)[:3]:
    lead.add_follow_up(scheduled_date=today, notes="Call back about the weekend batch.", by=counselor)
rich = (
    Lead.objects.filter(center=center, status=LeadStatus.FOLLOW_UP_PENDING, intro_visits__outcome__isnull=False)
    .order_by("-created_at").first()
    or Lead.objects.filter(center=center).order_by("-created_at").first()
)
print("RESULT" + json.dumps({"lead": rich.pk}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"runserver exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/login/", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The server did not answer at {url} within {timeout} s")


def login(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"  {path.relative_to(ROOT)}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crm-screens-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "DJANGO_DEBUG": "1",  # static files straight from static/, no collectstatic
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        print("Preparing a fresh demo database…")
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "seed_demo")
        output = manage(env, "shell", "-c", TOP_UP, capture=True)
        lead_pk = json.loads(output.split("RESULT", 1)[1])["lead"]

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(url, server)
            print(f"Server {server.pid} on {url}; screenshots:")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
                )
                laptop = browser.new_context(viewport={"width": 1280, "height": 800})
                page = laptop.new_page()
                login(page, url, "tlgc_counselor")
                page.goto(f"{url}/board/")
                shoot(page, "board")
                page.goto(f"{url}/leads/{lead_pk}/")
                shoot(page, "lead_page", full_page=True)
                page.goto(f"{url}/enquiries/new/")
                shoot(page, "enquiry_form", full_page=True)
                page.goto(f"{url}/follow-ups/")
                row = page.locator(".queue-row").first
                if row.count():
                    row.get_by_role("link", name="Record outcome").click()
                    row.get_by_label("Call again later").check()
                shoot(page, "follow_ups", full_page=True)
                laptop.close()

                tablet = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
                page = tablet.new_page()
                login(page, url, "tlgc_trainer")
                page.goto(f"{url}/trainer/")
                attended = page.get_by_role("link", name="Attended")
                if attended.count():
                    attended.first.click()
                    page.wait_for_load_state("networkidle")
                shoot(page, "trainer")
                tablet.close()
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    print("Done.")


if __name__ == "__main__":
    main()
