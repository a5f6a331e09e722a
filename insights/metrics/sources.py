"""Conversion rate by source: the funnel's counts of each source's leads."""

from __future__ import annotations

from insights.metrics.funnel import FunnelCounts
from insights.metrics.statement import Result
from leads.models import LeadSource

DEFINITION = "Converted ÷ leads created in the range, by the lead's source."


def read(result: Result) -> dict[str, FunnelCounts]:
    return FunnelCounts.grouped(result.center_source, "source")


def rows(by_source: dict[str, FunnelCounts]) -> list[dict]:
    """The sources that have leads, the most leads first."""
    out = []
    for value, label in LeadSource.choices:
        counts = by_source.get(value)
        if counts is None or not counts.leads:
            continue
        out.append({"source": value, "label": label, "counts": counts, "rate": counts.conversion_rate})
    return sorted(out, key=lambda r: -r["counts"].leads)
