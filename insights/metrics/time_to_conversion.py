"""Time to conversion: days from the enquiry to the conversion."""

from __future__ import annotations

import datetime

from insights.metrics.durations import days_part, read_days
from insights.metrics.statement import Part, Result

DEFINITION = "Days from the enquiry to the conversion, for leads created in the range and converted."


def part(now: datetime.datetime) -> Part:
    return days_part("conversion", "converted_at")


def read(result: Result) -> dict:
    return read_days(result, "conversion")
