"""Every page carries a Content-Security-Policy that allows no inline script or style."""

import re

import pytest
from django.urls import reverse

from leads.tests.factories import make_lead


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_strict(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert all(v == "'self'" or v.startswith("'nonce-") for v in policy["script-src"])
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name",
    ["leads:board", "leads:lead_list", "leads:follow_ups", "leads:enquiry_new", "insights:dashboard"],
)
def test_signed_in_pages_have_a_strict_policy(client, c, name):
    client.force_login(c.admin)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert_strict(response)


def test_lead_page_trainer_view_and_admin_have_a_strict_policy(client, c, superadmin):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    assert_strict(client.get(reverse("leads:lead_detail", args=[lead.pk])))
    client.force_login(c.trainer)
    assert_strict(client.get(reverse("leads:trainer_today")))
    client.force_login(superadmin)
    assert_strict(client.get(reverse("admin:leads_lead_changelist")))
    assert_strict(client.get(reverse("admin:leads_lead_change", args=[lead.pk])))


def test_anonymous_pages_and_the_api_docs_have_a_strict_policy(client, db):
    assert_strict(client.get(reverse("login")))
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert_strict(docs)
    # Swagger's settings travel as JSON data, not as a script the browser runs.
    assert re.findall(rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", docs.content) == []


def test_htmx_fragments_carry_the_policy_too(client, c):
    client.force_login(c.counselor)
    response = client.get(reverse("leads:lead_list"), headers={"HX-Request": "true"})
    assert_strict(response)


def test_the_call_and_whatsapp_redirects_are_allowed_form_targets(client, db):
    policy = directives(client.get(reverse("login")))
    assert policy["form-action"] == ["'self'", "tel:", "https://wa.me", "https://api.whatsapp.com"]


def test_pages_have_no_inline_script_or_style(client, c):
    """What the policy would refuse, looked for in the HTML: no style="…", no inline <script>."""
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.admin)
    for url in [
        reverse("leads:board"),
        reverse("leads:lead_list"),
        reverse("leads:lead_detail", args=[lead.pk]),
        reverse("leads:enquiry_new"),
        reverse("leads:follow_ups"),
        reverse("insights:dashboard"),
        reverse("insights:calendar"),
        reverse("insights:notifications"),
    ]:
        html = client.get(url).content
        assert b"style=" not in html, url
        assert re.findall(rb"<script(?![^>]*\bsrc=)[^>]*>", html) == [], url
        assert re.search(rb"\son[a-z]+=", html) is None, url
