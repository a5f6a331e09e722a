"""The Kanban board: one column per status; a drop or the "Move to…" form performs the move.

Every move goes through `Lead.move_to`, the one dispatcher from a wanted status to its verb
(`lifecycle.plan_move` says which, or the rule's refusal); moves that need input (schedule,
follow-up date, convert, close, an intro-visit outcome) first show that verb's form from
leads/forms.py: a `<dialog>` for HTMX, a page without JS.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import Action, User, mark_centers
from leads import forms, params
from leads.access import get_lead_for_user, log_lead_change, require_action
from leads.filters import LeadFilter
from leads.forms import CenterChoices
from leads.lifecycle import MOVE_PERMISSION, TERMINAL_STATUSES, PlannedMove, move_targets, plan_move
from leads.models import FollowUp, FollowUpStatus, IntroVisit, IVOutcome, Lead, LeadStatus, LifecycleError

S = LeadStatus
COLUMN_SIZE = 50
#: Closed and converted columns show the leads that got there in the last days only (unless ?all=1).
TERMINAL_DAYS = 30
#: Query parameters that are not filters (they never travel into "load more" or count links).
NON_FILTER_PARAMS = {"page", "offset", "part", "o"}


# -- what a drop means ---------------------------------------------------------------------------

#: The form each move that needs input shows (leads/forms.py: one form per verb, shared with the
#: lead page), with the keyword arguments it takes beyond its choice lists.
MOVE_FORMS: dict[str, tuple[type[django_forms.Form], dict[str, Any]]] = {
    "schedule": (forms.ScheduleVisitForm, {}),
    "visit_outcome": (
        forms.OutcomeForm,
        {"outcomes": [IVOutcome.INTERESTED_ENROLL_LATER, IVOutcome.NOT_INTERESTED], "with_follow_up": True},
    ),
    "follow_up": (forms.FollowUpForm, {}),
    "reopen": (forms.ReopenForm, {}),
    "convert": (forms.ConvertForm, {}),
    "close": (forms.CloseForm, {}),
}


def plan_drop(lead: Lead, to: str) -> PlannedMove:
    """The move a drop of `lead` on column `to` means (`lifecycle.plan_move`, with the card's name)."""
    if to == lead.status:
        raise LifecycleError(f"{lead.enquiry_id} is already in “{S(to).label}”.", code="same_column")
    return plan_move(lead.status, to)


def _move_form(planned: PlannedMove, lead: Lead, data=None, *, user=None) -> django_forms.Form | None:
    entry = MOVE_FORMS.get(planned.kind)
    if entry is None:
        return None
    form_class, kwargs = entry
    return form_class(data, **CenterChoices(lead.center, user, lead=lead).form_kwargs(form_class), **kwargs)


# -- reading the board ----------------------------------------------------------------------------


def _filter_params(request: HttpRequest) -> QueryDict:
    params = request.GET.copy()
    for name in NON_FILTER_PARAMS:
        params.pop(name, None)
    return params


def _filtered(request: HttpRequest) -> tuple[QuerySet[Lead], LeadFilter]:
    """The user's leads narrowed by the leads list's own filters (the switcher's center by default)."""
    params = _filter_params(request)
    params.pop("status", None)  # the columns are the statuses
    lead_filter = LeadFilter(params, queryset=Lead.objects.for_user(request.user), request=request)
    return lead_filter.qs, lead_filter  # the valid filters apply; a bad value is ignored, not a 500


def _with_next_dates(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """Each lead with its next pending follow-up time and next awaited visit, in the same query."""
    follow_up = FollowUp.objects.filter(lead=OuterRef("pk"), status=FollowUpStatus.PENDING).order_by("scheduled_date")
    visit = IntroVisit.objects.filter(lead=OuterRef("pk")).awaiting_outcome().order_by("scheduled_at")
    return leads.select_related("child", "assigned_to", "center").annotate(
        next_follow_up=Subquery(follow_up.values("scheduled_date")[:1]),
        next_visit=Subquery(visit.values("scheduled_at")[:1]),
    )


def _decorate(leads: list[Lead], user: User, now: datetime.datetime, *, several_centers: bool = False) -> list[Lead]:
    """Add what a card shows: days in status, next date (red when overdue), the Move-to targets;
    with `several_centers` (a super admin's "all centers"), assignees' names carry their center."""
    if several_centers:
        mark_centers({lead.assigned_to for lead in leads if lead.assigned_to})
    targets: dict[str, list[tuple[str, str]]] = {}
    # Reversing once per page, not per card: a 400-card board rendered 1,700 {% url %} tags.
    move_url = reverse("leads:board_move", args=[0]).removesuffix("0/") + "{}/"
    detail_url = reverse("leads:lead_detail", args=[0]).removesuffix("0/") + "{}/"
    for lead in leads:
        lead.move_url = move_url.format(lead.pk)
        lead.detail_url = detail_url.format(lead.pk)
        if lead.status not in targets:
            targets[lead.status] = move_targets(lead.status, user)
        lead.move_targets = targets[lead.status]
        lead.days = lead.days_in_status(now)
        lead.next_kind, lead.next_at, lead.overdue = "", None, False
        if lead.status in TERMINAL_STATUSES:
            continue
        if lead.next_visit is not None and (lead.next_follow_up is None or lead.status == S.IV_SCHEDULED):
            lead.next_kind, lead.next_at, lead.overdue = "Visit", lead.next_visit, lead.next_visit < now
        elif lead.next_follow_up is not None:
            lead.next_kind, lead.next_at = "Follow-up", lead.next_follow_up
            lead.overdue = lead.next_follow_up < now
    return leads


@dataclass
class Column:
    status: str
    label: str
    count: int = 0
    cards: list[Lead] = field(default_factory=list)
    recent_only: bool = False

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)


def _board_leads(request: HttpRequest) -> tuple[QuerySet[Lead], Any, bool]:
    leads, lead_filter = _filtered(request)
    show_all = request.GET.get("all") == "1"
    if not show_all:
        cutoff = timezone.now() - datetime.timedelta(days=TERMINAL_DAYS)
        leads = leads.exclude(status__in=TERMINAL_STATUSES, status_changed_at__lt=cutoff)
    return leads, lead_filter, show_all


def _counts(leads: QuerySet[Lead]) -> dict[str, int]:
    rows = leads.order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def _columns(request: HttpRequest) -> tuple[list[Column], Any, bool]:
    leads, lead_filter, show_all = _board_leads(request)
    counts = _counts(leads)
    # One query for every column: the newest COLUMN_SIZE leads of each status (a window function).
    ranked = _with_next_dates(leads).annotate(
        rank=Window(RowNumber(), partition_by=[F("status")], order_by=[F("created_at").desc(), F("pk").desc()])
    )
    cards = _decorate(
        list(ranked.filter(rank__lte=COLUMN_SIZE).order_by("-created_at", "-pk")),
        request.user,
        timezone.now(),
        several_centers=lead_filter.several_centers,
    )
    columns = {
        status: Column(status, label, counts.get(status, 0), recent_only=status in TERMINAL_STATUSES and not show_all)
        for status, label in S.choices
    }
    for lead in cards:
        columns[lead.status].cards.append(lead)
    return list(columns.values()), lead_filter, show_all


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.VIEW_LEADS)
    if request.GET.get("part") == "counts":
        leads, _, _ = _board_leads(request)
        counts = _counts(leads)
        return render(request, "leads/board.html#counts", {"counts": [(s, counts.get(s, 0)) for s in S.values]})
    columns, lead_filter, show_all = _columns(request)
    context = {
        "columns": columns,
        "filter": lead_filter,
        "filter_qs": _filter_params(request).urlencode(),
        "show_all": show_all,
        "column_size": COLUMN_SIZE,
        "terminal_days": TERMINAL_DAYS,
    }
    template = "leads/board.html#board" if request.htmx and not request.htmx.boosted else "leads/board.html"
    return render(request, template, context)


