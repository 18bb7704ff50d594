"""Fuzzing the REST API from its own OpenAPI schema: no 5xx, no response outside the schema.

Bounded: a few examples per operation, so the whole run takes seconds. Requests go straight
to the WSGI application (in the test's database transaction) with a token of every scope.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from mitra.api.tests.helpers import token_for
from mitra.testing import make_cast
from mitra.wsgi import application


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
