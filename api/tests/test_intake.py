"""Webhooks of websites and ad platforms (issue 11, section 3): signatures, replays, retries, the inbox.

Fixtures are written by hand from the platforms' public docs (docs/intake.md): Meta's leadgen webhook
with the lead's `field_data` inline, Google Ads' lead form webhook, and our generic JSON.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import Client

from leads.intake import GOOGLE_TEST_LEAD, NO_VERIFIABLE_CONSENT
from leads.models import Consent, IntakeItem, IntakeSource, Lead, LeadNote, LeadSource
from leads.tests.factories import ProgramFactory

SECRET = "center-secret-for-tests"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "intake.md"

GENERIC = {
    "id": "site-1001",
    "parent_name": "Anita Rao",
    "phone": "+91 98100 12345",
    "email": "anita@example.com",
    "child_name": "Kabir Rao",
    "child_age": 4,
    "child_gender": "boy",
    "program": "gym",
    "remarks": "Saturday mornings suit us.",
    "consent": {
        "processing": True,
        "reminders": True,
        "marketing": False,
        "address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
        "obtained_at": "2026-01-10T09:30:00+05:30",
    },
}

META = {
    "object": "page",
    "entry": [
        {
            "id": "153125381133",
            "time": 1767000000,
            "changes": [
                {
                    "field": "leadgen",
                    "value": {
                        "leadgen_id": "444444444444",
                        "form_id": "555555555555",
                        "page_id": "153125381133",
                        "ad_id": "666666666666",
                        "created_time": 1767000000,
                        "field_data": [
                            {"name": "full_name", "values": ["Meera Iyer"]},
                            {"name": "phone_number", "values": ["+919810054321"]},
                            {"name": "email", "values": ["meera@example.com"]},
                            {"name": "child_name", "values": ["Tara Iyer"]},
                            {"name": "child_age", "values": ["5"]},
                            {"name": "child_gender", "values": ["Girl"]},
                        ],
                    },
                }
            ],
        }
    ],
}

GOOGLE = {
    "lead_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789",
    "api_version": "1.0",
    "form_id": 40000000000,
    "campaign_id": 12345678901,
    "google_key": SECRET,
    "is_test": False,
    "gcl_id": "TeSter-123",
    "adgroup_id": 20000000000,
    "creative_id": 30000000000,
    "user_column_data": [
        {"column_name": "Full Name", "string_value": "Rohan Mehta", "column_id": "FULL_NAME"},
        {"column_name": "User Phone", "string_value": "+919810067890", "column_id": "PHONE_NUMBER"},
        {"column_name": "User Email", "string_value": "rohan@example.com", "column_id": "EMAIL"},
        {"column_name": "Child name", "string_value": "Ira Mehta", "column_id": "CHILD_NAME"},
        {"column_name": "Child age", "string_value": "3", "column_id": "CHILD_AGE"},
        {"column_name": "Child gender", "string_value": "Female", "column_id": "CHILD_GENDER"},
    ],
}


@pytest.fixture
def sources(c):
    ProgramFactory(center=c.center, name="Gym")
    return {
        kind: IntakeSource.objects.create(center=c.center, kind=kind, secret=SECRET, assign_to=c.counselor)
        for kind in ("generic", "meta", "google")
    }


def _generic_headers(raw: bytes, *, secret: str = SECRET, stamp: int | None = None) -> dict:
    stamp = int(time.time()) if stamp is None else stamp
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return {"X-Signature": f"sha256={signature}", "X-Timestamp": str(stamp)}


def _meta_headers(raw: bytes, *, secret: str = SECRET) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()}


def post(kind: str, body, *, code: str = "TLGC", headers: dict | None = None, client: Client | None = None, **sign):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if headers is None:
        headers = {"generic": _generic_headers, "meta": _meta_headers}.get(kind, lambda raw, **_: {})(raw, **sign)
    return (client or Client()).post(
        f"/api/v1/intake/{code}/{kind}", raw, content_type="application/json", headers=headers
    )


# -- happy paths --------------------------------------------------------------------------------------


def test_a_signed_generic_enquiry_becomes_a_lead_with_its_web_form_consent(c, sources):
    response = post("generic", GENERIC)

    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    assert item["status"] == "CREATED" and item["external_id"] == "site-1001" and item["retry"] is False
    lead = Lead.objects.get(pk=item["lead_id"])
    assert item["enquiry_id"] == lead.enquiry_id
    assert (lead.center, lead.source, lead.program.name) == (c.center, LeadSource.ONLINE, "Gym")
    assert (lead.child.first_name, lead.child.last_name, lead.child.dob_is_approximate) == ("Kabir", "Rao", True)
    assert lead.discovery_notes == "Saturday mornings suit us."
    assert lead.assigned_to == c.counselor  # the source's assignee, never the intake account
    assert lead.created_by.username == "intake-tlgc" and not lead.created_by.has_usable_password()
    parent = lead.child.parents.get()
    assert (parent.name, parent.phone, parent.email) == ("Anita Rao", "+919810012345", "anita@example.com")
    consent = Consent.objects.get(parent=parent)
    assert (consent.method, consent.reminders, consent.marketing) == ("WEB_FORM", True, False)
    assert (consent.address, consent.user_agent[:11]) == ("203.0.113.7", "Mozilla/5.0")
    assert IntakeItem.objects.get().lead == lead


def test_a_meta_lead_is_read_and_kept_for_review_without_verifiable_consent(c, sources):
    response = post("meta", META)

    assert response.status_code == 202
    [item] = response.json()["items"]
    assert (item["status"], item["external_id"], item["lead_id"]) == ("NEEDS_REVIEW", "444444444444", None)
    assert item["error"] == NO_VERIFIABLE_CONSENT  # nothing else to fix: every field was read
    stored = IntakeItem.objects.get()
    assert stored.payload["value"]["leadgen_id"] == "444444444444" and not Lead.objects.exists()


def test_a_google_lead_is_read_kept_for_review_and_its_key_not_stored(c, sources):
    response = post("google", GOOGLE)

    assert response.status_code == 202
    [item] = response.json()["items"]
    assert item["status"] == "NEEDS_REVIEW" and item["error"] == NO_VERIFIABLE_CONSENT
    stored = IntakeItem.objects.get()
    assert stored.external_id == GOOGLE["lead_id"] and "google_key" not in stored.payload
    from leads.intake import read_fields_of

    assert read_fields_of(stored) == {
        "parent_name": "Rohan Mehta",
        "phone": "+919810067890",
        "email": "rohan@example.com",
        "child_name": "Ira Mehta",
        "child_age": "3",
        "child_gender": "Female",
    }


def test_a_google_test_lead_is_kept_and_says_so(c, sources):
    response = post("google", {**GOOGLE, "is_test": True})

    assert response.status_code == 202
    assert response.json()["items"][0]["error"] == GOOGLE_TEST_LEAD


def test_a_meta_delivery_with_two_leads_keeps_both(c, sources):
    body = copy.deepcopy(META)
    second = copy.deepcopy(body["entry"][0]["changes"][0])
    second["value"]["leadgen_id"] = "444444444445"
    body["entry"][0]["changes"].append(second)

    response = post("meta", body)

    assert [i["external_id"] for i in response.json()["items"]] == ["444444444444", "444444444445"]
    assert IntakeItem.objects.count() == 2


# -- authentication -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["generic", "meta"])
def test_a_wrong_signature_is_401_and_nothing_is_kept(c, sources, kind):
    body = GENERIC if kind == "generic" else META
    response = post(kind, body, secret="not-the-secret")

    assert response.status_code == 401
    assert "does not match" in response.json()["detail"]
    assert not IntakeItem.objects.exists() and not Lead.objects.exists()


@pytest.mark.parametrize("kind", ["generic", "meta"])
def test_a_missing_signature_is_401(c, sources, kind):
    response = post(kind, GENERIC, headers={"X-Timestamp": str(int(time.time()))})

    assert response.status_code == 401 and not IntakeItem.objects.exists()


def test_a_tampered_generic_body_is_401(c, sources):
    headers = _generic_headers(json.dumps(GENERIC).encode())
    response = post("generic", {**GENERIC, "phone": "+919999999999"}, headers=headers)

    assert response.status_code == 401 and not IntakeItem.objects.exists()


def test_a_wrong_google_key_is_401(c, sources):
    response = post("google", {**GOOGLE, "google_key": "guess"})

    assert response.status_code == 401
    assert response.json()["detail"].startswith("The google_key")
    assert not IntakeItem.objects.exists()


def test_a_generic_delivery_outside_the_replay_window_is_401(c, sources):
    for stamp in (int(time.time()) - 301, int(time.time()) + 301):
        response = post("generic", GENERIC, stamp=stamp)
        assert response.status_code == 401
        assert "5 minutes" in response.json()["detail"]
    assert post("generic", GENERIC, stamp=int(time.time()) - 240).status_code == 200
    assert post("generic", GENERIC, headers={"X-Signature": "sha256=00"}).status_code == 401


def test_the_timestamp_is_signed_so_it_cannot_be_refreshed(c, sources):
    raw = json.dumps(GENERIC).encode()
    old = _generic_headers(raw, stamp=int(time.time()) - 600)
    response = post("generic", raw, headers={**old, "X-Timestamp": str(int(time.time()))})

    assert response.status_code == 401 and "does not match" in response.json()["detail"]


@pytest.mark.parametrize(
    ("code", "kind"), [("NOPE", "generic"), ("TLGC", "tiktok"), ("TLGB", "generic"), ("TLGC", "GENERIC")]
)
def test_an_unknown_center_or_source_is_404(c, b, sources, code, kind):
    response = post(kind, GENERIC, code=code, headers=_generic_headers(json.dumps(GENERIC).encode()))

    assert response.status_code == 404 and "No active intake source" in response.json()["detail"]
    assert not IntakeItem.objects.exists()


def test_an_inactive_source_is_404_and_keeps_nothing(c, sources):
    IntakeSource.objects.filter(kind="generic").update(active=False)

    assert post("generic", GENERIC).status_code == 404
    assert not IntakeItem.objects.exists()


def test_another_centers_secret_does_not_open_this_center(c, b, sources):
    IntakeSource.objects.create(center=b.center, kind="generic", secret="tlgb-secret", assign_to=b.counselor)

    assert post("generic", GENERIC, secret="tlgb-secret").status_code == 401
    response = post("generic", GENERIC, code="TLGB", secret="tlgb-secret")
    assert response.status_code == 200
    assert Lead.objects.get(pk=response.json()["items"][0]["lead_id"]).center == b.center


def test_no_bearer_token_is_needed_and_none_is_looked_at(c, sources):
    raw = json.dumps(GENERIC).encode()
    response = post("generic", raw, headers={**_generic_headers(raw), "Authorization": "Bearer nonsense"})

    assert response.status_code == 200


# -- idempotency -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["generic", "meta", "google"])
def test_a_retried_delivery_gets_the_same_answer_and_creates_nothing(c, sources, kind):
    body = {"generic": GENERIC, "meta": META, "google": GOOGLE}[kind]
    first = post(kind, body)
    again = post(kind, body)

    assert again.status_code == first.status_code
    assert [{**i, "retry": False} for i in again.json()["items"]] == first.json()["items"]
    assert all(i["retry"] for i in again.json()["items"])
    assert IntakeItem.objects.count() == 1
    assert Lead.objects.count() == (1 if kind == "generic" else 0)


def test_a_retry_with_other_fields_but_the_same_id_is_still_the_first_lead(c, sources):
    first = post("generic", GENERIC).json()["items"][0]
    again = post("generic", {**GENERIC, "parent_name": "Anita R."}).json()["items"][0]

    assert again["lead_id"] == first["lead_id"] and again["retry"]
    assert Lead.objects.count() == 1


def test_the_same_child_under_a_new_id_is_a_duplicate_pointing_to_the_open_lead(c, sources):
    first = post("generic", GENERIC).json()["items"][0]
    response = post("generic", {**GENERIC, "id": "site-1002"})

    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["status"] == "DUPLICATE" and item["lead_id"] == first["lead_id"]
    assert "already has an open lead" in item["error"]
    assert Lead.objects.count() == 1
    [note] = LeadNote.objects.filter(lead_id=first["lead_id"])
    assert note.body == "Enquired again through Website (generic JSON) (site-1002)."
    assert note.author.username == "intake-tlgc"


def test_a_generic_delivery_without_an_id_is_idempotent_by_its_bytes(c, sources):
    body = {k: v for k, v in GENERIC.items() if k != "id"}
    first = post("generic", body).json()["items"][0]
    again = post("generic", body).json()["items"][0]

    assert first["external_id"].startswith("sha256:") and again["external_id"] == first["external_id"]
    assert again["retry"] and Lead.objects.count() == 1


def _race_body(kind: str, n: int) -> dict:
    """Round `n`'s lead: its own platform id, and (generic) its own family, so rounds do not collide."""
    if kind == "generic":
        return {**GENERIC, "id": f"race-{n}", "phone": f"+91981002{n:04d}", "child_name": f"Kid{n} Rao"}
    body = copy.deepcopy(META)
    body["entry"][0]["changes"][0]["value"]["leadgen_id"] = f"77777{n}"
    return body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL concurrent transactions")
