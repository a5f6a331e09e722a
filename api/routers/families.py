"""A family's data for a parent's request (center admins): `GET /families/{id}/export` and
`POST /families/{id}/erase`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router

from accounts.models import Action
from api.routers.common import path_id, responses
from api.schemas import FamilyErasedOut, FamilyEraseIn
from leads.access import require_action
from leads.erasure import erase_family
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
    child = _family(request.auth, family_id)
    return family_export_response(request, child, center_id=child.center_id)


@router.post("/families/{family_id}/erase", response=responses({200: FamilyErasedOut}), summary="Erase a family")
def erase(request: HttpRequest, family_id: int, payload: FamilyEraseIn):
    """Replace every personal field of the family (names, phones, emails, school, birth day, notes,
    message text); statuses, dates, sources, programs, outcomes and history stay, so every figure
    is unchanged. Irreversible (a second call is a 409) and logged.

    `confirmation` is one of the family's enquiry IDs, typed exactly (else 422 naming the field).
    Center admins of the family's center and super admins only.
    """
    child = _family(request.auth, family_id)
    erased = erase_family(child, by=request.auth, confirmation=payload.confirmation, request=request)
    return {"family_id": child.pk, "children": erased.children, "parents": erased.parents, "leads": erased.leads}


def _family(user, family_id: int) -> Child:
    """The child whose family it is; 404 unknown, 403 another center or not an admin."""
    child = Child.objects.select_related("center").filter(pk=path_id(family_id, "family")).first()
    if child is None:
        raise Http404("No such family.")
    if not user.works_in(child.center_id):
        raise PermissionDenied("This belongs to another center.")
    require_action(user, Action.MANAGE_CENTER)
    return child
