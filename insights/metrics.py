"""The dashboard's figures: two aggregate queries over one row per lead and the follow-ups, never a loop per lead.

Definitions (shown beside each figure on the dashboard, see DEFINITIONS):
- The population is the leads *created* in the date range (in the selected center's time zone),
  narrowed by center, source and assignee ("counselor"); counselors only ever see their own.
- Funnel: a lead counts for a step if its status history shows that step or any later one, so the
  funnel never widens (a walk-in who enrolled without a visit counts as having attended).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import Center, Role, User
from insights import sql
from leads.models import (
    ClosedReason,
    FollowUp,
    FollowUpOutcome,
    FollowUpStatus,
    Lead,
    LeadSource,
    LeadStatus,
)
from leads.models.lead import STAY_FIELDS
from leads.params import clean_date, clean_id

DEFAULT_RANGE_DAYS = 90
#: A stage is highlighted as stale when its median time exceeds this many days.
STALE_AFTER_DAYS = 7
CONVERSION_WINDOW_DAYS = 30

#: Funnel steps: (key, label, which leads reached the step or a later one). The lifecycle verbs
#: keep the milestones from the status history's moves (`leads.models.lead.MILESTONE_MOVES`).
FUNNEL = (
    ("enquiry", "Enquiry", None),
    ("discovery", "Discovery done", Q(discovery_reached_at__isnull=False)),
    ("scheduled", "IV scheduled", Q(iv_scheduled_reached_at__isnull=False)),
    ("attended", "IV attended", Q(iv_attended_at__isnull=False) | Q(converted_at__isnull=False)),
    ("converted", "Converted", Q(converted_at__isnull=False)),
)
STEP_FILTERS = {key: reached for key, _label, reached in FUNNEL}
#: Drill-down steps that are not funnel steps.
EXTRA_STEPS = {"trial": Q(iv_attended_at__isnull=False)}
STAGES = [s for s in LeadStatus if s not in (LeadStatus.CONVERTED, LeadStatus.CLOSED_LOST)]

DEFINITIONS = {
    "funnel": "Leads created in the range. A lead counts for a step if its status history shows that step or a "
    "later one (so a lead that skipped discovery but had a visit counts as discovery done). Step rate = this "
    "step ÷ the step before.",
    "sources": "Converted ÷ leads created in the range, by the lead's source.",
    "trial": "Converted ÷ leads that attended an intro visit (outcome recorded other than no-show), among leads "
    "created in the range.",
    "time_to_conversion": "Days from the enquiry to the conversion, for leads created in the range and converted.",
    "first_contact": "Days from the enquiry to the first follow-up added, intro visit scheduled, or call / "
    "WhatsApp tapped in the app, whichever came first.",
    "stages": f"Days from entering a status to leaving it (leads still in it count with their time so far), "
    f"for leads created in the range. Stages whose median exceeds {STALE_AFTER_DAYS} days are highlighted; "
    f"'stuck now' counts leads in the stage for more than {STALE_AFTER_DAYS} days.",
    "follow_ups": f"Follow-ups scheduled in the range, by assignee. On time: completed on or before the date "
    f"(in the center's time; {settings.TIME_ZONE} for all centers); late: after it; overdue now: pending and past the date. Conversions: leads "
    f"converted within {CONVERSION_WINDOW_DAYS} days after one of the counselor's completed follow-ups.",
    "closures": "Leads created in the range that are closed (lost), by the reason category chosen when closing.",
    "centers": "Each center's funnel for leads created in the range.",
}


def rate(part: float | None, whole: float | None) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


# -- filters -------------------------------------------------------------------------------------


@dataclass
class Filters:
    start: datetime.date
    end: datetime.date
    center: Center | None = None
    source: str = ""
    counselor: User | None = None
    centers: list[Center] = field(default_factory=list)  # the user's centers (the filter's choices)
    errors: list[str] = field(default_factory=list)

    @property
    def tz(self):
        return self.center.tzinfo if self.center else timezone.get_default_timezone()

    @property
    def start_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.start, datetime.time.min, tzinfo=self.tz)

    @property
    def end_at(self) -> datetime.datetime:
        """Exclusive: the start of the day after `end`."""
        return datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.tz)

    @classmethod
    def from_query(
        cls,
        user: User,
        query,
        *,
        today: datetime.date | None = None,
        centers: list[Center] | None = None,
        default_center: Center | None = None,
    ) -> Filters:
        """Read start, end, center, source, counselor; anything invalid falls back with a message.

        Without a `center` parameter, `default_center` (the switcher's) applies; `center=` means all.
        """
        errors = []
        centers = list(Center.objects.for_user(user)) if centers is None else centers
        center = default_center if "center" not in query else None
        if query.get("center"):
            center = next((c for c in centers if str(c.pk) == query.get("center")), None)
            if center is None:
                errors.append("That center is not one of yours: showing all your centers.")
        if center is None and len(centers) == 1:
            center = centers[0]
        tz = center.tzinfo if center else timezone.get_default_timezone()
        today = today or timezone.localdate(timezone=tz)
        end = _date(query.get("end")) or today
        start = _date(query.get("start")) or end - datetime.timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if (query.get("start") and not _date(query.get("start"))) or (query.get("end") and not _date(query.get("end"))):
            errors.append("Dates are written YYYY-MM-DD, between 2000 and 2100: showing the last 90 days.")
        if start > end:
            errors.append("The range starts after it ends: the dates were swapped.")
            start, end = end, start
        source = query.get("source") or ""
        if source and source not in LeadSource.values:
            errors.append("Unknown source: showing every source.")
            source = ""
        counselor = None
        if user.role == Role.COUNSELOR:
            counselor = user  # counselors see their own figures only
        elif query.get("counselor"):
            counselor_id = clean_id(query.get("counselor"))  # 1 to 2**63 - 1, ASCII digits; else None
            counselor = User.objects.in_centers(centers).filter(pk=counselor_id).first() if counselor_id else None
            if counselor is None:
                errors.append("Unknown counselor: showing everyone.")
        return cls(start, end, center, source, counselor, centers, errors)

    def leads(self, user: User, *, created: bool = True) -> QuerySet:
        queryset = Lead.objects.for_user(user)
        if created:
            queryset = queryset.filter(created_at__gte=self.start_at, created_at__lt=self.end_at)
        if self.center is not None:
            queryset = queryset.filter(center=self.center)
        if self.source:
            queryset = queryset.filter(source=self.source)
        if self.counselor is not None:
            queryset = queryset.filter(assigned_to=self.counselor)
        return queryset

    def query(self, **extra) -> str:
        """The dashboard's own query string (for drill-down links and CSV), plus `extra`."""
        # `center=` (empty) says "all centers" explicitly, so the switcher's center does not apply.
        params = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "center": self.center.pk if self.center else "",
        }
        if self.source:
            params["source"] = self.source
        if self.counselor:
            params["counselor"] = self.counselor.pk
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)

    def leads_list_query(self, **extra) -> str:
        """The same population in the leads list's own parameters (django-filter there)."""
        params = {"created_after": self.start.isoformat(), "created_before": self.end.isoformat()}
        if self.center:
            params["center"] = self.center.pk
        if self.source:
            params["source"] = self.source
        if self.counselor:
            params["assigned_to"] = self.counselor.pk
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)


