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
from leads.access import get_intro_visit_for_user, log_lead_change, require_action
from leads.centers import current_center, user_centers
from leads.lifecycle import require_own_visit
from leads.models import ExpectationChoice, IntroVisit, IVOutcome, LifecycleError
from leads.params import OutcomeSent, StepSent

#: What a trainer picks after "Attended" (a no-show is its own button).
ATTENDED_OUTCOMES = [
    (IVOutcome.INTERESTED_ENROLL_NOW, "Interested: enroll now"),
    (IVOutcome.INTERESTED_ENROLL_LATER, "Interested: enroll later"),
    (IVOutcome.NOT_INTERESTED, "Not interested"),
]
#: What a recorded outcome can be corrected to (the card leaves out the one recorded).
CORRECTIONS = [*ATTENDED_OUTCOMES, (IVOutcome.NO_SHOW, "No-show")]


def _centers(request: HttpRequest) -> list[Center]:
    center = current_center(request)
    return [center] if center is not None else user_centers(request)


def _mine(queryset: QuerySet[IntroVisit], user: User) -> QuerySet[IntroVisit]:
    """A trainer's own visits: assigned to them, or in a batch they teach."""
    trains_in = user.centers_as(Role.TRAINER)  # roles are per center: only there is the view narrowed
    if user.is_super_admin or not trains_in:
        return queryset
    return queryset.filter(~Q(lead__center__in=trains_in) | Q(trainer=user) | Q(batch__trainer=user))


def _check_own_visit(user: User, visit: IntroVisit) -> None:
    """Seeing a card follows the rule recording it does (`record_outcome` enforces it on every door)."""
    require_own_visit(user, (visit.trainer_id, visit.batch.trainer_id), visit.lead.center_id)


def _expectation_labels(center_ids) -> dict[tuple[int, str], str]:
    """Each center's own labels for "what the parents hope for" (one query for every card)."""
    rows = ExpectationChoice.objects.filter(center_id__in=set(center_ids)).values_list("center_id", "code", "label")
    return {(center_id, code): label for center_id, code, label in rows}


def _decorate(visit: IntroVisit, labels: dict[tuple[int, str], str] | None = None) -> IntroVisit:
    if labels is None:
        labels = _expectation_labels([visit.lead.center_id])
    visit.local_at = timezone.localtime(visit.scheduled_at, visit.lead.center.tzinfo)
    center_id = visit.lead.center_id
    visit.expectations = [labels.get((center_id, code), code) for code in visit.lead.parent_expectations or []]
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
    visits = list(visits)
    expectation_labels = _expectation_labels(visit.lead.center_id for visit in visits)
    for visit in visits:
        local_day = timezone.localtime(visit.scheduled_at, visit.lead.center.tzinfo).date()
        days.setdefault(local_day, []).append(_decorate(visit, expectation_labels))
    sections = [(labels[day], day, days.get(day, [])) for day in sorted(labels)]
    for _label, _day, day_visits in sections:
        for visit in day_visits:
            _annotate(visit, request.user, now)
    return render(request, "leads/trainer.html", {"sections": sections, "outcomes": ATTENDED_OUTCOMES})


def _annotate(visit: IntroVisit, user: User, now: datetime.datetime) -> IntroVisit:
    """What the card shows and offers now: the verb's own rules (`has_started`, `may_correct`), read."""
    tz = visit.lead.center.tzinfo
    visit.started = visit.has_started(now)
    visit.correctable = visit.may_correct(user, now)
    until = visit.correctable_until()
    visit.local_until = timezone.localtime(until, tz) if until else None
    visit.any_time = (
        user.role_in(visit.lead.center_id) != Role.TRAINER
    )  # admins correct at any time: no "until" to show
    visit.corrections = [(value, label) for value, label in CORRECTIONS if value != visit.outcome]
    today = timezone.localdate(now, timezone=tz)
    visit.today = visit.local_at.date() == today
    visit.other_year = visit.local_at.year != today.year
    return visit


