"""Issue 9 (editing): every page taking a date answers a malformed or out-of-range one with a 400
and a sentence, never a 500 (and never silently something else)."""

import pytest
from django.urls import reverse

from leads.params import DATE_PARAMS
from leads.tests.factories import make_lead

#: Every page (not the API: its own 422s) that reads a date from its query string, and who sees it.
PAGES = [
    ("leads:lead_list", "superadmin"),
    ("leads:lead_csv", "superadmin"),
    ("leads:board", "superadmin"),
    ("leads:follow_ups", "counselor"),
    ("leads:trainer_today", "trainer"),
    ("insights:dashboard", "superadmin"),
    ("insights:leads", "superadmin"),
    ("insights:calendar", "superadmin"),
    ("insights:calendar", "trainer"),
]
BAD = [
    "0001-01-01",
    "1-01-01",
    "9999-12-31",
    "0000-00-00",
    "garbage",
    "2026-02-30",
    "2026-13-01",
    "99999999999999999999",
    "-1",
    "2026-01-01T99:00",
    "２０２６-０１-０１",
    "1999-12-31",
    "2101-01-01",
]


@pytest.fixture
def users(c, superadmin):
    make_lead(c.center, c.counselor)
    return {"superadmin": superadmin, "counselor": c.counselor, "trainer": c.trainer}


@pytest.mark.parametrize(("url", "who"), PAGES)
def test_every_bad_date_on_every_page_is_a_400_with_a_sentence(client, users, url, who):
    client.force_login(users[who])
    for name in DATE_PARAMS:
        for value in BAD:
            response = client.get(reverse(url), {name: value})
            assert response.status_code == 400, (url, name, value, response.status_code)
            assert f"“{name}” must be a date written YYYY-MM-DD between 2000 and 2100" in response.content.decode()


@pytest.mark.parametrize(("url", "who"), PAGES)
def test_good_and_empty_dates_still_answer(client, users, url, who):
    client.force_login(users[who])
    for name in DATE_PARAMS:
        for value in ("", "2026-02-28", "2000-01-01", "2100-12-31"):
            response = client.get(reverse(url), {name: value})
            assert response.status_code == 200, (url, name, value)
            if response.streaming:  # an export: read it, so that its PostgreSQL cursor is closed in this test
                b"".join(response.streaming_content)


def test_dashboard_csv_refuses_a_bad_date_too(client, users):
    client.force_login(users["superadmin"])
    response = client.get(reverse("insights:dashboard_csv"), {"table": "sources", "start": "9999-01-01"})
    assert response.status_code == 400


def test_the_api_is_left_to_its_own_errors(c, client):
    # Not the 400 page: the API answers in JSON (401 here, without a token; 422 for a bad date).
    response = client.get("/api/v1/leads", {"created_after": "9999-99-99"})
    assert response.status_code != 400 and response.status_code < 500
