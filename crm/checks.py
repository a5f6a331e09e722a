"""Settings a production start needs: `manage.py check --deploy` reports them, and crm/wsgi.py and
crm/asgi.py refuse to start without them (tests and `make run` never import those modules, and
DEBUG=1 needs none of them)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def missing_settings() -> list[str]:
    """One sentence per required setting that is missing or unusable; none when DEBUG is on."""
    if settings.DEBUG:
        return []
    problems = []
    site = urlsplit(settings.SITE_URL)
    if not settings.SITE_URL:
        problems.append(
            "SITE_URL is not set: set it to the address people open, e.g. SITE_URL=https://crm.example.com, "
            "so that reminder emails carry links that work."
        )
    elif site.scheme not in ("http", "https") or not site.netloc:
        problems.append(
            f"SITE_URL={settings.SITE_URL!r} is not an absolute address: write it like https://crm.example.com."
        )
    return problems


def refuse_to_start_without_required_settings() -> None:
    problems = missing_settings()
    if problems:
        raise ImproperlyConfigured("Leads CRM will not start. " + " ".join(problems))


@checks.register("settings", deploy=True)
def check_required_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return [checks.Error(problem, id="crm.E001") for problem in missing_settings()]


@checks.register("settings", deploy=True)
def check_delivery_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Reminders that would only be logged, or a stale-row timeout shorter than a send can take."""
    messages = []
    try:
        backend = import_string(settings.SMS_BACKEND)
    except ImportError as error:
        return [checks.Error(f"SMS_BACKEND={settings.SMS_BACKEND!r} cannot be imported: {error}", id="crm.E002")]
    if not getattr(backend, "delivers", True):
        messages.append(
            checks.Warning(
                f"SMS_BACKEND is {settings.SMS_BACKEND}: SMS reminders are written to the log (marked LOGGED), "
                "not sent.",
                hint="Set SMS_BACKEND=insights.sms.HttpSMSBackend and SMS_API_URL, or a provider's class.",
                id="crm.W001",
            )
        )
    longest_send = 10 * max(settings.SMTP_TIMEOUT, settings.SMS_TIMEOUT)
    if longest_send > settings.REMINDER_SENDING_TIMEOUT:
        messages.append(
            checks.Warning(
                f"REMINDER_SENDING_TIMEOUT ({settings.REMINDER_SENDING_TIMEOUT} s) is shorter than a slow send "
                f"can take ({longest_send:g} s): a message still being sent could be sent again.",
                hint="Raise REMINDER_SENDING_TIMEOUT or lower DJANGO_SMTP_TIMEOUT / SMS_TIMEOUT.",
                id="crm.W002",
            )
        )
    return messages
