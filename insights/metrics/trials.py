"""Trial conversion: of the leads that attended an intro visit, how many converted."""

from __future__ import annotations

import datetime

from django.db.models import Q

from insights.metrics.statement import CENTER_SOURCE, OVERALL, Part, flag, total

DEFINITION = (
    "Converted ÷ leads that attended an intro visit (outcome recorded other than no-show), among leads "
    "created in the range."
)
#: Drill-down steps that are not funnel steps: literally attended (not "or later").
EXTRA_STEPS = {"trial": Q(iv_attended_at__isnull=False)}


def part(now: datetime.datetime) -> Part:
    # Read into `FunnelCounts.trial` and `.trial_converted` (insights.metrics.funnel).
    counts = {"trial": total("attended_visit"), "trial_converted": total("attended_visit_converted")}
    return Part(
        fields=("iv_attended_at", "converted_at"),
        per_lead={
            "attended_visit": flag("b.iv_attended_at IS NOT NULL"),
            "attended_visit_converted": flag("b.iv_attended_at IS NOT NULL AND b.converted_at IS NOT NULL"),
        },
        aggregates={CENTER_SOURCE: counts, OVERALL: counts},
    )
