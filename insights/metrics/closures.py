"""Closure reasons: the leads created in the range that are closed (lost), by reason category."""

from __future__ import annotations

import datetime

from insights.metrics.rates import rate
from insights.metrics.statement import STATUS_REASON, Part, Result, total
from leads.models import ClosedReason, LeadStatus

DEFINITION = "Leads created in the range that are closed (lost), by the reason category chosen when closing."


def part(now: datetime.datetime) -> Part:
    # The grouping by (status, closed_reason_category) is shared with time in stage's "in it now".
    return Part(aggregates={STATUS_REASON: {"leads": total("lead")}})


def read(result: Result) -> list[dict]:
    closed = {
        row["closed_reason_category"]: int(row["leads"])
        for row in result.status_reason
        if row["status"] == LeadStatus.CLOSED_LOST
    }
    total_closed = sum(closed.values())
    closures = [
        {
            "category": value,
            "label": label,
            "count": closed.get(value, 0),
            "share": rate(closed.get(value, 0), total_closed),
        }
        for value, label in ClosedReason.choices
    ]
    if closed.get(""):
        closures.append(
            {"category": "", "label": "Not given", "count": closed[""], "share": rate(closed[""], total_closed)}
        )
    return closures
