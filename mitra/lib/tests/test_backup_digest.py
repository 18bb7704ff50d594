"""Table digests: canonical values, key order, sensitivity, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from mitra.diary.models import DiaryEntry, UseEvent
from mitra.lib.backup import digest, manifest
from mitra.testing import make_patient

AT = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def test_equal_values_in_different_forms_make_the_same_line():
    plus_two = timezone(timedelta(hours=2))
    assert digest.row_line([AT, Decimal("3.000"), uuid.UUID(int=7)]) == digest.row_line(
        [AT.astimezone(plus_two), Decimal("3"), uuid.UUID(int=7)])
    assert digest.row_line([{"b": 1, "a": [1.5, None]}]) == b'[{"a":[1.5,null],"b":1}]\n'
    assert digest.row_line([timedelta(days=1, microseconds=2), b"\x00\xff", date(2026, 1, 2),
                            time(8, 15), True, "k\u00e4va"]) == (
        '[86400000002,"00ff","2026-01-02","08:15:00",true,"k\u00e4va"]\n'.encode())
    assert digest.row_line([Decimal("3.001")]) != digest.row_line([Decimal("3")])


def fixed_diary() -> None:
    """Rows whose every value (keys included) the test sets, of most column types Mitra uses."""
    patient = make_patient("digest", "Digest Example")
    for pk, day, note in ((9002, date(2026, 3, 2), "zweiter Tag \u2013 k\u00e4va"),
                          (9001, date(2026, 3, 1), "")):
        DiaryEntry.objects.create(
            pk=pk, uuid=uuid.UUID(int=pk), patient=patient, date=day, version=1, mood=6,
            craving=None, motives=["pain", "sleep"], note=note, payload_hash="f" * 64)
        UseEvent.objects.create(
            pk=pk, uuid=uuid.UUID(int=pk + 1), entry_id=pk, patient=patient, date=day,
            substance="kratom_powder", amount=Decimal("3.250"), unit="g",
            grams_per_unit=None, grams=Decimal("3.25"), time=time(8, 15), product_label="")
    DiaryEntry.objects.update(created_at=AT)  # auto_now_add chose the time of the test


@pytest.mark.django_db
def test_the_same_content_gives_the_same_digest_on_sqlite_and_postgresql():
    fixed_diary()
    patient_column = {"patient_id": DiaryEntry.objects.values_list("patient_id", flat=True)[0]}
    entries = digest.digest_table(connection, DiaryEntry._meta.db_table, DiaryEntry)
    uses = digest.digest_table(connection, UseEvent._meta.db_table, UseEvent)
    assert (entries.rows, uses.rows) == (2, 2)
    # The patient's key differs between runs (sequences are not reset); the rest is fixed, so
    # the digests are compared with the key's value spelled into the expected rows.
    expected_entries = expected_digest(DiaryEntry, [
        {"id": 9001, "uuid": str(uuid.UUID(int=9001)), "date": "2026-03-01", "note": ""},
        {"id": 9002, "uuid": str(uuid.UUID(int=9002)), "date": "2026-03-02",
         "note": "zweiter Tag \u2013 k\u00e4va"},
    ], {**patient_column, "version": 1, "is_current": True, "mood": 6, "anxiety": None,
        "craving": None, "sleep_quality": None, "withdrawal": None,
        "motives": ["pain", "sleep"], "payload_hash": "f" * 64,
        "created_at": "2026-03-01T08:30:15.123456+00:00", "created_by_id": None})
    expected_uses = expected_digest(UseEvent, [
        {"id": 9001, "uuid": str(uuid.UUID(int=9002)), "entry_id": 9001, "date": "2026-03-01"},
        {"id": 9002, "uuid": str(uuid.UUID(int=9003)), "entry_id": 9002, "date": "2026-03-02"},
    ], {**patient_column, "is_current": True, "substance": "kratom_powder", "amount": "3.25",
        "unit": "g", "grams_per_unit": None, "grams": "3.25", "time": "08:15:00",
        "product_label": ""})
    assert (entries.sha256, uses.sha256) == (expected_entries, expected_uses)


def expected_digest(model, rows: list[dict], common: dict) -> str:
    """The digest written out by hand from the documented algorithm (module docstring)."""
    import hashlib

    table = model._meta.db_table
    columns = sorted(f.column for f in model._meta.concrete_fields)
    sha = hashlib.sha256(digest.row_line([table, columns]))
    for row in rows:
        values = {**common, **row}
        sha.update(digest.row_line([values[c] for c in columns]))
    return sha.hexdigest()


@pytest.mark.django_db
def test_a_digest_follows_the_content_not_the_order_rows_were_written():
    keys = ["b" * 32, "a" * 32, "C" * 32, "\u00e4" * 32]
    for key in keys:
        Session.objects.create(session_key=key, session_data="x", expire_date=AT)
    table = Session._meta.db_table
    first = digest.digest_table(connection, table, Session)
    Session.objects.all().delete()
    for key in reversed(keys):
        Session.objects.create(session_key=key, session_data="x", expire_date=AT)
    assert digest.digest_table(connection, table, Session) == first
    Session.objects.filter(session_key="a" * 32).update(session_data="y")
    changed = digest.digest_table(connection, table, Session)
    assert changed.rows == first.rows == 4 and changed.sha256 != first.sha256
    assert digest.compare({table: first}, {table: changed}) == [
        f"{table}: content differs from the backup (4 rows each)"]


@pytest.mark.django_db
def test_a_table_no_model_describes_is_digested_too():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE backup_test_extra (a integer, b varchar(10))")
        cursor.execute("INSERT INTO backup_test_extra VALUES (2, 'two'), (1, 'one')")
        assert "backup_test_extra" in digest.base_tables(connection)
        first = digest.digest_table(connection, "backup_test_extra")
        cursor.execute("DELETE FROM backup_test_extra")
        cursor.execute("INSERT INTO backup_test_extra VALUES (1, 'one'), (2, 'two')")
        again = digest.digest_table(connection, "backup_test_extra")
        cursor.execute("UPDATE backup_test_extra SET b = 'deux' WHERE a = 2")
        changed = digest.digest_table(connection, "backup_test_extra")
    assert first == again and first.rows == 2
    assert changed.sha256 != first.sha256


def test_compare_names_missing_extra_and_miscounted_tables():
    a, b = digest.TableDigest(3, "a" * 64), digest.TableDigest(4, "a" * 64)
    assert digest.compare({"t1": a, "t2": a, "t3": a}, {"t2": b, "t3": a, "t4": a}) == [
        "t1: missing from the restored database",
        "t2: 4 rows, the backup has 3",
        "t4: in the restored database but not in the backup",
    ]


def test_the_secrets_to_keep_are_named_with_where_they_come_from(monkeypatch, tmp_path):
    key_file = tmp_path / "key"
    monkeypatch.setenv("SECRET_KEY_FILE", str(key_file))
    (secret,) = [s for s in manifest.secrets_to_keep() if s["setting"] == "SECRET_KEY"]
    assert set(secret["environment"][:2]) == {"SECRET_KEY_FILE", "SECRET_KEY"}
    assert secret["now_from"] == f"SECRET_KEY_FILE={key_file}"
    monkeypatch.delenv("SECRET_KEY_FILE")
    monkeypatch.setenv("SECRET_KEY", "a-value-that-must-not-be-written-anywhere")
    keep = manifest.secrets_to_keep()
    assert "a-value-that-must-not-be-written" not in repr(keep)
    reminder = manifest.secrets_reminder(keep)
    assert "SECRET_KEY (from the environment variable SECRET_KEY)" in reminder


def test_any_key_setting_in_the_settings_module_is_named(monkeypatch, tmp_path):
    (tmp_path / "keyed_settings.py").write_text(
        "from mitra.lib.env import env_str, secret_key\n"
        "SECRET_KEY = secret_key(None)\n"
        "MITRA_AUDIT_KEY = env_str('MITRA_AUDIT_KEY_FILE', env_str('MITRA_AUDIT_KEY'))\n"
        "SECRET_KEY_FALLBACKS = []\n"
        "KEYBOARD_LAYOUT = env_str('KEYBOARD_LAYOUT')\n"
        "MONKEY = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("MITRA_AUDIT_KEY", "not-to-be-written")
    monkeypatch.setenv("SECRET_KEY", "not-to-be-written-either")
    found = {s["setting"]: s for s in manifest.secrets_to_keep("keyed_settings")}
    assert list(found) == ["SECRET_KEY", "MITRA_AUDIT_KEY", "SECRET_KEY_FALLBACKS"]
    assert found["MITRA_AUDIT_KEY"]["environment"] == ["MITRA_AUDIT_KEY_FILE", "MITRA_AUDIT_KEY"]
    assert found["MITRA_AUDIT_KEY"]["now_from"] == "the environment variable MITRA_AUDIT_KEY"
    assert "not-to-be-written" not in repr(found)