@pytest.mark.parametrize("kind", ["generic", "meta"])
def test_two_concurrent_deliveries_of_one_lead_make_one_item_and_at_most_one_lead(c, sources, kind):
    rounds = 5
    for n in range(rounds):
        raw = json.dumps(_race_body(kind, n)).encode()
        headers = _generic_headers(raw) if kind == "generic" else _meta_headers(raw)
        barrier = threading.Barrier(2)
        answers: list = []
        errors: list = []

        def deliver(raw=raw, headers=headers, barrier=barrier, answers=answers, errors=errors):
            try:
                barrier.wait()
                answers.append(post(kind, raw, headers=headers))
            except BaseException as error:
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert not errors
        expected = 200 if kind == "generic" else 202
        assert [a.status_code for a in answers] == [expected, expected]
        items = [a.json()["items"][0] for a in answers]
        assert sorted(i["retry"] for i in items) == [False, True]
        assert items[0]["lead_id"] == items[1]["lead_id"] and items[0]["status"] == items[1]["status"]
        assert IntakeItem.objects.filter(external_id=items[0]["external_id"]).count() == 1
    assert IntakeItem.objects.count() == rounds
    assert Lead.objects.count() == (rounds if kind == "generic" else 0)


# -- the inbox ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": ""}, "parent.phone"),
        ({"phone": "12345"}, "parent.phone"),
        ({"consent": None}, "consent"),
        ({"consent": {**GENERIC["consent"], "address": None}}, "consent.address"),
        ({"program": "Fencing"}, "program"),
        ({"child_age": None, "child_dob": "next tuesday"}, "child.dob"),
        ({"child_name": ""}, "child.first_name"),
        ({"child_gender": "unknown"}, "child.gender"),
    ],
)
def test_a_payload_that_cannot_be_mapped_waits_in_the_inbox(c, sources, change, field):
    response = post("generic", {**GENERIC, **change})

    assert response.status_code == 202
    [item] = response.json()["items"]
    assert item["status"] == "NEEDS_REVIEW" and item["lead_id"] is None
    assert f"{field}:" in item["error"]
    stored = IntakeItem.objects.needs_review().get()
    assert stored.payload["id"] == "site-1001" and stored.error == item["error"]
    assert not Lead.objects.exists()


