"""Sign-in throttling (django-axes) in front of the password check.

Axes' backend runs first: when the username or the client address is locked out it refuses before
`ModelBackend` computes a password hash, so an anonymous client cannot buy CPU with guesses.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class ThrottledSignInBackend(AxesStandaloneBackend):
    """Axes' check, skipped for calls without a request (the test client's `login()`, shell scripts).

    Every sign-in from the web, admin and API passes its request, so it is throttled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_out(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (web and admin): why, for how long, what to do. 429."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        wait = f" for {minutes} minute{'s' if minutes != 1 else ''}" if minutes else ""
        response = JsonResponse({"detail": f"Too many wrong passwords: sign-in is paused{wait}."}, status=429)
        if cool_off:
            response["Retry-After"] = str(int(cool_off.total_seconds()))
        return response
    context = {"failure_limit": get_failure_limit(request, credentials), "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


def sign_in_username(request, credentials=None) -> str | None:
    """The username axes counts failures for, cut to the longest a user can have.

    Axes stores it in a 255-character column; a longer guess is a wrong username all the same, and on
    PostgreSQL it would otherwise end the sign-in with a DataError.
    """
    from django.contrib.auth import get_user_model

    username = (credentials or getattr(request, "data", request.POST)).get("username")
    if username is None:
        return None
    return str(username)[: get_user_model()._meta.get_field("username").max_length]
