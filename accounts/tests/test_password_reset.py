"""Issue 9 (editing): "Forgot password?" on the login page, through the configured mailer, rate-limited."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.views import RATE_LIMIT_MESSAGE


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_login_page_links_to_forgot_password(client, db):
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in html and "Forgot password?" in html


def test_the_emailed_link_sets_a_new_password(client, c, settings):
    settings.SITE_URL = "https://crm.example.com"
    response = client.post(reverse("password_reset"), {"email": c.counselor.email})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [c.counselor.email]
    assert message.subject == "Leads CRM: choose a new password"  # our template, not Django's
    assert "choose a new password for your Leads CRM account" in message.body
    link = re.search(r"https://crm\.example\.com(/password-reset/[^/\s]+/[^/\s]+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"new_password1": "a-new-Pass-2026!", "new_password2": "a-new-Pass-2026!"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    c.counselor.refresh_from_db()
    assert c.counselor.check_password("a-new-Pass-2026!")
    assert client.login(username=c.counselor.username, password="a-new-Pass-2026!")


def test_unknown_address_is_answered_like_a_known_one_and_sends_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and mail.outbox == []


def test_too_many_requests_for_one_email_see_the_limit(client, c, settings):
    settings.PASSWORD_RESET_RATE_PER_EMAIL = 3
    for _ in range(3):
        assert client.post(reverse("password_reset"), {"email": c.counselor.email}).status_code == 302
    response = client.post(reverse("password_reset"), {"email": c.counselor.email})
    assert response.status_code == 429
    assert RATE_LIMIT_MESSAGE in response.content.decode()
    assert len(mail.outbox) == 3


def test_too_many_requests_from_one_address_see_the_limit(client, c, settings):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = 2
    for n in range(2):
        assert client.post(reverse("password_reset"), {"email": f"x{n}@example.com"}).status_code == 302
    response = client.post(reverse("password_reset"), {"email": c.counselor.email})
    assert response.status_code == 429 and RATE_LIMIT_MESSAGE in response.content.decode()
    assert mail.outbox == []
