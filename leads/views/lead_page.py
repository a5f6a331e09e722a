"""The lead page: who the child is, what happened (one timeline), and what can happen next.

Only the actions valid for the lead's status (`allowed_moves`) and the user's role (`user.may`)
are shown, and the action views check the same through `leads.access`. Every action is a POST
form: with HTMX it re-renders `#lead-page` (errors beside the fields) and fires `leadMoved`;
without HTMX it redirects back to the page.

Double submits: every form carries the lead's `version` (its `updated_at`). The action locks
the lead row, compares the version, acts and bumps `updated_at`, all in one transaction. A
second identical submit finds the version changed and writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.models import Action, User
from leads import forms
from leads.access import (
    get_follow_up_for_user,
    get_intro_visit_for_user,
    get_lead_for_user,
    log_consent,
    log_lead_change,
    log_lead_view,
)
from leads.centers import user_centers
from leads.forms import CenterChoices
from leads.models import (
    Consent,
    FollowUpOutcome,
    FollowUpStatus,
    Lead,
    LeadStatus,
    LifecycleError,
    Move,
    Parent,
    PrivacyNotice,
)

#: What the lead page's "Complete" offers (postponing is its own form).
COMPLETE_OUTCOMES = [FollowUpOutcome.ENROLLED, FollowUpOutcome.SCHEDULED_IV, FollowUpOutcome.LOST]
LEAD_QUERYSET = Lead.objects.select_related(
    "center", "child", "assigned_to", "enrollment", "enrollment__batch", "program"
)


class Stale(Exception):
    """The lead changed since the form was rendered (a double submit, or a colleague)."""


@dataclass
class LeadAction:
    name: str
    title: str
    button: str
    permission: str
    form_class: type[django_forms.Form]
    move: str | None = None  # shown only when the lifecycle allows this move
    event: str = "leadMoved"
    done: str = "Saved."
    form: django_forms.Form | None = None
    url: str = ""
    open: bool = False
    extra: dict = field(default_factory=dict)


def _actions() -> list[LeadAction]:
    """The lead-level actions, in the order the page shows them."""
    return [
        LeadAction(
            "discovery",
            "Complete discovery",
            "Save discovery",
            Action.MANAGE_LEAD,
            forms.DiscoveryForm,
            Move.COMPLETE_DISCOVERY,
            done="Discovery saved.",
        ),
        LeadAction(
            "visit",
            "Schedule intro visit",
            "Schedule visit",
            Action.SCHEDULE_VISIT,
            forms.ScheduleVisitForm,
            Move.SCHEDULE_INTRO_VISIT,
            done="Intro visit scheduled.",
        ),
        LeadAction(
            "follow_up",
            "Add follow-up",
            "Add follow-up",
            Action.MANAGE_FOLLOW_UP,
            forms.FollowUpForm,
            Move.ADD_FOLLOW_UP,
            done="Follow-up added.",
        ),
        LeadAction(
            "convert",
            "Convert (enroll)",
            "Enroll and convert",
            Action.CONVERT,
            forms.ConvertForm,
            Move.CONVERT,
            done="Converted: the child is enrolled.",
        ),
        LeadAction("close", "Close lead", "Close lead", Action.CLOSE, forms.CloseForm, Move.CLOSE, done="Lead closed."),
        LeadAction(
            "reopen", "Reopen lead", "Reopen lead", Action.REOPEN, forms.ReopenForm, Move.REOPEN, done="Lead reopened."
        ),
        LeadAction(
            "reassign",
            "Reassign",
            "Reassign",
            Action.MANAGE_LEAD,
            forms.ReassignForm,
            event="leadUpdated",
            done="Assignee changed.",
        ),
        LeadAction(
            "child",
            "Edit child",
            "Save child",
            Action.MANAGE_LEAD,
            forms.ChildForm,
            event="leadUpdated",
            done="Child's details saved.",
        ),
        LeadAction(
            "add_parent",
            "Add a parent",
            "Add parent",
            Action.MANAGE_LEAD,
            forms.ParentForm,
            event="leadUpdated",
            done="Parent added.",
        ),
        LeadAction(
            "note",
            "Add a note",
            "Add note",
            Action.MANAGE_LEAD,
            forms.NoteForm,
            event="leadUpdated",
            done="Note added.",
        ),
    ]


ACTION_NAMES = [action.name for action in _actions()]


# -- reading --------------------------------------------------------------------------------------


class Page:
    """Everything the page shows about one lead, in a fixed number of queries."""

    def __init__(self, request: HttpRequest, lead: Lead):
        self.request = request
        self.user = request.user
        self.lead = lead
        self.center = lead.center
        self.now = timezone.now()
        self.today = timezone.localdate(timezone=self.center.tzinfo)
        self.choices = CenterChoices(lead.center, request.user, lead=lead)
        self.parents = list(
            Parent.objects.filter(links__child_id=lead.child_id)
            .annotate(relationship=F("links__relationship"))
            .order_by("-links__is_primary", "name")
            .distinct()
        )
        self.visits = list(lead.intro_visits.select_related("batch", "trainer", "created_by"))
        self.follow_ups = list(lead.follow_ups.select_related("assigned_to", "created_by"))
        self.changes = list(lead.status_changes.select_related("actor"))
        self.notes = list(lead.notes.select_related("author"))
        # Corrections of the child's and parents' details (not status moves: see DetailChange).
        self.details = list(lead.detail_changes.select_related("actor"))
        # Taps on the call / WhatsApp links (insights app), so the timeline shows every contact.
        self.contacts = list(lead.contact_attempts.select_related("by"))
        # The primary parent's consent now (the first parent above): messages go to them.
        self.consent = (
            Consent.objects.filter(parent=self.parents[0])
            .latest_first()
            .select_related("notice", "obtained_by", "withdrawn_by")
            .first()
            if self.parents
            else None
        )

    @property
    def pending_visits(self):
        return [v for v in self.visits if v.outcome is None and v.cancelled_at is None]

    @property
    def pending_follow_ups(self):
        return [f for f in self.follow_ups if f.status == FollowUpStatus.PENDING]

    def timeline(self) -> list[dict]:
        """Status changes, visits, follow-ups and notes, newest first (planned ones on top)."""
        items = [
            {"at": c.at, "kind": "status", "who": c.actor, "item": c}
            for c in self.changes
            if c.action not in (Move.SCHEDULE_INTRO_VISIT, Move.ADD_FOLLOW_UP) or c.from_status != c.to_status
        ]
        items += [{"at": n.created_at, "kind": "note", "who": n.author, "item": n} for n in self.notes]
        items += [{"at": d.at, "kind": "details", "who": d.actor, "item": d} for d in self.details]
        items += [{"at": a.at, "kind": "contact", "who": a.by, "item": a} for a in self.contacts]
        items += [
            {"at": v.attended_at or v.scheduled_at, "kind": "visit", "who": v.created_by, "item": v}
            for v in self.visits
        ]
        items += [
            {
                "at": f.completed_at or f.scheduled_date,
                "kind": "follow_up",
                "who": f.created_by,
                "item": f,
                "overdue": f.is_overdue(self.now),
            }
            for f in self.follow_ups
        ]
        items.sort(key=lambda entry: entry["at"], reverse=True)
        for entry in items:
            entry["future"] = entry["at"] > self.now
        return items


def _visible_actions(page: Page) -> list[LeadAction]:
    user, lead = page.user, page.lead
    moves = set(lead.allowed_moves())
    shown = []
    for action in _actions():
        if not user.may(action.permission, lead.center_id):
            continue
        if action.move is not None and action.move not in moves:
            continue
        if action.name == "reassign" and not lead.is_open:
            continue
        if action.name == "discovery" and lead.status != LeadStatus.ENQUIRY_RECEIVED:
            action.title, action.button = "Edit discovery", "Save discovery"
        action.url = reverse(f"leads:lead_{action.name}", args=[lead.pk])
        shown.append(action)
    return shown


def _initial(page: Page, name: str) -> dict:
    lead = page.lead
    if name == "discovery":
        return {
            "school": lead.school,
            "preferred_schedule": lead.preferred_schedule,
            "parent_expectations": lead.parent_expectations,
            "discovery_notes": lead.discovery_notes,
        }
    if name == "follow_up":
        return {"scheduled_date": forms.follow_up_initial(page.today + datetime.timedelta(days=2), page.center.tzinfo)}
    if name == "convert":
        return {"start_date": page.today}
    if name == "reassign":
        return {"assigned_to": str(lead.assigned_to_id or "")}
    if name == "child":
        child = lead.child
        years = child.age_on(page.today)[0] if child.dob_is_approximate else None
        return {
            "first_name": child.first_name,
            "last_name": child.last_name,
            "dob": None if child.dob_is_approximate else child.dob,
            "age": years,
            "gender": child.gender,
            "school": lead.school or child.school,
        }
    return {}


def _parent_forms(page: Page, bound: dict) -> list[dict]:
    """One edit form per parent of the child (for roles that may change the lead)."""
    if not page.user.may(Action.MANAGE_LEAD, page.center):
        return []
    entries = []
    for parent in page.parents:
        prefix = f"parent{parent.pk}"
        form = bound.get(prefix) or forms.ParentForm(
            prefix=prefix,
            initial={
                "name": parent.name,
                "phone": parent.display_phone,
                "email": parent.email,
                "relationship": parent.relationship,
            },
        )
        entries.append(
            {
                "parent": parent,
                "relationship": parent.relationship,
                "form": form,
                "open": prefix in bound,
                "url": reverse("leads:lead_parent", args=[page.lead.pk, parent.pk]),
            }
        )
    return entries


def _task_forms(page: Page, bound: dict) -> dict:
    """Forms of the pending visits and follow-ups (record outcome; complete, postpone, cancel)."""
    user = page.user
    tasks = {"visits": [], "follow_ups": []}
    may_record = user.may(Action.RECORD_OUTCOME, page.center) and page.lead.status == LeadStatus.IV_SCHEDULED
    may_move_visits = user.may(Action.SCHEDULE_VISIT, page.center) and page.lead.status == LeadStatus.IV_SCHEDULED
    for visit in page.pending_visits:
        # Everyone sees the coming visit; only roles that may record its outcome get the form.
        prefix = f"visit{visit.pk}"
        form = (bound.get(prefix) or forms.OutcomeForm(prefix=prefix)) if may_record else None
        # Before the visit has started the verb refuses an outcome: the page says when instead
        # (a refused post still shows its bound form with the verb's sentence).
        not_started = form is not None and prefix not in bound and not visit.has_started(page.now)
        if not_started:
            form = None
        task = {"visit": visit, "form": form, "open": prefix if prefix in bound else None, "not_started": not_started}
        if may_move_visits:
            for name, form_class in VISIT_FORMS.items():
                task_prefix = f"visit{visit.pk}-{name}"
                task[name] = bound.get(task_prefix) or form_class(
                    prefix=task_prefix,
                    initial={"trainer": str(visit.trainer_id or "")} if name == "reschedule" else None,
                    **page.choices.form_kwargs(form_class),
                )
                if task_prefix in bound:
                    task["open"] = task_prefix
        tasks["visits"].append(task)
    if user.may(Action.MANAGE_FOLLOW_UP, page.center) and page.lead.is_open:
        for follow_up in page.pending_follow_ups:
            complete_prefix, postpone_prefix = f"fu{follow_up.pk}-complete", f"fu{follow_up.pk}-postpone"
            tasks["follow_ups"].append(
                {
                    "follow_up": follow_up,
                    "overdue": follow_up.is_overdue(page.now),
                    "complete": bound.get(complete_prefix)
                    or forms.CompleteFollowUpForm(
                        prefix=complete_prefix,
                        outcomes=COMPLETE_OUTCOMES,
                        initial={"start_date": page.today},
                        **page.choices.form_kwargs(forms.CompleteFollowUpForm),
                    ),
                    "postpone": bound.get(postpone_prefix)
                    or forms.CompleteFollowUpForm(
                        prefix=postpone_prefix,
                        outcomes=[FollowUpOutcome.POSTPONED],
                        interval_days=page.center.follow_up_interval_days,
                    ),
                    "open": next((p for p in (complete_prefix, postpone_prefix) if p in bound), None),
                }
            )
    return tasks


def _context(
    request: HttpRequest,
    lead: Lead,
    *,
    bound: dict | None = None,
    notice: str = "",
    created=False,
    erase_form: django_forms.Form | None = None,
) -> dict:
    bound = bound or {}
    page = Page(request, lead)
    actions = _visible_actions(page)
    for action in actions:
        action.form = bound.get(action.name) or action.form_class(
            prefix=action.name, initial=_initial(page, action.name), **page.choices.form_kwargs(action.form_class)
        )
        action.open = action.name in bound
    note_action = next((a for a in actions if a.name == "note"), None)
    child_action = next((a for a in actions if a.name == "child"), None)
    add_parent_action = next((a for a in actions if a.name == "add_parent"), None)
    parent_forms = _parent_forms(page, bound)
    tasks = _task_forms(page, bound)
    shown = (
        {a.name for a in actions}
        | {"consent"}
        | {e["form"].prefix for e in parent_forms}
        | {
            prefix
            for task in tasks["visits"] + tasks["follow_ups"]
            for prefix in (
                getattr(task.get("form"), "prefix", None),
                getattr(task.get("reschedule"), "prefix", None),
                getattr(task.get("cancel"), "prefix", None),
                getattr(task.get("complete"), "prefix", None),
                getattr(task.get("postpone"), "prefix", None),
            )
        }
    )
    # A form whose action is no longer offered (the lead moved meanwhile) still says what went wrong.
    orphan_errors = [
        message
        for key, form in bound.items()
        if key not in shown
        for messages_ in form.errors.values()
        for message in messages_
    ]
    return {
        "lead": lead,
        "center": lead.center,
        "child": lead.child,
        "page": page,
        "parents": page.parents,
        "timeline": page.timeline(),
        "actions": [a for a in actions if a.name not in ("note", "child", "add_parent")],
        "note_action": note_action,
        "child_action": child_action,
        "add_parent_action": add_parent_action,
        "parent_forms": parent_forms,
        "tasks": tasks,
        "orphan_errors": orphan_errors,
        "version": lead.updated_at.isoformat(),
        "days_in_status": lead.days_in_status(page.now),
        "notice": notice,
        "created": created,
        "expectation_labels": _expectation_labels(page.choices, lead.parent_expectations),
        # A parent's access request: center admins (and super admins) download the family's data.
        "may_export_family": page.user.may(Action.MANAGE_CENTER, page.center),
        **_consent_context(page, bound),
        # Erasing it (leads.erasure): the same people; a refused confirmation comes back bound.
        "erase_form": erase_form or forms.EraseFamilyForm(),
    }


def _consent_context(page: Page, bound: dict) -> dict:
    """The primary parent's consent, and for roles that may change the lead the form to record one."""
    consent = page.consent
    may_record = bool(page.parents) and page.user.may(Action.MANAGE_LEAD, page.center)
    form = bound.get("consent")
    return {
        "consent": consent,
        "consent_parent": page.parents[0] if page.parents else None,
        "consent_refusal": (
            f"{page.parents[0].name} withdrew their consent: do not call or message them."
            if consent is not None and consent.withdrawn_at
            else ""
        ),
        "may_record_consent": may_record,
        "consent_form": form or forms.ConsentForm(initial={"consent_processing": False}),
        "consent_open": form is not None or (may_record and (consent is None or not consent.is_recorded)),
        "consent_notice": PrivacyNotice.current_for(page.center) if may_record else None,
    }


