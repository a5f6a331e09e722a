"""Funnel: how many leads created in the range reached each step (or a later one).

A lead counts for a step if its status history shows that step or any later one, so the funnel
never widens (a walk-in who enrolled without a visit counts as having attended). The lifecycle
verbs keep the milestones from the status history's moves (`leads.models.lead.MILESTONE_MOVES`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields

from django.db.models import Q

from insights.metrics.rates import rate
from insights.metrics.statement import CENTER_SOURCE, OVERALL, Part, flag, total

DEFINITION = (
    "Leads created in the range. A lead counts for a step if its status history shows that step or a "
    "later one (so a lead that skipped discovery but had a visit counts as discovery done). Step rate = this "
    "step ÷ the step before."
)

#: Funnel steps: (key, label, which leads reached the step or a later one). The drill-down filters
#: with the Q; the figures statement counts with `REACHED_SQL`, the same condition in SQL.
FUNNEL = (
    ("enquiry", "Enquiry", None),
    ("discovery", "Discovery done", Q(discovery_reached_at__isnull=False)),
    ("scheduled", "IV scheduled", Q(iv_scheduled_reached_at__isnull=False)),
    ("attended", "IV attended", Q(iv_attended_at__isnull=False) | Q(converted_at__isnull=False)),
    ("converted", "Converted", Q(converted_at__isnull=False)),
)
STEP_FILTERS = {key: reached for key, _label, reached in FUNNEL}
REACHED_SQL = {
    "discovery": "b.discovery_reached_at IS NOT NULL",
    "scheduled": "b.iv_scheduled_reached_at IS NOT NULL",
    "attended": "b.iv_attended_at IS NOT NULL OR b.converted_at IS NOT NULL",
    "converted": "b.converted_at IS NOT NULL",
}
#: The count of the first step, every lead, is `leads`; each other step's count is named by its key.
FIRST_STEP_COUNT = "leads"


def _counts():
    return {FIRST_STEP_COUNT: total("lead"), **{key: total(f"reached_{key}") for key in REACHED_SQL}}


def part(now: datetime.datetime) -> Part:
    counts = _counts()
    return Part(
        fields=("discovery_reached_at", "iv_scheduled_reached_at", "iv_attended_at", "converted_at"),
        per_lead={f"reached_{key}": flag(condition) for key, condition in REACHED_SQL.items()},
        aggregates={CENTER_SOURCE: counts, OVERALL: counts},
    )


@dataclass
class FunnelCounts:
    """The counts of one group of leads (all of them, one source, one center), named as the
    statement's columns: the funnel's (`part` above) and the trial's (`insights.metrics.trials`)."""

    leads: int = 0
    discovery: int = 0
    scheduled: int = 0
    attended: int = 0
    converted: int = 0
    trial: int = 0  # attended a visit (literally, not "or later")
    trial_converted: int = 0

    @classmethod
    def from_row(cls, row: dict) -> FunnelCounts:
        return cls(**{f.name: int(row[f.name] or 0) for f in fields(cls)})

    def add(self, other: FunnelCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @classmethod
    def grouped(cls, rows, key: str) -> dict:
        """The counts of `rows` (center-and-source rows of the statement) added up per `row[key]`."""
        groups: dict = {}
        for row in rows:
            groups.setdefault(row[key], cls()).add(cls.from_row(row))
        return groups

    @property
    def conversion_rate(self) -> float | None:
        return rate(self.converted, self.leads)

    @property
    def trial_rate(self) -> float | None:
        return rate(self.trial_converted, self.trial)

    def count(self, step: str) -> int:
        return getattr(self, FIRST_STEP_COUNT if step == FUNNEL[0][0] else step)

    def steps(self) -> list[dict]:
        out = []
        for i, (key, label, _reached) in enumerate(FUNNEL):
            count = self.count(key)
            out.append(
                {
                    "key": key,
                    "label": label,
                    "count": count,
                    "step_rate": rate(count, self.count(FUNNEL[i - 1][0])) if i else None,
                    "of_all": rate(count, self.leads),
                }
            )
        return out
