"""Bounded input fields (leads/params.py), and each door where junk used to be a 500.

test_junk_input.py walks every URL with junk; these pin each 500 it found before the fix.
"""

import datetime

import pytest

from crm.converters import MAX_ID
from insights.models import MessageTemplate, Notification
from leads import params
from leads.tests.factories import make_lead, next_session, started

HTMX = {"HTTP_HX_REQUEST": "true"}


# -- the fields -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", " 42 ", str(MAX_ID), "0" * 18 + "7"])
def test_an_id_is_ascii_digits_within_the_database_range(value):
    assert params.clean_id(value) == int(value)


@pytest.mark.parametrize(
    "value", ["0", "-1", "²", "1²", "١٢", "１２", "9" * 30, str(MAX_ID + 1), "9" * 5000, "1.0", "1e3", "a\x00b", ""]
)
def test_anything_else_is_no_id(value):
    assert params.clean_id(value) is None


def test_an_offset_is_bounded_so_offset_plus_limit_fits_the_database():
    field = params.OffsetField(required=False)
    assert params.clean(field, "0") == 0
    assert params.clean(field, str(params.MAX_OFFSET)) == params.MAX_OFFSET
    assert params.clean(field, str(params.MAX_OFFSET + 1)) is None
    assert params.clean(field, "-1") is None


@pytest.mark.parametrize("value", ["2000-01-01", "2100-12-31", "2026-02-28"])
def test_a_date_within_2000_and_2100_is_a_date(value):
    assert params.clean_date(value) == datetime.date.fromisoformat(value)


@pytest.mark.parametrize("value", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31", "2026-02-30", "²", "\x00"])
def test_other_dates_are_refused_with_the_range_in_the_message(value):
    assert params.clean_date(value) is None
    form = type("F", (params.QueryForm,), {"day": params.DateField()})({"day": value})
    assert not form.is_valid()


def test_the_date_range_is_said_beside_the_field():
    form = type("F", (params.QueryForm,), {"day": params.DateField()})({"day": "9999-12-31"})
    assert form.errors["day"] == ["Use a date between 2000 and 2100."]
    assert 'min="2000-01-01"' in str(form["day"]) and 'max="2100-12-31"' in str(form["day"])


def test_a_datetime_is_bounded_too():
    field = params.DateTimeField(required=False)
    assert params.clean(field, "2026-03-01T10:00") is not None
    assert params.clean(field, "9999-12-31T23:59") is None
    assert params.clean(field, "0001-01-01T00:00") is None


@pytest.mark.parametrize("value", ["/", "/leads/?page=2", "/board/"])
def test_a_local_path_is_where_to_go_back(value):
    assert params.NextQuery.read({"next": value}).next == value


@pytest.mark.parametrize(
    "value", ["null", "leads", "a:b", "//evil.example/", "https://evil.example/", "/\\evil", "\x00"]
)
def test_anything_else_is_not_a_place_to_go_back(value):
    assert params.NextQuery.read({"next": value}).next is None


def test_a_query_form_gives_junk_as_none_and_a_missing_value_as_empty():
    assert params.BoardColumnQuery.read({"offset": "²"}).offset is None
    assert params.BoardColumnQuery.read({}).offset is None
    assert params.NextQuery.read({}).next == ""


# -- the doors that answered 500 ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_leads_list_and_its_csv_refuse_a_date_they_cannot_search(client, c, lead, day):
    client.force_login(c.counselor)
    assert client.get("/leads/", {"created_after": day}).status_code == 400  # issue 9: a 400 that says why
    response = client.get("/leads/export.csv", {"created_before": day})
    assert response.status_code == 400  # said before the stream starts, not a CSV cut off after its header
    assert "between 2000 and 2100" in response.content.decode()


@pytest.mark.django_db
def test_the_board_refuses_junk_dates_and_ignores_junk_offsets(client, c, lead):
    client.force_login(c.counselor)
    assert client.get("/board/", {"created_after": "0001-01-01", "created_before": "9999-12-31"}).status_code == 400
    for offset in ("9" * 30, str(2**63), "²", "-5"):
        response = client.get("/board/column/ENQUIRY_RECEIVED/", {"offset": offset}, **HTMX)
        assert response.status_code == 200, offset


@pytest.mark.django_db
def test_the_calendar_refuses_a_week_and_ignores_ids_out_of_range(client, c):
    client.force_login(c.admin)
    for week in ("9999-12-31", "0001-01-01"):  # issue 9: a 400 with the sentence, not another week
        assert client.get("/insights/calendar/", {"week": week}).status_code == 400, week
    for query in (
        {"trainer": "²", "counselor": "1²"},
        {"trainer": "9" * 30, "counselor": str(2**64), "center": "9" * 5000},
    ):
        assert client.get("/insights/calendar/", query).status_code == 200, query
    html = client.get("/insights/calendar/", {"week": "2026-03-04"}).content.decode()
    assert "2026-03-02" in html  # a good week still shows (the Monday of that week)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01"},
        {"end": "9999-12-31"},
        {"counselor": "²"},
        {"counselor": "9" * 30},
        {"lead_center": "²", "assignee": "9" * 5000, "fu": "overdue"},
    ],
)
def test_the_dashboard_its_csv_and_drill_down_fall_back_with_a_message(client, c, lead, query):
    client.force_login(c.admin)
    # Issue 9: a bad date is a 400 with the sentence; other junk falls back with a message.
    expected = 400 if {"start", "end"} & set(query) else 200
    assert client.get("/insights/", query).status_code == expected
    assert client.get("/insights/leads/", query).status_code == expected
    assert client.get("/insights/dashboard.csv", {**query, "table": "funnel"}).status_code in (200, 400)


