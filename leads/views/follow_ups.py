"""The follow-up queue: Overdue, Today and Upcoming (7 days); "mine" by default, or the center's.

Each row records its outcome inline (HTMX swaps the row out and fires `followUpDone`, so the
nav badge and the section counts refresh) and works as plain forms and pages without JS.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, trigger_client_event

from accounts.models import Action, Center, User
from leads.access import get_follow_up_for_user, log_lead_change, require_action
from leads.centers import current_center, user_centers
from leads.context_processors import Nav
from leads.forms import CenterChoices, CompleteFollowUpForm, add_verb_errors
from leads.lifecycle import day_start
from leads.models import (
    FamilyLink,
    FollowUp,
    FollowUpOutcome,
    FollowUpStatus,
    LifecycleError,
)
from leads.templatetags.crm import center_dt

UPCOMING_DAYS = 7
#: Rows shown per page of the queue; the section counts always tell the whole number.
MAX_ROWS = 300
SECTIONS = (("overdue", "Overdue"), ("today", "Today"), ("upcoming", f"Upcoming (next {UPCOMING_DAYS} days)"))


def _complete_form(follow_up: FollowUp, data=None, *, user=None) -> CompleteFollowUpForm:
    """The verb's one form (leads/forms.py), ids prefixed by the row: several rows share a page."""
    choices = CenterChoices(follow_up.lead.center, user)
    return CompleteFollowUpForm(data, auto_id=f"id_fu{follow_up.pk}_%s", **choices.form_kwargs(CompleteFollowUpForm))


# -- reading the queue ------------------------------------------------------------------------


def _centers(request: HttpRequest) -> list[Center]:
    """The switcher's center, or every center of the user (super admins: all)."""
    center = current_center(request)
    return [center] if center is not None else user_centers(request)


@dataclass(frozen=True)
class Window:
    """One center's queue boundaries: overdue before `now`, today until `tomorrow` (the center's
    midnight), upcoming until `horizon` (UPCOMING_DAYS after tomorrow)."""

    now: datetime.datetime
    tomorrow: datetime.datetime
    horizon: datetime.datetime

    def section_of(self, when: datetime.datetime) -> str:
        return "overdue" if when < self.now else "today" if when < self.tomorrow else "upcoming"


def _windows(centers: list[Center], now: datetime.datetime) -> dict[int, Window]:
    windows = {}
    for center in centers:
        tz = center.tzinfo
        today = timezone.localdate(now, timezone=tz)
        windows[center.pk] = Window(
            now=now,
            tomorrow=day_start(today + datetime.timedelta(days=1), tz),
            horizon=day_start(today + datetime.timedelta(days=1 + UPCOMING_DAYS), tz),
        )
    return windows


def _queue(request: HttpRequest, scope: str) -> tuple[QuerySet[FollowUp], dict[int, Window]]:
    centers = _centers(request)
    now = timezone.now()
    windows = _windows(centers, now)
    horizon = max((w.horizon for w in windows.values()), default=now)
    queryset = FollowUp.objects.for_user(request.user).pending().filter(scheduled_date__lt=horizon)
    if not request.user.is_super_admin or len(centers) == 1:
        queryset = queryset.filter(lead__center__in=[center.pk for center in centers])
    if scope == "mine":
        queryset = queryset.filter(assigned_to=request.user)
    return queryset, windows


def _section_counts(queryset: QuerySet[FollowUp], windows: dict[int, Window]) -> dict[str, int]:
    """The three section sizes in one query, each center with its own calendar day."""
    overdue, due_today, upcoming = Q(), Q(), Q()
    for center_id, w in windows.items():
        here = Q(lead__center_id=center_id)
        overdue |= here & Q(scheduled_date__lt=w.now)
        due_today |= here & Q(scheduled_date__gte=w.now, scheduled_date__lt=w.tomorrow)
        upcoming |= here & Q(scheduled_date__gte=w.tomorrow, scheduled_date__lt=w.horizon)
    if not windows:
        return {"overdue": 0, "today": 0, "upcoming": 0}
    return queryset.aggregate(
        overdue=Count("pk", filter=overdue),
        today=Count("pk", filter=due_today),
        upcoming=Count("pk", filter=upcoming),
    )


