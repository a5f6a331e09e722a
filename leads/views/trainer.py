"""The trainer's tablet view: today's and tomorrow's intro visits, one tap to record how they went.

Trainers see only the visits of their batches (or assigned to them); center admins see every
visit of their centers. Counselors lack `record_outcome` and get 403 here, as trainers do on
the counselor screens.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.models import Action, Center, Role, User
from leads.access import get_intro_visit_for_user, require_action
from leads.centers import current_center, user_centers
from leads.lifecycle import require_own_visit
from leads.models import IntroVisit, IVOutcome, LifecycleError, ParentExpectation
from leads.params import OutcomeSent

#: What a trainer picks after "Attended" (a no-show is its own button).
ATTENDED_OUTCOMES = [
    (IVOutcome.INTERESTED_ENROLL_NOW, "Interested: enroll now"),
    (IVOutcome.INTERESTED_ENROLL_LATER, "Interested: enroll later"),
    (IVOutcome.NOT_INTERESTED, "Not interested"),
]
EXPECTATIONS = dict(ParentExpectation.choices)


def _centers(request: HttpRequest) -> list[Center]:
    center = current_center(request)
    return [center] if center is not None else user_centers(request)


def _mine(queryset: QuerySet[IntroVisit], user: User) -> QuerySet[IntroVisit]:
    """A trainer's own visits: assigned to them, or in a batch they teach."""
    if user.role == Role.TRAINER:
        return queryset.filter(Q(trainer=user) | Q(batch__trainer=user))
    return queryset


def _check_own_visit(user: User, visit: IntroVisit) -> None:
    """Seeing a card follows the rule recording it does (`record_outcome` enforces it on every door)."""
    require_own_visit(user, (visit.trainer_id, visit.batch.trainer_id))


def _decorate(visit: IntroVisit) -> IntroVisit:
    visit.local_at = timezone.localtime(visit.scheduled_at, visit.lead.center.tzinfo)
    visit.expectations = [EXPECTATIONS.get(code, code) for code in visit.lead.parent_expectations or []]
    return visit


@login_required
@require_GET
def trainer_today(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.RECORD_OUTCOME)
    now = timezone.now()
    days: dict[datetime.date, list[IntroVisit]] = {}
    window = Q(pk__in=[])
    labels: dict[datetime.date, str] = {}
    for center in _centers(request):
        today = timezone.localdate(now, timezone=center.tzinfo)
        start = datetime.datetime.combine(today, datetime.time.min, tzinfo=center.tzinfo)
        window |= Q(lead__center=center, scheduled_at__gte=start, scheduled_at__lt=start + datetime.timedelta(days=2))
        labels.setdefault(today, "Today")
        labels.setdefault(today + datetime.timedelta(days=1), "Tomorrow")
    visits = (
        _mine(IntroVisit.objects.for_user(request.user), request.user)
        .filter(window, cancelled_at__isnull=True)
        .select_related("lead__child", "lead__center", "batch", "trainer")
        .order_by("scheduled_at")
    )
    for visit in visits:
        local_day = timezone.localtime(visit.scheduled_at, visit.lead.center.tzinfo).date()
        days.setdefault(local_day, []).append(_decorate(visit))
    sections = [(labels[day], day, days.get(day, [])) for day in sorted(labels)]
    return render(request, "leads/trainer.html", {"sections": sections, "outcomes": ATTENDED_OUTCOMES})


def _card(request: HttpRequest, visit: IntroVisit, *, step: str = "", error: str = "", status: int = 200):
    context = {"visit": _decorate(visit), "step": step, "error": error, "outcomes": ATTENDED_OUTCOMES}
    if request.htmx:
        return render(request, "leads/trainer.html#visit-card", context, status=status)
    return render(request, "leads/trainer.html", {**context, "single": True}, status=status)


@login_required
@require_GET
def visit_card(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit's card; `?step=attended` opens the outcome choices (a page without JS)."""
    visit = get_intro_visit_for_user(request.user, pk, action=Action.RECORD_OUTCOME)
    _check_own_visit(request.user, visit)
    step = "attended" if request.GET.get("step") == "attended" and not visit.outcome else ""
    return _card(request, visit, step=step)


@login_required
@require_POST
def record_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_intro_visit_for_user(request.user, pk, action=Action.RECORD_OUTCOME)
    sent = OutcomeSent(request.POST)  # bounded text, no NUL bytes: the verb judges the outcome itself
    if not sent.is_valid():
        return _card(request, visit, step="attended", error=sent.message(), status=200 if request.htmx else 400)
    outcome, notes = sent.cleaned_data["outcome"], sent.cleaned_data["notes"]
    try:
        visit.record_outcome(outcome=outcome, notes=notes, by=request.user)
    except LifecycleError as error:
        if not request.htmx:
            messages.error(request, str(error))
            return redirect(reverse("leads:trainer_today"))
        visit.refresh_from_db()
        return _card(request, visit, error=str(error))
    except ValidationError as error:
        step = "" if outcome == IVOutcome.NO_SHOW else "attended"
        return _card(request, visit, step=step, error=" ".join(error.messages), status=200 if request.htmx else 400)
    message = f"{visit.lead.child}: {visit.get_outcome_display().lower()}."
    if not request.htmx:
        messages.success(request, message)
        return redirect(reverse("leads:trainer_today"))
    return trigger_client_event(_card(request, visit), "visitRecorded", {"id": visit.pk, "message": message})