def _date(value) -> datetime.date | None:
    return clean_date(value)  # YYYY-MM-DD within 2000-2100, else None


# -- the figures ---------------------------------------------------------------------------------


@dataclass
class FunnelCounts:
    leads: int = 0
    discovery: int = 0
    scheduled: int = 0
    attended: int = 0
    converted: int = 0
    trial: int = 0  # attended a visit (literally, not "or later")
    trial_converted: int = 0

    def add(self, other: FunnelCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def conversion_rate(self) -> float | None:
        return rate(self.converted, self.leads)

    @property
    def trial_rate(self) -> float | None:
        return rate(self.trial_converted, self.trial)

    def steps(self) -> list[dict]:
        values = [self.leads, self.discovery, self.scheduled, self.attended, self.converted]
        out = []
        for i, (key, label, _reached) in enumerate(FUNNEL):
            out.append(
                {
                    "key": key,
                    "label": label,
                    "count": values[i],
                    "step_rate": rate(values[i], values[i - 1]) if i else None,
                    "of_all": rate(values[i], values[0]),
                }
            )
        return out


#: The lead columns the figures statement reads (one row per lead).
LEAD_COLUMNS = (
    "center_id",
    "source",
    "created_at",
    "status",
    "closed_reason_category",
    "status_changed_at",
    *STAY_FIELDS.values(),
    "repeat_stays",
    "discovery_reached_at",
    "iv_scheduled_reached_at",
    "iv_attended_at",
    "converted_at",
    "first_contact_at",
)


#: Columns of the one row of overall figures, after the 7 funnel counts: conversion and first
#: contact (avg, median, n), then per open status: stays, median, avg.
STAGE_COLUMNS = 3
WIDTH = 7 + 6 + STAGE_COLUMNS * len(STAY_FIELDS)


def _row(kind: int, group: str, second: str, values: list[str]) -> str:
    """`SELECT kind, group, second, values…` padded with NULLs to the statement's width."""
    return f"SELECT {kind}, {group}, {second}, {', '.join([*values, *['NULL'] * (WIDTH - len(values))])}"


def _figures_sql(base_sql: str) -> str:
    """Every figure but the follow-ups in one statement, as rows tagged by their first column:
    0 = counts by (center, source), 1 = overall counts, times and time in stage, 2 = leads by
    (status, closure reason): in each status now, stuck there, and the closure reasons.

    One row per lead, never the status history: the lifecycle verbs keep each lead's milestones
    (`Lead.discovery_reached_at` and the rest, see `leads.models.lead.MILESTONE_MOVES`), the days
    of its first stay in each open status it left (`Lead.days_in_<status>`), its rare later stays
    (`repeat_stays`, JSON) and when it entered its current status (`status_changed_at`).

    Time in stage takes one pass: each lead row carries, per status, its first stay (or the one it
    is in now); the rare second stays come as extra rows (`lead` = 0) under the same columns, so
    every median sorts only its own status's stays. Measured at 100,000 leads, unnesting a JSON
    list of every stay cost more than the rest of the statement, and grouping the stays by status
    cost a sort of all of them. Parameters, in order: now; the stale threshold; the base query's.
    """
    days = sql.days_between
    stays = list(STAY_FIELDS.items())
    repeats_join, repeat_status, repeat_days = sql.json_pairs("r.repeat_stays", "s")

    def flag(condition: str) -> str:
        return f"CASE WHEN {condition} THEN 1 ELSE 0 END"

    def real(expression: str) -> str:
        return f"CAST({expression} AS DOUBLE PRECISION)"

    flags = ["r_discovery", "r_scheduled", "r_attended", "r_converted", "att"]
    counts = ["SUM(x.lead)", *(f"SUM(x.{name})" for name in flags), "SUM(x.att * x.r_converted)"]
    first_stay = [
        f"COALESCE(f.{name}, CASE WHEN f.status = '{status}' THEN f.now_days END) AS v{i}"
        for i, (status, name) in enumerate(stays)
    ]
    again_now = [f"CASE WHEN f.status = '{status}' THEN f.now_days END" for status, _name in stays]
    again_before = [f"CASE WHEN rep.status = '{status}' THEN rep.d END" for status, _name in stays]
    # Its current status's first-stay column is filled: the lead is back in a status it had left.
    back_in = f"CASE f.status {' '.join(f"WHEN '{status}' THEN f.{name}" for status, name in stays)} END IS NOT NULL"
    no_lead = "0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    overall = [
        *counts,
        real(f"AVG({days('x.conv_at', 'x.created_at')})"),
        real(sql.median(days("x.conv_at", "x.created_at"))),
        "COUNT(x.conv_at)",
        real(f"AVG({days('x.contact_at', 'x.created_at')})"),
        real(sql.median(days("x.contact_at", "x.created_at"))),
        "COUNT(x.contact_at)",
    ]
    for i in range(len(stays)):
        overall += [f"COUNT(x.v{i})", real(sql.median(f"x.v{i}")), real(f"AVG(x.v{i})")]
    return f"""
    WITH f AS (
        SELECT b.center_id, b.source, b.created_at, b.status, b.closed_reason_category,
            {days("%s", "b.status_changed_at")} AS now_days, {flag("b.status_changed_at < %s")} AS stuck,
            {", ".join(f"b.{name}" for _status, name in stays)}, b.repeat_stays,
            {flag("b.discovery_reached_at IS NOT NULL")} AS r_discovery,
            {flag("b.iv_scheduled_reached_at IS NOT NULL")} AS r_scheduled,
            {flag("b.iv_attended_at IS NOT NULL OR b.converted_at IS NOT NULL")} AS r_attended,
            {flag("b.converted_at IS NOT NULL")} AS r_converted,
            {flag("b.iv_attended_at IS NOT NULL")} AS att,
            b.converted_at AS conv_at, b.first_contact_at AS contact_at
        FROM ({base_sql}) b
    ),
    rep AS (
        -- Later stays the lead left (a second visit, a reopened lead): few.
        SELECT {repeat_status} AS status, {repeat_days} AS d
        FROM (SELECT f.repeat_stays FROM f WHERE f.repeat_stays IS NOT NULL) r {repeats_join}
    ),
    x AS (
        -- Each lead with, per open status, its first stay (left, or the one it is in now) ...
        SELECT 1 AS lead, {", ".join(f"f.{name}" for name in flags)}, f.conv_at, f.contact_at, f.created_at,
            f.status, f.stuck, {", ".join(first_stay)}
        FROM f
        UNION ALL
        -- ... a lead back in a status it had left: the stay it is in now ...
        SELECT {no_lead}, {", ".join(again_now)} FROM f WHERE {back_in}
        UNION ALL
        -- ... and its later stays it left.
        SELECT {no_lead}, {", ".join(again_before)} FROM rep
    )
    {_row(0, "center_id", "source", ["COUNT(*)", *(f"SUM({name})" for name in flags), "SUM(att * r_converted)"])}
    FROM f GROUP BY center_id, source
    UNION ALL
    {_row(1, "NULL", "NULL", overall)}
    FROM x
    UNION ALL
    {_row(2, "NULL", "status || ':' || closed_reason_category", ["COUNT(*)", "SUM(stuck)"])}
    FROM f GROUP BY status, closed_reason_category
    """


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
        rows = []
        for value, label in LeadSource.choices:
            counts = self.by_source.get(value)
            if counts is None or not counts.leads:
                continue
            rows.append({"source": value, "label": label, "counts": counts, "rate": counts.conversion_rate})
        return sorted(rows, key=lambda r: -r["counts"].leads)

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
        names = {c.pk: c for c in self.filters.centers}
        return [
            {"center": names.get(pk), "counts": counts}
            for pk, counts in sorted(self.by_center.items(), key=lambda item: str(names.get(item[0])))
        ]


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
    board = Dashboard(filters=filters, now=now)
    base_sql, base_params = filters.leads(user).order_by().values(*LEAD_COLUMNS).query.sql_with_params()
    stale_before = now - datetime.timedelta(days=STALE_AFTER_DAYS)
    params = [sql.param(now), sql.param(stale_before), *base_params]
    with connection.cursor() as cursor:
        cursor.execute(_figures_sql(base_sql), params)
        rows = cursor.fetchall()

    closed: dict[str, int] = {}
    in_status: dict[str, tuple[int, int]] = {}  # status: (leads in it now, of them stuck)
    stays: list[tuple] = []
    for row in rows:
        kind, values = row[0], row[3:]
        if kind in (0, 1):
            counts = FunnelCounts(*(int(v or 0) for v in values[:7]))
        if kind == 0:
            board.by_source.setdefault(row[2], FunnelCounts()).add(counts)
            board.by_center.setdefault(row[1], FunnelCounts()).add(counts)
        elif kind == 1:
            board.total = counts
            board.time_to_conversion = {
                "avg": _round(values[7]),
                "median": _round(values[8]),
                "n": int(values[9] or 0),
            }
            board.first_contact = {"avg": _round(values[10]), "median": _round(values[11]), "n": int(values[12] or 0)}
            stays = [values[13 + STAGE_COLUMNS * i : 13 + STAGE_COLUMNS * (i + 1)] for i in range(len(STAY_FIELDS))]
        elif kind == 2:
            status, category = row[2].split(":")
            now_in, stuck = in_status.get(status, (0, 0))
            in_status[status] = (now_in + int(values[0]), stuck + int(values[1] or 0))
            if status == LeadStatus.CLOSED_LOST:
                closed[category] = int(values[0])
    for status, (entries, median, avg) in zip(STAY_FIELDS, stays, strict=True):
        now_in, stuck = in_status.get(status, (0, 0))
        board.stages.append(
            {
                "status": status,
                "label": LeadStatus(status).label,
                "entries": int(entries or 0),
                "median": _round(median),
                "avg": _round(avg),
                "now": now_in,
                "stuck": stuck,
                "stale": median is not None and _round(median) > STALE_AFTER_DAYS,
            }
        )

    total_closed = sum(closed.values())
    board.closures = [
        {
            "category": value,
            "label": label,
            "count": closed.get(value, 0),
            "share": rate(closed.get(value, 0), total_closed),
        }
        for value, label in ClosedReason.choices
    ]
    if closed.get(""):
        board.closures.append(
            {"category": "", "label": "Not given", "count": closed[""], "share": rate(closed[""], total_closed)}
        )
    board.follow_ups = follow_up_effectiveness(user, filters, now)
    return board