def test_a_signed_body_that_is_not_json_is_kept_too(c, sources):
    response = post("generic", b"name=Anita&phone=98100")

    assert response.status_code == 202
    stored = IntakeItem.objects.get()
    assert stored.payload == "name=Anita&phone=98100" and stored.external_id.startswith("sha256:")


def test_a_meta_lead_with_a_bad_phone_says_both_problems(c, sources):
    body = copy.deepcopy(META)
    body["entry"][0]["changes"][0]["value"]["field_data"][1]["values"] = ["12"]

    item = post("meta", body).json()["items"][0]

    assert item["error"].startswith(NO_VERIFIABLE_CONSENT) and "Also: parent.phone:" in item["error"]


def test_a_meta_delivery_with_only_the_lead_id_is_kept_for_review(c, sources):
    body = copy.deepcopy(META)
    del body["entry"][0]["changes"][0]["value"]["field_data"]

    item = post("meta", body).json()["items"][0]

    assert item["status"] == "NEEDS_REVIEW" and "Graph API" in item["error"]


def test_a_counselor_links_the_lead_made_by_hand_and_the_item_is_done(c, sources):
    from leads.tests.factories import make_lead

    post("meta", META)
    item = IntakeItem.objects.get()
    lead = make_lead(c.center, c.counselor)

    item.resolve(lead=lead, by=c.counselor)

    item.refresh_from_db()
    assert (item.status, item.lead, item.resolved_by) == ("CREATED", lead, c.counselor)