def _expectation_labels(choices: CenterChoices, values: list[str]) -> list[str]:
    labels = dict(choices.expectation_choices)
    return [labels.get(value, value) for value in values]


def _load(request: HttpRequest, pk: int, action: str = Action.VIEW_LEADS) -> Lead:
    user_centers(request)  # fills works_in's cache: the access check needs no extra query
    return get_lead_for_user(request.user, pk, action=action, queryset=LEAD_QUERYSET)


def _render_page(request: HttpRequest, lead: Lead, status: int = 200, **kwargs) -> HttpResponse:
    with timezone.override(lead.center.tzinfo):
        context = _context(request, lead, **kwargs)
        template = "leads/lead_page.html#lead-page" if request.htmx else "leads/lead_page.html"
        return render(request, template, context, status=status)


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _load(request, pk)
    log_lead_view(request, lead, detail="lead page")
    return _render_page(request, lead)


@login_required
@require_GET
def enquiry_created(request: HttpRequest, pk: int) -> HttpResponse:
    """The success page of a new enquiry: its ID, big, then the lead page."""
    lead = _load(request, pk)
    log_lead_view(request, lead, detail="lead page")
    return _render_page(request, lead, created=True)


# -- acting ---------------------------------------------------------------------------------------


def _perform(request: HttpRequest, lead: Lead, work: Callable[[], None], *, detail: str) -> None:
    """Run `work` in one transaction under the lead's row lock, once per rendered version.

    Every action of the lead page passes here: its access-log row is written in the same
    transaction, after the verb succeeded (a refusal rolls back and logs nothing).
    """
    with transaction.atomic():
        current = Lead.objects.select_for_update().filter(pk=lead.pk).values_list("updated_at", flat=True).get()
        if request.POST.get("version") != current.isoformat():
            raise Stale
        work()
        Lead.objects.filter(pk=lead.pk).update(updated_at=timezone.now())
        log_lead_change(request, lead, f"lead page {detail}")


