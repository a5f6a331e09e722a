"""Role x endpoint matrix: every role of each center, and a super admin, against every endpoint,
on its own center's objects and on the other center's. The spec's rules:

- another center's object (or center): 403, whatever the role;
- a role without the right: 403 (trainers may only read and record intro visits);
- no token or a bad one: 401.
"""

from __future__ import annotations

import types
from collections.abc import Callable

import pytest
from django.utils import timezone

from leads.models import Lead
from leads.tests.factories import EnrollmentFactory, make_lead, next_session, started

ADMIN, COUNSELOR, TRAINER = "admin", "counselor", "trainer"
STAFF = frozenset({ADMIN, COUNSELOR})
VISIT_READERS = frozenset({ADMIN, COUNSELOR, TRAINER})
VISIT_RECORDERS = frozenset({ADMIN, TRAINER})  # the spec: TRAINER, CENTER_ADMIN, SUPER_ADMIN


def _today() -> str:
    return timezone.localdate().isoformat()


def _lead(t) -> Lead:
    return make_lead(t.center, t.counselor)


def _visit(t):
    lead = _lead(t)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(t.batch), batch=t.batch, by=t.admin)
    return started(visit)  # under way, so that its outcome may be recorded


def _follow_up(t):
    return _lead(t).add_follow_up(scheduled_date=timezone.localdate(), by=t.admin)


def _enquiry(t) -> dict:
    n = Lead.objects.count() + 1
    return {
        "child": {"first_name": f"Kid{n}", "last_name": "Rao", "dob": "2021-03-01", "gender": "Boy"},
        "parent": {"name": "Parent", "contact_number": f"+9196{n:08d}"},
        "consent": {"method": "IN_PERSON", "processing": True},
        "center_id": t.center.pk,
    }


def _convert(t):
    lead = _lead(t)
    enrollment = EnrollmentFactory(child=lead.child, batch=t.batch)
    return "post", f"/leads/{lead.pk}/convert", {"enrollment_id": enrollment.pk}


#: name -> (roles allowed in their own center, success status, request builder for target center t)
ENDPOINTS: dict[str, tuple[frozenset, int, Callable]] = {
    "POST /leads/enquiry": (STAFF, 201, lambda t: ("post", "/leads/enquiry", _enquiry(t))),
    "POST /leads (legacy)": (STAFF, 201, lambda t: ("post", "/leads", _enquiry(t))),
    "GET /leads": (STAFF, 200, lambda t: ("get", "/leads", {"center_id": t.center.pk})),
    "GET /leads/{id}": (STAFF, 200, lambda t: ("get", f"/leads/{_lead(t).pk}", None)),
    "GET /leads/{id}/details": (STAFF, 200, lambda t: ("get", f"/leads/{_lead(t).pk}/details", None)),
    "PATCH /leads/{id}/discovery": (
        STAFF,
        200,
        lambda t: ("patch", f"/leads/{_lead(t).pk}/discovery", {"school": "DPS"}),
    ),
    "PATCH /leads/{id}/status": (
        STAFF,
        200,
        lambda t: ("patch", f"/leads/{_lead(t).pk}/status", {"status": "DISCOVERY_COMPLETED", "notes": "Met"}),
    ),
    "PATCH /leads/{id} (legacy)": (
        STAFF,
        200,
        lambda t: ("patch", f"/leads/{_lead(t).pk}", {"source": "REFERRAL"}),
    ),
    "POST /leads/{id}/convert": (STAFF, 200, _convert),
    "POST /leads/{id}/close": (STAFF, 200, lambda t: ("post", f"/leads/{_lead(t).pk}/close", {"reason": "Moved"})),
    "POST /leads/{id}/mark-dead (legacy)": (
        STAFF,
        200,
        lambda t: ("post", f"/leads/{_lead(t).pk}/mark-dead", {"reason": "Moved"}),
    ),
    "POST /leads/{id}/intro-visit": (
        STAFF,
        201,
        lambda t: (
            "post",
            f"/leads/{_lead(t).pk}/intro-visit",
            {"scheduled_at": next_session(t.batch).isoformat(), "batch_id": t.batch.pk},
        ),
    ),
    "PATCH /intro-visits/{id}": (
        VISIT_RECORDERS,
        200,
        lambda t: ("patch", f"/intro-visits/{_visit(t).pk}", {"outcome": "NO_SHOW"}),
    ),
    "GET /intro-visits/{id}": (VISIT_READERS, 200, lambda t: ("get", f"/intro-visits/{_visit(t).pk}", None)),
    "GET /intro-visits": (VISIT_READERS, 200, lambda t: ("get", "/intro-visits", {"center_id": t.center.pk})),
    "POST /leads/{id}/follow-up": (
        STAFF,
        201,
        lambda t: ("post", f"/leads/{_lead(t).pk}/follow-up", {"scheduled_date": _today()}),
    ),
    "GET /leads/{id}/follow-ups": (STAFF, 200, lambda t: ("get", f"/leads/{_lead(t).pk}/follow-ups", None)),
    "PATCH /follow-ups/{id}": (
        STAFF,
        200,
        lambda t: ("patch", f"/follow-ups/{_follow_up(t).pk}", {"status": "CANCELLED"}),
    ),
    "GET /leads/follow-ups/pending": (
        STAFF,
        200,
        lambda t: ("get", "/leads/follow-ups/pending", {"center_id": t.center.pk}),
    ),
    "GET /batches": (STAFF, 200, lambda t: ("get", "/batches", {"center_id": t.center.pk})),
    "GET /users": (STAFF, 200, lambda t: ("get", "/users", {"center_id": t.center.pk, "role": "TRAINER"})),
    "POST /enrollments": (
        STAFF,
        201,
        lambda t: (
            "post",
            "/enrollments",
            {"child_id": _lead(t).child_id, "batch_id": t.batch.pk, "start_date": _today()},
        ),
    ),
}

