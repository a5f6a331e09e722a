"""SMS through one small backend interface; the provider is a class named by `SMS_BACKEND`.

A backend is built with `timeout=` (seconds, `SMS_TIMEOUT`) and implements
`send(to, body, *, idempotency_key)`: it returns once the provider has accepted the message and
raises (`SMSError` or anything else) when it has not or cannot tell. `idempotency_key` is the same
on every attempt of one message: pass it to the provider where it takes one, so that a retry after
a lost answer is not a second SMS.

`delivers = False` marks a backend that only writes somewhere local (the log, a list in memory
for tests is not one of them): what it "sends" is recorded as LOGGED, never SENT.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger("insights.sms")


#: A phone number as it may appear in a provider's error or a message: a run of 7+ digits, with
#: an optional + and spaces or dashes between the digits.
_PHONE = re.compile(r"\+?\d(?:[\s-]?\d){6,}")


def masked(number: str) -> str:
    """`+91******3210`: enough to tell two numbers apart in a log, not to call one."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) < 6:
        return "*" * len(digits)
    return f"{'+' if number.strip().startswith('+') else ''}{digits[:2]}{'*' * (len(digits) - 6)}{digits[-4:]}"


def without_numbers(text: str) -> str:
    """`text` with every phone number in it masked: for log lines that quote a provider's answer."""
    return _PHONE.sub(lambda match: masked(match.group()), text)


class SMSError(Exception):
    """The provider refused the message or could not be reached (or its answer was lost)."""


class BaseSMSBackend:
    #: False: the message does not leave the machine; its reminder-log row says LOGGED.
    delivers = True

    def __init__(self, *, timeout: float) -> None:
        self.timeout = timeout

    def send(self, to: str, body: str, *, idempotency_key: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LogSMSBackend(BaseSMSBackend):
    """The default and for development: the message goes to the log, nothing leaves the machine."""

    delivers = False

    def send(self, to: str, body: str, *, idempotency_key: str) -> None:
        # Never the number or the text: they carry a parent's phone and name and a child's name.
        logger.info("SMS to %s (not sent, SMS_BACKEND is the log): %d characters", masked(to), len(body))


class LocmemSMSBackend(BaseSMSBackend):
    """Tests: stands in for a provider; every accepted call is kept in `outbox` as (to, body), its key
    in `idempotency_keys` (no deduplication here, so a test sees every call)."""

    outbox: list[tuple[str, str]] = []
    idempotency_keys: list[str] = []

    def send(self, to: str, body: str, *, idempotency_key: str) -> None:
        type(self).outbox.append((to, body))
        type(self).idempotency_keys.append(idempotency_key)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not an acceptance (urllib would turn the POST into a GET without the message)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError for the 3xx


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)


class HttpSMSBackend(BaseSMSBackend):
    """POST `{"to": "+91…", "body": "…"}` as JSON to `SMS_API_URL` (a gateway's JSON API, or a small
    relay in front of any provider), with `Authorization: Bearer SMS_API_TOKEN` and an
    `Idempotency-Key` header. Any 2xx answer is acceptance; anything else (a redirect too), or no
    answer within `SMS_TIMEOUT`, raises SMSError and the message is tried again later with the same key.
    """

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        if not settings.SMS_API_URL:
            raise ImproperlyConfigured("SMS_BACKEND is insights.sms.HttpSMSBackend: set SMS_API_URL too.")
        self.url = settings.SMS_API_URL
        self.token = settings.SMS_API_TOKEN

    def send(self, to: str, body: str, *, idempotency_key: str) -> None:
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url, data=json.dumps({"to": to, "body": body}).encode(), headers=headers, method="POST"
        )
        try:
            with _NO_REDIRECTS.open(request, timeout=self.timeout) as response:
                response.read(64 * 1024)
        except urllib.error.HTTPError as error:
            raise SMSError(f"The SMS provider answered {error.code} {error.reason}.") from error
        except (OSError, ValueError, http.client.HTTPException) as error:  # refused, reset, timed out, garbled
            raise SMSError(f"No answer from the SMS provider at {self.url}: {error}") from error


def get_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)(timeout=settings.SMS_TIMEOUT)


def send_sms(to: str, body: str, *, idempotency_key: str) -> bool:
    """Send one SMS; True when it left the machine, False when a log-only backend wrote it down."""
    backend = get_backend()
    backend.send(to, body, idempotency_key=idempotency_key)
    return bool(getattr(backend, "delivers", True))