@login_required
@require_GET
def board_column(request: HttpRequest, status: str) -> HttpResponse:
    """ "Load more": the next COLUMN_SIZE cards of one column (HTMX fragment, or a page without JS)."""
    require_action(request.user, Action.VIEW_LEADS)
    if status not in S.values:
        return HttpResponse("Unknown column.", status=404)
    offset = params.BoardColumnQuery.read(request.GET).offset  # 0 to a billion; None when missing or junk
    offset = COLUMN_SIZE if offset is None else offset
    leads, lead_filter, show_all = _board_leads(request)
    leads = leads.filter(status=status)
    page = list(_with_next_dates(leads).order_by("-created_at", "-pk")[offset : offset + COLUMN_SIZE + 1])
    has_more = len(page) > COLUMN_SIZE
    cards = _decorate(page[:COLUMN_SIZE], request.user, timezone.now(), several_centers=lead_filter.several_centers)
    context = {
        "column": Column(
            status, S(status).label, cards=cards, recent_only=status in TERMINAL_STATUSES and not show_all
        ),
        "next_offset": offset + COLUMN_SIZE if has_more else None,
        "filter_qs": _filter_params(request).urlencode(),
        "single_column": True,
    }
    if request.htmx:
        return render(request, "leads/board.html#column-page", context)
    return render(request, "leads/board.html", context)


