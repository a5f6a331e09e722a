"""Centers side by side: the funnel's counts of each center's leads."""

from __future__ import annotations

from accounts.models import Center
from insights.metrics.funnel import FunnelCounts
from insights.metrics.statement import Result

DEFINITION = "Each center's funnel for leads created in the range."


def read(result: Result) -> dict[int, FunnelCounts]:
    return FunnelCounts.grouped(result.center_source, "center_id")


def rows(by_center: dict[int, FunnelCounts], centers: list[Center]) -> list[dict]:
    """One row per center with leads, by the center's name."""
    names = {c.pk: c for c in centers}
    return [
        {"center": names.get(pk), "counts": counts}
        for pk, counts in sorted(by_center.items(), key=lambda item: str(names.get(item[0])))
    ]
