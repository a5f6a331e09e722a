"""Webhook intake: authenticate a delivery, split it into leads, map each to `Lead.create_enquiry`.

The door adds no rule of its own: what a lead needs (a valid phone, the parent's consent, a program of
the center...) is `create_enquiry`'s, and its refusal is what the intake inbox shows. docs/intake.md
is the reader's version of this module.

Consent: an ad platform's lead form does not give the parent's address and browser, which a web-form
consent must carry (`check_consent`), and the platform's own checkbox is not a consent we can verify.
So Meta and Google leads are kept in the inbox as NEEDS_REVIEW with `NO_VERIFIABLE_CONSENT`, all their
fields read: a counselor calls the parent, records the consent on the enquiry form and links the lead.
Only the generic source, posted by the center's own website, may carry a web-form consent.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Center, Role, User
from leads.lifecycle import LeadSource, LifecycleError
from leads.models.enrollment import Program
from leads.models.intake import IntakeItem, IntakeKind, IntakeSource, IntakeStatus
from leads.models.lead import DuplicateEnquiry, Lead

#: Generic deliveries older (or newer) than this are refused: a captured request cannot be replayed later.
REPLAY_WINDOW = datetime.timedelta(minutes=5)

NO_VERIFIABLE_CONSENT = (
    "No verifiable consent: the ad platform does not give the parent's address and browser. "
    "Call the parent, record their consent on the enquiry form and link the lead here."
)
GOOGLE_TEST_LEAD = "A test lead sent from Google Ads (is_test): nothing to do."
NOT_JSON = "The body is not a JSON object: read it here and type the enquiry by hand."
NO_LEADS = "The delivery holds no lead this source knows how to read."

#: What each platform's leads are recorded as (leads/lifecycle.py LeadSource).
LEAD_SOURCE = {
    IntakeKind.GENERIC: LeadSource.ONLINE,
    IntakeKind.META: LeadSource.SOCIAL_MEDIA,  # Facebook and Instagram ads
    IntakeKind.GOOGLE: LeadSource.ONLINE,
}


class IntakeRefused(Exception):
    """The delivery is not authentic (401): nothing is stored."""


@dataclass
class Delivery:
    """One lead of a delivery: the platform's id, its own part of the payload, and what we read of it."""

    external_id: str
    payload: Any
    fields: dict[str, Any] = field(default_factory=dict)
    problem: str = ""  # set when the lead is kept for review without calling the verb


# -- authentication ----------------------------------------------------------------------------------


def _hex_signature(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _signature_matches(header: str | None, secret: str, message: bytes) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(header.removeprefix("sha256=").strip().lower(), _hex_signature(secret, message))


def authenticate(source: IntakeSource, body: bytes, headers, *, now: float | None = None) -> None:
    """Raise IntakeRefused with a sentence unless the delivery is signed with the source's secret."""
    if source.kind == IntakeKind.META:
        if not _signature_matches(headers.get("X-Hub-Signature-256"), source.secret, body):
            raise IntakeRefused("The X-Hub-Signature-256 header is missing or does not match the app secret.")
    elif source.kind == IntakeKind.GENERIC:
        stamp = headers.get("X-Timestamp") or ""
        if not stamp.isdigit():
            raise IntakeRefused("Send X-Timestamp: the Unix time of the delivery, in seconds.")
        message = stamp.encode() + b"." + body
        if not _signature_matches(headers.get("X-Signature"), source.secret, message):
            raise IntakeRefused("The X-Signature header is missing or does not match the source's secret.")
        now = time.time() if now is None else now
        if abs(now - int(stamp)) > REPLAY_WINDOW.total_seconds():
            raise IntakeRefused("X-Timestamp is more than 5 minutes away from now: sign the delivery again.")
    elif source.kind == IntakeKind.GOOGLE:
        data = _json(body)
        key = data.get("google_key") if isinstance(data, dict) else None
        if not isinstance(key, str) or not hmac.compare_digest(key.encode(), source.secret.encode()):
            raise IntakeRefused("The google_key in the body is missing or does not match the source's key.")
    else:  # pragma: no cover - the check constraint allows no other kind
        raise IntakeRefused("Unknown source kind.")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _body_id(body: bytes) -> str:
    """The idempotency key of a delivery without a lead id: the same bytes retried are the same lead."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


# -- reading each platform ---------------------------------------------------------------------------

#: Field names of the forms (lower-cased, spaces as underscores) -> our fields.
FIELD_NAMES = {
    "parent_name": "parent_name",
    "full_name": "parent_name",
    "name": "parent_name",
    "first_name": "parent_first_name",
    "last_name": "parent_last_name",
    "phone": "phone",
    "phone_number": "phone",
    "mobile": "phone",
    "email": "email",
    "child_name": "child_name",
    "childs_name": "child_name",
    "child_age": "child_age",
    "childs_age": "child_age",
    "child_dob": "child_dob",
    "child_date_of_birth": "child_dob",
    "date_of_birth": "child_dob",
    "child_gender": "child_gender",
    "childs_gender": "child_gender",
    "gender": "child_gender",
    "program": "program",
    "program_of_interest": "program",
    "remarks": "remarks",
    "comments": "remarks",
    "message": "remarks",
}


def _key(name: Any) -> str:
    return str(name or "").strip().lower().replace(" ", "_").replace("'", "").replace("-", "_")


def _scalar(value: Any) -> str | None:
    """A form answer as text; lists, objects and nulls are not answers we can use (they stay in the payload)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).replace("\x00", "").strip()[:500] or None


