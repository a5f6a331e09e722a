"""Time to conversion: days from the enquiry to the conversion."""

from __future__ import annotations

import datetime

from insights import sql
from insights.metrics.rates import rounded
from insights.metrics.statement import OVERALL, Part, Result, count, real

DEFINITION = "Days from the enquiry to the conversion, for leads created in the range and converted."


def part(now: datetime.datetime) -> Part:
    return Part(
        fields=("created_at", "converted_at"),
        per_lead={"conversion_days": sql.days_between("b.converted_at", "b.created_at")},
        aggregates={
            OVERALL: {
                "conversion_avg_days": real("AVG(conversion_days)"),
                "conversion_median_days": real(sql.median("conversion_days")),
                "conversion_leads": count("conversion_days"),
            }
        },
    )


def read(result: Result) -> dict:
    row = result.overall
    return {
        "avg": rounded(row["conversion_avg_days"]),
        "median": rounded(row["conversion_median_days"]),
        "n": int(row["conversion_leads"] or 0),
    }
