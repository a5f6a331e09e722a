"""New enquiry: the spec's discovery form, validated field by field as the user leaves it.

GET renders the form; POST creates the lead through `Lead.create_enquiry` and redirects to the
success page (the enquiry ID, big, then the lead page). A double submit finds the lead the first
submit created (same family, same child, open) and redirects to it instead of failing.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Action, Role, User
from leads.access import require_action
from leads.centers import current_center, user_centers
from leads.forms import EnquiryForm
from leads.models import Child, Lead, LifecycleError, Parent, Program
from leads.phones import normalize_phone

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
    return list(User.objects.in_centers(centers).filter(role__in=[Role.COUNSELOR, Role.CENTER_ADMIN]))


def _programs(centers) -> list[Program]:
    return list(Program.objects.filter(center__in=centers, is_active=True).select_related("center"))


def _build_form(request: HttpRequest, data=None) -> EnquiryForm:
    centers = user_centers(request)
    center = current_center(request)
    form = EnquiryForm(
        data,
        centers=centers,
        staff=_staff([center] if center else centers),
        current_center=center,
        programs=_programs([center] if center else centers),
    )
    validate_url = reverse("leads:enquiry_validate")
    for name, field in form.fields.items():
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


def _context(request: HttpRequest, form: EnquiryForm) -> dict:
    cleaned = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    dob = cleaned.get("child_dob")
    return {
        "form": form,
        "matches": family_for_phone(request, cleaned["parent_phone"], current_center(request))
        if cleaned.get("parent_phone")  # the form's own parsing (E.164), not the raw POST
        else [],
        "age": _age(dob),
    }


def _existing_enquiry(request: HttpRequest, form: EnquiryForm) -> Lead | None:
    """The open lead a double submit of this form would have created, if this user made it just now."""
    data = form.cleaned_data
    return (
        Lead.objects.for_user(request.user)
        .open()
        .filter(
            center=form.chosen_center(),
            child__links__parent__phone=data["parent_phone"],
            child__first_name__iexact=data["child_first_name"],
            child__last_name__iexact=data["child_last_name"],
            child__dob=data["child_dob"],
            created_by=request.user,
            created_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
        )
        .first()
    )


def _done(request: HttpRequest, lead: Lead) -> HttpResponse:
    url = reverse("leads:enquiry_created", args=[lead.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def enquiry_new(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.CREATE_ENQUIRY)
    if request.method == "GET":
        form = _build_form(request)
        return render(request, "leads/enquiry.html", _context(request, form))

    form = _build_form(request, request.POST)
    if form.is_valid():
        if form.chosen_center() is None:
            form.add_error("center", "Choose the center of this enquiry.")
        else:
            try:
                lead = Lead.create_enquiry(**form.enquiry_kwargs(), by=request.user)
            except ValidationError as error:
                for key, messages in error.message_dict.items():
                    field = form.field_for_error_key(key)
                    form.add_error(field if field in form.fields else None, messages)
            except LifecycleError as error:
                existing = _existing_enquiry(request, form) if error.code == "duplicate" else None
                if existing is not None:
                    return _done(request, existing)
                form.add_error(None, str(error))
            else:
                return _done(request, lead)
    context = _context(request, form)
    if request.htmx:
        return render(request, "leads/enquiry.html#enquiry-form", context)
    return render(request, "leads/enquiry.html", context, status=400)


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
    context = {
        "field": form[name],
        "age": _age(form.cleaned_data.get("child_dob")) if name == "child_dob" else None,
        "show_age": name == "child_dob",
        "show_matches": name == "parent_phone",
        "matches": family_for_phone(request, form.cleaned_data["parent_phone"], current_center(request))
        if name == "parent_phone" and "parent_phone" in form.cleaned_data
        else [],
    }
    return render(request, "leads/enquiry_validate.html", context)
