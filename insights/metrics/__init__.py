"""The dashboard's figures: one aggregate statement over one row per lead, one over the follow-ups,
never a loop per lead. One module per figure; `statement` composes the figures' named columns.

Definitions (shown beside each figure on the dashboard, see DEFINITIONS):
- The population is the leads *created* in the date range (in the selected center's time zone),
  narrowed by center, source and assignee ("counselor"); counselors only ever see their own.
- Funnel: a lead counts for a step if its status history shows that step or any later one, so the
  funnel never widens (a walk-in who enrolled without a visit counts as having attended).
"""

from insights.metrics.dashboard import DEFINITIONS, Dashboard, build
from insights.metrics.drill_down import drill_down
from insights.metrics.filters import DEFAULT_RANGE_DAYS, Filters
from insights.metrics.follow_up_effectiveness import (
    CONVERSION_WINDOW_DAYS,
    follow_up_effectiveness,
    follow_up_filters,
    follow_up_queryset,
)
from insights.metrics.funnel import FUNNEL, STEP_FILTERS, FunnelCounts
from insights.metrics.rates import rate
from insights.metrics.time_in_stage import STAGES, STALE_AFTER_DAYS
from insights.metrics.trials import EXTRA_STEPS

__all__ = [
    "CONVERSION_WINDOW_DAYS",
    "DEFAULT_RANGE_DAYS",
    "DEFINITIONS",
    "EXTRA_STEPS",
    "FUNNEL",
    "STAGES",
    "STALE_AFTER_DAYS",
    "STEP_FILTERS",
    "Dashboard",
    "Filters",
    "FunnelCounts",
    "build",
    "drill_down",
    "follow_up_effectiveness",
    "follow_up_filters",
    "follow_up_queryset",
    "rate",
]
