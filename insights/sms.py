"""SMS through one small backend interface; the provider is a class named by `SMS_BACKEND`.

A provider subclasses `BaseSMSBackend` and implements `send(to, body)`, raising `SMSError` (or
any exception) when the message was not accepted. The default writes to the log.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("insights.sms")

DEFAULT_BACKEND = "insights.sms.ConsoleSMSBackend"


class SMSError(Exception):
    """The provider refused or could not be reached; the message was not sent."""


class BaseSMSBackend:
    def send(self, to: str, body: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """Development and default: the message goes to the log, nothing leaves the machine."""

    def send(self, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


class LocmemSMSBackend(BaseSMSBackend):
    """Tests: messages are kept in `LocmemSMSBackend.outbox` as (to, body)."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> None:
        type(self).outbox.append((to, body))


def get_backend() -> BaseSMSBackend:
    return import_string(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))()


def send_sms(to: str, body: str) -> None:
    get_backend().send(to, body)
