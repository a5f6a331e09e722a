"""The Kanban board: one column per status; a drop or the "Move to…" form performs the move.

Every move goes through the model verbs. `plan_drop` turns "this lead onto that column" into one
board move (or the rule's refusal); moves that need input (schedule, follow-up date, convert,
close, an intro-visit outcome) first show a small form: a `<dialog>` for HTMX, a page without JS.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import Action, Role, User
from leads import params  # dates within 2000-2100
from leads.access import get_lead_for_user, require_action
from leads.filters import LeadFilter
from leads.models import (
    Batch,
    ClosedReason,
    FollowUp,
    FollowUpStatus,
    IntroVisit,
    IVOutcome,
    Lead,
    LeadStatus,
    LifecycleError,
    Move,
)
from leads.models.lead import MOVE_PERMISSION, TERMINAL_STATUSES, check_move

S = LeadStatus
COLUMN_SIZE = 50
#: Closed and converted columns show the leads that got there in the last days only (unless ?all=1).
TERMINAL_DAYS = 30
#: Query parameters that are not filters (they never travel into "load more" or count links).
NON_FILTER_PARAMS = {"page", "offset", "part", "o"}


# -- what a drop means ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardMove:
    kind: str  # which verb and which form: see `_perform` and `MOVE_FORMS`
    move: str  # the Move whose role permission and transition row apply
    to: str  # the column (status) the lead ends in


def plan_drop(lead: Lead, to: str) -> BoardMove:
    """The board move a drop of `lead` on column `to` means; LifecycleError if the rules refuse it."""
    current = lead.status
    if to not in S.values:
        raise LifecycleError("Choose one of the board's columns.", code="bad_column")
    if to == current:
        raise LifecycleError(f"{lead.enquiry_id} is already in “{S(to).label}”.", code="same_column")
    if to == S.ENQUIRY_RECEIVED:
        raise LifecycleError("A lead never moves back to “Enquiry received”: its status only moves forward.")
    if to == S.DISCOVERY_COMPLETED:
        kind, move = "discovery", Move.COMPLETE_DISCOVERY
    elif to == S.IV_SCHEDULED:
        kind, move = "schedule", Move.SCHEDULE_INTRO_VISIT
    elif to == S.IV_COMPLETED:
        kind, move = "enroll_now", Move.RECORD_ENROLL_NOW
    elif to == S.IV_NO_SHOW:
        kind, move = "no_show", Move.RECORD_NO_SHOW
    elif to == S.FOLLOW_UP_PENDING and current == S.IV_SCHEDULED:
        kind, move = "visit_outcome", Move.RECORD_ENROLL_LATER
    elif to == S.FOLLOW_UP_PENDING and current == S.CLOSED_LOST:
        kind, move = "reopen", Move.REOPEN
    elif to == S.FOLLOW_UP_PENDING:
        kind, move = "follow_up", Move.ADD_FOLLOW_UP
    elif to == S.CONVERTED:
        kind, move = "convert", Move.CONVERT
    else:
        kind, move = "close", Move.CLOSE
    lands_in = check_move(current, move)  # the rule's own sentence when refused
    if lands_in != to:
        # e.g. "complete discovery" on a lead with a visit scheduled updates details, but stays put.
        raise LifecycleError(f"A lead at “{S(current).label}” cannot move back to “{S(to).label}”.")
    return BoardMove(kind, move, to)


def move_targets(status: str, user: User) -> list[tuple[str, str]]:
    """The columns a card in `status` may be moved to by `user` (the "Move to…" menu)."""
    probe = Lead(status=status, enquiry_id="")
    targets = []
    for to, label in S.choices:
        try:
            board_move = plan_drop(probe, to)
        except LifecycleError:
            continue
        if user.may(MOVE_PERMISSION[board_move.move]):
            targets.append((to, label))
    return targets


# -- forms of the moves that need input -------------------------------------------------------


class _CenterForm(forms.Form):
    """A form whose choices (batches, trainers) are scoped to the lead's center."""

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lead = lead
        if "batch" in self.fields:
            self.fields["batch"].queryset = Batch.objects.filter(center_id=lead.center_id, is_active=True)
        if "trainer" in self.fields:
            self.fields["trainer"].queryset = User.objects.in_centers(lead.center).filter(role=Role.TRAINER)


_DATE = forms.DateInput(attrs={"type": "date"})
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ScheduleVisitForm(_CenterForm):
    batch = forms.ModelChoiceField(queryset=Batch.objects.none(), empty_label="Choose a batch")
    trainer = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="The batch's trainer", label="Trainer"
    )
    scheduled_at = params.DateTimeField(label="Date and time", widget=_DATETIME)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VisitOutcomeForm(_CenterForm):
    outcome = forms.ChoiceField(
        choices=[
            (IVOutcome.INTERESTED_ENROLL_LATER, IVOutcome.INTERESTED_ENROLL_LATER.label),
            (IVOutcome.NOT_INTERESTED, IVOutcome.NOT_INTERESTED.label),
        ],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_date = params.DateField(required=False, widget=_DATE, help_text="Optional: when to call next.")


class FollowUpDateForm(_CenterForm):
    scheduled_date = params.DateField(label="Follow-up date", widget=_DATE)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EnrollmentForm(_CenterForm):
    batch = forms.ModelChoiceField(queryset=Batch.objects.none(), empty_label="Choose a batch")
    start_date = params.DateField(widget=_DATE)
    plan = forms.CharField(required=False, max_length=80, help_text="e.g. Weekly, 3 months")


class CloseForm(_CenterForm):
    category = forms.ChoiceField(choices=ClosedReason.choices, initial=ClosedReason.OTHER, label="Reason category")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label="Why is it lost?")