def test_the_system_user_is_never_the_assignee_and_is_made_once(c, sources):
    post("generic", GENERIC)
    post("generic", {**GENERIC, "id": "site-2", "phone": "+919810099999", "child_name": "Zoya Rao"})

    from accounts.models import User

    assert User.objects.filter(username="intake-tlgc").count() == 1
    assert set(Lead.objects.values_list("assigned_to__username", flat=True)) == {c.counselor.username}


def test_the_operation_is_in_the_openapi_document_without_bearer_auth(db):
    op = Client().get("/api/v1/openapi.json").json()["paths"]["/api/v1/intake/{center_code}/{source}"]["post"]

    assert "security" not in op
    assert set(op["responses"]) >= {"200", "202", "401", "404"}


@pytest.mark.django_db(transaction=True)
def test_the_curl_example_in_docs_runs_twice_with_one_lead(live_server, c, sources):
    block = re.search(r"^```bash\n(.*?)^```", DOCS.read_text(), re.S | re.M).group(1)
    script = "set -euo pipefail\n" + "\n".join(line for line in block.splitlines() if not line.startswith("SECRET="))
    env = {**os.environ, "BASE": f"{live_server.url}/api/v1", "SECRET": SECRET}

    answers = []
    for _ in range(2):
        result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        answers.append(json.loads(result.stdout)["items"][0])

    assert answers[0]["status"] == "CREATED" and answers[1]["retry"] is True
    assert answers[0]["lead_id"] == answers[1]["lead_id"] == Lead.objects.get().pk


