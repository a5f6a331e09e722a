"""The center switcher and `/` (the helpers that read the current center live in leads/centers.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from leads.centers import SESSION_KEY, user_centers
from leads.params import NextQuery


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
    if request.user.is_trainer_only:
        return redirect(_first_url("leads:trainer_today"))
    return redirect(_first_url("leads:board", "leads:lead_list"))