def _without_nul(value: Any) -> Any:
    """The payload without NUL characters, which PostgreSQL's text and jsonb cannot hold."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _read_fields(pairs) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in pairs:
        ours, value = FIELD_NAMES.get(_key(name)), _scalar(value)
        if ours and value is not None and ours not in fields:
            fields[ours] = value
    if "parent_name" not in fields and ("parent_first_name" in fields or "parent_last_name" in fields):
        fields["parent_name"] = f"{fields.get('parent_first_name', '')} {fields.get('parent_last_name', '')}".strip()
    fields.pop("parent_first_name", None)
    fields.pop("parent_last_name", None)
    return fields


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def split_generic(data: Any, body: bytes) -> list[Delivery]:
    if not isinstance(data, dict):
        return [Delivery(_body_id(body), data if data is not None else body.decode(errors="replace"), problem=NOT_JSON)]
    external_id = (_scalar(data.get("id")) or "")[:200] or _body_id(body)
    fields = _read_fields((name, value) for name, value in data.items() if name not in ("id", "consent"))
    consent = data.get("consent")
    if isinstance(consent, dict):
        flags = {k: consent.get(k) is True or _scalar(consent.get(k)) for k in ("processing", "reminders", "marketing")}
        texts = {k: _scalar(consent.get(k)) for k in ("notice_version", "address", "user_agent", "obtained_at")}
        fields["consent"] = {**flags, **texts, "method": "WEB_FORM"}
    return [Delivery(external_id, data, fields)]


def split_meta(data: Any, body: bytes) -> list[Delivery]:
    """Meta's leadgen webhook: entry[].changes[].value, one lead per change, `field_data` inline."""
    if not isinstance(data, dict):
        return [Delivery(_body_id(body), data if data is not None else body.decode(errors="replace"), problem=NOT_JSON)]
    deliveries = []
    for entry in _list(data.get("entry")):
        for change in _list(entry.get("changes")) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or not _scalar(value.get("leadgen_id")):
                continue
            pairs = []
            for item in _list(value.get("field_data")):
                if isinstance(item, dict):
                    values = _list(item.get("values"))
                    pairs.append((item.get("name"), values[0] if values else None))
            fields = _read_fields(pairs)
            problem = "" if pairs else "Meta sent the lead id only: fetch its field_data from the Graph API."
            deliveries.append(Delivery(_scalar(value["leadgen_id"])[:200], change, fields, problem=problem))
    return deliveries or [Delivery(_body_id(body), data, problem=NO_LEADS)]


def split_google(data: Any, body: bytes) -> list[Delivery]:
    """Google Ads lead form webhook: one lead, `user_column_data` by column_id (custom questions by name)."""
    pairs = []
    for column in _list(data.get("user_column_data")):
        if isinstance(column, dict):
            column_id = _scalar(column.get("column_id")) or ""
            name = {"FULL_NAME": "full_name", "PHONE_NUMBER": "phone_number"}.get(column_id, column_id)
            if _key(name) not in FIELD_NAMES:
                name = column.get("column_name")
            pairs.append((name, column.get("string_value")))
    payload = {key: value for key, value in data.items() if key != "google_key"}  # the secret is not kept
    external_id = (_scalar(data.get("lead_id")) or "")[:200] or _body_id(body)
    problem = GOOGLE_TEST_LEAD if data.get("is_test") is True else ""
    return [Delivery(external_id, payload, _read_fields(pairs), problem=problem)]


#: What forms answer for the child's gender -> leads.models.family.Gender.
GENDERS = {"boy": "Boy", "male": "Boy", "son": "Boy", "girl": "Girl", "female": "Girl", "daughter": "Girl"}
GENDERS["other"] = "Other"

SPLIT = {IntakeKind.GENERIC: split_generic, IntakeKind.META: split_meta, IntakeKind.GOOGLE: split_google}


