"""Tokens: issued for a username and password, stored hashed, revocable, dead with their user."""

from __future__ import annotations

import hashlib

from django.test import Client

from api.models import ApiToken
from api.tests.conftest import ApiClient


def _token(username: str, password: str = "demo-pass-123"):
    return ApiClient().post("/auth/token", {"username": username, "password": password})


def test_token_for_username_and_password(c):
    response = _token("tlgc_counselor")

    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) >= 40
    assert ApiClient(token=token).get("/leads").status_code == 200


def test_token_is_stored_as_its_sha256_only(c):
    token = _token("tlgc_counselor").json()["token"]

    stored = ApiToken.objects.get(user=c.counselor)
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.key_hash, stored.prefix, stored.name}
    assert stored.prefix == token[:8]


def test_wrong_password_unknown_user_and_inactive_user_get_401(c):
    assert _token("tlgc_counselor", "wrong").status_code == 401
    assert _token("nobody").status_code == 401
    c.counselor.is_active = False
    c.counselor.save()
    response = _token("tlgc_counselor")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown username or wrong password."}
    assert not ApiToken.objects.exists()


def test_token_request_without_fields_is_a_422(db):
    response = ApiClient().post("/auth/token", {"username": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_token_stops_working_when_the_user_is_deactivated(c):
    api = ApiClient(c.counselor)
    assert api.get("/leads").status_code == 200

    c.counselor.is_active = False
    c.counselor.save()

    assert api.get("/leads").status_code == 401


def test_revoked_token_is_refused(c):
    api = ApiClient(c.counselor)
    ApiToken.objects.get(user=c.counselor).revoke(by=c.counselor)
    assert api.get("/leads").status_code == 401


def test_bearer_scheme_is_required(c):
    api = ApiClient(c.counselor)
    raw = api.token
    assert ApiClient(token=raw).get("/leads").status_code == 200
    plain = Client().get("/api/v1/leads", headers={"Authorization": f"Token {raw}"})
    assert plain.status_code == 401


def test_use_is_recorded_at_most_once_a_minute(c):
    api = ApiClient(c.counselor)
    api.get("/leads")
    first = ApiToken.objects.get(user=c.counselor).last_used_at
    api.get("/leads")
    assert first is not None
    assert ApiToken.objects.get(user=c.counselor).last_used_at == first


def test_super_admin_revokes_tokens_in_admin(c, superadmin):
    api = ApiClient(c.counselor)
    token = ApiToken.objects.get(user=c.counselor)
    admin = Client()
    admin.force_login(superadmin)

    listing = admin.get("/admin/api/apitoken/")
    assert listing.status_code == 200
    assert token.prefix in listing.content.decode()
    response = admin.post(
        "/admin/api/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}, follow=True
    )

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api.get("/leads").status_code == 401
    assert admin.get("/admin/api/apitoken/add/").status_code == 403  # issued by the endpoint only


def test_center_admin_sees_only_their_centers_tokens(c, b):
    ApiToken.issue(c.counselor)
    ApiToken.issue(b.counselor)
    admin = Client()
    admin.force_login(c.admin)

    listing = admin.get("/admin/api/apitoken/").content.decode()

    assert str(c.counselor) in listing
    assert str(b.counselor) not in listing


def test_token_endpoint_throttles_password_guessing(c, settings):
    import json

    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    settings.API_TOKEN_RATE = "3/m"
    client = Client()
    body = json.dumps({"username": c.counselor.username, "password": "wrong"})
    codes = [client.post("/api/v1/auth/token", body, content_type="application/json").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    right = json.dumps({"username": c.counselor.username, "password": "demo-pass-123"})
    response = client.post("/api/v1/auth/token", right, content_type="application/json")
    assert response.status_code == 429 and "Too many requests" in response.json()["detail"]
    cache.clear()
