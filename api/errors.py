"""How the domain's exceptions become JSON: one mapping for every endpoint.

ValidationError -> 422 in ninja's own shape (`{"detail": [{"loc": ["body", "child", "dob"], ...}]}`),
LifecycleError -> 409 with the rule's sentence, PermissionDenied -> 403, Http404 -> 404.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from leads.models import LifecycleError

#: Model field names -> the API's field names, where they differ (dotted: nested bodies).
MODEL_TO_API = {
    "parent.phone": "parent.contact_number",
    "batch": "batch_id",
    "trainer": "trainer_user_id",
    "assigned_to": "assigned_to_user_id",
    "enrollment": "enrollment_id",
    "child": "child_id",
    "program": "program_id",
}

#: The `detail` of every error status, for the OpenAPI document.
ERROR_STATUSES = (401, 403, 404, 409)


def field_errors(error: ValidationError) -> list[dict]:
    """ninja-style 422 entries for a Django ValidationError, keyed by the API's field names."""
    if not hasattr(error, "error_dict"):
        return [{"loc": ["body"], "msg": message, "type": "value_error"} for message in error.messages]
    entries = []
    for field, messages in error.message_dict.items():
        name = MODEL_TO_API.get(field, field)
        loc = ["body"] if name == "__all__" else ["body", *name.split(".")]
        entries += [{"loc": loc, "msg": message, "type": "value_error"} for message in messages]
    return entries


@contextmanager
def renamed(mapping: Mapping[str, str]) -> Iterator[None]:
    """Re-key the ValidationErrors raised inside to this endpoint's field names."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError({mapping.get(k, k): v for k, v in error.error_dict.items()}) from None


def invalid(field: str, message: str) -> ValidationError:
    """A 422 about one field of the request body (dotted for nested fields)."""
    return ValidationError({field: [message]})


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, detail, status: int) -> HttpResponse:
        return api.create_response(request, {"detail": detail}, status=status)

    @api.exception_handler(NinjaValidationError)
    def on_schema_error(request, exc):
        # ninja puts the body parameter's name in `loc` ("body", "payload", "child", ...): drop
        # it, so schema errors and model errors both name fields as they are in the JSON body.
        for entry in exc.errors:
            loc = entry.get("loc")
            if isinstance(loc, list | tuple) and len(loc) > 1 and loc[0] == "body" and loc[1] == "payload":
                entry["loc"] = loc = ["body", *loc[2:]]
            if entry.get("type") == "extra_forbidden" and list(loc)[-1:] == ["status"]:
                entry["msg"] = "The status cannot be changed here: use PATCH /api/v1/leads/{id}/status."
        return respond(request, exc.errors, 422)

    @api.exception_handler(ValidationError)
    def on_validation_error(request, exc):
        return respond(request, field_errors(exc), 422)

    @api.exception_handler(LifecycleError)
    def on_lifecycle_error(request, exc):
        existing = getattr(exc, "lead", None)
        if existing is not None:  # DuplicateEnquiry: name the open lead so the client can go there
            body = {"detail": str(exc), "lead_id": existing.pk, "enquiry_id": existing.enquiry_id}
            return api.create_response(request, body, status=409)
        return respond(request, str(exc), 409)

    @api.exception_handler(PermissionDenied)
    def on_permission_denied(request, exc):
        return respond(request, str(exc) or "You may not do this.", 403)

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return respond(request, str(exc) or "Not found.", 404)

    @api.exception_handler(IntegrityError)
    def on_integrity_error(request, exc):
        # Backstop for a race the model checks could not see (e.g. two requests at once).
        return respond(request, "This conflicts with a change made at the same time. Reload and try again.", 409)

    @api.exception_handler(DataError)
    def on_data_error(request, exc):
        return respond(request, [{"loc": ["body"], "msg": "A value is out of range.", "type": "value_error"}], 422)
