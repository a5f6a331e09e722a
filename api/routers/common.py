"""What every router shares: path ids and the documented error responses."""

from django.http import Http404

from api.schemas import MAX_ID, ErrorOut, ValidationErrorOut

#: Error responses an authenticated operation may give, for the OpenAPI document.
ERRORS = {
    400: ErrorOut,  # a body that is not JSON
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ValidationErrorOut,
}


def path_id(value: int, noun: str) -> int:
    """A path id, or 404: larger ids cannot exist (64-bit keys) and would overflow the driver."""
    if not 1 <= value <= MAX_ID:
        raise Http404(f"No such {noun}.")
    return value


def responses(ok: dict) -> dict:
    return {**ok, **ERRORS}