def _respond(
    request: HttpRequest,
    lead: Lead,
    *,
    form: django_forms.Form,
    key: str,
    work: Callable[[], None],
    event: str,
    done: str,
) -> HttpResponse:
    """Validate, act once, and answer: fragment + event for HTMX, redirect otherwise."""
    pk = lead.pk
    if form.is_valid():
        try:
            with timezone.override(lead.center.tzinfo):
                _perform(request, lead, lambda: work(lead, form.cleaned_data), detail=key)
        except Stale:
            notice = "Nothing was saved twice: this lead had already changed. Here is how it stands now."
            if not request.htmx:
                messages.info(request, notice)
                return redirect("leads:lead_detail", pk=pk)
            return _render_page(request, _load(request, pk), notice=notice)
        except ValidationError as error:
            forms.add_verb_errors(form, error)
        except LifecycleError as error:
            form.add_error(None, str(error))
        else:
            if not request.htmx:
                messages.success(request, done)
                return redirect("leads:lead_detail", pk=pk)
            response = _render_page(request, _load(request, pk), notice=done)
            # Acting from the "enquiry created" page: the address becomes the lead page's.
            response["HX-Replace-Url"] = reverse("leads:lead_detail", args=[pk])
            return trigger_client_event(response, event, {"lead": pk})
    # Bad input: the page again, the form open with its errors (HTMX swaps only 2xx answers).
    return _render_page(request, lead, status=200 if request.htmx else 400, bound={key: form})