def _card(request: HttpRequest, visit: IntroVisit, *, step: str = "", error: str = "", status: int = 200):
    visit = _annotate(_decorate(visit), request.user, timezone.now())
    if step == "correct" and not visit.correctable:
        step = ""
    # An error about the outcome goes next to the choices when the card shows them.
    field_error = step == "correct" or bool(
        visit.started and visit.attended_at and not visit.outcome and step != "no_show"
    )
    context = {
        "visit": visit,
        "step": step,
        "error": error,
        "field_error": field_error,
        "outcomes": ATTENDED_OUTCOMES,
    }
    if request.htmx:
        return render(request, "leads/trainer.html#visit-card", context, status=status)
    return render(request, "leads/trainer.html", {**context, "single": True}, status=status)


@login_required
@require_GET
def visit_card(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit's card; `?step=no_show` asks to confirm a no-show, `?step=correct` opens the
    correction (pages of their own without JS)."""
    visit = get_intro_visit_for_user(request.user, pk, action=Action.RECORD_OUTCOME)
    _check_own_visit(request.user, visit)
    step = StepSent(request.GET)
    return _card(request, visit, step=step.cleaned_data["step"] if step.is_valid() else "")


def _done(request: HttpRequest, visit: IntroVisit, message: str, *, detail: str) -> HttpResponse:
    """A recorded visit: its access-log row, then the card as it stands."""
    log_lead_change(request, visit.lead, f"trainer visit {visit.pk} {detail}")
    if not request.htmx:
        messages.success(request, message)
        return redirect(reverse("leads:trainer_today"))
    return trigger_client_event(_card(request, visit), "visitRecorded", {"id": visit.pk, "message": message})


def _refused(request: HttpRequest, visit: IntroVisit, error: Exception, *, step: str = "") -> HttpResponse:
    """A verb's refusal on the card, next to the buttons (a 400 page without JS for bad input)."""
    visit.refresh_from_db()
    if isinstance(error, ValidationError):
        return _card(request, visit, step=step, error=" ".join(error.messages), status=200 if request.htmx else 400)
    if not request.htmx:
        messages.error(request, str(error))
        return redirect(reverse("leads:trainer_today"))
    return _card(request, visit, error=str(error))


@login_required
@require_POST
def record_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Attended": saves the attendance now; the card then asks how it went."""
    visit = get_intro_visit_for_user(request.user, pk, action=Action.RECORD_OUTCOME)
    try:
        visit.record_attendance(by=request.user)
    except (LifecycleError, ValidationError) as error:
        return _refused(request, visit, error)
    return _done(request, visit, f"{visit.lead.child}: attended. How did it go?", detail="attendance")


@login_required
@require_POST
def record_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_intro_visit_for_user(request.user, pk, action=Action.RECORD_OUTCOME)
    sent = OutcomeSent(request.POST)  # bounded text, no NUL bytes: the verb judges the outcome itself
    retry = "no_show" if request.POST.get("outcome") == IVOutcome.NO_SHOW else ""
    if not sent.is_valid():
        return _card(request, visit, step=retry, error=sent.message(), status=200 if request.htmx else 400)
    outcome, notes = sent.cleaned_data["outcome"], sent.cleaned_data["notes"]
    try:
        visit.record_outcome(outcome=outcome, notes=notes, by=request.user)
    except (LifecycleError, ValidationError) as error:
        return _refused(request, visit, error, step=retry)
    return _done(
        request, visit, f"{visit.lead.child}: {visit.get_outcome_display().lower()}.", detail=f"outcome {visit.outcome}"
    )


@login_required
@require_POST
def correct_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Undo / correct": the verb records the correction as a move of its own."""
    visit = get_intro_visit_for_user(request.user, pk, action=Action.RECORD_OUTCOME)
    sent = OutcomeSent(request.POST)
    if not sent.is_valid():
        return _card(request, visit, step="correct", error=sent.message(), status=200 if request.htmx else 400)
    old = visit.get_outcome_display()
    try:
        visit.correct_outcome(outcome=sent.cleaned_data["outcome"], notes=sent.cleaned_data["notes"], by=request.user)
    except (LifecycleError, ValidationError) as error:
        return _refused(request, visit, error, step="correct")
    return _done(
        request,
        visit,
        f"{visit.lead.child}: corrected from {old.lower()} to {visit.get_outcome_display().lower()}.",
        detail=f"correct to {visit.outcome}",
    )
