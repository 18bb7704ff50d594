"""rowsql writes and reads rows exactly as the ORM does, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mitra.accounts.backends import ModelBackend
from mitra.accounts.models import CareTeam, Role
from mitra.accounts.sessions import SessionStore
from mitra.diary.models import DiaryEntry, TaperPause, UseEvent
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


def test_insert_writes_the_row_the_orm_writes(patient):
    day = date(2026, 3, 1)
    by_orm = DiaryEntry.objects.create(uuid=uuid.uuid4(), **entry_values(patient, patient.user,
                                                                         day))
    by_rowsql = rowsql.insert(DiaryEntry(uuid=uuid.uuid4(),
                                         **entry_values(patient, patient.user,
                                                        day + timedelta(days=1))))
    assert by_rowsql.pk is not None and by_rowsql.pk != by_orm.pk
    assert not by_rowsql._state.adding
    stored = DiaryEntry.objects.get(pk=by_rowsql.pk)
    assert stored.uuid == by_rowsql.uuid
    # auto_now_add is filled in as save() would, aware and recent.
    assert stored.created_at is not None and timezone.is_aware(stored.created_at)
    assert abs(timezone.now() - stored.created_at) < timedelta(minutes=1)
    orm_row = DiaryEntry.objects.filter(pk=by_orm.pk).values(*ENTRY_FIELDS).get()
    row = DiaryEntry.objects.filter(pk=stored.pk).values(*ENTRY_FIELDS).get()
    assert row.pop("date") == orm_row.pop("date") + timedelta(days=1)
    assert row == orm_row

    use = dict(entry=stored, patient=patient, date=day, substance="kratom_capsule",
               amount=Decimal("4.125"), unit="capsules", grams_per_unit=Decimal("0.5"),
               grams=Decimal("2.063"), time=time(7, 45), product_label="Brand X")
    a = UseEvent.objects.create(**use)
    b = rowsql.insert(UseEvent(**use))
    rows = {r["id"]: r for r in UseEvent.objects.filter(pk__in=[a.pk, b.pk])
            .values("id", *USE_FIELDS)}
    assert rows[a.pk] | {"id": 0} == rows[b.pk] | {"id": 0}
    assert rows[b.pk]["amount"] == Decimal("4.125") and rows[b.pk]["time"] == time(7, 45)


def test_insert_with_null_foreign_key_and_defaults(patient):
    entry = rowsql.insert(DiaryEntry(uuid=uuid.uuid4(), patient=patient, date=date(2026, 1, 2),
                                     payload_hash="0" * 64, created_by=None))
    stored = DiaryEntry.objects.get(pk=entry.pk)
    assert stored.created_by_id is None and stored.motives == [] and stored.version == 1
    assert stored.is_current is True and stored.note == ""


def test_insert_refuses_a_model_with_save_receivers():
    def receiver(**kwargs):
        pass

    rowsql._insert_statement.cache_clear()
    post_save.connect(receiver, sender=TaperPause)
    try:
        with pytest.raises(TypeError, match="save signal receivers"):
            rowsql.insert(TaperPause(start_date=date(2026, 1, 1), reason="x"))
    finally:
        post_save.disconnect(receiver, sender=TaperPause)
        rowsql._insert_statement.cache_clear()


def test_get_loads_the_row_as_the_orm_does(patient):
    user = patient.user
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    loaded = rowsql.get(get_user_model(), "pk", user.pk)
    orm = get_user_model().objects.get(pk=user.pk)
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(orm, field.attname), field.name
    assert timezone.is_aware(loaded.last_login) and loaded.is_active is True
    assert not loaded._state.adding
    assert rowsql.get(get_user_model(), "pk", user.pk + 1000) is None
    assert rowsql.get(type(patient), "user", user.pk).pk == patient.pk


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


def test_session_store_reads_live_sessions_and_drops_expired_ones():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    key = store.session_key
    assert SessionStore(key).load() == {"answer": 42}
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None
    assert SessionStore("no-such-session-key-000000000000").load() == {}


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


def test_a_duplicate_key_is_djangos_integrity_error_and_the_next_statement_works(patient):
    # The kept cursor is Django's wrapper: the diary's retry catches django.db.IntegrityError.
    values = entry_values(patient, None, date(2026, 5, 1))
    first = rowsql.insert(DiaryEntry(uuid=uuid.uuid4(), **values))
    with pytest.raises(IntegrityError), transaction.atomic():
        rowsql.insert(DiaryEntry(uuid=first.uuid, **values | {"date": date(2026, 5, 2)}))
    assert rowsql.rows(f"SELECT COUNT(*) FROM {rowsql.table(DiaryEntry)} "  # noqa: S608
                       "WHERE patient_id = %s", [patient.pk]) == [(1,)]


def test_statements_are_logged_where_queries_are_counted(patient):
    with CaptureQueriesContext(connection) as captured:
        rowsql.rows("SELECT 1")
        rowsql.get(DiaryEntry, "uuid", uuid.uuid4())
    assert len(captured) == 2


def test_a_connection_shared_by_threads_gets_a_cursor_per_statement():
    # The live test server shares SQLite's in-memory connection between its request threads:
    # one kept cursor would hand one thread's rows to another.
    conn = rowsql._connection()
    assert rowsql._cursor(conn) is rowsql._cursor(conn)
    conn.inc_thread_sharing()
    try:
        assert rowsql._cursor(conn) is not rowsql._cursor(conn)
    finally:
        conn.dec_thread_sharing()


@pytest.mark.django_db(transaction=True)
def test_a_new_database_connection_gets_a_new_cursor():
    assert rowsql.rows("SELECT 1") == [(1,)]
    before = connection.connection
    connection.close()  # SQLite's in-memory test database stays open
    assert rowsql.rows("SELECT 2") == [(2,)]
    if connection.vendor == "postgresql":
        assert connection.connection is not before
