"""The dashboard: every figure in two queries (the figures statement, the follow-ups)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.utils import timezone

from accounts.models import User
from insights.metrics import (
    centers,
    closures,
    first_contact,
    follow_up_effectiveness,
    funnel,
    sources,
    statement,
    time_in_stage,
    time_to_conversion,
    trials,
)
from insights.metrics.filters import Filters
from insights.metrics.funnel import FunnelCounts

#: The figures in the statement, each adding its named columns (see `statement.Part`).
PARTS = (funnel, trials, time_to_conversion, first_contact, time_in_stage, closures)

#: Shown beside each figure on the dashboard.
DEFINITIONS = {
    "funnel": funnel.DEFINITION,
    "sources": sources.DEFINITION,
    "trial": trials.DEFINITION,
    "time_to_conversion": time_to_conversion.DEFINITION,
    "first_contact": first_contact.DEFINITION,
    "stages": time_in_stage.DEFINITION,
    "follow_ups": follow_up_effectiveness.DEFINITION,
    "closures": closures.DEFINITION,
    "centers": centers.DEFINITION,
}


@dataclass
class Dashboard:
    filters: Filters
    now: datetime.datetime
    total: FunnelCounts = field(default_factory=FunnelCounts)
    by_source: dict[str, FunnelCounts] = field(default_factory=dict)
    by_center: dict[int, FunnelCounts] = field(default_factory=dict)
    time_to_conversion: dict = field(default_factory=dict)
    first_contact: dict = field(default_factory=dict)
    stages: list[dict] = field(default_factory=list)
    follow_ups: list[dict] = field(default_factory=list)
    closures: list[dict] = field(default_factory=list)

    @cached_property
    def sources(self) -> list[dict]:
        return sources.rows(self.by_source)

    @property
    def source_rate_max(self) -> float:
        return max((row["rate"] or 0 for row in self.sources), default=0)

    @property
    def stage_median_max(self) -> float:
        return max((row["median"] or 0 for row in self.stages), default=0)

    @property
    def closure_max(self) -> int:
        return max((row["count"] for row in self.closures), default=0)

    @cached_property
    def centers(self) -> list[dict]:
        return centers.rows(self.by_center, self.filters.centers)


def build(user: User, filters: Filters, *, now: datetime.datetime | None = None) -> Dashboard:
    """Every figure of the dashboard in two queries: the history-based figures, the follow-ups."""
    tuned = connection.vendor == "postgresql"
    if tuned:
        # The figures query finishes faster than PostgreSQL's JIT compiles it (1.7 s measured at
        # 100,000 leads), and its sorts fit in memory with a little more than the 4 MB default.
        # Session settings, put back right after (SET LOCAL would need a transaction: 2 more queries).
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('jit', 'off', false), set_config('work_mem', '64MB', false)")
    try:
        return _build(user, filters, now=now)
    finally:
        if tuned:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config(name, reset_val, false) FROM pg_settings WHERE name IN ('jit', 'work_mem')"
                )


def _build(user: User, filters: Filters, *, now: datetime.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    parts = [figure.part(now) for figure in PARTS]
    leads = filters.leads(user).order_by().values(*statement.lead_fields(parts))
    result = statement.run(parts, *leads.query.sql_with_params())
    return Dashboard(
        filters=filters,
        now=now,
        total=FunnelCounts.from_row(result.overall),
        by_source=sources.read(result),
        by_center=centers.read(result),
        time_to_conversion=time_to_conversion.read(result),
        first_contact=first_contact.read(result),
        stages=time_in_stage.read(result),
        closures=closures.read(result),
        follow_ups=follow_up_effectiveness.follow_up_effectiveness(user, filters, now),
    )
