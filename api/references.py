"""Ids inside a request body, turned into objects the caller may use.

A path id that does not exist is a 404 (`leads/access.py`); an id in the body that does not
exist is a 422 naming the field, so the integrator knows which value to fix. An object of a
center the caller does not work in is a 403 either way (the spec's tenant rule).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Action, User
from api.errors import invalid
from leads.access import get_batch_for_user
from leads.models import Batch, Child, Enrollment, Lead, LifecycleError, Program

#: The enrollment verb's field names -> the API's.
ENROLLMENT_FIELDS = {"batch": "batch_id", "enrollment": "enrollment_id"}


def batch(user: User, pk: int, field: str = "batch_id", *, action: str = Action.SCHEDULE_VISIT) -> Batch:
    try:
        return get_batch_for_user(user, pk, action=action)
    except Http404:
        raise invalid(field, "No such batch.") from None


def staff(user: User, pk: int | None, field: str) -> User | None:
    """A user of the caller's centers (the verbs check the role and the lead's center)."""
    if pk is None:
        return None
    member = User.objects.in_centers(user.centers()).filter(pk=pk).first()
    if member is None:
        raise invalid(field, "No such active user in your centers.")
    return member


def _tenant_object(user: User, model, pk: int, field: str, noun: str):
    obj = model.objects.for_user(user).filter(pk=pk).first()
    if obj is not None:
        return obj
    if model.objects.filter(pk=pk).exists():
        raise PermissionDenied(f"This {noun} belongs to another center.")
    raise invalid(field, f"No such {noun}.")


def child(user: User, pk: int, field: str = "child_id") -> Child:
    return _tenant_object(user, Child, pk, field, "child")


def program(user: User, pk: int | None, field: str = "program_id") -> Program | None:
    """A program of the caller's centers (the enquiry verb checks it is the lead's center's)."""
    return None if pk is None else _tenant_object(user, Program, pk, field, "program")


def enrollment(user: User, pk: int, field: str = "enrollment_id") -> Enrollment:
    return _tenant_object(user, Enrollment, pk, field, "enrollment")


def open_lead(user: User, child: Child, pk: int | None, field: str = "lead_id") -> Lead:
    """The lead an enrollment converts: `pk` if given (of this child), else the child's open lead."""
    if pk is not None:
        lead = _tenant_object(user, Lead, pk, field, "lead")
        if lead.child_id != child.pk:
            raise invalid(field, "This lead is of another child.")
        return lead
    lead = Lead.objects.open().filter(child=child).select_related("center", "child").first()
    if lead is None:
        raise LifecycleError(f"{child} has no open lead to convert: reopen the lead first.")
    return lead
