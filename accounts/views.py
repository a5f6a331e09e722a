"""Password reset and change: Django's own views, our templates, a rate limit through the cache,
and one PASSWORD access-log row for every password set (issue 10).

The email goes through the configured mailer (settings.MAILERS, from DJANGO_EMAIL_URL): Django's
`PasswordResetForm.send_mail` sends with the default mailer, as `insights.mailer` does. The limit
counts requests per email address and per client address (REMOTE_ADDR) in the cache; over it the
form says so and sends nothing. Unknown addresses are answered like known ones (no account probing).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from accounts.models import AccessAction, AccessLog, home_center_id

RATE_LIMIT_MESSAGE = "Too many reset requests: wait an hour, then try again (or ask your center admin)."


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one request under `key`; True when it is over `limit` within `window` seconds."""
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count > limit


def over_limit(request: HttpRequest, email: str) -> bool:
    window = settings.PASSWORD_RESET_RATE_WINDOW
    by_email = _hit(f"pwreset:email:{email.strip().casefold()}", settings.PASSWORD_RESET_RATE_PER_EMAIL, window)
    by_address = _hit(
        f"pwreset:addr:{request.META.get('REMOTE_ADDR', '')}", settings.PASSWORD_RESET_RATE_PER_ADDRESS, window
    )
    return by_email or by_address


class PasswordResetView(auth_views.PasswordResetView):
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def get_extra_email_context(self) -> dict:
        return {"site_url": settings.SITE_URL.rstrip("/")}

    def dispatch(self, request, *args, **kwargs):
        self.extra_email_context = self.get_extra_email_context()
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        if over_limit(self.request, form.cleaned_data["email"]):
            form.add_error("email", RATE_LIMIT_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


def log_password_change(request: HttpRequest | None, person, *, by, detail: str = "") -> None:
    """The one access-log row of a password set: whose (`person`), by whom, where (a center of theirs)."""
    AccessLog.record(
        request,
        action=AccessAction.PASSWORD,
        object_type="user",
        object_id=person.pk,
        user=by,
        center_id=home_center_id(person),
        detail=detail,
    )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The emailed link's "Choose a new password": the new password and its log row, or neither."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            log_password_change(self.request, form.user, by=form.user, detail="reset by email")
        return response


def admin_password_change(request: HttpRequest) -> HttpResponse:
    """Admin's "Change password" (a signed-in admin's own), logged like every other password set.

    crm/urls.py routes admin/password_change/ here ahead of admin's own URL: the admin site's view,
    login check and templates unchanged, plus the log row in the same transaction.
    """
    with transaction.atomic():
        response = admin.site.admin_view(admin.site.password_change)(request)
        if request.method == "POST" and response.status_code == 302 and request.user.is_authenticated:
            log_password_change(request, request.user, by=request.user, detail="changed by themselves")
    return response