def enquiry_arguments(fields: dict[str, Any], center: Center) -> dict[str, Any]:
    """`create_enquiry`'s keyword arguments from what we read; raises ValidationError for what cannot be read."""
    errors: dict[str, list[str]] = {}
    first, _, last = str(fields.get("child_name") or "").strip().partition(" ")
    gender = str(fields.get("child_gender") or "").strip()
    child: dict[str, Any] = {
        "first_name": first,
        "last_name": last.strip(),
        "gender": GENDERS.get(gender.lower(), gender),
    }
    if fields.get("child_dob"):
        child["dob"] = parse_date(str(fields["child_dob"])) if _is_date(fields["child_dob"]) else None
        if child["dob"] is None:
            errors["child.dob"] = ["Give the date of birth as YYYY-MM-DD."]
    elif fields.get("child_age") not in (None, ""):
        child["age"] = fields["child_age"]
    program = None
    if fields.get("program"):
        name = str(fields["program"]).strip()
        program = Program.objects.filter(center=center, name__iexact=name).first()
        if program is None:
            errors["program"] = [f"This center has no program named “{name}”."]
    consent = fields.get("consent")
    if isinstance(consent, dict) and consent.get("obtained_at"):
        obtained = parse_datetime(str(consent["obtained_at"])) if _is_date(consent["obtained_at"]) else None
        if obtained is None:
            errors["consent.obtained_at"] = ["Give the time of the consent as ISO 8601."]
        consent = {**consent, "obtained_at": obtained}
    if errors:
        raise ValidationError(errors)
    return {
        "child": child,
        "parent": {
            "name": fields.get("parent_name") or "",
            "phone": fields.get("phone") or "",
            "email": fields.get("email") or "",
        },
        "program": program,
        "remarks": str(fields.get("remarks") or ""),
        "consent": consent,
    }


def _is_date(value: Any) -> bool:
    try:
        return parse_datetime(str(value)) is not None or parse_date(str(value)) is not None
    except ValueError:
        return False


# -- recording ---------------------------------------------------------------------------------------


def intake_user(center: Center) -> User:
    """The center's intake account, `intake-<code>`: it records webhook enquiries (never their assignee).

    No password (it cannot sign in); a counselor membership of the center, as create_enquiry asks of its actor.
    """
    user, created = User.objects.get_or_create(
        username=f"intake-{center.code.lower()}",
        defaults={"role": Role.COUNSELOR, "first_name": "Intake", "last_name": f"({center.code} webhooks)"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if user.role_in(center) != Role.COUNSELOR:
        user.add_to_center(center, role=Role.COUNSELOR)
    return user


def _message(error: ValidationError | LifecycleError | PermissionDenied) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def record(source: IntakeSource, delivery: Delivery) -> tuple[IntakeItem, bool]:
    """The item of `delivery` (and its lead): created now, or the one a previous delivery made (False).

    One transaction per lead: the item is inserted first, so a concurrent retry waits on the unique
    (source, external_id) index and then reads this item's final state instead of making a second lead.
    """
    existing = IntakeItem.objects.filter(source=source, external_id=delivery.external_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            item = IntakeItem.objects.create(
                source=source, external_id=delivery.external_id, payload=_without_nul(delivery.payload)
            )
            _map(source, delivery, item)
            item.save(update_fields=["status", "lead", "error"])
            return item, True
    except IntegrityError:
        existing = IntakeItem.objects.filter(source=source, external_id=delivery.external_id).first()
        if existing is None:
            raise
        return existing, False


def _map(source: IntakeSource, delivery: Delivery, item: IntakeItem) -> None:
    center = source.center
    if delivery.problem:
        item.status, item.error = IntakeStatus.NEEDS_REVIEW, delivery.problem
        return
    try:
        arguments = enquiry_arguments(delivery.fields, center)
        if source.kind != IntakeKind.GENERIC:
            arguments["consent"] = None
        by = intake_user(center)
        item.lead = Lead.create_enquiry(
            center=center,
            source=LEAD_SOURCE[source.kind],
            assigned_to=source.assign_to,
            by=by,
            **arguments,
        )
        item.status = IntakeStatus.CREATED
    except DuplicateEnquiry as error:
        item.status, item.lead, item.error = IntakeStatus.DUPLICATE, error.lead, str(error)
        if error.lead is not None:  # the counselor sees on the open lead that the family asked again
            error.lead.add_note(
                body=f"Enquired again through {source.get_kind_display()} ({delivery.external_id}).", by=by
            )
    except (ValidationError, LifecycleError, PermissionDenied) as error:
        item.status = IntakeStatus.NEEDS_REVIEW
        if source.kind == IntakeKind.GENERIC:
            item.error = _message(error)
        else:  # consent is always missing here: say so once, then anything else that needs fixing
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                rest = {k: v for k, v in error.error_dict.items() if not k.startswith("consent")}
                error = ValidationError(rest) if rest else None
            item.error = NO_VERIFIABLE_CONSENT + (f" Also: {_message(error)}" if error is not None else "")


def receive(source: IntakeSource, body: bytes) -> list[tuple[IntakeItem, bool]]:
    """Every lead of an authenticated delivery, recorded once each."""
    deliveries = SPLIT[source.kind](_json(body), body)
    for delivery in deliveries:
        delivery.external_id = _without_nul(delivery.external_id)
    return [record(source, delivery) for delivery in deliveries]


def read_fields_of(item: IntakeItem) -> dict[str, Any]:
    """What we read of a stored item (the inbox shows it next to the payload)."""
    payload, kind = item.payload, item.source.kind
    if kind == IntakeKind.META:
        payload = {"entry": [{"changes": [payload]}]}
    if not isinstance(payload, dict):
        return {}
    deliveries = SPLIT[kind](payload, b"")
    return deliveries[0].fields if deliveries else {}
