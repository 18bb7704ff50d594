"""rowsql reads rows exactly as the ORM does, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mitra.accounts.backends import ModelBackend
from mitra.accounts.models import CareTeam, Role
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.lib import rowsql
from mitra.testing import make_patient, make_user

pytestmark = pytest.mark.django_db

ENTRY_FIELDS = ["patient_id", "date", "version", "is_current", "mood", "anxiety", "craving",
                "sleep_quality", "withdrawal", "motives", "note", "payload_hash",
                "created_by_id"]
USE_FIELDS = ["entry_id", "patient_id", "date", "is_current", "substance", "amount", "unit",
              "grams_per_unit", "grams", "time", "product_label"]


@pytest.fixture
def patient():
    return make_patient("rowsql", "Row Patient", CareTeam.objects.create(name="Row team"))


def entry_values(patient, user, day):
    return dict(patient=patient, date=day, version=2, is_current=True, mood=3, anxiety=None,
                craving=10, sleep_quality=0, withdrawal=7, motives=["pain", "sleep"],
                note="Ünïcode ✓ note", payload_hash="f" * 64, created_by=user)


def test_get_with_brings_the_one_to_one_row_and_caches_both_sides(patient):
    User, Patient = get_user_model(), type(patient)
    user, record = rowsql.get_with(User, "pk", patient.user_id, Patient, "user")
    with CaptureQueriesContext(connection) as captured:
        assert user.patient is record and record.user is user
    assert len(captured) == 0
    orm = Patient.objects.get(pk=patient.pk)
    for field in Patient._meta.concrete_fields:
        assert getattr(record, field.attname) == getattr(orm, field.attname), field.name
    assert timezone.is_aware(record.created_at) and not record._state.adding
    assert user == User.objects.get(pk=patient.user_id)

    staff = make_user("rowsql-staff", Role.CLINICIAN)
    user, record = rowsql.get_with(User, "pk", staff.pk, Patient, "user")
    assert user == staff and record is None
    with CaptureQueriesContext(connection) as captured, pytest.raises(Patient.DoesNotExist):
        user.patient  # noqa: B018
    assert len(captured) == 0
    assert rowsql.get_with(User, "pk", 10**9, Patient, "user") == (None, None)


def test_rows_read_decimals_and_dates_like_the_orm(patient):
    entry = DiaryEntry.objects.create(uuid=uuid.uuid4(), patient=patient,
                                      date=date(2026, 2, 3), payload_hash="a" * 64)
    UseEvent.objects.create(entry=entry, patient=patient, date=entry.date,
                            substance="kratom_powder", amount=Decimal("2.5"), unit="g",
                            grams=Decimal("2.5"))
    ((day, amount),) = rowsql.rows(
        f"SELECT date, amount FROM {rowsql.table(UseEvent)} WHERE patient_id = %s",  # noqa: S608
        [patient.pk])
    assert day == date(2026, 2, 3)
    assert rowsql.decimal(amount, 3) == Decimal("2.500")
    assert str(rowsql.decimal(amount, 3)) == "2.500"


def test_backend_loads_active_users_only():
    user = make_user("rowsql-clin", Role.CLINICIAN)
    backend = ModelBackend()
    assert backend.get_user(user.pk) == user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert backend.get_user(user.pk) is None
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(10**9) is None
    patient = make_patient("rowsql-pat", "Row Pat")
    with CaptureQueriesContext(connection) as captured:
        assert backend.get_user(patient.user_id).patient == patient
    assert len(captured) == 1  # the patient record came with the user


def test_statements_run_on_djangos_cursor_and_are_logged_where_queries_are_counted(patient):
    with CaptureQueriesContext(connection) as captured:
        rowsql.rows("SELECT 1")
        rowsql.execute(f"UPDATE {rowsql.table(DiaryEntry)} SET note = %s "  # noqa: S608
                       "WHERE patient_id = %s", ["", patient.pk])
        rowsql.get_with(get_user_model(), "pk", patient.user_id, type(patient), "user")
    assert len(captured) == 3


def test_a_duplicate_key_is_djangos_integrity_error_and_the_next_statement_works(patient):
    entry = DiaryEntry.objects.create(uuid=uuid.uuid4(), patient=patient, date=date(2026, 5, 1),
                                      payload_hash="a" * 64)
    other = DiaryEntry.objects.create(uuid=uuid.uuid4(), patient=patient,
                                      date=date(2026, 5, 2), payload_hash="b" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        rowsql.execute(
            f"UPDATE {rowsql.table(DiaryEntry)} SET uuid = %s WHERE id = %s",  # noqa: S608
            [rowsql.prep(DiaryEntry, "uuid", entry.uuid), other.pk])
    assert rowsql.rows(f"SELECT COUNT(*) FROM {rowsql.table(DiaryEntry)} "  # noqa: S608
                       "WHERE patient_id = %s", [patient.pk]) == [(2,)]


@pytest.mark.django_db(transaction=True)
def test_a_new_database_connection_is_used_at_once():
    assert rowsql.rows("SELECT 1") == [(1,)]
    connection.close()
    assert rowsql.rows("SELECT 2") == [(2,)]
