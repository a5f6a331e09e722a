"""The one CSV writer (leads/exports.py) and every export that uses it."""

import codecs
import datetime

import pytest

from leads.exports import cell, csv_response

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