def follow_up_queryset(user: User, filters: Filters) -> QuerySet:
    """Follow-ups scheduled in the range, of leads of the chosen center and source (any creation date).

    Filtered through the join to the lead (not `lead__in`, which would hash every lead of the center).
    "Counselor" means the follow-up's assignee here, applied by the callers.
    """
    queryset = FollowUp.objects.for_user(user).filter(
        scheduled_date__gte=filters.start, scheduled_date__lte=filters.end
    )
    if filters.center is not None:
        queryset = queryset.filter(lead__center=filters.center)
    if filters.source:
        queryset = queryset.filter(lead__source=filters.source)
    return queryset


def follow_up_filters(today: datetime.date) -> dict[str, Q]:
    window = datetime.timedelta(days=CONVERSION_WINDOW_DAYS)
    done = Q(status=FollowUpStatus.COMPLETED)
    filters = {
        "on_time": done & Q(completed_at__date__lte=F("scheduled_date")),
        "late": done & Q(completed_at__date__gt=F("scheduled_date")),
        "overdue": Q(status=FollowUpStatus.PENDING, scheduled_date__lt=today),
        "upcoming": Q(status=FollowUpStatus.PENDING, scheduled_date__gte=today),
        "cancelled": Q(status=FollowUpStatus.CANCELLED),
    }
    for outcome in FollowUpOutcome:
        filters[f"outcome_{outcome.value}"] = done & Q(outcome=outcome)
    filters["converted_30"] = done & Q(
        lead__converted_at__gte=F("completed_at"), lead__converted_at__lte=F("completed_at") + window
    )
    return filters


