"""Sessions end after a spell without activity, a while after signing in, or when an admin signs a
person out everywhere (issue 10, "hardened sign-in").

Three stamps live in the session: when it signed in, when it was last seen (refreshed at most once a
minute, so a busy user's session is written once a minute, not on every request as
SESSION_SAVE_EVERY_REQUEST would), and the user's `session_epoch` at sign-in. A request that finds the
session too idle, too old or of an older epoch signs the user out and sends them to the login page
with a sentence saying why (HTMX requests get HX-Redirect, so the whole page goes, not a fragment).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

SIGNED_IN_AT = "crm_signed_in_at"
SEEN_AT = "crm_seen_at"
EPOCH = "crm_session_epoch"

#: The last-seen stamp is rewritten at most this often (seconds).
SEEN_RESOLUTION = 60


def _hours(value: float) -> str:
    return f"{value:g} hour" + ("" if value == 1 else "s")


def idle_message() -> str:
    return f"Signed out after {_hours(settings.SESSION_IDLE_HOURS)} without activity. Log in again to go on."


def absolute_message() -> str:
    return f"Signed out: a sign-in lasts {_hours(settings.SESSION_MAX_HOURS)}. Log in again to go on."


EVERYWHERE_MESSAGE = "Signed out: an admin ended your sessions on every device. Log in again to go on."


def stamp(request: HttpRequest, user) -> None:
    """Mark the session as just signed in (`user_logged_in` receiver: web login, admin login and
    `force_login` all pass through django.contrib.auth.login)."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    request.session[EPOCH] = user.session_epoch


def stamp_on_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        stamp(request, user)


def ending(request: HttpRequest, now: float) -> str | None:
    """Why this signed-in session must end now, or None."""
    session, user = request.session, request.user
    signed_in_at = session.get(SIGNED_IN_AT)
    if signed_in_at is None:  # a session from before these stamps: it starts counting now
        stamp(request, user)
        return None
    if session.get(EPOCH, 0) != user.session_epoch:
        return EVERYWHERE_MESSAGE
    if now - signed_in_at > settings.SESSION_MAX_HOURS * 3600:
        return absolute_message()
    if now - session.get(SEEN_AT, signed_in_at) > settings.SESSION_IDLE_HOURS * 3600:
        return idle_message()
    return None


class SessionTimeoutMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware (it signs out and leaves a message)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            reason = ending(request, now)
            if reason is not None:
                return self.sign_out(request, reason)
            if now - request.session.get(SEEN_AT, 0) >= SEEN_RESOLUTION:
                request.session[SEEN_AT] = int(now)
        return self.get_response(request)

    def sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        logout(request)
        if request.path.startswith("/api/"):
            # The API signs in with bearer tokens; a browser's stale session there just ends.
            return self.get_response(request)
        messages.warning(request, reason)
        if request.path == resolve_url(settings.LOGIN_URL):
            return self.get_response(request)  # the login page itself shows the message
        response = redirect_to_login(request.get_full_path())
        if request.headers.get("HX-Request") == "true":
            # A fragment request: htmx would swap the login page into the fragment's place.
            target = response["Location"]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
        return response