#: What each lead-level action does with its cleaned form data: one model verb each.
VERBS: dict[str, Callable[[Lead, dict, User], object]] = {
    "discovery": lambda lead, data, user: lead.complete_discovery(
        school=data["school"],
        preferred_schedule=data["preferred_schedule"],
        parent_expectations=data["parent_expectations"],
        discovery_notes=data["discovery_notes"],
        by=user,
    ),
    "visit": lambda lead, data, user: lead.schedule_intro_visit(
        scheduled_at=data["scheduled_at"],
        batch=data["batch"],
        trainer=data["trainer"],
        notes=data["notes"],
        override_age_band=data["override_age_band"],
        by=user,
    ),
    "follow_up": lambda lead, data, user: lead.add_follow_up(
        scheduled_date=data["scheduled_date"], notes=data["notes"], assigned_to=data["assigned_to"], by=user
    ),
    "convert": lambda lead, data, user: lead.enroll_and_convert(
        batch=data["batch"], start_date=data["start_date"], plan=data["plan"], notes=data["notes"], by=user
    ),
    "close": lambda lead, data, user: lead.close(reason=data["reason"], category=data["category"], by=user),
    "reopen": lambda lead, data, user: lead.reopen(by=user, note=data["notes"], follow_up_date=data["follow_up_date"]),
    "reassign": lambda lead, data, user: lead.reassign(assigned_to=data["assigned_to"], by=user),
    "note": lambda lead, data, user: lead.add_note(body=data["body"], by=user),
    "child": lambda lead, data, user: lead.edit_child(**data, by=user),
    "add_parent": lambda lead, data, user: lead.add_parent(**data, by=user),
}


