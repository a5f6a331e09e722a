"""The user's centers and the current center (the switcher's choice, kept in the session).

Views, filters, context processors and the insights app read these; they are request helpers,
not views, so they live apart from the screens.
"""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import MEMBERSHIP_PERM, Center, CenterMembership

SESSION_KEY = "current_center_id"


def user_centers(request: HttpRequest) -> list[Center]:
    """The centers the user works in (every center for super admins), read once per request.

    Also fills `user.works_in`'s cache, so the access helpers need no second query.
    """
    cached = getattr(request, "_crm_centers", None)
    if cached is None:
        user = request.user
        if user.is_super_admin or not getattr(user, "is_authenticated", False) or not user.is_active:
            cached = list(Center.objects.for_user(user))
        else:
            # The memberships with their centers: the centers and the user's role in each, one query.
            ordering = [
                f"-content_object__{f[1:]}" if f.startswith("-") else f"content_object__{f}"
                for f in Center._meta.ordering or ["pk"]
            ]
            memberships = list(
                CenterMembership.objects.filter(user_id=user.pk, permission__codename=MEMBERSHIP_PERM)
                .select_related("content_object")
                .order_by(*ordering)
            )
            cached = [m.content_object for m in memberships]
            # `request.user` is a lazy proxy: setattr reaches the real user's `__dict__`, where
            # `User.role_in` (and so `works_in`, `may`) keeps its cache.
            user._center_roles = {m.content_object_id: m.role or user.role for m in memberships}
            user._two_factor_centers = {m.content_object_id for m in memberships if m.content_object.require_two_factor}
        request._crm_centers = cached
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
