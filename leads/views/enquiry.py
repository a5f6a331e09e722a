"""New enquiry: the spec's discovery form, validated field by field as the user leaves it.

GET renders the form; POST creates the lead through `Lead.create_enquiry` and redirects to the
success page (the enquiry ID, big, then the lead page). Each rendered form carries a `submission`
token: a second submit of the same form (a double click) lands on the lead the first one created;
entering the same child again (a new form) while it has an open lead shows that lead, with a link,
and saves nothing. A phone known under another name asks "Same parent or a different person?".
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from accounts.models import Action, AssignmentMode, Role, User, mark_centers
from leads.access import require_action
from leads.centers import current_center, user_centers
from leads.forms import EnquiryForm
from leads.models import Child, ExpectationChoice, Lead, LifecycleError, Parent, PrivacyNotice, Program
from leads.models.lead import DuplicateEnquiry
from leads.phones import normalize_phone
from leads.views.intake_inbox import enquiry_initial

#: Text inputs validate when the user leaves them with a changed value; choices and the date
#: picker (which sets its value without typing) when they change.
_BLUR_FIELDS = {
    "child_first_name",
    "child_last_name",
    "parent_name",
    "parent_phone",
    "parent_email",
    "school",
    "preferred_schedule",
}
#: A second identical submit within this window is the same enquiry, not a duplicate.
DOUBLE_SUBMIT_WINDOW = datetime.timedelta(minutes=10)


def _staff(centers) -> list[User]:
    staff = list(User.objects.in_centers(centers, roles=[Role.COUNSELOR, Role.CENTER_ADMIN]))
    if len(centers) > 1:  # staff of several centers together: each name carries its center
        mark_centers(staff)
    return staff


def _expectation_choices(centers: list) -> list[tuple[str, str]]:
    """The centers' "what the parents expect" lists in one query (one center: its own; the verb
    checks the chosen center's list and says which choices it has)."""
    rows = ExpectationChoice.objects.active().filter(center__in=centers).order_by("order", "label")
    return list(dict(rows.values_list("code", "label")).items())


def _programs(centers) -> list[Program]:
    return list(Program.objects.filter(center__in=centers, is_active=True).select_related("center"))


def _build_form(request: HttpRequest, data=None, *, initial: dict | None = None) -> EnquiryForm:
    centers = user_centers(request)
    center = current_center(request)
    form = EnquiryForm(
        data,
        centers=centers,
        staff=_staff([center] if center else centers),
        current_center=center,
        expectation_choices=_expectation_choices([center] if center else centers),
        initial={"submission": uuid.uuid4().hex, **(initial or {})},
        programs=_programs([center] if center else centers),
        automatic=any(c.assignment_mode != AssignmentMode.RECORDER for c in ([center] if center else centers)),
    )
    validate_url = reverse("leads:enquiry_validate")
    for name, field in form.fields.items():
        if name in ("submission", "same_parent", "intake") or name.startswith("consent_"):
            continue  # the consent is checked by the verb on save
        field.widget.attrs.update(
            {
                "hx-post": validate_url,
                "hx-trigger": "blur changed" if name in _BLUR_FIELDS else "change",
                "hx-target": f"#errors-{name}",
                "hx-swap": "outerHTML",
                "aria-describedby": f"errors-{name}",
            }
        )
    return form


def family_for_phone(request: HttpRequest, raw_phone: str, center=None) -> list[Parent]:
    """Parents of the user's centers (or of `center`) with this phone, with children and their leads."""
    try:
        phone = normalize_phone(raw_phone)
    except ValidationError:
        return []
    parents = Parent.objects.for_user(request.user).filter(phone=phone).select_related("center")
    if center is not None:
        parents = parents.filter(center=center)
    leads = Lead.objects.select_related("assigned_to").order_by("-created_at")
    children = Child.objects.prefetch_related(Prefetch("leads", queryset=leads))
    return list(parents.prefetch_related(Prefetch("children", queryset=children)))


def _age(dob: datetime.date | None) -> str:
    if not isinstance(dob, datetime.date):
        return ""
    return Child(dob=dob).age_display


def _known_name(matches: list[Parent], typed: str) -> tuple[str, bool]:
    """The known parent's name for the phone, and whether the typed name differs from it."""
    if not matches:
        return "", False
    known = matches[0].name
    return known, bool(typed.strip()) and typed.strip().casefold() != known.casefold()


