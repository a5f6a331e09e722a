"""The one CSV writer (leads/exports.py) and every export that uses it."""

import codecs
import csv
import datetime
import io

import pytest
from django.utils import timezone

from leads.exports import FORMULA_STARTS, cell, csv_response
from leads.models import FollowUp, IntroVisit, IVOutcome
from leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db
HOSTILE = '=HYPERLINK("x")'


# -- the writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [HOSTILE, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_would_run_as_a_formula_gets_an_apostrophe(text):
    assert cell(text) == f"'{text}"


@pytest.mark.parametrize("text", ["+919876543210", "-3", "+91 98100 55501"])
def test_text_that_a_spreadsheet_would_read_as_a_number_or_formula_gets_an_apostrophe(text):
    # "+919876543210" opened in Excel became 9.19877E+11 (or a formula): text stays text.
    assert cell(text) == f"'{text}"


@pytest.mark.parametrize("value", ["Aarav = Mehr", "", "आरव 🦄", 12, -1.5, -3])
def test_numbers_and_other_text_stay_as_written(value):
    assert cell(value) == value


def test_none_is_empty_and_dates_are_iso():
    assert (cell(None), cell(datetime.date(2026, 9, 1))) == ("", "2026-09-01")


def test_download_starts_with_a_bom_and_names_the_file():
    response = csv_response("funnel-2026-09-01.csv", ["Step", "Zoë"], [[HOSTILE, None]])
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8 + "Step,Zoë\r\n".encode())
    assert body.decode("utf-8-sig").splitlines()[1] == '"\'=HYPERLINK(""x"")",'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="funnel-2026-09-01.csv"'


def test_a_failing_query_fails_before_the_download_starts():
    # The first row is made before the response exists: an error gets a proper error page instead
    # of a 200 whose file stops after its headers.
    def rows():
        raise OverflowError("date value out of range")
        yield []

    with pytest.raises(OverflowError):
        csv_response("leads.csv", ["Enquiry ID"], rows())


# -- every export --------------------------------------------------------------------------------

TABLES = ["funnel", "sources", "rates", "stages", "follow_ups", "closures", "centers"]
EXPORTS = [
    ("/leads/export.csv", {}, True),
    ("/insights/leads/", {"format": "csv"}, True),
    *(("/insights/dashboard.csv", {"table": table}, table in ("follow_ups", "centers")) for table in TABLES),
]


@pytest.fixture
def hostile(c):
    """A child, a counselor and a center whose names are spreadsheet formulas."""
    c.center.name = HOSTILE
    c.center.save()
    c.counselor.first_name = HOSTILE
    c.counselor.save()
    child = {"first_name": HOSTILE, "last_name": "", "dob": datetime.date(2020, 6, 15), "gender": "Girl"}
    lead = make_lead(c.center, c.counselor, child=child, assigned_to=c.counselor)
    lead.add_follow_up(scheduled_date=datetime.date.today(), by=c.counselor)
    return lead


@pytest.mark.parametrize(("url", "params", "shows_a_name"), EXPORTS)
def test_every_export_neutralises_formulas_and_starts_with_a_bom(client, c, hostile, url, params, shows_a_name):
    client.force_login(c.admin)
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8)
    cells = [value for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for value in row]
    assert not [value for value in cells if value.startswith(FORMULA_STARTS) and cell(value) != value]
    if shows_a_name:
        assert any(value.startswith(f"'{HOSTILE}") for value in cells)  # the child, counselor or center


# -- the leads export: CSV and XLSX --------------------------------------------------------------

XLSX_URL = "/leads/export.xlsx"
CSV_URL = "/leads/export.csv"


@pytest.fixture
def closed_and_pending(c):
    """A Hindi-named child interested in Gym with a pending follow-up after a no-show, and a closed lead."""
    from leads.models import ClosedReason

    hindi = make_lead(
        c.center,
        c.counselor,
        child={"first_name": "आरव", "last_name": "शर्मा 🦄", "dob": datetime.date(2020, 6, 15), "gender": "Boy"},
        parent={"name": "Anshu Goyal", "phone": "+919810055501", "email": "anshu@example.com"},
        program=c.batch.program,
    )
    # Rows as the verbs leave them; written directly, as the export only reads them (and the
    # scheduling rules for visits and follow-ups are not what this test is about).
    last_week = timezone.now() - datetime.timedelta(days=7)
    IntroVisit.objects.create(lead=hindi, scheduled_at=last_week - datetime.timedelta(days=7), batch=c.batch)
    IntroVisit.objects.create(lead=hindi, scheduled_at=last_week, batch=c.batch, outcome=IVOutcome.NO_SHOW)
    FollowUp.objects.create(lead=hindi, scheduled_date=datetime.datetime(2026, 12, 20, 10, 0, tzinfo=c.center.tzinfo))
    closed = make_lead(c.center, c.counselor)
    closed.close(reason="Fees above budget", category=ClosedReason.PRICE, by=c.counselor)
    return hindi, closed


