"""Schemathesis against the OpenAPI document: no 5xx, and every response matches the document
(status code, content type, body schema), for generated valid and invalid requests.

Each operation runs twice: with generated ids (mostly unknown: 404s, 422s) and with the ids of
real objects, so the generated bodies reach the verbs. Bounded for CI (`FUZZ_EXAMPLES` per
operation and mode, default 12; derandomized so a CI failure reproduces). It prints the figures
and writes them to `$FUZZ_REPORT` (JSON) when set.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import ApiToken
from leads.models import IntakeKind, IntakeSource
from leads.tests.factories import EnrollmentFactory, make_lead, next_session

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _real_ids(c) -> dict:
    """Path ids of live objects of TLGC, in states where most calls are allowed."""
    lead = make_lead(c.center, c.counselor)
    visit_lead = make_lead(c.center, c.counselor)
    visit = visit_lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.counselor)
    follow_up = make_lead(c.center, c.counselor).add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)
    EnrollmentFactory(child=lead.child, batch=c.batch)
    IntakeSource.objects.create(center=c.center, kind=IntakeKind.GENERIC, assign_to=c.counselor)
    return {
        "lead_id": lead.pk,
        "iv_id": visit.pk,
        "follow_up_id": follow_up.pk,
        "batch_id": c.batch.pk,
        "family_id": lead.child_id,
        "center_code": c.center.code,  # an active generic source: generated bodies reach the signature check
        "source": IntakeKind.GENERIC,
    }


@pytest.mark.django_db(transaction=True)
def test_openapi_fuzz(live_server, c, b, superadmin, capsys, caplog):
    caplog.set_level(logging.ERROR, logger="django.request")  # thousands of expected 4xx warnings
    _, token = ApiToken.issue(superadmin, name="fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    real = _real_ids(c)
    cases: Counter = Counter()
    statuses: Counter = Counter()
    failures: list[str] = []
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        path_names = {p.name for p in operation.path_parameters}
        variants = [("generated ids", None)]
        if path_names:
            variants.append(("real ids", {name: real[name] for name in path_names}))
        for label, path_parameters in variants:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
                key = f"{operation.label} [{label}, {mode.value}]"

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def run(case):
                    key_ = run.key
                    cases[key_] += 1
                    try:
                        response = case.call(base_url=live_server.url, headers=headers)
                        statuses[response.status_code] += 1
                        case.validate_response(response, checks=CHECKS, headers=headers)
                    except (Exception, BaseExceptionGroup) as error:  # record every failure, keep fuzzing
                        failures.append(f"{key_}: {str(error).strip()[:1500]}")

                run.key = key
                run()

    report = {
        "operations": len({key.split(" [")[0] for key in cases}),
        "cases": sum(cases.values()),
        "failures": len(failures),
        "statuses": dict(sorted(statuses.items())),
        "seconds": round(time.monotonic() - started, 1),
        "examples_per_operation_and_mode": EXAMPLES,
    }
    with capsys.disabled():
        print(f"\nAPI fuzz: {json.dumps(report)}")
        for failure in failures[:20]:
            print(f"  FAILURE {failure}\n")
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as out:
            json.dump({**report, "per_variant": dict(cases), "failure_details": failures}, out, indent=1)

    assert report["cases"] > 100
    assert not failures, "\n\n".join(failures[:10])
    assert not [code for code in statuses if code >= 500]
