"""GET /api/v1/leads: the spec's LeadSummary rows, the web list's filters, and the enquiry's program_id."""

from __future__ import annotations

import datetime

import pytest

from leads.models import ClosedReason, FollowUp, Lead, LeadSource, LeadStatus
from leads.tests.factories import ProgramFactory, make_lead

pytestmark = pytest.mark.django_db

ENQUIRY = {
    "child": {"first_name": "Mehr", "last_name": "Goyal", "dob": "2020-06-15", "gender": "Girl"},
    "parent": {"name": "Anshu Goyal", "contact_number": "+91-9876543210", "email": "anshu@example.com"},
    "source": "WALK_IN",
    "consent": {"method": "IN_PERSON", "processing": True},
}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()]


# -- LeadSummary ---------------------------------------------------------------------------------


def at_local(c, *day) -> datetime.datetime:
    return datetime.datetime(*day, 10, 30, tzinfo=c.center.tzinfo)


def test_each_row_has_the_child_the_primary_parent_and_the_next_follow_up(c, api_as):
    lead = make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Mehr", "last_name": "Goyal", "dob": datetime.date(2020, 6, 15), "gender": "Girl"},
        parent={"name": "Anshu Goyal", "phone": "+919876543210", "email": ""},
        program=c.batch.program,
    )
    FollowUp.objects.create(lead=lead, scheduled_date=at_local(c, 2026, 12, 24))
    FollowUp.objects.create(lead=lead, scheduled_date=at_local(c, 2026, 12, 20))  # the earlier one is next
    quiet = make_lead(c.center, c.counselor)
    rows = {row["id"]: row for row in api_as(c.counselor).get("/leads").json()}
    row = rows[lead.pk]
    assert (row["child_name"], row["parent_name"], row["parent_phone"]) == (
        "Mehr Goyal",
        "Anshu Goyal",
        "+919876543210",
    )
    assert row["next_follow_up"].startswith("2026-12-20T10:30:00")  # in the center's clock
    assert (row["program_id"], row["program_name"]) == (c.batch.program.pk, "Gym")
    assert row["enquiry_id"] == lead.enquiry_id and row["status"] == "ENQUIRY_RECEIVED"  # LeadResponse fields too
    assert (rows[quiet.pk]["next_follow_up"], rows[quiet.pk]["program_id"]) == (None, None)


@pytest.mark.parametrize("n", [3, 60])
def test_list_stays_in_a_constant_number_of_queries(c, api_as, django_assert_max_num_queries, n):
    for _ in range(n):
        lead = make_lead(c.center, c.counselor, program=c.batch.program)
        FollowUp.objects.create(lead=lead, scheduled_date=at_local(c, 2026, 12, 20))
    api = api_as(c.counselor)
    api.get("/leads")  # warm up: first request imports and builds the routes
    with django_assert_max_num_queries(7) as queries:  # 6 + the access-log INSERT
        rows = api.get("/leads", limit=200, status="ENQUIRY_RECEIVED", program_id=c.batch.program.pk).json()
    assert len(rows) == n and all(row["parent_name"] and row["next_follow_up"] for row in rows)
    touching_log = [q["sql"] for q in queries.captured_queries if "accounts_accesslog" in q["sql"]]
    assert len(touching_log) == 1 and touching_log[0].startswith("INSERT")


# -- filters -------------------------------------------------------------------------------------


@pytest.fixture
def mixed(c, b):
    music = ProgramFactory(center=c.center, name="Music")
    referral = make_lead(c.center, c.counselor, source=LeadSource.REFERRAL, program=music)
    discovered = make_lead(c.center, c.counselor, program=c.batch.program)
    discovered.complete_discovery(school="DPS", by=c.counselor)
    closed = make_lead(c.center, c.counselor)
    closed.close(reason="Fees", category=ClosedReason.PRICE, by=c.counselor)
    Lead.objects.filter(pk=closed.pk).update(created_at=datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC))
    make_lead(b.center, b.counselor, source=LeadSource.REFERRAL)
    return {"music": music, "referral": referral, "discovered": discovered, "closed": closed}


def test_filters_by_source_program_and_created_range(c, api_as, mixed):
    api = api_as(c.counselor)
    assert ids(api.get("/leads", source="REFERRAL")) == [mixed["referral"].pk]  # not the other center's
    assert ids(api.get("/leads", program_id=mixed["music"].pk)) == [mixed["referral"].pk]
    assert ids(api.get("/leads", program_id="none")) == [mixed["closed"].pk]
    january = api.get("/leads", created_after="2026-01-01", created_before="2026-01-31")
    assert ids(january) == [mixed["closed"].pk]
    assert mixed["closed"].pk not in ids(api.get("/leads", created_after="2026-02-01"))


@pytest.mark.parametrize(
    "statuses",
    [
        {"status": ["DISCOVERY_COMPLETED", "CLOSED_LOST"]},
        {"status": "DISCOVERY_COMPLETED,CLOSED_LOST"},
        {"status": "DISCOVERY_COMPLETED, CLOSED_LOST"},
    ],
)
def test_several_statuses_repeated_or_as_a_comma_list(c, api_as, mixed, statuses):
    found = ids(api_as(c.counselor).get("/leads", **statuses))
    assert sorted(found) == sorted([mixed["discovered"].pk, mixed["closed"].pk])


def test_one_status_as_before(c, api_as, mixed):
    assert ids(api_as(c.counselor).get("/leads", status=LeadStatus.CLOSED_LOST)) == [mixed["closed"].pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "OPEN"}, "status"),
        ({"status": "CLOSED_LOST,NOPE"}, "status"),
        ({"source": "PIGEON"}, "source"),
        ({"program_id": "abc"}, "program_id"),
        ({"program_id": "99999999"}, "program_id"),
        ({"created_after": "2026-13-01"}, "created_after"),
        ({"created_before": "0001-01-01"}, "created_before"),
        ({"created_after": "9999-12-31"}, "created_after"),
        ({"program_id": "1" * 30}, "program_id"),
    ],
)
def test_a_bad_filter_is_a_422_naming_the_parameter(c, api_as, mixed, params, field):
    response = api_as(c.counselor).get("/leads", **params)
    assert response.status_code == 422
    assert [entry["loc"] for entry in response.json()["detail"]] == [["query", field]]


def test_another_centers_program_is_not_a_choice(c, b, api_as, mixed):
    response = api_as(c.counselor).get("/leads", program_id=b.batch.program.pk)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "program_id"]


# -- the enquiry's program -----------------------------------------------------------------------


def test_enquiry_takes_an_optional_program_id(c, api_as):
    api = api_as(c.counselor)
    created = api.post("/leads/enquiry", {**ENQUIRY, "program_id": c.batch.program.pk})
    assert created.status_code == 201, created.json()
    assert created.json()["program_id"] == c.batch.program.pk
    assert Lead.objects.get(pk=created.json()["id"]).program == c.batch.program
    spec_shaped = api.post("/leads/enquiry", {**ENQUIRY, "child": {**ENQUIRY["child"], "first_name": "Ira"}})
    assert spec_shaped.status_code == 201 and spec_shaped.json()["program_id"] is None


def test_enquiry_with_another_centers_or_an_unknown_program(c, b, api_as):
    api = api_as(c.counselor)
    assert api.post("/leads/enquiry", {**ENQUIRY, "program_id": b.batch.program.pk}).status_code == 403
    unknown = api.post("/leads/enquiry", {**ENQUIRY, "program_id": 987654})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "program_id"]
    assert not Lead.objects.exists()
