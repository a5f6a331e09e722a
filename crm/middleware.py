"""Responses that show personal data must not stay in a browser's or a proxy's cache."""

from __future__ import annotations

from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user or an API client (pages,
    fragments, exports, JSON): a shared tablet's back button or a proxy must not keep a family's
    details. Static files are served before this (WhiteNoise) and keep their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True)
        return response
