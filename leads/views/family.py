"""A family's data, for the parent who asks for it (center admins and super admins)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.models import Action
from leads.access import get_lead_for_user
from leads.family_export import family_export_response


@login_required
@require_GET
def family_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held on the family of lead `pk`: center admins of its center and super admins."""
    lead = get_lead_for_user(request.user, pk, action=Action.MANAGE_CENTER)
    return family_export_response(request, lead.child, center_id=lead.center_id)
