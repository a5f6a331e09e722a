"""Figures that are "days from the enquiry to a milestone": average, median and how many leads."""

from __future__ import annotations

from insights import sql
from insights.metrics.rates import rounded
from insights.metrics.statement import OVERALL, Part, Result, count, real


def days_part(name: str, milestone: str) -> Part:
    """The statement's columns for days from `created_at` to the lead field `milestone`."""
    days = f"{name}_days"
    return Part(
        fields=("created_at", milestone),
        per_lead={days: sql.days_between(f"b.{milestone}", "b.created_at")},
        aggregates={
            OVERALL: {
                f"{name}_avg_days": real(f"AVG({days})"),
                f"{name}_median_days": real(sql.median(days)),
                f"{name}_leads": count(days),
            }
        },
    )


def read_days(result: Result, name: str) -> dict:
    row = result.overall
    return {
        "avg": rounded(row[f"{name}_avg_days"]),
        "median": rounded(row[f"{name}_median_days"]),
        "n": int(row[f"{name}_leads"] or 0),
    }
