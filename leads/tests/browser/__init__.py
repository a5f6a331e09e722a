"""Browser tests (Playwright, real Chromium): run with `-m browser`."""


def login(page, live_server, username: str, password: str = "demo-pass-123") -> None:
    """Log in through the real login form (personas' password is the demo one)."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
