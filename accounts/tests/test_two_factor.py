"""Issue 10: optional two-factor sign-in (TOTP): required for super admins, and for Django admin when a
center turns it on; set up with a QR code, then a code on each sign-in."""

import re

import pytest
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccessAction, AccessLog

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for `device`."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(client, user):
    response = client.post("/login/", {"username": user.username, "password": "demo-pass-123"})
    assert response.status_code == 302
    return response


@override_settings(TWO_FACTOR_SUPER_ADMINS=True)
def test_a_super_admin_sets_up_an_app_then_is_let_in(client, superadmin):
    sign_in(client, superadmin)
    response = client.get("/board/")
    assert response.status_code == 302 and response["Location"].startswith("/two-factor/setup/?next=/board/")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "<svg" in page.content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    device = TOTPDevice.objects.get(user=superadmin, confirmed=False)
    assert secret  # the key to type by hand, the same the QR code holds

    wrong = client.post(
        "/two-factor/setup/?next=/board/", {"code": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    too_fast = client.post("/two-factor/setup/?next=/board/", {"code": code_for(device)})
    assert too_fast.status_code == 400 and "wait a few seconds" in too_fast.content.decode()  # guessing is slow
    device.refresh_from_db()
    device.throttle_reset()  # a few seconds later
    right = client.post("/two-factor/setup/?next=/board/", {"code": code_for(device)})
    assert right.status_code == 302 and right["Location"] == "/board/"
    assert client.get("/board/").status_code == 200
    assert TOTPDevice.objects.get(user=superadmin).confirmed
    assert AccessLog.objects.filter(action=AccessAction.SIGN_IN, user=superadmin).exists()


@override_settings(TWO_FACTOR_SUPER_ADMINS=True)
def test_next_sign_in_asks_for_the_code_and_refuses_a_wrong_one(client, superadmin):
    device = TOTPDevice.objects.create(user=superadmin, name="app", confirmed=True)
    sign_in(client, superadmin)
    response = client.get("/admin/")
    assert response["Location"].startswith("/two-factor/?next=/admin/")
    wrong = client.post("/two-factor/?next=/admin/", {"code": "12345a"})
    assert wrong.status_code == 400 and client.get("/admin/").status_code == 302
    assert client.post("/two-factor/?next=/admin/", {"code": code_for(device)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@override_settings(TWO_FACTOR_SUPER_ADMINS=True)
def test_htmx_requests_are_sent_to_the_code_page_too(client, superadmin):
    TOTPDevice.objects.create(user=superadmin, name="app", confirmed=True)
    sign_in(client, superadmin)
    response = client.get("/board/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/two-factor/?next=")


def test_a_center_that_turns_it_on_asks_its_admins_in_admin_only(client, c, b):
    c.center.require_two_factor = True
    c.center.save()
    sign_in(client, c.admin)
    assert client.get("/board/").status_code == 200  # the app itself: password is enough
    assert client.get("/admin/")["Location"].startswith("/two-factor/setup/?next=/admin/")
    client.logout()
    sign_in(client, b.admin)  # TLGB did not turn it on
    assert client.get("/admin/").status_code == 200


def test_the_code_page_does_not_redirect_elsewhere(client, c):
    c.center.require_two_factor = True
    c.center.save()
    device = TOTPDevice.objects.create(user=c.admin, name="app", confirmed=True)
    sign_in(client, c.admin)
    response = client.post("/two-factor/?next=https://evil.example/", {"code": code_for(device)})
    assert response["Location"] == "/"
