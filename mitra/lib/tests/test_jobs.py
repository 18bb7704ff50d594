"""The periodic-job registry: every job runs whatever the others did, and each failed unit is
reported with the counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mitra.lib import jobs

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test; the apps' own jobs are put back after it."""
    monkeypatch.setattr(jobs, "_JOBS", {})
    return jobs


def test_the_counts_come_back_by_name_in_registration_order(registry):
    seen = []
    registry.register("first", lambda now: seen.append(("first", now)) or 2, "two things")
    registry.register("second", lambda now: seen.append(("second", now)) or 0, "nothing")
    report = registry.run_all(NOW)
    assert report == {"first": 2, "second": 0} and report.failures == []
    assert seen == [("first", NOW), ("second", NOW)]


def test_a_job_reporting_failed_units_keeps_its_count_and_the_next_job_still_runs(registry):
    def partly(now):
        raise jobs.JobFailed(3, [jobs.Failure("alert a1", TimeoutError("timed out")),
                                 jobs.Failure("alert a2", ConnectionRefusedError(111, "refused"))])
    registry.register("partly", partly, "three of five")
    registry.register("after", lambda now: 1, "one")
    report = registry.run_all(NOW)
    assert report == {"partly": 3, "after": 1}
    assert [(job, f.line()) for job, f in report.failures] == [
        ("partly", "alert a1: TimeoutError: timed out"),
        ("partly", "alert a2: ConnectionRefusedError: [Errno 111] refused"),
    ]


def test_a_job_that_raises_is_one_failure_and_the_others_still_run(registry):
    def broken(now):
        raise RuntimeError("the query failed\n  on two lines")
    registry.register("broken", broken, "fails whole")
    registry.register("after", lambda now: 4, "four")
    report = registry.run_all(NOW)
    assert report == {"broken": 0, "after": 4}
    ((job, failure),) = report.failures
    assert job == "broken"
    assert failure.line() == "job broken: RuntimeError: the query failed on two lines"
    assert isinstance(failure.error, RuntimeError)


def test_a_failure_without_a_message_names_the_error_class():
    assert jobs.Failure("alert x", TimeoutError()).line() == "alert x: TimeoutError"
