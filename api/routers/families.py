"""A family's data for a parent's access request: `GET /families/{id}/export` (center admins)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router

from accounts.models import Action
from api.routers.common import path_id, responses
from leads.access import require_action
from leads.family_export import family_export_response
from leads.models import Child

router = Router(tags=["families"])


@router.get(
    "/families/{family_id}/export",
    response=responses({}),
    summary="Export a family's data",
    openapi_extra={
        "responses": {
            200: {
                "description": "The family's data: a ZIP of family.json and one CSV per table.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_family(request: HttpRequest, family_id: int):
    """A ZIP (`family.json` plus one CSV per table) with everything held on the family.

    The family id is the id of one of its children (`child.id` in a lead's details): the export
    holds that child, their parents and the parents' other children. Center admins of the family's
    center and super admins only; each export is written to the access log.
    """
    user = request.auth
    child = Child.objects.filter(pk=path_id(family_id, "family")).first()
    if child is None:
        raise Http404("No such family.")
    if not user.works_in(child.center_id):
        raise PermissionDenied("This belongs to another center.")
    require_action(user, Action.MANAGE_CENTER)
    return family_export_response(request, child, center_id=child.center_id)
