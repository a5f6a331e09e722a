"""Sessions end after DJANGO_SESSION_IDLE_HOURS without activity, DJANGO_SESSION_MAX_HOURS after signing
in, and on every device at once when an admin logs a person out everywhere."""

import time

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessAction, AccessLog, Role
from accounts.sessions import EPOCH, SEEN_AT, SIGNED_IN_AT
from leads.models import LeadNote
from leads.tests.factories import UserFactory

HOUR = 3600
BOARD = "/board/"


def set_stamps(client: Client, **stamps: float) -> None:
    """Travel in time: move the session's stamps back instead of the clock forward."""
    session = client.session
    for name, value in stamps.items():
        session[{"signed_in": SIGNED_IN_AT, "seen": SEEN_AT}[name]] = int(value)
    session.save()


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_sign_in_stamps_the_session(client, c):
    before = int(time.time())
    client.force_login(c.counselor)
    session = client.session
    assert before <= session[SIGNED_IN_AT] <= time.time()
    assert session[SEEN_AT] == session[SIGNED_IN_AT]
    assert session[EPOCH] == 0


def test_the_login_form_stamps_the_session_too(client, c):
    response = client.post(reverse("login"), {"username": "tlgc_counselor", "password": "demo-pass-123"})
    assert response.status_code == 302
    assert SIGNED_IN_AT in client.session


def test_a_session_idle_for_less_than_the_limit_goes_on(client, c):
    client.force_login(c.counselor)
    now = time.time()
    set_stamps(client, signed_in=now - 9 * HOUR, seen=now - 7.9 * HOUR)
    assert client.get(BOARD).status_code == 200
    assert now - 1 <= client.session[SEEN_AT]  # the activity moved the stamp


def test_a_session_idle_for_eight_hours_is_signed_out_with_a_message(client, c):
    client.force_login(c.counselor)
    now = time.time()
    set_stamps(client, signed_in=now - 9 * HOUR, seen=now - 8 * HOUR - 5)

    response = client.get(BOARD + "?assigned=me")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/board/%3Fassigned%3Dme"
    assert not signed_in(client)
    page = client.get(response["Location"])
    assert "Signed out after 8 hours without activity. Log in again to go on." in page.text
    assert client.get(BOARD).status_code == 302  # still out


def test_an_htmx_request_is_sent_to_the_login_page_whole(client, c):
    client.force_login(c.counselor)
    set_stamps(client, seen=time.time() - 9 * HOUR)

    response = client.get("/follow-ups/count/", headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=/follow-ups/count/"
    assert not signed_in(client)


def test_a_post_after_the_idle_limit_changes_nothing(client, c, lead):
    client.force_login(c.counselor)
    set_stamps(client, seen=time.time() - 9 * HOUR)
    response = client.post(reverse("leads:lead_note", args=[lead.pk]), {"body": "too late"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not LeadNote.objects.filter(lead=lead).exists()


def test_activity_does_not_keep_a_session_past_the_absolute_limit(client, c):
    client.force_login(c.counselor)
    now = time.time()
    set_stamps(client, signed_in=now - 12 * HOUR - 5, seen=now - 60)

    response = client.get(BOARD)

    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not signed_in(client)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Signed out: a sign-in lasts 12 hours. Log in again to go on."]


@override_settings(SESSION_IDLE_HOURS=0.5, SESSION_MAX_HOURS=1)
def test_both_limits_come_from_settings(client, c):
    client.force_login(c.counselor)
    now = time.time()
    set_stamps(client, signed_in=now - 0.9 * HOUR, seen=now - 0.4 * HOUR)
    assert client.get(BOARD).status_code == 200
    set_stamps(client, seen=now - 0.6 * HOUR)
    response = client.get(BOARD)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Signed out after 0.5 hours without activity. Log in again to go on."
    ]


def test_the_last_seen_stamp_is_written_at_most_once_a_minute(client, c):
    client.force_login(c.counselor)
    now = time.time()
    set_stamps(client, seen=now - 30)
    client.get(BOARD)
    assert client.session[SEEN_AT] == int(now - 30)  # not rewritten (no session write)
    set_stamps(client, seen=now - 61)
    client.get(BOARD)
    assert client.session[SEEN_AT] >= int(now)


def test_the_timeout_check_costs_no_query(client, c):
    """The epoch comes with the user row and the stamps with the session, both read anyway."""
    client.force_login(c.counselor)
    set_stamps(client, seen=time.time() - 30)  # no last-seen write in these requests
    with CaptureQueriesContext(connection) as checked:
        client.get("/follow-ups/count/")
    without_check = [m for m in settings.MIDDLEWARE if m != "accounts.sessions.SessionTimeoutMiddleware"]
    with override_settings(MIDDLEWARE=without_check), CaptureQueriesContext(connection) as unchecked:
        client.get("/follow-ups/count/")
    assert len(checked) == len(unchecked)


def test_a_session_from_before_the_stamps_starts_counting_now(client, c):
    client.force_login(c.counselor)
    session = client.session
    for key in (SIGNED_IN_AT, SEEN_AT, EPOCH):
        del session[key]
    session.save()
    assert client.get(BOARD).status_code == 200
    assert client.session[SIGNED_IN_AT] >= int(time.time()) - 1


# -- log out everywhere ---------------------------------------------------------------------------


def action(client: Client, *users) -> object:
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [u.pk for u in users]},
        follow=True,
    )


