"""The live server that browser tests drive answers concurrent requests, each on its own connection.

The follow-up queue fires two requests at once (the counts and the nav badge). On SQLite's in-memory
test database the live server's request threads all shared the test's one connection, and such
pages failed now and then; the SQLite test database is a file (crm/settings.py) so they do not.
"""

import http.cookiejar
import threading
import urllib.parse
import urllib.request

import pytest
from django.db import connection
from django.utils import timezone

PAGES = ["/follow-ups/", "/follow-ups/count/", "/leads/", "/board/"]


def _session(base: str, username: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/login/", timeout=30).read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = {"username": username, "password": "demo-pass-123", "csrfmiddlewaretoken": token}
    data = urllib.parse.urlencode(form).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data, headers={"Referer": f"{base}/login/"}), timeout=30)
    return opener


@pytest.mark.django_db(transaction=True)
def test_live_server_answers_concurrent_requests_on_separate_connections(live_server, settings, c, lead):
    # urllib keeps Secure cookies off plain http (Chromium makes an exception for localhost).
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    if connection.vendor == "sqlite":
        assert not connection.is_in_memory_db(), "live-server tests need a file-backed SQLite test database"
    lead.add_follow_up(
        scheduled_date=timezone.localdate(timezone=c.center.tzinfo), by=c.counselor
    )  # the center's today
    results: list[tuple[str, int | str]] = []
    start = threading.Barrier(4)

    def work():
        start.wait()
        for _ in range(3):
            try:  # logging in writes (a session row, last_login) in a transaction
                opener = _session(live_server.url, "tlgc_counselor")
                results.append(("login", 200))
            except Exception as error:  # an HTTP 500, a reset connection: all count as failures
                results.append(("login", repr(error)))
                continue
            for page in PAGES:
                try:
                    with opener.open(f"{live_server.url}{page}", timeout=60) as response:
                        response.read()
                        results.append((page, response.status))
                except Exception as error:
                    results.append((page, repr(error)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [result for result in results if result[1] != 200] == []
    assert len(results) == 4 * 3 * (1 + len(PAGES))
