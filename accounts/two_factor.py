"""Two-factor sign-in (issue 10): a code from an authenticator app (TOTP, django-otp) after the password.

Required for super admins everywhere (`TWO_FACTOR_SUPER_ADMINS`) and for Django admin when any center
the user administers has `require_two_factor`. A user who must and has no device yet sets one up first
(a QR code to scan, then one code to confirm it). The API keeps its bearer tokens: a token is issued
only after a password sign-in and expires (`API_TOKEN_DAYS`).
"""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccessAction, AccessLog, User

#: Where a user who still owes a code may go: the two-factor pages themselves, signing out, static files.
EXEMPT_PREFIXES = ("/two-factor/", "/logout/", "/login/", "/static/", "/api/")


def two_factor_required(user: User, path: str) -> bool:
    """Whether `user` must have confirmed a code in this session to open `path`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_super_admin:
        return settings.TWO_FACTOR_SUPER_ADMINS
    if path.startswith("/admin/") and user.is_center_admin:
        admin_of = {center_id for center_id, role in user.center_roles().items() if role == "CENTER_ADMIN"}
        return bool(admin_of & user.two_factor_centers())
    return False


class TwoFactorMiddleware:
    """Send a signed-in user who owes a code to enter it (or to set up their app first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = request.user
        path = request.path
        if (
            not path.startswith(EXEMPT_PREFIXES)
            and getattr(user, "is_authenticated", False)
            and not user.is_verified()
            and two_factor_required(user, path)
        ):
            target = "two_factor_verify" if any(devices_for_user(user)) else "two_factor_setup"
            url = f"{reverse(target)}?next={quote(request.get_full_path())}"
            if request.headers.get("HX-Request") == "true":  # django-htmx's middleware runs after this one
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
        return self.get_response(request)


#: After a wrong code django-otp waits (1 s, then 2, 4, ...) before checking another: guessing stays slow.
TOO_FAST = "Wrong codes were typed just now: wait a few seconds, then type the newest code."


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("The code is the 6 digits your app shows.")
        return code


def _next(request: HttpRequest) -> str:
    wanted = request.GET.get("next") or request.POST.get("next") or "/"
    return wanted if url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()) else "/"


def _signed_in(request: HttpRequest, device: TOTPDevice, detail: str) -> HttpResponse:
    otp_login(request, device)
    AccessLog.record(request, action=AccessAction.SIGN_IN, object_type="user", object_id=request.user.pk, detail=detail)
    return redirect(_next(request))


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code with an authenticator app, then type one code to confirm the device."""
    import segno

    user = request.user
    if any(devices_for_user(user)):
        return redirect(f"{reverse('two_factor_verify')}?next={quote(_next(request))}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not device.verify_is_allowed()[0]:
            form.add_error("code", TOO_FAST)
        elif device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return _signed_in(request, device, "two-factor set up")
        else:
            form.add_error("code", "That code does not match: check the app's clock and type the newest code.")
    context = {
        "form": form,
        "qr": segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1f2328"),
        "secret": device.config_url.split("secret=")[1].split("&")[0],
        "next": _next(request),
    }
    return render(
        request,
        "registration/two_factor_setup.html",
        context,
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code the user's app shows now."""
    devices = list(devices_for_user(request.user))
    if not devices:
        return redirect(f"{reverse('two_factor_setup')}?next={quote(_next(request))}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed = [device for device in devices if device.verify_is_allowed()[0]]
        for device in allowed:
            if device.verify_token(form.cleaned_data["code"]):
                return _signed_in(request, device, "two-factor code")
        form.add_error(
            "code", TOO_FAST if not allowed else "That code does not match. Type the newest code your app shows."
        )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)}, status=status)
