"""The one CSV writer every export uses (leads list, dashboard tables, the leads behind a figure).

    return csv_response("leads-2026-09-01.csv", ["Enquiry ID", "Child"], rows)

- Streamed, so 10,000 rows cost no memory; the first row is made before the response starts, so
  the query runs (and fails, if it does) while an error page can still be sent: a download never
  stops after its headers.
- A UTF-8 byte-order mark first, so Excel reads "Aarav Gupta" and "Zoë" as written.
- No cell runs as a spreadsheet formula (CSV injection): text starting with = + - @, a tab or a
  carriage return gets a leading apostrophe. Plain numbers ("-3", "+919876543210") are left as
  they are: they cannot call anything, and a phone number stays searchable.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def cell(value) -> str | int | float | Decimal:
    """One value as written to the CSV: None is empty, numbers stay numbers, text is neutralised."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.date):  # datetimes too; callers format them in the center's time
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


class _Echo:
    """csv.writer writes a row to this and gets the line back, to stream it."""

    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A CSV download of `header` and `rows` (any iterable, e.g. a generator over `.iterator()`)."""
    writer = csv.writer(_Echo())
    rows = iter(rows)
    first = next(rows, None)  # runs the query now, before the response has started

    def lines():
        yield BOM + writer.writerow([cell(value) for value in header])
        if first is not None:
            yield writer.writerow([cell(value) for value in first])
        for row in rows:
            yield writer.writerow([cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