ACTORS = [
    ("TLGC", ADMIN),
    ("TLGC", COUNSELOR),
    ("TLGC", TRAINER),
    ("TLGB", ADMIN),
    ("TLGB", COUNSELOR),
    ("TLGB", TRAINER),
    (None, "super admin"),
]


def _call(api, method: str, path: str, payload):
    if method == "get":
        return api.get(path, **(payload or {}))
    return getattr(api, method)(path, payload)


def expected_status(endpoint: str, actor_center: str | None, role: str, target_center: str) -> int:
    allowed, success, _ = ENDPOINTS[endpoint]
    if actor_center is None:
        return success  # super admin: every center, every action
    if actor_center != target_center:
        return 403  # the other center's object
    return success if role in allowed else 403


@pytest.mark.parametrize("target", ["TLGC", "TLGB"])
@pytest.mark.parametrize(("actor_center", "role"), ACTORS, ids=[f"{c or ''} {r}".strip() for c, r in ACTORS])
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_role_endpoint_matrix(c, b, superadmin, api_as, endpoint, actor_center, role, target):
    centers = {"TLGC": c, "TLGB": b}
    actor = superadmin if actor_center is None else getattr(centers[actor_center], role)
    method, path, payload = ENDPOINTS[endpoint][2](centers[target])

    response = _call(api_as(actor), method, path, payload)

    assert response.status_code == expected_status(endpoint, actor_center, role, target), response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no token", "bad token"])
def test_every_endpoint_needs_a_valid_token(c, api_as, endpoint, token):
    method, path, payload = ENDPOINTS[endpoint][2](c)
    api = api_as(token=token)

    response = _call(api, method, path, payload)

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_lists_show_only_the_callers_centers(c, b, api_as):
    ours = types.SimpleNamespace(lead=_lead(c), visit=_visit(c), follow_up=_follow_up(c))
    theirs = types.SimpleNamespace(lead=_lead(b), visit=_visit(b), follow_up=_follow_up(b))
    api = api_as(c.counselor)

    lead_ids = {row["id"] for row in api.get("/leads").json()}
    visit_ids = {row["id"] for row in api.get("/intro-visits").json()}
    follow_up_ids = {row["id"] for row in api.get("/leads/follow-ups/pending").json()}
    batch_ids = {row["id"] for row in api.get("/batches").json()}
    user_ids = {row["id"] for row in api.get("/users").json()}

    assert ours.lead.pk in lead_ids and theirs.lead.pk not in lead_ids
    assert ours.visit.pk in visit_ids and theirs.visit.pk not in visit_ids
    assert ours.follow_up.pk in follow_up_ids and theirs.follow_up.pk not in follow_up_ids
    assert batch_ids == {c.batch.pk}
    assert user_ids == {c.admin.pk, c.counselor.pk, c.trainer.pk}
    assert {row["id"] for row in api.get("/users", role="TRAINER").json()} == {c.trainer.pk}
    assert {row["id"] for row in api.get("/leads", center_id=c.center.pk).json()} == lead_ids


def test_super_admin_sees_every_center_and_filters_by_one(c, b, superadmin, api_as):
    ours, theirs = _lead(c), _lead(b)
    api = api_as(superadmin)
    assert {ours.pk, theirs.pk} <= {row["id"] for row in api.get("/leads").json()}
    assert [row["id"] for row in api.get("/leads", center_id=b.center.pk).json()] == [theirs.pk]


def test_trainer_reads_only_the_visits_of_their_center(c, b, api_as):
    ours, theirs = _visit(c), _visit(b)
    rows = api_as(c.trainer).get("/intro-visits").json()
    assert [row["id"] for row in rows] == [ours.pk]
    assert api_as(c.trainer).get(f"/intro-visits/{theirs.pk}").status_code == 403
