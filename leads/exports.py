"""The one CSV and XLSX writer every export uses (leads list, dashboard tables, the leads behind a figure).

    return csv_response("leads-2026-09-01.csv", ["Enquiry ID", "Child"], rows)
    return xlsx_response("leads-2026-09-01.xlsx", ["Enquiry ID", "Child"], rows)

Rows hold typed values: text, numbers, `datetime.date`, naive `datetime.datetime` in the center's
time (`local()`), None, and `Text` for text that must never become a number (phone numbers).

- Streamed. The CSV is written row by row while it downloads; the XLSX (openpyxl's write-only
  mode) is written row by row to a temporary file, then sent from it in chunks: neither holds the
  rows in memory. Callers read their rows with `.iterator(chunk_size=...)`.
- The first row is made before the response starts, so the query runs (and fails, if it does)
  while an error page can still be sent: a download never stops after its headers.
- CSV: a UTF-8 byte-order mark first, so Excel reads "आरव" and "Zoë 🦄" as written; dates
  `2026-09-01`, date-times `2026-09-01 16:00` (ISO, with the year; Excel and LibreOffice read both).
- XLSX: typed cells: dates and date-times as dates (`yyyy-mm-dd`, `yyyy-mm-dd hh:mm`), numbers as
  numbers, text (and every `Text`) as a string cell.
- No cell runs as a spreadsheet formula (CSV injection): any text starting with = + - @, a tab or
  a carriage return is neutralised. In the CSV it gets a leading apostrophe, the spreadsheets' own
  "this is text" mark. In the XLSX it is a string cell (never a formula, which openpyxl would make
  of "=..." by itself) with Excel's quote-prefix flag, so re-editing the cell keeps it text; the
  value stays as written. Numbers (int, float, Decimal) are written as numbers.
- Phone numbers are `Text` in the app's own form, "+91 98100 55501": the spaces keep it from ever
  reading as a number, and as it starts with "+" the CSV writes "'+91 98100 55501" (Excel and
  LibreOffice show it as text, never as 9.19810E+11 or a formula); the XLSX cell is text.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Bytes of the finished workbook sent per chunk.
FILE_CHUNK = 64 * 1024
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


class Text(str):
    """Text that stays text in every format, even when it looks like a number (a phone number)."""


def local(value: datetime.datetime | None, center) -> datetime.datetime | None:
    """An aware date-time as the center's wall-clock time (naive: spreadsheets have no time zones)."""
    if value is None:
        return None
    return timezone.localtime(value, center.tzinfo).replace(tzinfo=None, second=0, microsecond=0)


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def cell(value) -> str | int | float | Decimal:
    """One value as written to the CSV: None is empty, numbers stay numbers, dates ISO, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if is_formula_like(text):
        return f"'{text}"
    return text


class _Echo:
    """csv.writer writes a row to this and gets the line back, to stream it."""

    def write(self, value: str) -> str:
        return value


def _first_and_rest(rows: Iterable[Sequence]) -> tuple[Sequence | None, Iterator[Sequence]]:
    rows = iter(rows)
    return next(rows, None), rows  # runs the query now, before the response has started


def _download(content, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A CSV download of `header` and `rows` (any iterable, e.g. a generator over `.iterator()`)."""
    writer = csv.writer(_Echo())
    first, rest = _first_and_rest(rows)

    def lines():
        yield BOM + writer.writerow([cell(value) for value in header])
        if first is not None:
            yield writer.writerow([cell(value) for value in first])
        for row in rest:
            yield writer.writerow([cell(value) for value in row])

    return _download(lines(), "text/csv; charset=utf-8", filename)


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], *, widths: Sequence[int] = ()
) -> StreamingHttpResponse:
    """An XLSX download of `header` and `rows`: one sheet, typed cells, the header row frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads" if filename.startswith("leads") else "Export")
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)

    def typed(value):
        if value is None:
            return None
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int | float | Decimal):
            return value
        if isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value).replace(tzinfo=None)
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = DATETIME_FORMAT
            return written
        if isinstance(value, datetime.date):
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = DATE_FORMAT
            return written
        text = str(value)
        if not is_formula_like(text) and not isinstance(value, Text):
            return text
        written = WriteOnlyCell(sheet, value=text)
        written.data_type = "s"  # a string, never a formula (openpyxl makes "=..." one by itself)
        written.quotePrefix = is_formula_like(text)  # Excel's "typed with an apostrophe": stays text
        return written

    def header_cell(title: str):
        written = WriteOnlyCell(sheet, value=str(title))
        written.data_type = "s"
        written.font = bold
        return written

    first, rest = _first_and_rest(rows)
    sheet.append([header_cell(title) for title in header])
    if first is not None:
        sheet.append([typed(value) for value in first])
    for row in rest:
        sheet.append([typed(value) for value in row])
    # openpyxl writes the rows to its own temporary file as they come; the finished workbook goes
    # to another one (deleted when closed) and is sent from there in chunks.
    archive = tempfile.TemporaryFile()  # noqa: SIM115  (closed by chunks() once sent)
    workbook.save(archive)
    size = archive.tell()
    archive.seek(0)

    def chunks():
        try:
            while block := archive.read(FILE_CHUNK):
                yield block
        finally:
            archive.close()

    response = _download(chunks(), XLSX_TYPE, filename)
    response["Content-Length"] = str(size)
    return response