def follow_up_effectiveness(user: User, filters: Filters, now: datetime.datetime) -> list[dict]:
    # "On time" compares the completion's calendar day with the scheduled date, in the center's time.
    with timezone.override(filters.tz):
        return _follow_up_effectiveness(user, filters, now)


def _follow_up_effectiveness(user: User, filters: Filters, now: datetime.datetime) -> list[dict]:
    today = timezone.localdate(now, timezone=filters.tz)
    queryset = follow_up_queryset(user, filters)
    if filters.counselor is not None:
        queryset = queryset.filter(assigned_to=filters.counselor)
    annotations = {
        name: Count("lead", distinct=True, filter=q) if name == "converted_30" else Count("pk", filter=q)
        for name, q in follow_up_filters(today).items()
    }
    # Grouped by the assignee's id only: sorting every follow-up by name cost more than one query
    # for the few names (measured at 100,000 leads).
    rows = list(queryset.values("assigned_to").annotate(total=Count("pk"), **annotations).order_by())
    people = User.objects.filter(pk__in=[row["assigned_to"] for row in rows if row["assigned_to"]])
    names = {u.pk: (u.first_name, u.last_name, u.username) for u in people.only("first_name", "last_name", "username")}
    out = []
    for row in rows:
        first, last, username = names.get(row["assigned_to"], (None, None, None))
        row.update(assigned_to__first_name=first, assigned_to__last_name=last, assigned_to__username=username)
        name = f"{first or ''} {last or ''}".strip()
        row["name"] = name or username or "Unassigned"
        row["on_time_rate"] = rate(row["on_time"], row["on_time"] + row["late"])
        row["outcomes"] = [(o.value, o.label, row[f"outcome_{o.value}"]) for o in FollowUpOutcome]
        out.append(row)
    # By first name then username, the unassigned last.
    return sorted(
        out,
        key=lambda r: (
            r["assigned_to__username"] is None,
            r["assigned_to__first_name"] or "",
            r["assigned_to__username"] or "",
        ),
    )


