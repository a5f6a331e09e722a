"""A parent's consent on a lead: read it, record a new one, withdraw it (the lead's primary parent).

The verbs (`Consent.record`, `Consent.withdraw`) hold the rules; each change is written to the access log.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status

from accounts.models import Action
from api.errors import invalid
from api.routers.common import path_id, responses
from api.schemas import ConsentIn, ConsentOut
from leads.access import get_lead_for_user, log_consent
from leads.models import Consent
from leads.models.family import primary_parent_of

router = Router(tags=["consent"])


def _parent(request: HttpRequest, lead_id: int, action: str):
    lead = get_lead_for_user(request.auth, path_id(lead_id, "lead"), action=action)
    parent = primary_parent_of(lead.child_id)
    if parent is None:
        raise invalid("lead_id", "This lead has no parent: add one on the lead page first.")
    return lead, parent


@router.get("/leads/{lead_id}/consent", response=responses({200: ConsentOut}), summary="The parent's consent")
def get_consent(request: HttpRequest, lead_id: int):
    """The latest consent of the lead's primary parent (`method` NOT_RECORDED: ask for it and record it)."""
    lead, parent = _parent(request, lead_id, Action.VIEW_LEADS)
    consent = Consent.current(parent.pk)
    if consent is None:
        raise invalid("lead_id", "No consent is recorded for this parent: record it (POST .../consent).")
    return consent


@router.post("/leads/{lead_id}/consent", response=responses({201: ConsentOut}), summary="Record consent")
def record_consent(request: HttpRequest, lead_id: int, payload: ConsentIn):
    """A new consent of the lead's primary parent (the earlier one stays on record)."""
    lead, parent = _parent(request, lead_id, Action.MANAGE_LEAD)
    with transaction.atomic():
        consent = Consent.record(parent, consent=payload.dict(), by=request.auth)
        log_consent(request, lead, consent, detail="recorded")
    return Status(201, consent)


@router.post("/leads/{lead_id}/consent/withdraw", response=responses({200: ConsentOut}), summary="Withdraw consent")
def withdraw_consent(request: HttpRequest, lead_id: int):
    """The parent withdraws their consent: reminders and messages stop at once (409 if none is active)."""
    lead, parent = _parent(request, lead_id, Action.MANAGE_LEAD)
    with transaction.atomic():
        consent = Consent.withdraw(parent, by=request.auth)
        log_consent(request, lead, consent, detail="withdrawn")
    return consent