MOVE_FORMS: dict[str, type[_CenterForm]] = {
    "schedule": ScheduleVisitForm,
    "visit_outcome": VisitOutcomeForm,
    "follow_up": FollowUpDateForm,
    "reopen": FollowUpDateForm,
    "convert": EnrollmentForm,
    "close": CloseForm,
}


def _awaiting_visit(lead: Lead) -> IntroVisit:
    visit = IntroVisit.objects.filter(lead=lead).awaiting_outcome().order_by("-scheduled_at").first()
    if visit is None:
        raise LifecycleError("This lead has no intro visit waiting for an outcome.")
    return visit


def _perform(board_move: BoardMove, lead: Lead, data: dict[str, Any], user: User) -> None:
    """Carry out the move through the model verbs (each a transaction; combined ones in one)."""
    kind = board_move.kind
    if kind == "discovery":
        lead.complete_discovery(by=user)
    elif kind == "schedule":
        lead.schedule_intro_visit(
            scheduled_at=data["scheduled_at"],
            batch=data["batch"],
            trainer=data.get("trainer"),
            notes=data.get("notes", ""),
            by=user,
        )
    elif kind in ("enroll_now", "no_show"):
        outcome = IVOutcome.INTERESTED_ENROLL_NOW if kind == "enroll_now" else IVOutcome.NO_SHOW
        _awaiting_visit(lead).record_outcome(outcome=outcome, by=user)
    elif kind == "visit_outcome":
        with transaction.atomic():
            _awaiting_visit(lead).record_outcome(outcome=data["outcome"], notes=data.get("notes", ""), by=user)
            if data.get("follow_up_date"):
                lead.add_follow_up(scheduled_date=data["follow_up_date"], notes=data.get("notes", ""), by=user)
    elif kind == "follow_up":
        lead.add_follow_up(scheduled_date=data["scheduled_date"], notes=data.get("notes", ""), by=user)
    elif kind == "reopen":
        lead.reopen(follow_up_date=data["scheduled_date"], note=data.get("notes", ""), by=user)
    elif kind == "convert":
        lead.enroll_and_convert(batch=data["batch"], start_date=data["start_date"], plan=data.get("plan", ""), by=user)
    elif kind == "close":
        lead.close(reason=data["reason"], category=data["category"], by=user)
    else:  # pragma: no cover - plan_drop knows every kind
        raise ValueError(kind)


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
    """Each lead with its next pending follow-up date and next awaited visit, in the same query."""
    follow_up = FollowUp.objects.filter(lead=OuterRef("pk"), status=FollowUpStatus.PENDING).order_by("scheduled_date")
    visit = IntroVisit.objects.filter(lead=OuterRef("pk")).awaiting_outcome().order_by("scheduled_at")
    return leads.select_related("child", "assigned_to", "center").annotate(
        next_follow_up=Subquery(follow_up.values("scheduled_date")[:1]),
        next_visit=Subquery(visit.values("scheduled_at")[:1]),
    )


def _decorate(leads: list[Lead], user: User, now: datetime.datetime) -> list[Lead]:
    """Add what a card shows: days in status, next date (red when overdue), the Move-to targets."""
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
            today = timezone.localdate(now, timezone=lead.center.tzinfo)
            lead.next_kind, lead.next_at = "Follow-up", lead.next_follow_up
            lead.overdue = lead.next_follow_up < today
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
        list(ranked.filter(rank__lte=COLUMN_SIZE).order_by("-created_at", "-pk")), request.user, timezone.now()
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
    cards = _decorate(page[:COLUMN_SIZE], request.user, timezone.now())
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
    request: HttpRequest, lead: Lead, board_move: BoardMove, form: forms.Form, *, status: int = 200
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

    form_class = MOVE_FORMS.get(board_move.kind)
    if form_class is not None and (request.method == "GET" or request.POST.get("step") != "details"):
        return _form_response(request, lead, board_move, form_class(lead=lead))
    if request.method == "GET":  # a move without input: a page with one confirm button (no-JS path)
        return _form_response(request, lead, board_move, forms.Form())

    data: dict[str, Any] = {}
    form = None
    if form_class is not None:
        with timezone.override(lead.center.tzinfo):  # times typed in the center's clock
            form = form_class(request.POST, lead=lead)
            valid = form.is_valid()
        if not valid:
            return _form_response(request, lead, board_move, form, status=400)
        data = form.cleaned_data
    try:
        _perform(board_move, lead, data, request.user)
    except LifecycleError as error:
        return _refused(request, lead, str(error))
    except ValidationError as error:
        if form is None:
            return _refused(request, lead, " ".join(error.messages), status=400)
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return _form_response(request, lead, board_move, form, status=400)
    except PermissionDenied as error:
        return _refused(request, lead, str(error) or "You may not move this lead.", status=403)

    message = f"{lead.enquiry_id} moved to “{S(lead.status).label}”."
    if not request.htmx:
        messages.success(request, message)
        return redirect(_board_url(request))
    lead = _decorate(list(_with_next_dates(Lead.objects.filter(pk=lead.pk))), request.user, timezone.now())[0]
    response = render(request, "leads/board.html#moved", {"lead": lead, "filter_qs": ""})
    reswap(response, "delete")  # the old card goes; the new one arrives out of band in its column
    return trigger_client_event(response, "leadMoved", {"lead": lead.pk, "status": lead.status, "message": message})
