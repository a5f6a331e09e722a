"""The user's centers and the current center (the switcher's choice, kept in the session).

Views, filters, context processors and the insights app read these; they are request helpers,
not views, so they live apart from the screens.
"""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Center

SESSION_KEY = "current_center_id"


def user_centers(request: HttpRequest) -> list[Center]:
    """The centers the user works in (every center for super admins), read once per request.

    Also fills `user.works_in`'s cache, so the access helpers need no second query.
    """
    cached = getattr(request, "_crm_centers", None)
    if cached is None:
        cached = list(Center.objects.for_user(request.user))
        request._crm_centers = cached
        if not request.user.is_super_admin:
            # `request.user` is a lazy proxy: setattr reaches the real user's `__dict__`,
            # where `User.works_in` keeps its cache.
            request.user._center_ids = {center.pk for center in cached}
    return cached


def current_center(request: HttpRequest) -> Center | None:
    """The center chosen in the switcher; the only one for single-center users; None means all."""
    centers = user_centers(request)
    if len(centers) == 1:
        return centers[0]
    chosen = request.session.get(SESSION_KEY)
    return next((center for center in centers if center.pk == chosen), None)


def may_switch_center(request: HttpRequest) -> bool:
    return request.user.is_super_admin or len(user_centers(request)) > 1