def _rows(queryset: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    parents = FamilyLink.objects.select_related("parent").order_by("-is_primary", "pk")
    return queryset.select_related("lead__child", "lead__center", "assigned_to").prefetch_related(
        Prefetch("lead__child__links", queryset=parents)
    )


def _with_urls(follow_ups: list[FollowUp]) -> list[FollowUp]:
    """Each row's links, reversed once per page rather than three {% url %} tags per row."""
    complete_url = reverse("leads:follow_up_complete", args=[0]).removesuffix("0/complete/") + "{}/complete/"
    cancel_url = reverse("leads:follow_up_cancel", args=[0]).removesuffix("0/cancel/") + "{}/cancel/"
    lead_url = reverse("leads:lead_detail", args=[0]).removesuffix("0/") + "{}/"
    for follow_up in follow_ups:
        follow_up.complete_url = complete_url.format(follow_up.pk)
        follow_up.cancel_url = cancel_url.format(follow_up.pk)
        follow_up.lead_url = lead_url.format(follow_up.lead_id)
    return follow_ups


def _section_of(follow_up: FollowUp, windows: dict[int, Window]) -> str | None:
    window = windows.get(follow_up.lead.center_id)
    return None if window is None else window.section_of(follow_up.scheduled_date)


def _scope(request: HttpRequest) -> str:
    return "center" if (request.GET.get("scope") or request.POST.get("scope")) == "center" else "mine"


def _require_queue_rights(user: User) -> None:
    require_action(user, Action.VIEW_LEADS)
    require_action(user, Action.MANAGE_FOLLOW_UP)


@login_required
@require_GET
def follow_ups(request: HttpRequest) -> HttpResponse:
    _require_queue_rights(request.user)
    scope = _scope(request)
    queryset, windows = _queue(request, scope)
    counts = _section_counts(queryset, windows)
    if request.GET.get("part") == "counts":
        return render(request, "leads/follow_ups.html#counts", {"counts": counts})
    sections: dict[str, list[FollowUp]] = {key: [] for key, _ in SECTIONS}
    for follow_up in _with_urls(list(_rows(queryset).order_by("scheduled_date", "pk")[:MAX_ROWS])):
        section = _section_of(follow_up, windows)
        if section:
            follow_up.section = section
            sections[section].append(follow_up)
    context = {
        "scope": scope,
        "sections": [(key, label, sections[key], counts[key]) for key, label in SECTIONS],
        "counts": counts,
        "max_rows": MAX_ROWS,
    }
    template = "leads/follow_ups.html#queue" if request.htmx else "leads/follow_ups.html"
    return render(request, template, context)


@login_required
@require_GET
def follow_up_count(request: HttpRequest) -> HttpResponse:
    """The number on the nav badge: the user's pending follow-ups due today or overdue."""
    _require_queue_rights(request.user)
    count = Nav(request).follow_up_count  # the same figure the layout shows
    return HttpResponse(str(count), content_type="text/plain; charset=utf-8")


# -- recording an outcome ---------------------------------------------------------------------


def _row_response(
    request: HttpRequest, follow_up: FollowUp, form: CompleteFollowUpForm | None, *, status: int = 200
) -> HttpResponse:
    """The row (with its form open when given): a fragment for HTMX, a page without JS."""
    follow_up.section = _section_of(follow_up, _windows([follow_up.lead.center], timezone.now()))
    parents = FamilyLink.objects.select_related("parent").order_by("-is_primary", "pk")
    prefetch_related_objects([follow_up.lead.child], Prefetch("links", queryset=parents))
    _with_urls([follow_up])
    context = {"fu": follow_up, "form": form, "scope": _scope(request), "single": not request.htmx}
    template = "leads/follow_ups.html#row" if request.htmx else "leads/follow_ups.html"
    return render(request, template, context, status=status)


def _done(request: HttpRequest, follow_up: FollowUp, message: str, *, detail: str) -> HttpResponse:
    """A recorded follow-up: its access-log row, then the row leaves the queue."""
    log_lead_change(request, follow_up.lead, f"queue follow-up {follow_up.pk} {detail}")
    if not request.htmx:
        messages.success(request, message)
        return redirect(_queue_url(request))
    response = HttpResponse("")
    reswap(response, "delete")  # the row leaves the queue; counts refresh on followUpDone
    return trigger_client_event(response, "followUpDone", {"id": follow_up.pk, "message": message})


def _refused(request: HttpRequest, follow_up: FollowUp, message: str) -> HttpResponse:
    """A completed follow-up completed again (a double submit): say so, write nothing."""
    if not request.htmx:
        messages.error(request, message)
        return redirect(_queue_url(request))
    response = render(request, "leads/follow_ups.html#notice", {"fu": follow_up, "message": message})
    return trigger_client_event(response, "followUpDone", {"id": follow_up.pk, "message": message})


def _queue_url(request: HttpRequest) -> str:
    url = reverse("leads:follow_ups")
    return f"{url}?scope=center" if _scope(request) == "center" else url


@login_required
@require_http_methods(["GET", "POST"])
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the row with its outcome form open (or closed with ?close=1). POST: record the outcome."""
    require_action(request.user, Action.VIEW_LEADS)
    follow_up = get_follow_up_for_user(request.user, pk)
    if request.method == "GET":
        if follow_up.status != "PENDING":
            return _refused(request, follow_up, f"This follow-up is already {follow_up.get_status_display().lower()}.")
        form = None if request.GET.get("close") else _complete_form(follow_up, user=request.user)
        return _row_response(request, follow_up, form)
    with timezone.override(follow_up.lead.center.tzinfo):  # visit times typed in the center's clock
        form = _complete_form(follow_up, request.POST, user=request.user)
        valid = form.is_valid()
    if not valid:
        return _row_response(request, follow_up, form, status=200 if request.htmx else 400)
    try:
        next_follow_up = follow_up.complete(**form.complete_kwargs(), by=request.user)
    except LifecycleError as error:
        follow_up.refresh_from_db(fields=["status"])
        if follow_up.status != FollowUpStatus.PENDING:  # done already (a double submit): it leaves the queue
            return _refused(request, follow_up, str(error))
        form.add_error(None, str(error))  # the lead's rules refuse this outcome: the row stays, says why
        return _row_response(request, follow_up, form, status=200 if request.htmx else 409)
    except ValidationError as error:
        add_verb_errors(form, error)
        return _row_response(request, follow_up, form, status=200 if request.htmx else 400)
    outcome = FollowUpOutcome(form.cleaned_data["outcome"]).label.lower()
    message = f"Follow-up for {follow_up.lead.child} recorded: {outcome}."
    if next_follow_up is not None:
        message += f" Next call {center_dt(next_follow_up.scheduled_date, follow_up.lead.center)}."
    return _done(request, follow_up, message, detail=f"complete {form.cleaned_data['outcome']}")


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    require_action(request.user, Action.VIEW_LEADS)
    follow_up = get_follow_up_for_user(request.user, pk)
    try:
        follow_up.cancel(by=request.user)
    except LifecycleError as error:
        return _refused(request, follow_up, str(error))
    except PermissionDenied:
        raise
    return _done(request, follow_up, f"Follow-up for {follow_up.lead.child} cancelled.", detail="cancel")
