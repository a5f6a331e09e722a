"""Webhooks of the ad platforms and websites (issue 11, section 3): `POST /intake/{center_code}/{source}`.

No bearer token: each source signs with its own per-center secret (leads/intake.py `authenticate`).
The body is read raw, not through a schema: the signature is over its bytes, and a payload we cannot
read must still be kept in the intake inbox rather than refused with a 422. docs/intake.md.
"""

from __future__ import annotations

import hmac

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from api.schemas import ErrorOut
from leads.intake import IntakeRefused, authenticate, receive
from leads.models import IntakeKind, IntakeSource, IntakeStatus

router = Router(tags=["intake"])

NO_SOURCE = "No active intake source with this center code and kind: set one up in admin (Intake sources)."


class IntakeItemOut(Schema):
    external_id: str
    status: str
    lead_id: int | None
    enquiry_id: str | None
    error: str
    retry: bool


class IntakeOut(Schema):
    items: list[IntakeItemOut]


_BODY = {
    "requestBody": {
        "required": True,
        "description": "The platform's payload as it sends it (docs/intake.md): generic JSON, Meta's leadgen "
        "webhook with field_data inline, or Google's lead form webhook.",
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
    },
    "parameters": [
        {
            "in": "header",
            "name": name,
            "required": False,
            "schema": {"type": "string"},
            "description": description,
        }
        for name, description in (
            ("X-Signature", "generic: sha256=<hex HMAC-SHA256 of '<X-Timestamp>.<body>' with the secret>"),
            ("X-Timestamp", "generic: Unix time in seconds; refused when more than 5 minutes away"),
            ("X-Hub-Signature-256", "meta: sha256=<hex HMAC-SHA256 of the body with the app secret>"),
        )
    ],
}


def _source(center_code: str, source: str) -> IntakeSource:
    intake_source = (
        IntakeSource.objects.filter(center__code=center_code.upper(), kind=source, active=True)
        .select_related("center", "assign_to")
        .first()
        if source in IntakeKind.values
        else None
    )
    if intake_source is None:
        raise Http404(NO_SOURCE)
    return intake_source


_HANDSHAKE = {
    "parameters": [
        {"in": "query", "name": name, "required": False, "schema": {"type": "string"}, "description": description}
        for name, description in (
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "the source's Verify token (admin)"),
            ("hub.challenge", "echoed back when the token matches"),
        )
    ],
    "responses": {
        "200": {
            "description": "The challenge, as plain text",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
}


@router.get(
    "/intake/{center_code}/{source}",
    auth=None,
    response={403: ErrorOut, 404: ErrorOut},
    summary="Meta's webhook subscription handshake",
    openapi_extra=_HANDSHAKE,
)
def verify_intake(request: HttpRequest, center_code: str, source: str):
    """Meta checks a webhook URL before subscribing it: it sends `hub.mode=subscribe`, the Verify token
    typed in its dashboard and a challenge, and expects the challenge back (Meta sources only)."""
    intake_source = _source(center_code, source)
    if intake_source.kind != IntakeKind.META:
        raise Http404(NO_SOURCE)
    token = request.GET.get("hub.verify_token", "")
    if request.GET.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        token.encode(), intake_source.verify_token.encode()
    ):
        return Status(403, {"detail": "hub.mode must be subscribe and hub.verify_token the source's Verify token."})
    return HttpResponse(request.GET.get("hub.challenge", "")[:200], content_type="text/plain")


@router.post(
    "/intake/{center_code}/{source}",
    auth=None,
    response={200: IntakeOut, 202: IntakeOut, 401: ErrorOut, 404: ErrorOut},
    summary="Receive leads from a website or ad platform",
    openapi_extra=_BODY,
)
def receive_intake(request: HttpRequest, center_code: str, source: str):
    """Each lead of the delivery becomes an enquiry, or waits in the intake inbox for a counselor.

    200: every lead is an enquiry (or already had an open lead: `DUPLICATE`). 202: at least one lead is
    kept for review (`NEEDS_REVIEW`, `error` says why). A retried delivery gets the same answer
    (`retry: true`) and creates nothing. 401: not signed with the source's secret; nothing is kept.
    """
    intake_source = _source(center_code, source)
    try:
        authenticate(intake_source, request.body, request.headers)
    except IntakeRefused as refused:
        return Status(401, {"detail": str(refused)})
    items = receive(intake_source, request.body)
    out = [
        {
            "external_id": item.external_id,
            "status": item.status,
            "lead_id": item.lead_id,
            "enquiry_id": item.lead.enquiry_id if item.lead_id else None,
            "error": item.error,
            "retry": not created,
        }
        for item, created in items
    ]
    review = any(item.status == IntakeStatus.NEEDS_REVIEW for item, _ in items)
    return Status(202 if review else 200, {"items": out})