@login_required
@require_POST
def lead_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    action = next(a for a in _actions() if a.name == name)
    lead = _load(request, pk, action.permission)
    with timezone.override(lead.center.tzinfo):
        form = action.form_class(
            request.POST,
            prefix=name,
            **CenterChoices(lead.center, request.user, lead=lead).form_kwargs(action.form_class),
        )
        return _respond(
            request,
            lead,
            form=form,
            key=name,
            work=lambda lead, data: VERBS[name](lead, data, request.user),
            event=action.event,
            done=action.done,
        )


@login_required
@require_POST
def visit_outcome(request: HttpRequest, pk: int, visit_pk: int) -> HttpResponse:
    lead = _load(request, pk, Action.RECORD_OUTCOME)
    visit = get_intro_visit_for_user(request.user, visit_pk)
    if visit.lead_id != lead.pk:
        raise Http404("No such intro visit on this lead.")
    form = forms.OutcomeForm(request.POST, prefix=f"visit{visit.pk}")

    def work(lead, data):
        visit.record_outcome(outcome=data["outcome"], notes=data["notes"], by=request.user)

    with timezone.override(lead.center.tzinfo):
        return _respond(
            request, lead, form=form, key=f"visit{visit.pk}", work=work, event="leadMoved", done="Outcome recorded."
        )


