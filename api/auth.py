"""Bearer-token authentication for every endpoint except `POST /auth/token`."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.throttling import AnonRateThrottle

from accounts.net import client_address
from api.models import ApiToken
from api.schemas import ErrorOut, TokenIn, TokenOut, ValidationErrorOut


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user  # the access helpers and verbs read the acting user from here
        return user


class TokenThrottle(AnonRateThrottle):
    """Password guessing on the token endpoint: `API_TOKEN_RATE` attempts per client address.

    The rate is read per request so deployments (and tests) set it in settings; counts live in
    Django's cache (`CACHE_URL`: Redis shares them between gunicorn workers).
    """

    scope = "api_token"

    def __init__(self):
        super().__init__(rate="10/m")

    def get_ident(self, request: HttpRequest) -> str | None:
        # Our client address: X-Forwarded-For only through TRUSTED_PROXIES (ninja believes anyone's).
        return client_address(request)

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.API_TOKEN_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


router = Router(tags=["auth"])


@router.post(
    "/auth/token",
    auth=None,
    throttle=[TokenThrottle()],
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Get an API token",
)
def issue_token(request: HttpRequest, payload: TokenIn):
    """Exchange a username and password for a bearer token. Send it as `Authorization: Bearer <token>`.

    The token stays valid for `API_TOKEN_DAYS` (90 by default) unless it is revoked in admin, the
    password changes or the user is deactivated. Every issue is written to the access log.
    """
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):  # username or address locked (accounts/backends.py)
        return Status(429, {"detail": "Too many failed sign-ins: try again later."})
    if user is None or not user.is_active:
        raise AuthenticationError(message="Unknown username or wrong password.")
    with transaction.atomic():  # the token and its access-log row, or neither
        token, raw = ApiToken.issue(user, name=request.headers.get("User-Agent", "")[:80])
        token.log(request, by=user, detail="issued")
    return {"token": raw}