def _context(request: HttpRequest, form: EnquiryForm, duplicate: Lead | None = None) -> dict:
    cleaned = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    dob = cleaned.get("child_dob")
    matches = (
        family_for_phone(request, cleaned["parent_phone"], current_center(request))
        if cleaned.get("parent_phone")  # the form's own parsing (E.164), not the raw POST
        else []
    )
    known_name, name_differs = _known_name(matches, form.data.get("parent_name", "") if form.is_bound else "")
    center = (form.chosen_center() if cleaned else None) or form.only_center or current_center(request)
    return {
        "form": form,
        # The notice the counselor reads to the parent (the chosen center's, else the franchise's); the
        # page posts its version, so a notice published meanwhile is caught by the verb.
        "notice": PrivacyNotice.current_for(center),
        "matches": matches,
        "known_name": known_name,
        "name_differs": name_differs,
        "age": _age(dob),
        "duplicate": duplicate,
    }


def _submission_key(request: HttpRequest, form: EnquiryForm) -> str | None:
    token = form.cleaned_data.get("submission") if hasattr(form, "cleaned_data") else None
    return f"enquiry-submission:{request.user.pk}:{token}" if token else None


def _done(request: HttpRequest, lead: Lead) -> HttpResponse:
    url = reverse("leads:enquiry_created", args=[lead.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def enquiry_new(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.CREATE_ENQUIRY)
    if request.method == "GET":
        intake_item, initial = enquiry_initial(request)
        form = _build_form(request, initial=initial)
        return render(request, "leads/enquiry.html", {**_context(request, form), "intake_item": intake_item})

    form = _build_form(request, request.POST)
    duplicate = None
    if form.is_valid():
        key = _submission_key(request, form)
        if form.chosen_center() is None:
            form.add_error("center", "Choose the center of this enquiry.")
        else:
            try:
                lead = Lead.create_enquiry(**form.enquiry_kwargs(), by=request.user)
            except ValidationError as error:
                for error_key, messages in error.message_dict.items():
                    field = form.field_for_error_key(error_key)
                    form.add_error(field if field in form.fields else None, messages)
            except DuplicateEnquiry as error:
                # The same form submitted twice: the first submit created this lead.
                if key and error.lead is not None and cache.get(key) == error.lead.pk:
                    return _done(request, error.lead)
                duplicate = error.lead
                form.add_error(None, str(error))
            except LifecycleError as error:
                form.add_error(None, str(error))
            else:
                if key:
                    cache.set(key, lead.pk, DOUBLE_SUBMIT_WINDOW.total_seconds())
                _link_intake(request, lead)
                return _done(request, lead)
    context = _context(request, form, duplicate)
    if request.htmx:
        return render(request, "leads/enquiry.html#enquiry-form", context)
    return render(request, "leads/enquiry.html", context, status=400)


def _link_intake(request: HttpRequest, lead: Lead) -> None:
    """The enquiry was made from an intake inbox item: the item now points to it (if still waiting)."""
    item, _ = enquiry_initial(request)
    if item is not None and item.source.center_id == lead.center_id:
        try:
            item.resolve(lead=lead, by=request.user)
        except (LifecycleError, ValidationError):
            pass  # dealt with by someone else meanwhile: the lead stands on its own


@login_required
@require_POST
def enquiry_validate(request: HttpRequest) -> HttpResponse:
    """Errors of the one field the user just left (HX-Trigger-Name), plus its side notes."""
    require_action(request.user, Action.CREATE_ENQUIRY)
    form = _build_form(request, request.POST)
    name = request.htmx.trigger_name if request.htmx else request.POST.get("_field")
    if name not in form.fields:
        return HttpResponse(status=400)
    form.is_valid()
    # Leaving the phone or the name: show the family of the phone, fill in the known parent's
    # name when none is typed yet, and ask when the typed one differs.
    show_matches = name in ("parent_phone", "parent_name")
    matches = (
        family_for_phone(request, form.cleaned_data["parent_phone"], current_center(request))
        if show_matches and "parent_phone" in form.cleaned_data
        else []
    )
    typed_name = request.POST.get("parent_name", "")
    known_name, name_differs = _known_name(matches, typed_name)
    # The known name goes to the page as an event (static/js/app.js writes it into the name field
    # only if that is still empty): swapping in a new input would drop what the user typed meanwhile
    # and reset htmx's "changed" memory, so the name's own re-check could be lost.
    fill_name = known_name if known_name and not typed_name.strip() else None
    context = {
        "field": form[name],
        "age": _age(form.cleaned_data.get("child_dob")) if name == "child_dob" else None,
        "show_age": name == "child_dob",
        "show_matches": show_matches,
        "matches": matches,
        "known_name": known_name,
        "name_differs": name_differs,
        "form": form,
    }
    response = render(request, "leads/enquiry_validate.html", context)
    if fill_name:
        trigger_client_event(response, "knownParentName", {"name": fill_name})
    return response
