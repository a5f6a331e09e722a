"""The few SQL spellings that differ between PostgreSQL and SQLite, for the dashboard's queries."""

from __future__ import annotations

import re
import statistics
from typing import NamedTuple

from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver


def days_between(later: str, earlier: str) -> str:
    """SQL for `later - earlier` in (fractional) days."""
    if connection.vendor == "postgresql":
        # date_part gives double precision; EXTRACT gives numeric, several times slower to sum and sort.
        return f"(date_part('epoch', {later} - {earlier}) / 86400.0)"
    return f"(julianday({later}) - julianday({earlier}))"


def median(expression: str) -> str:
    """SQL aggregate: the median of `expression`, ignoring NULLs."""
    if connection.vendor == "postgresql":
        return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expression})"
    return f"insights_median({expression})"


class JsonPairs(NamedTuple):
    join: str  # to append after the table
    text: str  # each pair's text
    number: str  # each pair's number


def json_pairs(column: str, alias: str) -> JsonPairs:
    """Unnest a JSON list of `[text, number]` pairs held in `column`, one row per pair."""
    if connection.vendor == "postgresql":
        return JsonPairs(
            join=f"CROSS JOIN LATERAL jsonb_array_elements({column}) AS {alias}(v)",
            text=f"({alias}.v ->> 0)",
            number=f"CAST({alias}.v ->> 1 AS DOUBLE PRECISION)",
        )
    return JsonPairs(
        join=f"JOIN json_each({column}) AS {alias}",
        text=f"json_extract({alias}.value, '$[0]')",
        number=f"json_extract({alias}.value, '$[1]')",
    )


def literals(values) -> str:
    """`'a', 'b'` for code constants (enum values); anything else is refused, never quoted."""
    values = [str(v) for v in values]
    if not all(re.fullmatch(r"[A-Za-z_]+", v) for v in values):
        raise ValueError(f"Not a plain constant: {values}")
    return ", ".join(f"'{v}'" for v in values)


def param(value):
    """A datetime parameter as the backend stores it (SQLite compares text)."""
    return connection.ops.adapt_datetimefield_value(value)


class _Median:
    def __init__(self):
        self.values: list[float] = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


@receiver(connection_created)
def _register_sqlite_median(sender, connection, **kwargs):
    # PostgreSQL has percentile_cont; SQLite gets the same median as a Python aggregate.
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("insights_median", 1, _Median)