# -- Meta's subscription handshake -------------------------------------------------------------------


def test_meta_handshake_echoes_the_challenge_with_the_verify_token(c, sources):
    token = sources["meta"].verify_token
    url = "/api/v1/intake/TLGC/meta"
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": token}

    response = Client().get(url, query)

    assert response.status_code == 200 and response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")
    assert Client().get(url, {**query, "hub.verify_token": "guess"}).status_code == 403
    assert Client().get(url, {**query, "hub.mode": "unsubscribe"}).status_code == 403
    assert Client().get("/api/v1/intake/TLGC/generic", query).status_code == 404
    assert not IntakeItem.objects.exists()


def test_erasing_the_family_clears_what_the_webhook_delivered(c, sources):
    from leads.erasure import erase_family

    lead = Lead.objects.get(pk=post("generic", GENERIC).json()["items"][0]["lead_id"])

    erase_family(lead.child, by=c.admin, confirmation=lead.enquiry_id)

    item = IntakeItem.objects.get()
    assert item.payload == {} and item.lead == lead
    again = post("generic", GENERIC).json()["items"][0]  # a late retry still makes nothing
    assert again["retry"] and Lead.objects.count() == 1


JUNK = [None, True, 0, -1, 1e308, "", " ", "x" * 5000, [], ["a"], {}, {"a": 1}, "2026-13-45", "\u0000"]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_any_generic_field_is_kept_for_review_never_a_500(c, sources, junk):
    for key in [*GENERIC, "child_dob"]:
        body = {**GENERIC, "id": f"junk-{key}", key: junk}
        response = post("generic", body)
        assert response.status_code in (200, 202), (key, response.content)
    for key in GENERIC["consent"]:
        response = post(
            "generic", {**GENERIC, "id": f"junk-consent-{key}", "consent": {**GENERIC["consent"], key: junk}}
        )
        assert response.status_code in (200, 202), (key, response.content)


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_meta_and_google_shapes_is_never_a_500(c, sources, junk):
    meta = copy.deepcopy(META)
    meta["entry"][0]["changes"][0]["value"]["field_data"][0] = {"name": junk, "values": junk}
    google = {**GOOGLE, "user_column_data": [junk, {"column_id": junk, "string_value": junk}]}
    for kind, body in (("meta", meta), ("meta", {"entry": junk}), ("meta", {"entry": [{"changes": junk}]})):
        assert post(kind, body).status_code in (200, 202)
    assert post("google", google).status_code in (200, 202)
    assert post("google", {**GOOGLE, "lead_id": junk}).status_code in (200, 202)


def test_a_delivery_costs_a_bounded_number_of_queries(c, sources, django_assert_max_num_queries):
    # Warm: the intake account and the franchise's privacy notice exist after the first delivery.
    post("generic", {**GENERIC, "id": "warm", "phone": "+919810011111", "child_name": "Warm Up"})
    with django_assert_max_num_queries(25):  # the enquiry itself is most of it (counter, family, consent, history)
        post("generic", GENERIC)
    with django_assert_max_num_queries(3):  # a retry: the source, the item, its lead's enquiry id
        post("generic", GENERIC)
    with django_assert_max_num_queries(9):  # an ad lead kept for review
        post("meta", META)
