"""Pages, exports and API answers with personal data are never cached; links leak no path."""

import pytest
from django.urls import reverse

from leads.tests.factories import make_lead


@pytest.mark.parametrize("name", ["leads:board", "leads:lead_list", "leads:follow_ups"])
def test_signed_in_pages_are_no_store(client, c, name):
    client.force_login(c.counselor)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_lead_page_and_export_are_no_store(client, c):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    assert "no-store" in client.get(reverse("leads:lead_detail", args=[lead.pk]))["Cache-Control"]
    export = client.get(reverse("leads:lead_csv"))
    b"".join(export.streaming_content)
    assert "no-store" in export["Cache-Control"]


def test_api_answers_are_no_store(client, c):
    response = client.get("/api/v1/leads")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


def test_referrer_policy_on_anonymous_pages_too(client, db):
    assert client.get(reverse("login"))["Referrer-Policy"] == "same-origin"
