"""Time to first contact: days from the enquiry to the first follow-up, visit or call / WhatsApp tap."""

from __future__ import annotations

import datetime

from insights import sql
from insights.metrics.rates import rounded
from insights.metrics.statement import OVERALL, Part, Result, count, real

DEFINITION = (
    "Days from the enquiry to the first follow-up added, intro visit scheduled, or call / "
    "WhatsApp tapped in the app, whichever came first."
)


def part(now: datetime.datetime) -> Part:
    # `first_contact_at` is kept by the lifecycle verbs and moved earlier by the taps
    # (`insights.models.ContactAttempt`).
    return Part(
        fields=("created_at", "first_contact_at"),
        per_lead={"first_contact_days": sql.days_between("b.first_contact_at", "b.created_at")},
        aggregates={
            OVERALL: {
                "first_contact_avg_days": real("AVG(first_contact_days)"),
                "first_contact_median_days": real(sql.median("first_contact_days")),
                "first_contact_leads": count("first_contact_days"),
            }
        },
    )


def read(result: Result) -> dict:
    row = result.overall
    return {
        "avg": rounded(row["first_contact_avg_days"]),
        "median": rounded(row["first_contact_median_days"]),
        "n": int(row["first_contact_leads"] or 0),
    }
