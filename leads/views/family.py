"""A family's data, for the parent who asks for it (center admins and super admins)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.models import AccessAction, AccessLog, Action
from leads.access import get_lead_for_user
from leads.family_export import build_family_export


def family_export_response(request: HttpRequest, child, *, center_id: int) -> HttpResponse:
    """The ZIP, with its access-log row written in the same transaction (one door for page and API)."""
    with transaction.atomic():
        body = build_family_export(child)
        AccessLog.record(
            request,
            action=AccessAction.EXPORT,
            object_type="family",
            object_id=child.pk,
            center_id=center_id,
            family_id=child.pk,
            detail="family export (zip)",
        )
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="family-{child.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def family_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held on the family of lead `pk`: center admins of its center and super admins."""
    lead = get_lead_for_user(request.user, pk, action=Action.MANAGE_CENTER)
    return family_export_response(request, lead.child, center_id=lead.center_id)