@pytest.mark.django_db
def test_the_dashboard_says_which_dates_it_reads(client, c):
    client.force_login(c.admin)
    html = client.get("/insights/", {"start": "1999-12-31"}).content.decode()
    assert "between 2000 and 2100" in html


@pytest.mark.django_db
@pytest.mark.parametrize("next_", ["null", "a:b", "//evil.example/x"])
def test_switching_center_goes_home_when_next_is_no_page_of_ours(client, c, superadmin, next_):
    client.force_login(superadmin)
    response = client.post("/center/", {"center": str(c.center.pk), "next": next_})
    assert (response.status_code, response["Location"]) == (302, "/")


@pytest.mark.django_db
def test_marking_a_notification_read_with_junk_next_goes_to_the_list(client, c):
    note = Notification.objects.create(recipient=c.counselor, kind="OVERDUE", title="One", url="/leads/1/")
    client.force_login(c.counselor)
    response = client.post(f"/insights/notifications/{note.pk}/read/", {"next": "null"})
    assert response["Location"] == "/insights/notifications/"


@pytest.mark.django_db
def test_a_trainer_note_with_a_nul_byte_is_refused_beside_the_card(client, c):
    lead = make_lead(c.center, c.counselor)
    visit = started(
        lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, trainer=c.trainer, by=c.counselor)
    )
    started(visit)
    client.force_login(c.trainer)
    url = f"/trainer/visits/{visit.pk}/outcome/"
    response = client.post(url, {"outcome": "INTERESTED_ENROLL_LATER", "notes": "Loved\x00it"})
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    visit.refresh_from_db()
    assert visit.outcome is None
    assert client.post(url, {"outcome": "INTERESTED_ENROLL_LATER", "notes": "Loved it"}).status_code == 302


@pytest.mark.django_db
def test_a_message_template_with_a_nul_byte_is_refused_beside_its_box(client, c):
    client.force_login(c.admin)
    field = f"c{c.center.pk}-WELCOME"
    response = client.post("/insights/message-templates/", {field: "Hello\x00{parent}"})
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert not MessageTemplate.objects.exists()


@pytest.mark.django_db
def test_a_huge_id_in_a_url_is_a_404(client, c):
    client.force_login(c.admin)
    for url in ("/leads/{}/", "/trainer/visits/{}/", "/insights/contact/{}/call/", "/board/move/{}/"):
        assert client.get(url.format("9" * 30)).status_code == 404
