"""Email for reminders through Django's default mailer (MAILERS, from the environment).

Like `insights.sms.send_sms`, `send_email` returns once the mail server has taken the message and
says whether it left the machine: the console, file and dummy mailers only write it down, so their
rows say LOGGED. A mailer without a timeout gets `SMTP_TIMEOUT`, so a server that never answers
fails the message instead of hanging `send_reminders`. The idempotency key becomes the Message-ID,
the same on every attempt of one message.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME

logger = logging.getLogger("insights.mailer")

#: Django's mailers that keep the message on this machine (locmem stands in for a server in tests).
LOG_ONLY_MAILERS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


class MailNotTaken(Exception):
    """The mailer returned without taking the message (it sent nothing)."""


def delivers(mailer) -> bool:
    path = f"{type(mailer).__module__}.{type(mailer).__qualname__}"
    return bool(getattr(mailer, "delivers", path not in LOG_ONLY_MAILERS))


def send_email(to: str, subject: str, body: str, *, idempotency_key: str) -> bool:
    mailer = mail.mailers.default
    if getattr(mailer, "timeout", False) is None:  # the SMTP mailer's own default is "wait forever"
        mailer.timeout = settings.SMTP_TIMEOUT
    message = EmailMessage(subject, body, to=[to], headers={"Message-ID": f"<{idempotency_key}@{DNS_NAME.get_fqdn()}>"})
    try:
        mailer.open()
        taken = mailer.send_messages([message])
    finally:
        # The server has the message (or never got it): a failing QUIT changes neither.
        try:
            mailer.close()
        except Exception as error:
            logger.warning("Closing the mail connection failed after sending to %s: %s", to, error)
    if taken != 1:
        raise MailNotTaken(f"The mailer took {taken} of 1 message to {to}.")
    return delivers(mailer)
