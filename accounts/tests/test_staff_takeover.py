"""Issue 10's probe: a TLGC admin must not take over a counselor shared with TLGB."""

import pytest
from django.urls import reverse

from accounts.models import AccessAction, AccessLog, Role
from leads.tests.factories import UserFactory


@pytest.fixture
def shared(c, b):
    """A counselor working in both TLGC and TLGB."""
    return UserFactory(username="shared_counselor", role=Role.COUNSELOR, centers=[c.center, b.center])


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


def test_center_admin_cannot_reset_a_shared_counselors_password(client, c, shared):
    client.force_login(c.admin)
    url = reverse("admin:auth_user_password_change", args=[shared.pk])

    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "Takeover-2026!x", "password2": "Takeover-2026!x"})

    assert response.status_code == 403
    shared.refresh_from_db()
    assert not shared.check_password("Takeover-2026!x")


def test_center_admin_cannot_promote_rename_or_deactivate_a_shared_counselor(client, c, b, shared):
    client.force_login(c.admin)
    url = reverse("admin:accounts_user_change", args=[shared.pk])

    client.post(
        url,
        _change_form(shared, role=Role.CENTER_ADMIN, first_name="Mallory", email="mallory@example.com", is_active=None),
    )

    shared.refresh_from_db()
    assert shared.role == Role.COUNSELOR
    assert shared.first_name != "Mallory" and shared.email != "mallory@example.com"
    assert shared.is_active
    assert shared.works_in(b.center)  # TLGB's membership is not the TLGC admin's to remove
    # so the counselor never becomes an admin who could read TLGB's leads or reset tlgb_admin
    assert not shared.is_staff


def test_center_admin_may_still_remove_the_shared_counselor_from_their_own_center(client, c, b, shared):
    client.force_login(c.admin)
    client.post(reverse("admin:accounts_user_change", args=[shared.pk]), _change_form(shared, centers=[]))

    shared = type(shared).objects.get(pk=shared.pk)
    assert not shared.works_in(c.center)
    assert shared.works_in(b.center)
    row = AccessLog.objects.get(action=AccessAction.STAFF, object_id=str(shared.pk), center=c.center)
    assert row.user == c.admin and "removed" in row.detail


def test_center_admin_cannot_reach_the_other_centers_admin(client, c, b):
    client.force_login(c.admin)
    assert client.get(reverse("admin:auth_user_password_change", args=[b.admin.pk])).status_code in (403, 404)
    assert client.get(reverse("admin:accounts_user_change", args=[b.admin.pk])).status_code in (302, 403, 404)


def test_center_admin_fully_manages_a_counselor_only_in_their_centers(client, c):
    client.force_login(c.admin)
    url = reverse("admin:accounts_user_change", args=[c.counselor.pk])

    response = client.post(url, _change_form(c.counselor, first_name="Renamed", role=Role.TRAINER))

    assert response.status_code == 302
    c.counselor.refresh_from_db()
    assert (c.counselor.first_name, c.counselor.role) == ("Renamed", Role.TRAINER)
    assert AccessLog.objects.filter(action=AccessAction.STAFF, object_id=str(c.counselor.pk), user=c.admin).exists()


def test_password_change_by_a_managing_admin_is_logged(client, c):
    client.force_login(c.admin)
    url = reverse("admin:auth_user_password_change", args=[c.counselor.pk])

    response = client.post(url, {"password1": "Fresh-Start-2026!", "password2": "Fresh-Start-2026!"})

    assert response.status_code == 302
    assert AccessLog.objects.filter(action=AccessAction.PASSWORD, object_id=str(c.counselor.pk), user=c.admin).exists()


def test_model_rule(c, b, shared, superadmin):
    assert not c.admin.may_manage(shared)
    assert c.admin.may_manage(c.counselor)
    assert not c.admin.may_manage(b.admin)
    assert not c.admin.may_manage(superadmin)
    assert superadmin.may_manage(shared)
    assert not c.counselor.may_manage(c.trainer)