# -- drill-down ----------------------------------------------------------------------------------


def drill_down(user: User, filters: Filters, query, *, now: datetime.datetime | None = None) -> tuple[QuerySet, str]:
    """The leads behind one figure, and a sentence saying which; same definitions as `build`."""
    now = now or timezone.now()
    step = query.get("step", "")
    if query.get("fu"):
        return _follow_up_leads(user, filters, query, now)
    leads = filters.leads(user)
    label = "Leads created"
    reached = STEP_FILTERS.get(step) or EXTRA_STEPS.get(step)
    if reached:
        leads = leads.filter(reached)
        label = dict((k, lbl) for k, lbl, _r in FUNNEL).get(step, "Attended an intro visit")
        if step in STEP_FILTERS:
            label = f"Reached “{label}” or later"
    if query.get("converted") == "1":
        leads = leads.filter(converted_at__isnull=False)
        label += ", converted"
    if query.get("stage") in LeadStatus.values:
        status = LeadStatus(query["stage"])
        leads = leads.filter(status=status)
        label = f"Now in “{status.label}”"
        if query.get("stuck") == "1":
            leads = leads.filter(status_changed_at__lt=now - datetime.timedelta(days=STALE_AFTER_DAYS))
            label += f" for more than {STALE_AFTER_DAYS} days"
    if query.get("closed") is not None and query.get("closed") in ["", *ClosedReason.values] and "closed" in query:
        leads = leads.filter(status=LeadStatus.CLOSED_LOST, closed_reason_category=query["closed"])
        label = f"Closed: {dict(ClosedReason.choices).get(query['closed'], 'reason not given')}"
    if query.get("lead_source") in LeadSource.values:
        leads = leads.filter(source=query["lead_source"])
        label += f" · source {LeadSource(query['lead_source']).label}"
    if lead_center := clean_id(query.get("lead_center")):
        leads = leads.filter(center_id=lead_center)
        label += " · one center"
    return leads, label


def _follow_up_leads(user, filters, query, now) -> tuple[QuerySet, str]:
    today = timezone.localdate(now, timezone=filters.tz)
    kind = query.get("fu")
    conditions = follow_up_filters(today)
    follow_ups = follow_up_queryset(user, filters)
    assignee = filters.counselor.pk if filters.counselor else query.get("assignee")
    if assignee_id := clean_id(assignee):
        follow_ups = follow_ups.filter(assigned_to_id=assignee_id)
    elif assignee == "none":
        follow_ups = follow_ups.filter(assigned_to__isnull=True)
    if kind in conditions:
        with timezone.override(filters.tz):
            follow_ups = follow_ups.filter(conditions[kind])
    label = "Leads of follow-ups scheduled in the range" + (f" · {kind.replace('_', ' ').lower()}" if kind else "")
    return Lead.objects.for_user(user).filter(pk__in=follow_ups.values("lead_id")), label
