"""The figures statement: every figure but the follow-ups in one SQL statement, every column named.

Each figure module says what it adds as a `Part`: the lead fields it reads, the values it works
out once per lead, and its aggregates per grouping, each under its own name. `statement()` lays
every SELECT of the statement's UNIONs out in one order of names, so a value cannot land under
another's name, and `run()` returns each row as a dict keyed by the names the database reports
(`cursor.description`). A new figure is one module with a `part()` and a reader; nothing else
counts columns.

The layout (one row per lead, never the status history: the lifecycle verbs keep each lead's
milestones, see `leads.models.lead.MILESTONE_MOVES`):

    WITH f AS (SELECT <grouping keys, the parts' kept fields, `1 AS lead`, the parts' per-lead values>
               FROM (<the filtered leads>) b),
         <the parts' own CTEs>,
         x AS (SELECT <per-lead values, the parts' x columns> FROM f
               UNION ALL <the parts' extra rows, NULL in the lead's columns>)
    SELECT 'center_source' AS part, ... FROM f GROUP BY center_id, source
    UNION ALL SELECT 'overall' AS part, ... FROM x
    UNION ALL SELECT 'status_reason' AS part, ... FROM f GROUP BY status, closed_reason_category

`x` exists for time in stage: a lead's later stays in a status are extra rows under the same
columns, so every median sorts only its own status's stays in the same pass as the counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection

#: The statement's groupings, one SELECT each: (the relation it reads, {key column: its SQL type}).
CENTER_SOURCE = "center_source"
OVERALL = "overall"
STATUS_REASON = "status_reason"
GROUPINGS: dict[str, tuple[str, dict[str, str]]] = {
    CENTER_SOURCE: ("f", {"center_id": "BIGINT", "source": "TEXT"}),
    OVERALL: ("x", {}),
    STATUS_REASON: ("f", {"status": "TEXT", "closed_reason_category": "TEXT"}),
}
_NAME = re.compile(r"[a-z][a-z0-9_]*")  # unquoted, so PostgreSQL reports it as written


class Expr(NamedTuple):
    """SQL with its own parameters, which travel with it to wherever it lands in the statement."""

    sql: str
    params: tuple = ()


class Agg(NamedTuple):
    """An aggregate and its SQL type (the other groupings put a NULL of that type in its column:
    PostgreSQL resolves a UNION's types pair by pair, and NULL with NULL would make it text)."""

    sql: str
    type: str


def total(column: str) -> Agg:
    """The sum of a per-lead 0/1 flag (or of `lead`, i.e. the number of leads)."""
    return Agg(f"SUM({column})", "BIGINT")


def count(expression: str) -> Agg:
    return Agg(f"COUNT({expression})", "BIGINT")


def real(expression: str) -> Agg:
    return Agg(f"CAST({expression} AS DOUBLE PRECISION)", "DOUBLE PRECISION")


def flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


@dataclass(frozen=True)
class ExtraRows:
    """Rows appended to `x` under the leads' own: `source` is what follows FROM, `values` the x
    columns they fill (SQL without parameters); every other column is NULL there."""

    source: str
    values: Mapping[str, str]


@dataclass(frozen=True)
class Part:
    """What one figure adds to the statement; every mapping is name -> SQL."""

    #: Lead fields its per-lead values read from the lead row `b`.
    fields: Sequence[str] = ()
    #: Lead fields `f` keeps as they are, for the part's CTEs and x columns. Only those: `f` is
    #: materialised and read several times, so it carries no more than the later steps need.
    keep: Sequence[str] = ()
    #: Values worked out once per lead in `f` from the lead row `b`; `x` carries them too.
    per_lead: Mapping[str, str | Expr] = field(default_factory=dict)
    #: Further columns of a lead's row in `x`, SQL over `f`.
    x_columns: Mapping[str, str] = field(default_factory=dict)
    extra_rows: Sequence[ExtraRows] = ()
    #: CTEs between `f` and `x` (they may read `f`).
    ctes: Mapping[str, str] = field(default_factory=dict)
    #: Per grouping (CENTER_SOURCE, OVERALL, STATUS_REASON): output column -> aggregate.
    aggregates: Mapping[str, Mapping[str, Agg]] = field(default_factory=dict)


def _merge(into: dict, more: Mapping, what: str) -> None:
    """Two figures may declare the same name only with the same SQL (closures and time in stage
    both count the leads per status)."""
    for name, value in more.items():
        if not _NAME.fullmatch(name):
            raise ValueError(f"{what} {name!r}: lower-case letters, digits and _ only.")
        if into.setdefault(name, value) != value:
            raise ValueError(f"Two figures define the {what} {name!r} differently.")


def _keys() -> list[str]:
    return [key for _source, keys in GROUPINGS.values() for key in keys]


def lead_fields(parts: Sequence[Part]) -> list[str]:
    """The lead fields the statement reads: the grouping keys, then each part's."""
    return list(dict.fromkeys([*_keys(), *(name for part in parts for name in (*part.fields, *part.keep))]))


def statement(parts: Sequence[Part], base_sql: str, base_params: Sequence) -> tuple[str, list]:
    """The figures statement over `base_sql` (the filtered leads, selecting `lead_fields(parts)`)."""
    kept = list(dict.fromkeys([*_keys(), *(name for part in parts for name in part.keep)]))
    per_lead: dict[str, str | Expr] = {"lead": "1"}
    x_columns: dict[str, str] = {}
    ctes: dict[str, str] = {}
    aggregates: dict[str, dict[str, Agg]] = {grouping: {} for grouping in GROUPINGS}
    for part in parts:
        _merge(per_lead, part.per_lead, "per-lead value")
        _merge(x_columns, part.x_columns, "x column")
        _merge(ctes, part.ctes, "CTE")
        for grouping, columns in part.aggregates.items():
            _merge(aggregates[grouping], columns, "column")
    if clash := (set(lead_fields(parts)) & set(per_lead)) | (set(per_lead) & set(x_columns)):
        raise ValueError(f"Names used twice: {sorted(clash)}")

    keys = {key: kind for _source, grouping_keys in GROUPINGS.values() for key, kind in grouping_keys.items()}
    types = dict(keys)  # every output column after `part`, in the order of every SELECT
    for columns in aggregates.values():
        for name, agg in columns.items():
            if name in (*keys, "part") or types.setdefault(name, agg.type) != agg.type:
                raise ValueError(f"Column {name!r} is a grouping key, `part`, or has two types.")

    lead_values = {name: value if isinstance(value, Expr) else Expr(value) for name, value in per_lead.items()}
    f = _select([*(f"b.{name}" for name in kept), *(f"{v.sql} AS {name}" for name, v in lead_values.items())])
    # The lead's row comes first, so its types decide the column types of `x` (extra rows: NULL).
    x_names = [*per_lead, *x_columns]
    x_rows = [_select([*(f"f.{name} AS {name}" for name in per_lead), *_named(x_columns)]) + " FROM f"]
    for extra in (extra for part in parts for extra in part.extra_rows):
        if unknown := set(extra.values) - set(x_columns):
            raise ValueError(f"Extra rows fill columns x does not have: {sorted(unknown)}")
        x_rows.append(
            _select(_named({name: extra.values.get(name, "NULL") for name in x_names})) + f" FROM {extra.source}"
        )

    selects = []
    for grouping, (source, grouping_keys) in GROUPINGS.items():
        columns = {"part": f"'{grouping}'"}
        for name, kind in types.items():
            agg = aggregates[grouping].get(name)
            columns[name] = name if name in grouping_keys else agg.sql if agg else f"CAST(NULL AS {kind})"
        group_by = f" GROUP BY {', '.join(grouping_keys)}" if grouping_keys else ""
        selects.append(f"{_select(_named(columns))} FROM {source}{group_by}")

    ctes_sql = [f"f AS ({f} FROM ({base_sql}) b)", *(f"{name} AS ({sql})" for name, sql in ctes.items())]
    ctes_sql.append(f"x AS ({' UNION ALL '.join(x_rows)})")
    text = f"WITH {', '.join(ctes_sql)} {' UNION ALL '.join(selects)}"
    # Parameters in the order of their placeholders: the per-lead values' in `f`, then the base query's.
    return text, [*(param for v in lead_values.values() for param in v.params), *base_params]


def _named(columns: Mapping[str, str]) -> list[str]:
    return [f"{sql} AS {name}" for name, sql in columns.items()]


def _select(columns: Sequence[str]) -> str:
    return f"SELECT {', '.join(columns)}"


@dataclass
class Result:
    """The statement's rows by grouping, each row a dict by column name."""

    center_source: list[dict]
    overall: dict
    status_reason: list[dict]


def run(parts: Sequence[Part], base_sql: str, base_params: Sequence) -> Result:
    text, params = statement(parts, base_sql, base_params)
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    by_part: dict[str, list[dict]] = {grouping: [] for grouping in GROUPINGS}
    for row in rows:
        by_part[row["part"]].append(row)
    (overall,) = by_part[OVERALL]  # an aggregate without GROUP BY: always one row
    return Result(by_part[CENTER_SOURCE], overall, by_part[STATUS_REASON])
