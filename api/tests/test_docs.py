"""The OpenAPI document, the docs page (no CDN), and docs/api.md's curl walk-through, run for real."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from leads.models import Lead

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"

#: The spec's endpoints (section 4) and what the issue adds; all must be in the document.
SPEC_OPERATIONS = {
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/leads/enquiry"),
    ("patch", "/api/v1/leads/{lead_id}/discovery"),
    ("patch", "/api/v1/leads/{lead_id}/status"),
    ("get", "/api/v1/leads"),
    ("get", "/api/v1/leads/{lead_id}"),
    ("get", "/api/v1/leads/{lead_id}/details"),
    ("post", "/api/v1/leads/{lead_id}/intro-visit"),
    ("patch", "/api/v1/intro-visits/{iv_id}"),
    ("get", "/api/v1/intro-visits/{iv_id}"),
    ("get", "/api/v1/intro-visits"),
    ("post", "/api/v1/leads/{lead_id}/follow-up"),
    ("get", "/api/v1/leads/{lead_id}/follow-ups"),
    ("patch", "/api/v1/follow-ups/{follow_up_id}"),
    ("get", "/api/v1/leads/follow-ups/pending"),
    ("post", "/api/v1/leads/{lead_id}/convert"),
    ("post", "/api/v1/leads/{lead_id}/close"),
    ("post", "/api/v1/enrollments"),
    ("get", "/api/v1/batches"),
    ("get", "/api/v1/users"),
    # Issue 9: a batch's sessions; cancelling a visit (rescheduling is PATCH /intro-visits/{id}).
    ("get", "/api/v1/batches/{batch_id}/sessions"),
    ("post", "/api/v1/intro-visits/{iv_id}/cancel"),
    ("get", "/api/v1/parent-expectations"),  # issue 9: each center's own choices
    ("get", "/api/v1/families/{family_id}/export"),  # issue 10: a parent's access request
    # Issue 10: the parent's consent, and the notice shown before asking for it.
    ("get", "/api/v1/leads/{lead_id}/consent"),
    ("post", "/api/v1/leads/{lead_id}/consent"),
    ("post", "/api/v1/leads/{lead_id}/consent/withdraw"),
    ("get", "/api/v1/privacy-notice"),
    ("post", "/api/v1/families/{family_id}/erase"),  # issue 10: a parent's erasure request
    ("post", "/api/v1/intake/{center_code}/{source}"),  # issue 11: webhooks of websites and ad platforms
    ("get", "/api/v1/intake/{center_code}/{source}"),  # issue 11: Meta's subscription handshake
}
LEGACY_OPERATIONS = {
    ("post", "/api/v1/leads"),
    ("patch", "/api/v1/leads/{lead_id}"),
    ("post", "/api/v1/leads/{lead_id}/mark-dead"),
}


@pytest.fixture
def openapi(db) -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_has_every_spec_endpoint_and_marks_legacy_ones_deprecated(openapi):
    operations = {(method, path): op for path, ops in openapi["paths"].items() for method, op in ops.items()}

    assert set(operations) == SPEC_OPERATIONS | LEGACY_OPERATIONS
    assert {key for key, op in operations.items() if op.get("deprecated")} == LEGACY_OPERATIONS


def test_openapi_declares_bearer_auth_and_json_errors(openapi):
    assert openapi["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    leads = openapi["paths"]["/api/v1/leads/{lead_id}/close"]["post"]
    assert leads["security"] == [{"TokenAuth": []}]
    assert set(leads["responses"]) == {"200", "400", "401", "403", "404", "409", "422"}
    assert "security" not in openapi["paths"]["/api/v1/auth/token"]["post"]
    lead_out = openapi["components"]["schemas"]["LeadOut"]["properties"]
    spec_fields = [
        "id",
        "center_id",
        "child_id",
        "status",
        "source",
        "school",
        "preferred_schedule",
        "parent_expectations",
        "discovery_notes",
        "discovery_completed_at",
        "closed_reason",
        "closed_at",
        "enrollment_id",
        "converted_at",
        "assigned_to_user_id",
        "created_at",
        "updated_at",
    ]
    assert set(spec_fields) | {"enquiry_id", "program_id"} == set(lead_out)


def test_docs_page_loads_only_local_assets(db):
    client = Client()
    page = client.get("/api/v1/docs")

    assert page.status_code == 200
    html = page.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(urls) == 4  # stylesheet, icon, bundle, init script
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert int(asset["Content-Length"]) > 0
    assert "http://" not in html and "https://" not in html
    settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))
    assert settings["url"] == "/api/v1/openapi.json"


def test_docs_assets_serve_only_swagger_files(db):
    assert Client().get("/api/v1/docs/assets/../../main.py").status_code == 404
    assert Client().get("/api/v1/docs/assets/redoc.standalone.js").status_code == 404


def test_project_urls_mount_the_api():
    """The tests use api.tests.urls; the project must mount the same thing at the same place."""
    match = resolve("/api/v1/openapi.json", urlconf="crm.urls")
    assert match.namespace == "api"
    assert (
        resolve("/api/v1/leads/follow-ups/pending", urlconf="crm.urls").url_name
        == resolve("/api/v1/leads/follow-ups/pending", urlconf="api.tests.urls").url_name
    )


def walkthrough_script() -> str:
    blocks = re.findall(r"^```bash\n(.*?)^```", DOCS.read_text(), re.S | re.M)
    assert len(blocks) >= 6, "docs/api.md lost its walk-through"
    return "set -euo pipefail\n" + "\n".join(blocks)


@pytest.mark.django_db(transaction=True)
def test_curl_walkthrough_in_docs_runs(live_server, c, tmp_path):
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    assert not missing, f"The walk-through needs {missing} on PATH (apt-get install -y curl jq)"
    # Any HTTP error fails the script (set -e) and prints the JSON error body.
    (tmp_path / ".curlrc").write_text("fail-with-body\nshow-error\n")
    env = {**os.environ, "BASE": f"{live_server.url}/api/v1", "CURL_HOME": str(tmp_path)}
    # The batch's first session starts in 20 minutes, so attendance and outcome may follow at once.
    soon = timezone.localtime(timezone.now() + datetime.timedelta(minutes=20), c.center.tzinfo)
    c.batch.weekday, c.batch.start_time = soon.weekday(), soon.time().replace(second=0, microsecond=0)
    c.batch.save()

    result = subprocess.run(["bash", "-c", walkthrough_script()], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    lead = Lead.objects.get()
    visit = lead.intro_visits.get()
    assert (
        visit.batch.is_session(visit.scheduled_at)
        and visit.scheduled_at
        == visit.batch.session_starts(after=lead.status_changes.get(action="reschedule_intro_visit").at, count=1)[0]
    )
    assert lead.status == "CONVERTED"
    assert lead.enrollment is not None and lead.converted_at is not None
    assert list(lead.status_changes.values_list("to_status", flat=True)) == [
        "ENQUIRY_RECEIVED",
        "DISCOVERY_COMPLETED",
        "IV_SCHEDULED",
        "IV_SCHEDULED",  # moved to the first session
        "IV_SCHEDULED",  # attendance, its own step
        "IV_COMPLETED",
        "CONVERTED",
    ]
    final = json.loads(_last_json(result.stdout))
    assert final == {
        "status": "CONVERTED",
        "child": lead.enquiry_id,
        "history": [
            "ENQUIRY_RECEIVED",
            "DISCOVERY_COMPLETED",
            "IV_SCHEDULED",
            "IV_SCHEDULED",
            "IV_SCHEDULED",
            "IV_COMPLETED",
            "CONVERTED",
        ],
    }


def _last_json(stdout: str) -> str:
    """The last pretty-printed JSON object jq wrote (it starts at a line that is just "{")."""
    start = stdout.rstrip().rindex("\n{\n") + 1 if "\n{\n" in stdout else stdout.index("{")
    return stdout[start:]
