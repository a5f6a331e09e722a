"""The user's centers, the current center kept in the session, the center switcher and `/`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Center, Role
from leads.params import NextQuery

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


@login_required
@require_POST
def switch_center(request: HttpRequest) -> HttpResponse:
    """Remember the chosen center ("" = all centers) and go back where the user was."""
    raw = request.POST.get("center", "")
    centers = {str(center.pk): center for center in user_centers(request)}
    if raw == "":
        request.session.pop(SESSION_KEY, None)
    elif raw in centers:
        request.session[SESSION_KEY] = centers[raw].pk
    else:
        # Another center's id, or garbage: refuse without saying whether it exists.
        return HttpResponse("You do not work in that center.", status=403)
    target = NextQuery.read(request.POST).next or "/"  # a path of this site, or home
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = "/"
    # A list filtered by the previous center would now be empty: drop its query string.
    return redirect(target.split("?")[0])


def _first_url(*names: str) -> str:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/leads/"


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Trainers land on their visits of the day; everyone else on the board (or the list)."""
    if request.user.role == Role.TRAINER:
        return redirect(_first_url("leads:trainer_today"))
    return redirect(_first_url("leads:board", "leads:lead_list"))
