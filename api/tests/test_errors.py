"""Errors are JSON and name the field (422), the rule (409), the center or role (403), the id (404);
a refused call writes nothing."""

from __future__ import annotations

import pytest
from django.urls import get_resolver
from django.utils import timezone

from leads.models import FollowUp, IntroVisit, Lead, LeadStatusChange
from leads.tests.factories import EnrollmentFactory, make_lead, next_session, started

from .test_scenarios import ENQUIRY, day_in, in_days, session_in


def locs(response) -> list[list]:
    assert response.status_code == 422, response.content
    return [entry["loc"] for entry in response.json()["detail"]]


def snapshot(lead: Lead) -> tuple:
    lead.refresh_from_db()
    return (
        lead.status,
        lead.discovery_notes,
        lead.closed_reason,
        LeadStatusChange.objects.filter(lead=lead).count(),
        FollowUp.objects.filter(lead=lead).count(),
        IntroVisit.objects.filter(lead=lead).count(),
        list(FollowUp.objects.filter(lead=lead).values_list("status", flat=True)),
    )


# -- 422: the field, as named in the body ---------------------------------------------------------


def test_schema_errors_name_the_body_field(c, api_as):
    response = api_as(c.counselor).post(
        "/leads/enquiry", {**ENQUIRY, "child": {"first_name": "A", "dob": "soon", "gender": "Cat"}}
    )
    assert sorted(locs(response)) == [["body", "child", "dob"], ["body", "child", "gender"]]


def test_model_errors_name_the_api_field(c, api_as):
    body = {
        **ENQUIRY,
        "child": {**ENQUIRY["child"], "dob": day_in(30)},
        "parent": {"name": "A", "contact_number": "12"},
    }
    response = api_as(c.counselor).post("/leads/enquiry", body)
    assert sorted(locs(response)) == [["body", "child", "dob"], ["body", "parent", "contact_number"]]
    messages = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert messages[("body", "child", "dob")] == "The date of birth cannot be in the future."
    assert not Lead.objects.exists()


def test_unknown_ids_in_the_body_are_422_on_that_field(c, lead, api_as):
    api = api_as(c.counselor)
    assert locs(api.post(f"/leads/{lead.pk}/intro-visit", {"scheduled_at": in_days(2), "batch_id": 99999})) == [
        ["body", "batch_id"]
    ]
    assert locs(api.post(f"/leads/{lead.pk}/convert", {"enrollment_id": 99999})) == [["body", "enrollment_id"]]
    assert locs(
        api.post(f"/leads/{lead.pk}/follow-up", {"scheduled_date": day_in(1), "assigned_to_user_id": 99999})
    ) == [["body", "assigned_to_user_id"]]


def test_visit_rules_name_their_fields(c, lead, api_as):
    api = api_as(c.counselor)
    past = api.post(f"/leads/{lead.pk}/intro-visit", {"scheduled_at": in_days(-1), "batch_id": c.batch.pk})
    not_a_trainer = api.post(
        f"/leads/{lead.pk}/intro-visit",
        {"scheduled_at": session_in(), "batch_id": c.batch.pk, "trainer_user_id": c.counselor.pk},
    )
    assert locs(past) == [["body", "scheduled_at"]]
    assert locs(not_a_trainer) == [["body", "trainer_user_id"]]
    assert snapshot(lead)[0] == "ENQUIRY_RECEIVED"


def test_other_centers_batch_is_a_403(c, b, lead, api_as):
    response = api_as(c.counselor).post(
        f"/leads/{lead.pk}/intro-visit", {"scheduled_at": in_days(1), "batch_id": b.batch.pk}
    )
    assert response.status_code == 403


def test_text_with_nul_and_out_of_range_values_are_422(c, lead, api_as):
    api = api_as(c.counselor)
    assert locs(api.patch(f"/leads/{lead.pk}/discovery", {"school": "a\x00b"})) == [["body", "school"]]
    assert locs(api.post(f"/leads/{lead.pk}/follow-up", {"scheduled_date": "9999-12-31"})) == [
        ["body", "scheduled_date"]
    ]
    assert locs(api.get("/leads", limit=500)) == [["query", "limit"]]
    assert api.get(f"/leads/{2**70}").status_code == 404


