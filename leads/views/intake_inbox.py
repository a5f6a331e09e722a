"""The intake inbox in the app (issue 11, section 3): webhook deliveries the verbs refused wait here.

A counselor (or admin) of the source's center sees what we read of each one and why it was kept, then
either opens the enquiry form filled in with it (`/enquiries/new/?intake=<id>`: saving it links the
item to the new lead), links it to a lead already made for it by its enquiry ID, or dismisses it with
a reason (a platform's test, spam). The rules are the item's verbs, `IntakeItem.resolve` and
`IntakeItem.dismiss`; Django admin shows the same inbox with the raw payloads.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Action
from leads.access import get_intake_item_for_user, require_action
from leads.centers import current_center, user_centers
from leads.intake import LEAD_SOURCE, read_fields_of
from leads.models import IntakeItem, Lead, LifecycleError

PAGE_SIZE = 25


class LinkForm(forms.Form):
    enquiry_id = forms.CharField(
        label="Enquiry ID", max_length=20, widget=forms.TextInput(attrs={"placeholder": "TLGC0042"})
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label="Why is this not an enquiry?", max_length=500)


class IntakeParam(forms.Form):
    intake = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class PageForm(forms.Form):
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)


#: What we read of a delivery (leads/intake.py FIELD_NAMES' targets), in the order a counselor reads it.
FIELD_LABELS = {
    "parent_name": "Parent",
    "phone": "Phone",
    "email": "Email",
    "child_name": "Child",
    "child_dob": "Date of birth",
    "child_age": "Age",
    "child_gender": "Gender",
    "program": "Program",
    "remarks": "Remarks",
}


def _read(item: IntakeItem) -> list[tuple[str, str]]:
    fields = read_fields_of(item) if item.payload else {}
    return [(label, fields[name]) for name, label in FIELD_LABELS.items() if fields.get(name)]


def _rows(items) -> list[dict]:
    return [{"item": item, "fields": _read(item)} for item in items]


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.CREATE_ENQUIRY)
    items = IntakeItem.objects.for_user(request.user).needs_review().select_related("source", "source__center")
    center = current_center(request)
    if center is not None:
        items = items.filter(source__center=center)
    params = PageForm(request.GET)
    number = params.cleaned_data.get("page") if params.is_valid() else None
    page = Paginator(items.order_by("-received_at", "-pk"), PAGE_SIZE).get_page(number or 1)
    context = {
        "page": page,
        "rows": _rows(page.object_list),
        "link_form": LinkForm(),
        "dismiss_form": DismissForm(),
        # Where the center's parents enquire by themselves, to put on its website and ads.
        "public_forms": [center] if center is not None else user_centers(request),
    }
    return render(request, "leads/intake_inbox.html", context)


def _answer(request: HttpRequest, item: IntakeItem, *, link_form=None, dismiss_form=None, status=200) -> HttpResponse:
    """The item's row for HTMX; without it, back to the inbox, or (refused) the item alone with its errors."""
    if not request.htmx and status == 200:
        return redirect("leads:intake_inbox")
    context = {
        "rows": _rows([item]),
        "link_form": link_form or LinkForm(),
        "dismiss_form": dismiss_form or DismissForm(),
    }
    if request.htmx:
        return render(
            request, "leads/intake_inbox.html#intake-row", {**context, "row": context["rows"][0]}, status=status
        )
    return render(request, "leads/intake_inbox.html", {**context, "page": None, "single": True}, status=status)


@login_required
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_intake_item_for_user(request.user, pk)
    form = LinkForm(request.POST)
    if form.is_valid():
        code = form.cleaned_data["enquiry_id"].strip().upper()
        lead = Lead.objects.for_user(request.user).filter(enquiry_id=code).first()
        try:
            if lead is None:
                raise ValidationError({"lead": ["No lead of yours has this enquiry ID."]})
            item.resolve(lead=lead, by=request.user)
        except ValidationError as error:
            form.add_error("enquiry_id", error.message_dict.get("lead", error.messages))
        except LifecycleError as error:
            form.add_error(None, str(error))
        else:
            return _answer(request, item)
    return _answer(request, item, link_form=form, status=400)


@login_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_intake_item_for_user(request.user, pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            item.dismiss(reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            form.add_error("reason", error.message_dict.get("reason", error.messages))
        except LifecycleError as error:
            form.add_error(None, str(error))
        else:
            return _answer(request, item)
    return _answer(request, item, dismiss_form=form, status=400)


def enquiry_initial(request: HttpRequest) -> tuple[IntakeItem | None, dict]:
    """For `/enquiries/new/?intake=<id>`: the inbox item (one the user may deal with, still waiting)
    and the enquiry form's initial values read from it; (None, {}) otherwise."""
    which = IntakeParam(request.POST if request.method == "POST" else request.GET)
    if not which.is_valid() or which.cleaned_data["intake"] is None:
        return None, {}
    try:
        item = get_intake_item_for_user(request.user, which.cleaned_data["intake"])
    except (Http404, PermissionDenied):  # unknown, another center's or not allowed: an ordinary blank form
        return None, {}
    if item.status != "NEEDS_REVIEW":
        return None, {}
    fields = read_fields_of(item)
    first, _, last = str(fields.get("child_name") or "").strip().partition(" ")
    initial = {
        "intake": item.pk,
        "center": item.source.center_id,
        "parent_name": fields.get("parent_name", ""),
        "parent_phone": fields.get("phone", ""),
        "parent_email": fields.get("email", ""),
        "child_first_name": first,
        "child_last_name": last.strip(),
        "child_dob": fields.get("child_dob", ""),
        "child_age": fields.get("child_age", ""),
        "remarks": fields.get("remarks", ""),
        "source": LEAD_SOURCE.get(item.source.kind, ""),
    }
    return item, {key: value for key, value in initial.items() if value not in ("", None)}
