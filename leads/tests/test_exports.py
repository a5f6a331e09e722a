"""The one CSV writer (leads/exports.py) and every export that uses it."""

import codecs
import csv
import datetime
import io

import pytest

from leads.exports import FORMULA_STARTS, cell, csv_response
from leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db
HOSTILE = '=HYPERLINK("x")'


# -- the writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [HOSTILE, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_would_run_as_a_formula_gets_an_apostrophe(text):
    assert cell(text) == f"'{text}"


@pytest.mark.parametrize("value", ["+919876543210", "-3", "-2.5", "Aarav = Mehr", "", 12, -1.5])
def test_plain_numbers_phones_and_other_text_stay_as_written(value):
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
