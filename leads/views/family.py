"""A family's data, for the parent who asks for it (center admins and super admins): export, erasure."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Action
from leads.access import get_lead_for_user
from leads.erasure import erase_family
from leads.family_export import family_export_response
from leads.forms import EraseFamilyForm, add_verb_errors
from leads.lifecycle import LifecycleError
from leads.views.lead_page import LEAD_QUERYSET, _render_page


@login_required
@require_GET
def family_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held on the family of lead `pk`: center admins of its center and super admins."""
    lead = get_lead_for_user(request.user, pk, action=Action.MANAGE_CENTER)
    return family_export_response(request, lead.child, center_id=lead.center_id)


@login_required
@require_POST
def family_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase the family of lead `pk` (typed confirmation: its enquiry ID); back to the lead page."""
    lead = get_lead_for_user(request.user, pk, action=Action.MANAGE_CENTER, queryset=LEAD_QUERYSET)
    form = EraseFamilyForm(request.POST)
    if form.is_valid():
        try:
            erase_family(lead.child, by=request.user, confirmation=form.cleaned_data["confirmation"], request=request)
        except ValidationError as error:
            add_verb_errors(form, error)
        except LifecycleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The family's personal data was erased. Its figures stay on the dashboard.")
            return redirect("leads:lead_detail", pk=lead.pk)
    return _render_page(request, lead, status=400, erase_form=form)
