"""The bulk adherence queries: one query whatever the number of patients, and the same answer
as the rules over plain values."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mitra.patients.models import Patient
from mitra.reminders.adherence import (
    EMPTY,
    adherence_by_patient,
    settled_counts_by_patient,
)
from mitra.reports.tests.helpers import add_prompts
from mitra.testing import make_cast, make_patient

pytestmark = pytest.mark.django_db


def _patients(team, n: int, offset: int = 0) -> list[Patient]:
    out = []
    for i in range(offset, offset + n):
        p = make_patient(f"ad{i}", f"Adherence {i:02d}", team)
        add_prompts(p, "aamafaamao" * 2)  # 20 days
        out.append(p)
    return out


def test_the_bulk_queries_take_one_query_for_3_or_30_patients():
    cast = make_cast()
    now = timezone.now()
    few = [p.pk for p in _patients(cast.team_a, 3)]
    with CaptureQueriesContext(connection) as three:
        assert len(adherence_by_patient(few, now)) == 3
    with CaptureQueriesContext(connection) as three_counts:
        assert len(settled_counts_by_patient(few, now)) == 3
    many = few + [p.pk for p in _patients(cast.team_a, 27, offset=3)]
    with CaptureQueriesContext(connection) as thirty:
        figures = adherence_by_patient(many, now)
    with CaptureQueriesContext(connection) as thirty_counts:
        counts = settled_counts_by_patient(many, now)
    assert len(three) == len(thirty) == 1
    assert len(three_counts) == len(thirty_counts) == 1
    assert len(figures) == len(counts) == 30


def test_the_figures_of_one_stored_story():
    cast = make_cast()
    now = timezone.now()
    p = _patients(cast.team_a, 1)[0]
    figures = adherence_by_patient([p.pk], now)[p.pk]
    # Oldest first, 19 days ago to today: a a m a f a a m a o | a a m a f a a m a o. The first
    # "o" (10 days ago) expired unanswered; the last (today) is still open; "f" was never sent.
    # 14 days: the last 14, "a m a o a a m a f a a m a o": 12 sent and settled, 8 answered.
    assert (figures.last_14.sent, figures.last_14.answered, figures.last_14.open) == (12, 8, 1)
    # 30 days: all 20, less two failed and one open: 17 sent, 12 answered.
    assert (figures.last_30.sent, figures.last_30.answered, figures.last_30.open) == (17, 12, 1)
    assert figures.last_30.median_minutes == 30
    # Newest settled first: answered yesterday, missed the day before: a streak of one.
    assert figures.streak == 1


def test_the_sql_counts_agree_with_the_python_rules():
    cast = make_cast()
    now = timezone.now()
    stories = ["aaaaaaaaaaaaaa", "mmmmmmmm", "aamo", "fffa", "o", "amamamamamamam", ""]
    patients = []
    for i, story in enumerate(stories):
        p = make_patient(f"ag{i}", f"Agree {i}", cast.team_a)
        if story:
            add_prompts(p, story)
        patients.append(p)
    ids = Patient.objects.filter(pk__in=[p.pk for p in patients]).values("pk")
    figures = adherence_by_patient(ids, now)  # a values("pk") query works as well as keys
    counts = settled_counts_by_patient(ids, now)
    for p in patients:
        python = figures.get(p.pk, EMPTY).last_14
        sql = counts.get(p.pk)
        assert (python.sent, python.answered) == ((sql.sent, sql.answered) if sql else (0, 0)), p
    assert counts[patients[0].pk].sent == 14 and counts[patients[0].pk].answered == 14
    assert patients[4].pk not in counts  # only an open prompt: nothing settled yet
    assert figures[patients[4].pk].last_14.open == 1
    assert patients[6].pk not in figures


def test_another_patients_prompts_never_count():
    cast = make_cast()
    now = timezone.now()
    add_prompts(cast.patient, "aaaa")
    add_prompts(cast.other_patient, "mmmm")
    figures = adherence_by_patient([cast.patient.pk], now)
    assert list(figures) == [cast.patient.pk]
    assert figures[cast.patient.pk].last_14.answered == 4