def _csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx_rows(response):
    from openpyxl import load_workbook

    assert response.streaming
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_leads_csv_opens_in_a_spreadsheet_as_written(client, c, closed_and_pending):
    hindi, closed = closed_and_pending
    client.force_login(c.counselor)
    rows = {row["Enquiry ID"]: row for row in _csv_rows(client.get(CSV_URL))}
    row = rows[hindi.enquiry_id]
    assert row["Child"] == "आरव शर्मा 🦄"
    assert row["Phone"] == "'+91 98100 55501"  # text: never 9.1981E+11, never a formula
    assert row["Date of birth"] == "2020-06-15"
    created = timezone.localtime(hindi.created_at, c.center.tzinfo)
    assert row["Created"] == f"{created:%Y-%m-%d %H:%M}"
    assert row["Program"] == "Gym"
    assert row["Next follow-up"] == "2026-12-20 10:00"  # in the center's clock, with the year
    assert row["Last visit outcome"] == IVOutcome.NO_SHOW.label
    assert (row["Closure category"], row["Closure reason"]) == ("", "")
    assert (rows[closed.enquiry_id]["Closure category"], rows[closed.enquiry_id]["Closure reason"]) == (
        "Price",
        "Fees above budget",
    )
    assert rows[closed.enquiry_id]["Program"] == ""


def test_leads_xlsx_has_typed_columns(client, c, closed_and_pending):
    hindi, closed = closed_and_pending
    client.force_login(c.counselor)
    response = client.get(XLSX_URL)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    rows = {row["Enquiry ID"].value: row for row in _xlsx_rows(response)}
    row = rows[hindi.enquiry_id]
    assert row["Child"].value == "आरव शर्मा 🦄"
    assert (row["Phone"].value, row["Phone"].data_type) == ("+91 98100 55501", "s")
    assert row["Date of birth"].value == datetime.datetime(2020, 6, 15) and row["Date of birth"].is_date
    assert row["Date of birth"].number_format == "yyyy-mm-dd"
    created = timezone.localtime(hindi.created_at, c.center.tzinfo).replace(tzinfo=None, second=0, microsecond=0)
    assert row["Created"].value == created and row["Created"].number_format == "yyyy-mm-dd hh:mm"
    assert row["Days in status"].value == 0 and row["Days in status"].data_type == "n"
    assert row["Next follow-up"].value.date() == datetime.date(2026, 12, 20) and row["Next follow-up"].is_date
    assert (row["Program"].value, row["Last visit outcome"].value) == ("Gym", IVOutcome.NO_SHOW.label)
    assert rows[closed.enquiry_id]["Closure reason"].value == "Fees above budget"


def test_a_formula_for_a_name_never_runs_in_either_format(client, c):
    name = '=HYPERLINK("http://x","y")'
    child = {"first_name": name, "last_name": "", "dob": datetime.date(2020, 6, 15), "gender": "Girl"}
    parent = {"name": "@SUM(A1)", "phone": "+919810055502", "email": ""}
    lead = make_lead(c.center, c.counselor, child=child, parent=parent)
    lead.update_details(school="-2+3", discovery_notes="\tx", by=c.counselor)
    client.force_login(c.counselor)
    [row] = _csv_rows(client.get(CSV_URL))
    assert (row["Child"], row["Parent"], row["School"]) == (f"'{name}", "'@SUM(A1)", "'-2+3")
    [cells] = _xlsx_rows(client.get(XLSX_URL))
    for title, value in (("Child", name), ("Parent", "@SUM(A1)"), ("School", "-2+3")):
        # A string cell (openpyxl would have written "=..." as a formula) marked "typed with an
        # apostrophe", so Excel shows the text and keeps it text when the cell is edited.
        assert (cells[title].value, cells[title].data_type, cells[title].quotePrefix) == (value, "s", True)


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_exports_stream_in_a_flat_number_of_queries(client, c, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leads.demo import bulk_leads
    from leads.views import leads_list

    client.force_login(c.counselor)
    counts = []
    for n in (5, 120):
        bulk_leads(c.center, n, by=c.counselor, seed=n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            body = b"".join(response.streaming_content)
        assert len(body) > 100
        counts.append(len(queries))
        touching_log = [q["sql"] for q in queries.captured_queries if "accounts_accesslog" in q["sql"]]
        assert len(touching_log) == 1 and touching_log[0].startswith("INSERT")  # the export's access-log row
    assert counts[0] == counts[1] <= 7  # 6 + the access-log INSERT
    assert leads_list.EXPORT_CHUNK >= 500  # rows per round trip while streaming


def test_export_links_carry_the_current_filters(client, c):
    client.force_login(c.counselor)
    html = client.get("/leads/", {"source": "REFERRAL", "program": c.batch.program.pk}).content.decode()
    query = f"source=REFERRAL&amp;program={c.batch.program.pk}"
    assert f'id="export-csv" href="{CSV_URL}?{query}"' in html
    assert f'id="export-xlsx" href="{XLSX_URL}?{query}"' in html


def test_exports_read_the_filters_and_stay_in_the_users_centers(client, c, b):
    mine = make_lead(c.center, c.counselor, program=c.batch.program)
    make_lead(c.center, c.counselor)
    make_lead(b.center, b.counselor, program=b.batch.program)
    client.force_login(c.counselor)
    assert [r["Enquiry ID"] for r in _csv_rows(client.get(CSV_URL, {"program": c.batch.program.pk}))] == [
        mine.enquiry_id
    ]
    assert [r["Enquiry ID"].value for r in _xlsx_rows(client.get(XLSX_URL, {"program": c.batch.program.pk}))] == [
        mine.enquiry_id
    ]
    assert client.get(XLSX_URL, {"program": b.batch.program.pk}).status_code == 400  # not one of yours
    client.force_login(c.trainer)
    assert client.get(XLSX_URL).status_code == 403
