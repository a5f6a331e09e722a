"""Time to first contact: days from the enquiry to the first follow-up, visit or call / WhatsApp tap."""

from __future__ import annotations

import datetime

from insights.metrics.durations import days_part, read_days
from insights.metrics.statement import Part, Result

DEFINITION = (
    "Days from the enquiry to the first follow-up added, intro visit scheduled, or call / "
    "WhatsApp tapped in the app, whichever came first."
)


def part(now: datetime.datetime) -> Part:
    # `first_contact_at` is kept by the lifecycle verbs and moved earlier by the taps
    # (`insights.models.ContactAttempt`).
    return days_part("first_contact", "first_contact_at")


def read(result: Result) -> dict:
    return read_days(result, "first_contact")