# -- moving a card -------------------------------------------------------------------------------


def _refused(request: HttpRequest, lead: Lead, message: str, status: int = 409) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        return trigger_client_event(response, "moveRefused", {"message": message, "lead": lead.pk})
    messages.error(request, message)
    return redirect(_board_url(request))


def _board_url(request: HttpRequest) -> str:
    back = request.POST.get("next") or request.GET.get("next") or ""
    # Only our own board URLs: never an open redirect.
    if back.startswith("/board/") and "//" not in back:
        return back
    return reverse("leads:board")


def _form_response(
    request: HttpRequest, lead: Lead, board_move: PlannedMove, form: django_forms.Form, *, status: int = 200
) -> HttpResponse:
    context = {
        "lead": lead,
        "board_move": board_move,
        "to_label": S(board_move.to).label,
        "form": form,
        "next": _board_url(request),
        "as_page": not request.htmx,
        "move_page": not request.htmx,
    }
    if request.htmx:
        response = render(request, "leads/board.html#move-form", context)
        retarget(response, "#move-dialog-body")
        reswap(response, "innerHTML")
        return trigger_client_event(response, "openMoveDialog", {"lead": lead.pk}, after="settle")
    return render(request, "leads/board.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card to the column `to`. GET shows the move's form; POST performs it.

    POST without `step=details` for a move that needs input answers with its form (the dialog),
    so a plain "Move to…" submit and a drop work the same way.
    """
    require_action(request.user, Action.VIEW_LEADS)
    lead = get_lead_for_user(request.user, pk)
    to = (request.POST if request.method == "POST" else request.GET).get("to", "")
    try:
        board_move = plan_drop(lead, to)
    except LifecycleError as error:
        return _refused(request, lead, str(error))
    if not request.user.may(MOVE_PERMISSION[board_move.move]):
        return _refused(request, lead, "Your role does not allow this move.", status=403)

    needs_input = board_move.kind in MOVE_FORMS
    if needs_input and (request.method == "GET" or request.POST.get("step") != "details"):
        return _form_response(request, lead, board_move, _move_form(board_move, lead, user=request.user))
    if request.method == "GET":  # a move without input: a page with one confirm button (no-JS path)
        return _form_response(request, lead, board_move, django_forms.Form())

    data: dict[str, Any] = {}
    form = None
    if needs_input:
        with timezone.override(lead.center.tzinfo):  # times typed in the center's clock
            form = _move_form(board_move, lead, request.POST, user=request.user)
            valid = form.is_valid()
        if not valid:
            return _form_response(request, lead, board_move, form, status=400)
        data = form.cleaned_data
    try:
        lead.move_to(to, by=request.user, **data)
    except LifecycleError as error:
        return _refused(request, lead, str(error))
    except ValidationError as error:
        if form is None:
            return _refused(request, lead, " ".join(error.messages), status=400)
        forms.add_verb_errors(form, error)
        return _form_response(request, lead, board_move, form, status=400)
    except PermissionDenied as error:
        return _refused(request, lead, str(error) or "You may not move this lead.", status=403)
    log_lead_change(request, lead, f"board move to {to}")

    message = f"{lead.enquiry_id} moved to “{S(lead.status).label}”."
    if not request.htmx:
        messages.success(request, message)
        return redirect(_board_url(request))
    lead = _decorate(list(_with_next_dates(Lead.objects.filter(pk=lead.pk))), request.user, timezone.now())[0]
    response = render(request, "leads/board.html#moved", {"lead": lead, "filter_qs": ""})
    reswap(response, "delete")  # the old card goes; the new one arrives out of band in its column
    return trigger_client_event(response, "leadMoved", {"lead": lead.pk, "status": lead.status, "message": message})
