"""Sign-in throttling: web, admin and API token endpoint, keyed on our client address."""

from unittest import mock

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.test import override_settings


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _fail(client, url, username, n, **extra):
    return [client.post(url, {"username": username, "password": "wrong"}, **extra).status_code for _ in range(n)]


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=5)
def test_web_login_locks_username_with_a_clear_page_and_right_password_then_refused(client, c):
    codes = _fail(client, "/login/", c.counselor.username, 5)
    assert codes == [200] * 4 + [429]
    response = client.post("/login/", {"username": c.counselor.username, "password": "demo-pass-123"})
    assert response.status_code == 429
    assert b"sign-in is paused for 15 minutes" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=5)
def test_rotating_forwarded_for_does_not_reset_the_address_count(client, c):
    codes = [
        client.post(
            "/login/", {"username": f"nobody{i}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        ).status_code
        for i in range(8)
    ]
    assert 429 in codes


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_admin_login_is_throttled(client, c):
    codes = _fail(client, "/admin/login/", c.admin.username, 4)
    assert codes[-1] == 429


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_locked_out_sign_in_computes_no_password_hash(client, c):
    _fail(client, "/login/", c.counselor.username, 3)
    with mock.patch.object(MD5PasswordHasher, "verify", autospec=True) as verify:
        _fail(client, "/login/", c.counselor.username, 5)
    assert verify.call_count == 0


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=1000, API_TOKEN_RATE="10/m")
def test_api_token_throttle_ignores_untrusted_forwarded_for(client, c):
    codes = [
        client.post(
            "/api/v1/auth/token",
            {"username": c.counselor.username, "password": "wrong"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.1.{i // 250}.{i % 250}",
        ).status_code
        for i in range(60)
    ]
    assert codes.count(429) >= 50


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_api_token_endpoint_obeys_the_lockout(client, c):
    for _ in range(3):
        client.post(
            "/api/v1/auth/token",
            {"username": c.counselor.username, "password": "wrong"},
            content_type="application/json",
        )
    response = client.post(
        "/api/v1/auth/token",
        {"username": c.counselor.username, "password": "demo-pass-123"},
        content_type="application/json",
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_client_login_without_request_still_works(client, c):
    c.counselor.set_password("pw-123456-x")
    c.counselor.save()
    assert client.login(username=c.counselor.username, password="pw-123456-x")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/admin/login/", "/api/v1/auth/token"])
def test_a_username_longer_than_any_account_is_a_wrong_password_not_a_server_error(client, url):
    long_name = "9" * 300
    if url.startswith("/api/"):
        response = client.post(url, {"username": long_name, "password": "x"}, content_type="application/json")
        assert response.status_code in (401, 422)
    else:
        response = client.post(url, {"username": long_name, "password": "x", "next": "日本語 " * 60})
        assert response.status_code == 200
