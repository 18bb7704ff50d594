"""`mitra demo` leaves PostgreSQL with the planner's statistics for what it loaded."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from mitra.diary.models import DiaryEntry

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is for PostgreSQL")
def test_the_demo_analyzes_what_it_loaded(capsys):
    table = DiaryEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        before = cursor.fetchone()[0]
        call_command("demo", patients=6, days=14, quiet=True)
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        after = cursor.fetchone()[0]
    assert before <= 0  # a new table: never analyzed (-1) or empty
    assert after == DiaryEntry.objects.count() > 0
    assert "statistics" in capsys.readouterr().out