def test_unparsable_json_is_a_400(c, api_as):
    api = api_as(c.counselor)
    response = api.client.post("/api/v1/leads/enquiry", "{nope", content_type="application/json", headers=api.headers)
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}


# -- 409: the lifecycle's sentence, nothing written -----------------------------------------------


def test_refused_move_is_a_409_with_the_rules_sentence(c, lead, api_as):
    api = api_as(c.counselor)
    api.post(f"/leads/{lead.pk}/close", {"reason": "Moved away"})
    before = snapshot(lead)

    response = api.post(f"/leads/{lead.pk}/intro-visit", {"scheduled_at": session_in(), "batch_id": c.batch.pk})

    assert response.status_code == 409
    assert response.json() == {"detail": "A closed lead cannot be scheduled for an intro visit."}
    assert snapshot(lead) == before
    assert api.post(f"/leads/{lead.pk}/close", {"reason": "Again"}).json() == {
        "detail": "A closed lead cannot be closed."
    }


def test_outcome_recorded_twice_is_a_409(c, lead, api_as):
    visit = api_as(c.counselor).post(
        f"/leads/{lead.pk}/intro-visit", {"scheduled_at": session_in(), "batch_id": c.batch.pk}
    )
    started(IntroVisit.objects.get(pk=visit.json()["id"]))
    trainer = api_as(c.trainer)
    assert trainer.patch(f"/intro-visits/{visit.json()['id']}", {"outcome": "NO_SHOW"}).status_code == 200
    # The same outcome again (a different one is a correction: test_visit_corrections.py).
    again = trainer.patch(f"/intro-visits/{visit.json()['id']}", {"outcome": "NO_SHOW"})
    assert again.status_code == 409
    assert again.json() == {"detail": "This intro visit already has an outcome."}


def test_duplicate_enquiry_for_a_child_with_an_open_lead_is_a_409(c, api_as):
    api = api_as(c.counselor)
    assert api.post("/leads/enquiry", ENQUIRY).status_code == 201
    response = api.post("/leads/enquiry", ENQUIRY)
    assert response.status_code == 409
    assert "already has an open lead, TLGC0001" in response.json()["detail"]
    assert Lead.objects.count() == 1


# -- PATCH /status: only the lifecycle's moves -----------------------------------------------------


