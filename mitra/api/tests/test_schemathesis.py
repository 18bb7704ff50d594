"""Fuzzing the REST API from its own OpenAPI schema: no 5xx, no response outside the schema.

Bounded: a few examples per operation, so the whole run takes seconds. Requests go straight
to the WSGI application (in the test's database transaction) with a token of every scope.

The schema's own strategies keep to its types and ranges; `test_the_api_takes_hostile_values`
bends their cases with what the schema does not allow (issue 16): integers past 64 bits in
`limit`/`offset` and every number, NUL and lone surrogates and very long text in every string,
the calendar's ends in every date; it sends them through Django's test client (schemathesis
cannot encode a lone surrogate) and wants no 5xx and every refusal in the REST error shape.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet

from mitra.api.endpoints import api
from mitra.api.tests.helpers import assert_error_shape, token_for
from mitra.cbt.tests import factories
from mitra.measures.actions import do_assign_schedule_once
from mitra.safety.tests.factories import make_alert
from mitra.testing import make_cast
from mitra.wsgi import application
from tests.hostile import (
    INT_SPECIMENS,
    hostile_datetime,
    hostile_day,
    hostile_int,
    hostile_json,
    hostile_text,
)


@pytest.fixture
def keep_test_connection():
    # As Django's test client does: the WSGI handler would otherwise close the database
    # connection after each request, in the middle of the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
def test_the_api_keeps_to_its_schema(keep_test_connection):
    # Each operation's cases are drawn by hypothesis from the schema; schemathesis's own pytest
    # plugin does not run under this pytest version, so the strategies are driven directly.
    token = token_for(make_cast().clinician)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

        fuzz()


@pytest.mark.slow
@pytest.mark.django_db
def test_the_cbt_writes_keep_to_their_schema_for_the_patient(keep_test_connection):
    # The run above mostly meets 404s (random patient UUIDs). Here the patient's own token and
    # UUID reach the CBT forms and actions, so every fuzzed body is validated for real.
    cast = make_cast()
    token = token_for(cast.patient_user)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    cbt_paths = ("thought-records", "homework", "exposure-", "activity-slots", "relapse-plan",
                 "values", "activities")
    operations = [op for op in (r.ok() for r in schema.get_all_operations())
                  if any(part in op.path for part in cbt_paths)]
    assert len(operations) >= 14

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.path_parameters["patient_uuid"] = str(cast.patient.uuid)
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

        fuzz()


# -- hostile values ---------------------------------------------------------------------------

# A query string is UTF-8 on the wire: a lone surrogate cannot be sent in one (NUL can).
query_text = hostile_text.map(lambda t: t.encode("utf-8", "replace").decode("utf-8"))


def _query_types() -> dict[tuple[str, str], dict[str, str]]:
    """{(METHOD, path): {query parameter: its JSON type}} from the live schema."""
    out = {}
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, op in methods.items():
            out[(method.upper(), path)] = {
                p["name"]: p.get("schema", {}).get("type", "string")
                for p in op.get("parameters", []) if p["in"] == "query"}
    return out


def _bent(value: Any, draw, real: dict[str, str]) -> Any:
    """`value` (a schema-valid body) with some of its leaves replaced by hostile ones."""
    if isinstance(value, dict):
        return {key: real[key] if key in real and draw(st.booleans())
                else _bent(child, draw, real) for key, child in value.items()}
    if isinstance(value, list):
        return [_bent(child, draw, real) for child in value]
    if not draw(st.booleans()):
        return value
    if isinstance(value, bool) or value is None:
        return draw(hostile_json)
    if isinstance(value, int | float):
        return draw(hostile_int)
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        return draw(hostile_day)
    if isinstance(value, str) and "T" in value[:11]:
        return draw(hostile_datetime)
    return draw(hostile_text | hostile_json)


def _send(client: Client, case, token: str):
    """The case, as a client would send it: the body as JSON text (a lone surrogate as its
    \\ud800 escape, which schemathesis's own sending cannot encode)."""
    url = case.formatted_path
    if case.query:
        url += "?" + urlencode(case.query, doseq=True)
    body = "" if case.body is None or isinstance(case.body, NotSet) else json.dumps(case.body)
    return client.generic(case.method.upper(), url, body, content_type="application/json",
                          headers={"Authorization": f"Bearer {token}"})


def _fuzz_operation(operation, types: dict[str, str], client: Client, tokens: dict[str, str],
                    path_ids: dict[str, str], body_ids: dict[str, str]) -> None:
    @given(case=operation.as_strategy(), data=st.data(), who=st.sampled_from(sorted(tokens)))
    @settings(max_examples=6, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case, data, who):
        case.path_parameters = {name: path_ids.get(name, value)
                                for name, value in (case.path_parameters or {}).items()}
        query = dict(case.query or {})
        for name, kind in types.items():
            if data.draw(st.booleans()):
                query[name] = data.draw(st.sampled_from(INT_SPECIMENS) | hostile_int
                                        if kind == "integer" else query_text)
        case.query = query
        if isinstance(case.body, dict | list):
            case.body = (data.draw(hostile_json) if data.draw(st.integers(0, 9)) == 0
                         else _bent(case.body, data.draw, body_ids))
        response = _send(client, case, tokens[who])
        assert response.status_code < 500, (case.method, case.formatted_path, case.query,
                                            response.content[:300])
        if response.status_code >= 400:
            assert_error_shape(response, response.status_code)

    fuzz()


@pytest.mark.slow
@pytest.mark.django_db
def test_the_api_takes_hostile_values(keep_test_connection):
    cast = make_cast()
    tokens = {"clinician": token_for(cast.clinician), "patient": token_for(cast.patient_user)}
    patient = cast.patient
    schedule, _ = do_assign_schedule_once(patient, instrument="gad7", every_days=7,
                                          start=timezone.localdate(), acting=cast.clinician,
                                          uuid=uuid.uuid4())
    activity = factories.activity(patient)
    # Real records for the path and the body to name, so the cases reach the endpoints' code.
    path_ids = {
        "patient_uuid": str(patient.uuid),
        "alert_uuid": str(make_alert(patient, key="fuzz").uuid),
        "schedule_uuid": str(schedule.uuid),
        "homework_uuid": str(factories.homework(patient, cast.clinician).uuid),
        "slot_uuid": str(factories.slot(patient, act=activity).uuid),
    }
    body_ids = {"item": str(factories.exposure_item(patient).uuid),
                "activity": str(activity.uuid), "value": str(activity.value.uuid)}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    query_types = _query_types()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert sum("limit" in types for types in query_types.values()) >= 12
    client = Client()
    for operation in operations:
        _fuzz_operation(operation, query_types[(operation.method.upper(), operation.path)],
                        client, tokens, path_ids, body_ids)
