"""Issue 10: every way a password is set writes one PASSWORD access-log row; staff are
deactivated in admin, never deleted, so history keeps its actors."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AccessAction, AccessLog, User
from leads.models import LeadStatusChange
from leads.tests.factories import make_lead

NEW = "A-fresh-Pass-2026!"


def _password_rows():
    return list(AccessLog.objects.filter(action=AccessAction.PASSWORD).values_list("user_id", "object_id", "center_id"))


def test_admin_sets_a_staff_members_password_once_logged(client, c):
    client.force_login(c.admin)
    url = reverse("admin:auth_user_password_change", args=[c.counselor.pk])

    assert client.post(url, {"password1": NEW, "password2": NEW}).status_code == 302

    assert _password_rows() == [(c.admin.pk, str(c.counselor.pk), c.center.pk)]


def test_a_refused_admin_password_change_logs_nothing(client, c):
    client.force_login(c.admin)
    url = reverse("admin:auth_user_password_change", args=[c.counselor.pk])
    assert client.post(url, {"password1": NEW, "password2": "different"}).status_code == 200
    assert _password_rows() == []


def test_admin_changing_their_own_password_is_logged(client, c):
    client.force_login(c.admin)
    url = reverse("admin:password_change")
    assert client.get(url).status_code == 200

    response = client.post(url, {"old_password": "demo-pass-123", "new_password1": NEW, "new_password2": NEW})

    assert response.status_code == 302
    c.admin.refresh_from_db()
    assert c.admin.check_password(NEW)
    assert _password_rows() == [(c.admin.pk, str(c.admin.pk), c.center.pk)]


def test_a_wrong_old_password_changes_and_logs_nothing(client, c):
    client.force_login(c.admin)
    response = client.post(
        reverse("admin:password_change"), {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 200 and _password_rows() == []


def test_admin_password_change_still_needs_a_signed_in_admin(client, c):
    assert client.get(reverse("admin:password_change")).status_code == 302  # to admin's login
    client.force_login(c.counselor)
    assert client.get(reverse("admin:password_change")).status_code == 302
    assert _password_rows() == []


def test_reset_by_email_is_logged(client, c, settings):
    cache.clear()
    settings.SITE_URL = "https://crm.example.com"
    client.post(reverse("password_reset"), {"email": c.counselor.email})
    link = re.search(r"https://crm\.example\.com(/password-reset/[^/\s]+/[^/\s]+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert _password_rows() == []  # opening the link sets nothing

    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})

    assert done.status_code == 302
    assert _password_rows() == [(c.counselor.pk, str(c.counselor.pk), c.center.pk)]
    assert AccessLog.objects.get(action=AccessAction.PASSWORD).detail == "reset by email"
    cache.clear()


# -- staff are deactivated, never deleted ----------------------------------------------------------


@pytest.mark.parametrize("who", ["center_admin", "super_admin"])
def test_nobody_deletes_a_user_in_admin(client, c, superadmin, who):
    client.force_login(c.admin if who == "center_admin" else superadmin)

    changelist = client.get(reverse("admin:accounts_user_changelist"))
    assert changelist.status_code == 200 and b"delete_selected" not in changelist.content
    assert client.get(reverse("admin:accounts_user_delete", args=[c.counselor.pk])).status_code == 403
    assert client.post(reverse("admin:accounts_user_delete", args=[c.counselor.pk]), {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [c.counselor.pk], "post": "yes"},
    )
    change_page = client.get(reverse("admin:accounts_user_change", args=[c.counselor.pk])).content.decode()
    assert reverse("admin:accounts_user_delete", args=[c.counselor.pk]) not in change_page

    assert User.objects.filter(pk=c.counselor.pk).exists()


def test_deactivation_keeps_the_history_actors(client, c):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.admin)

    response = client.post(
        reverse("admin:accounts_user_change", args=[c.counselor.pk]), _change_form(c.counselor, is_active=None)
    )

    assert response.status_code == 302
    c.counselor.refresh_from_db()
    assert not c.counselor.is_active
    assert LeadStatusChange.objects.get(lead=lead).actor == c.counselor
    row = AccessLog.objects.get(action=AccessAction.STAFF, detail="deactivated")
    assert row.user == c.admin and row.object_id == str(c.counselor.pk)
    # the lead page's timeline still names who took the enquiry
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert str(c.counselor) in page


def _change_form(user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "role": user.role,
        "is_active": "on",
        "centers": [center.pk for center in user.centers()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