#: The forms of a booked visit's own actions (beside the trainer's outcome).
VISIT_FORMS: dict[str, type[django_forms.Form]] = {
    "reschedule": forms.RescheduleVisitForm,
    "cancel": forms.CancelVisitForm,
}


@login_required
@require_POST
def visit_action(request: HttpRequest, pk: int, visit_pk: int, name: str) -> HttpResponse:
    """Reschedule a booked visit to another session, or cancel it with a reason."""
    if name not in VISIT_FORMS:
        raise Http404
    lead = _load(request, pk, Action.SCHEDULE_VISIT)
    visit = get_intro_visit_for_user(request.user, visit_pk, action=Action.SCHEDULE_VISIT)
    if visit.lead_id != lead.pk:
        raise Http404("No such intro visit on this lead.")
    user = request.user
    prefix = f"visit{visit.pk}-{name}"
    form_class = VISIT_FORMS[name]
    form = form_class(request.POST, prefix=prefix, **CenterChoices(lead.center, user).form_kwargs(form_class))

    def work(lead, data):
        if name == "reschedule":
            visit.reschedule(
                scheduled_at=data["scheduled_at"],
                batch=data["batch"],
                trainer=data["trainer"],
                notes=data["notes"],
                override_age_band=data["override_age_band"],
                by=user,
            )
        else:
            visit.cancel(reason=data["reason"], by=user)

    done = "Intro visit moved." if name == "reschedule" else "Intro visit cancelled: a follow-up call is due."
    with timezone.override(lead.center.tzinfo):
        return _respond(request, lead, form=form, key=prefix, work=work, event="leadMoved", done=done)


