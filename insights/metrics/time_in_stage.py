"""Time in stage: days from entering each open status to leaving it, and the leads stuck in one now.

One row per lead, never the status history: each lead keeps the days of its first stay in each
open status it left (`Lead.days_in_<status>`), its rare later stays (`repeat_stays`, JSON) and
when it entered its current status (`status_changed_at`). In `x` each lead's row carries, per
status, its first stay (or the one it is in now); the rare second stays come as extra rows under
the same columns, so every median sorts only its own status's stays. Measured at 100,000 leads,
unnesting a JSON list of every stay cost more than the rest of the statement, and grouping the
stays by status cost a sort of all of them.
"""

from __future__ import annotations

import datetime

from insights import sql
from insights.metrics.rates import rounded
from insights.metrics.statement import OVERALL, STATUS_REASON, Expr, ExtraRows, Part, Result, count, flag, real, total
from leads.models import STAY_FIELDS, LeadStatus

#: A stage is highlighted as stale when its median time exceeds this many days.
STALE_AFTER_DAYS = 7
STAGES = [s for s in LeadStatus if s not in (LeadStatus.CONVERTED, LeadStatus.CLOSED_LOST)]

DEFINITION = (
    f"Days from entering a status to leaving it (leads still in it count with their time so far), "
    f"for leads created in the range. Stages whose median exceeds {STALE_AFTER_DAYS} days are highlighted; "
    f"'stuck now' counts leads in the stage for more than {STALE_AFTER_DAYS} days."
)


def _stay(status: str) -> str:
    """The x column of the stays in `status`."""
    return f"stay_{status.lower()}"


def part(now: datetime.datetime) -> Part:
    stale_before = now - datetime.timedelta(days=STALE_AFTER_DAYS)
    statuses = {status: (sql.literals([status]), name) for status, name in STAY_FIELDS.items()}
    repeats = sql.json_pairs("r.repeat_stays", "s")
    # Its current status's first-stay column is filled: the lead is back in a status it had left.
    back_in = (
        f"CASE f.status {' '.join(f'WHEN {lit} THEN f.{name}' for lit, name in statuses.values())} END IS NOT NULL"
    )
    overall = {}
    for status in STAY_FIELDS:
        key, stay = status.lower(), _stay(status)
        overall |= {
            f"{key}_entries": count(stay),
            f"{key}_median_days": real(sql.median(stay)),
            f"{key}_avg_days": real(f"AVG({stay})"),
        }
    return Part(
        fields=("status_changed_at",),
        keep=("status", *STAY_FIELDS.values(), "repeat_stays"),
        per_lead={
            "now_days": Expr(sql.days_between("%s", "b.status_changed_at"), (sql.param(now),)),
            "stuck": Expr(flag("b.status_changed_at < %s"), (sql.param(stale_before),)),
        },
        # Each lead with, per open status, its first stay (left, or the one it is in now) ...
        x_columns={
            _stay(status): f"COALESCE(f.{name}, CASE WHEN f.status = {lit} THEN f.now_days END)"
            for status, (lit, name) in statuses.items()
        },
        ctes={
            # Later stays the lead left (a second visit, a reopened lead): few.
            "rep": f"SELECT {repeats.text} AS status, {repeats.number} AS d "
            f"FROM (SELECT f.repeat_stays FROM f WHERE f.repeat_stays IS NOT NULL) r {repeats.join}"
        },
        extra_rows=(
            # ... a lead back in a status it had left: the stay it is in now ...
            ExtraRows(
                f"f WHERE {back_in}",
                {
                    _stay(status): f"CASE WHEN f.status = {lit} THEN f.now_days END"
                    for status, (lit, _n) in statuses.items()
                },
            ),
            # ... and its later stays it left.
            ExtraRows(
                "rep",
                {
                    _stay(status): f"CASE WHEN rep.status = {lit} THEN rep.d END"
                    for status, (lit, _n) in statuses.items()
                },
            ),
        ),
        aggregates={OVERALL: overall, STATUS_REASON: {"leads": total("lead"), "stuck": total("stuck")}},
    )


def read(result: Result) -> list[dict]:
    in_status: dict[str, tuple[int, int]] = {}  # status: (leads in it now, of them stuck)
    for row in result.status_reason:
        now_in, stuck = in_status.get(row["status"], (0, 0))
        in_status[row["status"]] = (now_in + int(row["leads"]), stuck + int(row["stuck"] or 0))
    stages = []
    for status in STAY_FIELDS:
        key = status.lower()
        median = rounded(result.overall[f"{key}_median_days"])
        now_in, stuck = in_status.get(status, (0, 0))
        stages.append(
            {
                "status": status,
                "label": LeadStatus(status).label,
                "entries": int(result.overall[f"{key}_entries"] or 0),
                "median": median,
                "avg": rounded(result.overall[f"{key}_avg_days"]),
                "now": now_in,
                "stuck": stuck,
                "stale": median is not None and median > STALE_AFTER_DAYS,
            }
        )
    return stages