def test_status_discovery_appends_notes(c, lead, api_as):
    lead.update_details(discovery_notes="Walked in", by=c.counselor)
    response = api_as(c.counselor).patch(f"/leads/{lead.pk}/status", {"status": "DISCOVERY_COMPLETED", "notes": "Met"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "DISCOVERY_COMPLETED"
    assert response.json()["discovery_notes"] == "Walked in\nMet"


def test_status_that_needs_its_own_call_is_a_422_naming_it(c, lead, api_as):
    response = api_as(c.counselor).patch(f"/leads/{lead.pk}/status", {"status": "CONVERTED"})
    assert locs(response) == [["body", "enrollment_id"]]
    assert f"POST /api/v1/leads/{lead.pk}/convert" in response.json()["detail"][0]["msg"]


def test_status_the_lifecycle_would_not_reach_is_a_409_and_writes_nothing(c, lead, api_as):
    api = api_as(c.counselor)
    api.post(f"/leads/{lead.pk}/intro-visit", {"scheduled_at": session_in(), "batch_id": c.batch.pk})
    before = snapshot(lead)

    response = api.patch(f"/leads/{lead.pk}/status", {"status": "DISCOVERY_COMPLETED", "notes": "Backwards"})

    assert response.status_code == 409
    assert "cannot move back to “Discovery completed”" in response.json()["detail"]
    assert snapshot(lead) == before


def test_status_closed_needs_notes_as_the_reason(c, lead, api_as):
    api = api_as(c.counselor)
    assert locs(api.patch(f"/leads/{lead.pk}/status", {"status": "CLOSED_LOST"})) == [["body", "reason"]]
    response = api.patch(f"/leads/{lead.pk}/status", {"status": "CLOSED_LOST", "notes": "Price"})
    body = response.json()
    assert (body["status"], body["closed_reason"], body["discovery_notes"]) == ("CLOSED_LOST", "Price", "Price")


def test_status_follow_up_pending_reopens_a_closed_lead(c, lead, api_as):
    api = api_as(c.admin)
    api.post(f"/leads/{lead.pk}/close", {"reason": "Price"})
    response = api.patch(f"/leads/{lead.pk}/status", {"status": "FOLLOW_UP_PENDING", "notes": "Called back"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "FOLLOW_UP_PENDING"
    assert [f["status"] for f in api.get(f"/leads/{lead.pk}/follow-ups").json()] == ["PENDING"]


def test_counselor_may_not_reopen(c, lead, api_as):
    api = api_as(c.counselor)
    api.post(f"/leads/{lead.pk}/close", {"reason": "Price"})
    assert api.patch(f"/leads/{lead.pk}/status", {"status": "FOLLOW_UP_PENDING"}).status_code == 403


# -- legacy PATCH: never the status ----------------------------------------------------------------


def test_legacy_patch_edits_assignee_source_notes_but_not_status(c, lead, api_as):
    api = api_as(c.counselor)
    refused = api.patch(f"/leads/{lead.pk}", {"status": "CONVERTED"})
    assert locs(refused) == [["body", "status"]]
    assert refused.json()["detail"][0]["msg"].startswith("The status cannot be changed here")
    assert snapshot(lead)[0] == "ENQUIRY_RECEIVED"

    response = api.patch(f"/leads/{lead.pk}", {"assigned_to_user_id": c.admin.pk, "source": "REFERRAL", "notes": "VIP"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["assigned_to_user_id"], body["source"], body["discovery_notes"]) == (c.admin.pk, "REFERRAL", "VIP")
    unassigned = api.patch(f"/leads/{lead.pk}", {"assigned_to_user_id": None}).json()
    assert unassigned["assigned_to_user_id"] is None
    assert api.patch(f"/leads/{lead.pk}", {"assigned_to_user_id": c.trainer.pk}).status_code == 422


# -- follow-up outcomes: all or nothing ------------------------------------------------------------


@pytest.fixture
def follow_up(c, lead):
    return lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # POSTPONED without a date and SCHEDULED_IV without a visit are accepted (test_follow_up_api.py).
        ({"outcome": "POSTPONED", "next_follow_up_date": "2001-01-01"}, ["body", "next_follow_up_date"]),
        ({"outcome": "LOST"}, ["body", "reason"]),
        ({"scheduled_date": "2001-01-01T10:00:00"}, ["body", "scheduled_date"]),
        ({"assigned_to_user_id": 99999}, ["body", "assigned_to_user_id"]),
        ({"status": "COMPLETED", "outcome": "LOST", "scheduled_date": "2030-01-01"}, ["body", "scheduled_date"]),
        ({"outcome": "SCHEDULED_IV", "intro_visit": {"scheduled_at": "2001-01-01T10:00:00", "batch_id": "BATCH"}},
         ["body", "intro_visit", "scheduled_at"]),
        ({"outcome": "SCHEDULED_IV", "intro_visit": {"scheduled_at": "FUTURE", "batch_id": 99999}},
         ["body", "intro_visit", "batch_id"]),
        ({"outcome": "ENROLLED", "enrollment_id": "OTHER_CHILD"}, ["body", "enrollment_id"]),
        ({"status": "PENDING"}, ["body", "status"]),
        ({"status": "COMPLETED"}, ["body", "outcome"]),
        ({"status": "CANCELLED", "outcome": "LOST"}, ["body", "outcome"]),
    ],
)  # fmt: skip
def test_follow_up_outcome_errors_name_the_field_and_write_nothing(c, lead, follow_up, api_as, body, field):
    other = make_lead(c.center, c.counselor)
    body = dict(body)
    if body.get("enrollment_id") == "OTHER_CHILD":
        body["enrollment_id"] = EnrollmentFactory(child=other.child, batch=c.batch).pk
    if "intro_visit" in body:
        visit = dict(body["intro_visit"])
        visit["batch_id"] = c.batch.pk if visit["batch_id"] == "BATCH" else visit["batch_id"]
        visit["scheduled_at"] = session_in(1) if visit["scheduled_at"] == "FUTURE" else visit["scheduled_at"]
        body["intro_visit"] = visit
    before = snapshot(lead)

    response = api_as(c.counselor).patch(f"/follow-ups/{follow_up.pk}", body)

    assert field in locs(response)
    assert snapshot(lead) == before


def test_completed_follow_up_cannot_be_completed_again(c, follow_up, api_as):
    api = api_as(c.counselor)
    assert api.patch(f"/follow-ups/{follow_up.pk}", {"status": "CANCELLED"}).status_code == 200
    again = api.patch(f"/follow-ups/{follow_up.pk}", {"outcome": "LOST", "reason": "x"})
    assert again.status_code == 409
    assert again.json() == {"detail": "This follow-up is already cancelled."}


# -- 404s and routing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/leads/99999", "/leads/99999/details", "/intro-visits/99999", "/leads/99999/follow-ups"]
)
def test_unknown_ids_are_404_json(c, api_as, path):
    response = api_as(c.counselor).get(path)
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No such")


def test_pending_follow_ups_is_not_swallowed_by_the_lead_route(c, lead, api_as):
    lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)

    response = api_as(c.counselor).get("/leads/follow-ups/pending")

    assert response.status_code == 200, response.content
    assert [row["lead_id"] for row in response.json()] == [lead.pk]
    api_routes = next(p for p in get_resolver("api.urls").url_patterns if getattr(p, "namespace", None) == "api")
    routes = [str(p.pattern) for p in api_routes.url_patterns]
    assert routes.index("leads/follow-ups/pending") < routes.index("leads/<lead_id>")


def test_enquiry_center_for_super_admin_and_multi_center_staff(c, b, superadmin, api_as):
    body = {k: v for k, v in ENQUIRY.items() if k != "center_id"}
    assert locs(api_as(superadmin).post("/leads/enquiry", body)) == [["body", "center_id"]]
    response = api_as(superadmin).post("/leads/enquiry", {**body, "center_id": b.center.pk})
    assert response.status_code == 201 and response.json()["enquiry_id"] == "TLGB0001"
    assert api_as(c.counselor).post("/leads/enquiry", {**body, "center_id": b.center.pk}).status_code == 403


# -- query budgets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 30])
def test_lists_and_details_query_budget(c, api_as, django_assert_max_num_queries, n):
    leads = [make_lead(c.center, c.counselor) for _ in range(n)]
    for i, lead in enumerate(leads):  # ten seats a session: spread over the coming weeks
        visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch, i // 5), batch=c.batch, by=c.counselor)
        lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)
        assert visit.pk
    api = api_as(c.counselor)
    api.get("/leads")  # warm up: first request imports and builds the routes

    with django_assert_max_num_queries(7) as queries:  # 6 + the access-log INSERT of the list page
        assert len(api.get("/leads", limit=200).json()) == n
    touching_log = [q["sql"] for q in queries.captured_queries if "accounts_accesslog" in q["sql"]]
    assert len(touching_log) == 1 and touching_log[0].startswith("INSERT")
    with django_assert_max_num_queries(6):
        assert len(api.get("/intro-visits", limit=200).json()) == n
    with django_assert_max_num_queries(6):
        assert len(api.get("/leads/follow-ups/pending", limit=200).json()) == n
    with django_assert_max_num_queries(10):
        assert api.get(f"/leads/{leads[0].pk}/details").status_code == 200


def test_unknown_path_and_wrong_method_are_json(c, lead, api_as):
    api = api_as(c.counselor)
    unknown = api.get("/nothing/here")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "No such endpoint."}
    wrong_method = api.delete(f"/leads/{lead.pk}")
    assert wrong_method.status_code == 405
    assert set(wrong_method["Allow"].split(", ")) == {"GET", "PATCH"}
    assert wrong_method.json() == {"detail": f"Method not allowed here: use {wrong_method['Allow']}."}


def test_search_by_enquiry_id_phone_and_name(c, api_as):
    first = make_lead(c.center, c.counselor, parent={"name": "Anshu Goyal", "phone": "+91 98765 00010", "email": ""})
    second = make_lead(c.center, c.counselor)
    api = api_as(c.counselor)

    def found(text):
        return [row["id"] for row in api.get("/leads", search=text).json()]

    assert found(second.enquiry_id) == [second.pk]
    assert found(second.enquiry_id.lower()) == [second.pk]
    assert found("98765 00010") == [first.pk]
    assert found("anshu") == [first.pk]
    assert found(first.child.first_name) == [first.pk]