@login_required
@require_POST
def follow_up_action(request: HttpRequest, pk: int, follow_up_pk: int, name: str) -> HttpResponse:
    lead = _load(request, pk, Action.MANAGE_FOLLOW_UP)
    follow_up = get_follow_up_for_user(request.user, follow_up_pk)
    if follow_up.lead_id != lead.pk:
        raise Http404("No such follow-up on this lead.")
    user = request.user
    prefix = f"fu{follow_up.pk}-{name}"
    if name in ("complete", "postpone"):
        outcomes = COMPLETE_OUTCOMES if name == "complete" else [FollowUpOutcome.POSTPONED]
        form = forms.CompleteFollowUpForm(
            request.POST,
            prefix=prefix,
            outcomes=outcomes,
            **CenterChoices(lead.center, request.user).form_kwargs(forms.CompleteFollowUpForm),
        )

        def work(lead, data):
            follow_up.complete(**form.complete_kwargs(), by=user)

        done = "Follow-up completed." if name == "complete" else "Follow-up postponed."
    elif name == "cancel":
        form = django_forms.Form(request.POST, prefix=prefix)

        def work(lead, data):
            follow_up.cancel(by=user)

        done = "Follow-up cancelled."
    else:
        raise Http404
    with timezone.override(lead.center.tzinfo):
        return _respond(request, lead, form=form, key=prefix, work=work, event="followUpDone", done=done)


@login_required
@require_POST
def parent_edit(request: HttpRequest, pk: int, parent_pk: int) -> HttpResponse:
    """Correct one parent of the lead's child (`lead.edit_parent`)."""
    lead = _load(request, pk, Action.MANAGE_LEAD)
    parent = Parent.objects.filter(pk=parent_pk, links__child_id=lead.child_id).first()
    if parent is None:
        raise Http404("No such parent on this lead.")
    prefix = f"parent{parent.pk}"
    form = forms.ParentForm(request.POST, prefix=prefix)

    def work(lead, data):
        lead.edit_parent(parent, **data, by=request.user)

    with timezone.override(lead.center.tzinfo):
        return _respond(request, lead, form=form, key=prefix, work=work, event="leadUpdated", done="Parent saved.")


@login_required
@require_POST
def consent_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Record the primary parent's consent (a new row; the earlier stays) or withdraw it: one action each,
    under the lead's lock like every lead action, written to the access log."""
    if name not in ("record", "withdraw"):
        raise Http404
    lead = _load(request, pk, Action.MANAGE_LEAD)
    parent = Parent.objects.filter(links__child_id=lead.child_id).order_by("-links__is_primary", "name").first()
    if parent is None:
        raise Http404("This lead has no parent to record consent for.")
    form = forms.ConsentForm(request.POST) if name == "record" else django_forms.Form(request.POST)

    def work(lead, data):
        if name == "record":
            consent = Consent.record(parent, consent=form.consent_data(), by=request.user)
        else:
            consent = Consent.withdraw(parent, by=request.user)
        log_consent(request, lead, consent, detail="recorded" if name == "record" else "withdrawn")

    done = (
        "Consent recorded." if name == "record" else "Consent withdrawn: no more reminders or messages to this parent."
    )
    with timezone.override(lead.center.tzinfo):
        key = "consent" if name == "record" else "consent-withdraw"  # a refused withdrawal shows on top
        return _respond(request, lead, form=form, key=key, work=work, event="leadUpdated", done=done)
