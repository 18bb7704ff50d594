"""Many submissions for one patient-day at once, each with its own UUID (PostgreSQL only:
SQLite lets one writer in at a time)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from mitra.diary.actions import do_submit_diary_entry
from mitra.diary.models import DiaryEntry
from mitra.diary.tests.factories import submission
from mitra.testing import make_cast


@pytest.mark.django_db(transaction=True)
def test_six_submissions_of_one_day_at_once_all_succeed_as_versions_1_to_6():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    cast = make_cast()
    patient, user = cast.patient, cast.patient_user
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []
    created: list[bool] = []

    def post(n: int) -> None:
        from django.db import connection as own  # each thread has its own connection
        try:
            barrier.wait(timeout=10)
            result = do_submit_diary_entry(patient, submission(mood=n), acting=user)
            created.append(result.created)
        except BaseException as exc:  # noqa: BLE001 - reported below, whatever it is
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert created == [True] * 6
    entries = DiaryEntry.objects.filter(patient=patient)
    assert entries.filter(is_current=True).count() == 1
    assert sorted(entries.values_list("version", flat=True)) == [1, 2, 3, 4, 5, 6]
