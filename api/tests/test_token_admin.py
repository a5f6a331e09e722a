"""Issue 10: center admins list and revoke their staff's API tokens in admin; every issue and
revoke is in the access log; nobody sees a secret."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import AccessAction, AccessLog, Role
from api.models import ApiToken
from leads.tests.factories import UserFactory

CHANGELIST = "/admin/api/apitoken/"


def _lead_list(raw: str):
    return Client().get("/api/v1/leads", headers={"Authorization": f"Bearer {raw}"})


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _revoke(client: Client, *tokens: ApiToken):
    return client.post(CHANGELIST, {"action": "revoke_tokens", "_selected_action": [t.pk for t in tokens]}, follow=True)


@pytest.fixture
def shared(c, b):
    """A counselor working in both TLGC and TLGB."""
    return UserFactory(username="shared_counselor", role=Role.COUNSELOR, centers=[c.center, b.center])


def test_center_admin_lists_their_staffs_tokens_not_the_other_centers(c, b):
    mine, mine_raw = ApiToken.issue(c.counselor, name="website form")
    theirs, _ = ApiToken.issue(b.counselor, name="other form")

    response = _admin(c.admin).get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert mine.prefix in html and "website form" in html
    assert theirs.prefix not in html and "other form" not in html
    for column in ("Created at", "Last used at", "Expires", "State"):
        assert column in html
    assert mine_raw not in html and mine.key_hash not in html  # never the secret nor its hash


def test_token_page_shows_state_and_expiry_without_the_secret(c, settings):
    settings.API_TOKEN_DAYS = 90
    token, raw = ApiToken.issue(c.counselor)

    response = _admin(c.admin).get(f"{CHANGELIST}{token.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "active" in html and "Expires" in html and "Revoke this token" in html
    assert raw not in html and token.key_hash not in html


def test_center_admin_revokes_a_staff_token_and_it_stops_working_at_once(c):
    token, raw = ApiToken.issue(c.counselor)
    assert _lead_list(raw).status_code == 200

    response = _revoke(_admin(c.admin), token)

    assert response.status_code == 200 and "Revoked 1 token(s)." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None and token.state == "revoked"
    assert _lead_list(raw).status_code == 401
    row = AccessLog.objects.get(action=AccessAction.TOKEN, detail="revoked")
    assert (row.user_id, row.object_type, row.object_id, row.center_id) == (
        c.admin.pk,
        "api_token",
        str(token.pk),
        c.center.pk,
    )


def test_revoke_button_on_the_token_page(c):
    token, raw = ApiToken.issue(c.counselor)
    client = _admin(c.admin)

    assert client.get(f"{CHANGELIST}{token.pk}/revoke/").status_code == 302  # GET changes nothing
    token.refresh_from_db()
    assert token.revoked_at is None

    response = client.post(f"{CHANGELIST}{token.pk}/revoke/")

    assert response.status_code == 302
    assert _lead_list(raw).status_code == 401
    assert AccessLog.objects.filter(action=AccessAction.TOKEN, detail="revoked", object_id=str(token.pk)).count() == 1


def test_center_admin_cannot_revoke_the_other_centers_token(c, b):
    token, raw = ApiToken.issue(b.counselor)
    client = _admin(c.admin)

    _revoke(client, token)  # not in their list: the action does not see it
    assert client.get(f"{CHANGELIST}{token.pk}/change/").status_code == 403
    assert client.post(f"{CHANGELIST}{token.pk}/revoke/").status_code == 403

    token.refresh_from_db()
    assert token.revoked_at is None
    assert _lead_list(raw).status_code == 200
    assert not AccessLog.objects.filter(action=AccessAction.TOKEN).exists()


def test_center_admin_sees_but_cannot_revoke_a_shared_staff_members_token(c, b, shared):
    token, raw = ApiToken.issue(shared)
    client = _admin(c.admin)

    assert token.prefix in client.get(CHANGELIST).content.decode()
    response = _revoke(client, token)

    assert "1 token(s) not revoked" in response.content.decode()
    assert client.post(f"{CHANGELIST}{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None and _lead_list(raw).status_code == 200
    # TLGB's admin does not administer TLGC either; a super admin may.
    _revoke(_admin(b.admin), token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_super_admin_sees_and_revokes_every_token(c, b, superadmin, shared):
    tokens = [ApiToken.issue(user)[0] for user in (c.counselor, b.counselor, shared)]
    client = _admin(superadmin)

    html = client.get(CHANGELIST).content.decode()
    assert all(token.prefix in html for token in tokens)
    _revoke(client, *tokens)

    assert not ApiToken.objects.active().exists()
    assert AccessLog.objects.filter(action=AccessAction.TOKEN, detail="revoked", user=superadmin).count() == 3


def test_counselor_and_trainer_have_no_token_admin(c):
    ApiToken.issue(c.counselor)
    for user in (c.counselor, c.trainer):
        assert _admin(user).get(CHANGELIST).status_code == 302  # admin's login page


def test_nobody_adds_or_deletes_tokens_in_admin(c, superadmin):
    token, _ = ApiToken.issue(c.counselor)
    for user in (c.admin, superadmin):
        client = _admin(user)
        assert client.get(f"{CHANGELIST}add/").status_code == 403
        assert client.get(f"{CHANGELIST}{token.pk}/delete/").status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_issuing_a_token_is_logged(c):
    body = json.dumps({"username": c.counselor.username, "password": "demo-pass-123"})

    response = Client().post("/api/v1/auth/token", body, content_type="application/json")

    assert response.status_code == 200
    token = ApiToken.objects.get(user=c.counselor)
    row = AccessLog.objects.get(action=AccessAction.TOKEN)
    assert (row.user_id, row.object_type, row.object_id, row.center_id, row.detail) == (
        c.counselor.pk,
        "api_token",
        str(token.pk),
        c.center.pk,
        "issued",
    )
    assert response.json()["token"] not in row.detail


def test_a_refused_sign_in_issues_and_logs_nothing(c):
    body = json.dumps({"username": c.counselor.username, "password": "wrong"})
    assert Client().post("/api/v1/auth/token", body, content_type="application/json").status_code == 401
    assert not ApiToken.objects.exists() and not AccessLog.objects.filter(action=AccessAction.TOKEN).exists()


def test_a_user_may_revoke_their_own_token_but_not_a_colleagues(c):
    from django.core.exceptions import PermissionDenied

    token, _ = ApiToken.issue(c.admin)
    with pytest.raises(PermissionDenied):
        token.revoke(by=c.counselor)
    assert token.revoke(by=c.admin) is True
    assert token.revoke(by=c.admin) is False  # already revoked: nothing more logged
    assert AccessLog.objects.filter(action=AccessAction.TOKEN, detail="revoked").count() == 1