def test_center_admin_logs_a_counselor_out_on_every_device(client, c):
    phone, tablet = Client(), Client()
    phone.force_login(c.counselor)
    tablet.force_login(c.counselor)
    client.force_login(c.admin)

    response = action(client, c.counselor)

    assert response.status_code == 200
    assert f"Signed out everywhere: {c.counselor}. Each must log in again." in response.text
    for device in (phone, tablet):
        answer = device.get(BOARD)
        assert answer.status_code == 302 and answer["Location"].startswith("/login/")
        assert [str(m) for m in get_messages(answer.wsgi_request)] == [
            "Signed out: an admin ended your sessions on every device. Log in again to go on."
        ]
    assert client.get(BOARD).status_code == 200  # the admin's own session goes on
    row = AccessLog.objects.get(detail="signed out everywhere")
    assert (row.user, row.action, row.object_type, row.object_id) == (
        c.admin,
        AccessAction.STAFF,
        "user",
        str(c.counselor.pk),
    )
    # Signing in again works, under the new epoch.
    c.counselor.refresh_from_db()
    phone.force_login(c.counselor)
    assert phone.get(BOARD).status_code == 200


def test_log_out_everywhere_also_revokes_their_api_tokens(client, c):
    from api.models import ApiToken

    _, secret = ApiToken.issue(c.counselor)
    assert Client().get("/api/v1/leads", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    client.force_login(c.admin)
    action(client, c.counselor)
    assert Client().get("/api/v1/leads", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert AccessLog.objects.filter(action=AccessAction.TOKEN, detail="revoked", user=c.admin).count() == 1


def test_center_admin_cannot_log_out_someone_shared_with_another_center(client, c, b):
    shared = UserFactory(username="shared_counselor", role=Role.COUNSELOR, centers=[c.center, b.center])
    device = Client()
    device.force_login(shared)
    client.force_login(c.admin)

    response = action(client, shared, c.trainer)

    assert f"Not signed out: {shared} also work in a center you do not administer." in response.text
    assert f"Signed out everywhere: {c.trainer}." in response.text
    shared.refresh_from_db()
    assert shared.session_epoch == 0
    assert device.get(BOARD).status_code == 200
    assert AccessLog.objects.filter(detail="signed out everywhere").count() == 1


def test_another_centers_admin_cannot_reach_the_counselor(client, c, b):
    device = Client()
    device.force_login(c.counselor)
    client.force_login(b.admin)
    action(client, c.counselor)  # not in TLGB's list: the action never sees them
    c.counselor.refresh_from_db()
    assert c.counselor.session_epoch == 0
    assert device.get(BOARD).status_code == 200


def test_super_admin_logs_out_a_center_admin(client, c, superadmin):
    device = Client()
    device.force_login(c.admin)
    client.force_login(superadmin)
    action(client, c.admin)
    assert device.get("/admin/").status_code == 302


@pytest.mark.parametrize("role", ["counselor", "trainer"])
def test_the_verb_refuses_staff_without_the_right(c, role):
    with pytest.raises(PermissionDenied):
        c.counselor.sign_out_everywhere(by=getattr(c, role))
    c.counselor.refresh_from_db()
    assert c.counselor.session_epoch == 0
    assert not AccessLog.objects.exists()


def test_counselors_cannot_use_the_admin_action(client, c):
    client.force_login(c.counselor)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [c.trainer.pk]},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    c.trainer.refresh_from_db()
    assert c.trainer.session_epoch == 0
