"""`mitra backup` and `mitra restore`: round trips under concurrent writes, and every refusal.

SQLite: the console script against database files, with a second process submitting diary
entries during the backup. PostgreSQL (skipped elsewhere): pg_dump's snapshot under a writing
thread, restored into a fresh database named after the test database.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from mitra.diary.models import DiaryEntry
from mitra.diary.tests.factories import make_entry
from mitra.lib.backup import digest, manifest
from mitra.lib.backup.sqlite import read_file
from mitra.testing import make_cast
from tests.clitools import mitra_env, run_mitra

ENTRIES = DiaryEntry._meta.db_table

# Submits diary entries (through the diary's own action) for days no demo entry uses, printing
# a running count after each commit, until the file named by argv[1] appears.
WRITER = """
import datetime, os, sys
import django
django.setup()
from mitra.diary.tests.factories import make_entry
from mitra.patients.models import Patient
patient = Patient.objects.order_by("pk").first()
n = 0
while not os.path.exists(sys.argv[1]):
    make_entry(patient, datetime.date(2000, 1, 1) + datetime.timedelta(days=n))
    n += 1
    print(n, flush=True)
"""


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{text}"
    return lines[0]


def count(db: Path, table: str = ENTRIES) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated SQLite site with a small demo cohort."""
    tmp = tmp_path_factory.mktemp("backup")
    env = mitra_env(tmp, sqlite_url(tmp / "live.sqlite3"))
    for args in (["migrate", "--no-input"], ["demo", "--patients", "6", "--days", "14",
                                              "--quiet"]):
        result = run_mitra(*args, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
    return tmp, env


@pytest.fixture(scope="module")
def taken(site):
    """A backup taken while another process writes diary entries, with the counts around it."""
    tmp, env = site
    live = tmp / "live.sqlite3"
    stop = tmp / "stop-writer"
    before = count(live)
    writer = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", WRITER, str(stop)], env={**env, "DJANGO_SETTINGS_MODULE":
                                                        "mitra.settings"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "1", writer.stderr.read()
        at_start = count(live)
        result = run_mitra("backup", str(tmp / "b1"), env=env)
        at_end = count(live)
        wait_until(lambda: count(live) > at_end)  # and rows written after the backup ended
    finally:
        stop.touch()
        _out, errors = writer.communicate(timeout=60)
    assert writer.returncode == 0, errors
    assert result.returncode == 0, result.stderr
    return {"path": tmp / "b1", "result": result, "before": before, "at_start": at_start,
            "at_end": at_end, "after": count(live)}


def load(path: Path) -> dict:
    return json.loads((path / manifest.MANIFEST).read_text())


def test_a_backup_taken_during_writes_restores_with_every_count_and_digest(
        site, taken, django_db_blocker):
    tmp, env = site
    made = load(taken["path"])
    entries = made["tables"][ENTRIES]["rows"]
    # The writer ran before, during and after the backup: the backup holds some of its rows.
    assert taken["before"] < taken["at_start"] < taken["at_end"] < taken["after"]
    assert taken["before"] < entries <= taken["at_end"]
    assert made["vendor"] == "sqlite" and made["totals"]["rows"] == sum(
        t["rows"] for t in made["tables"].values())
    assert "diary.0001_initial" in made["migrations"]

    target = tmp / "restored.sqlite3"
    result = run_mitra("restore", str(taken["path"]), env={**env, "DATABASE_URL":
                                                          sqlite_url(target)})
    assert result.returncode == 0, result.stderr
    assert "every count and digest equal to the manifest" in result.stdout
    assert count(target) == entries
    # Read again here, independently of the command: every table as the manifest says, while
    # the live database, written to after the backup, no longer matches it.
    with django_db_blocker.unblock():
        restored = read_file(target)
        live = read_file(tmp / "live.sqlite3")
    expected = {name: digest.TableDigest(**t) for name, t in made["tables"].items()}
    assert digest.compare(expected, restored.tables) == []
    assert set(restored.tables) >= {ENTRIES, "accounts_user", "django_session",
                                    "django_migrations", "audit_auditevent"}
    assert f"{ENTRIES}: {live.tables[ENTRIES].rows} rows" in " ".join(
        digest.compare(expected, live.tables))


def test_the_backup_names_the_secrets_to_keep_and_holds_none(site, taken):
    tmp, _env = site
    made = load(taken["path"])
    (secret,) = [s for s in made["secrets"]["keep"] if s["setting"] == "SECRET_KEY"]
    assert {"SECRET_KEY_FILE", "SECRET_KEY"} <= set(secret["environment"])
    assert made["secrets"]["included"] is False
    key = (tmp / "var" / "secret_key").read_text().strip()
    assert key not in (taken["path"] / manifest.MANIFEST).read_text()
    assert "Not in the backup: SECRET_KEY" in taken["result"].stdout
    assert str(tmp / "var" / "secret_key") in taken["result"].stdout


def changed_copy(taken, tmp: Path, name: str, change) -> Path:
    folder = tmp / name
    shutil.copytree(taken["path"], folder)
    change(folder)
    return folder


def truncate(folder: Path) -> None:
    dump = folder / "database.sqlite3"
    dump.write_bytes(dump.read_bytes()[:4096])


def flip_a_byte(folder: Path) -> None:
    dump = folder / "database.sqlite3"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))


def edit_manifest(edit):
    def change(folder: Path) -> None:
        data = load(folder)
        edit(data, folder)
        (folder / manifest.MANIFEST).write_text(json.dumps(data))
    return change


def claim_postgresql(data: dict, folder: Path) -> None:
    (folder / "database.sqlite3").rename(folder / "database.pgdump")
    data["vendor"], data["dump"]["file"] = "postgresql", "database.pgdump"


def miscount(data: dict, folder: Path) -> None:
    data["tables"][ENTRIES]["rows"] += 1
    data["tables"]["accounts_user"]["sha256"] = "0" * 64


def not_ours(folder: Path) -> None:
    (folder / manifest.MANIFEST).write_text(json.dumps({"name": "another app's backup"}))


REFUSALS = [
    # (name, how the backup is changed or which PATH, exit status, words in the message)
    ("truncated", truncate, 3, "partial backup: database.sqlite3 has 4096 bytes"),
    ("no-manifest", lambda f: (f / manifest.MANIFEST).unlink(), 3,
     "partial backup: {path} has database.sqlite3 but no manifest.json"),
    ("damaged", flip_a_byte, 3, "damaged backup: database.sqlite3 does not match its SHA-256"),
    ("foreign", not_ours, 3, "is not a Mitra backup manifest"),
    ("broken-json", lambda f: (f / manifest.MANIFEST).write_text('{"format": "mitra-b'), 3,
     "is not valid JSON (truncated or damaged)"),
    ("postgresql", edit_manifest(claim_postgresql), 3,
     "is a backup of a PostgreSQL database and the target (DATABASE_URL) is SQLite"),
    ("miscounted", edit_manifest(miscount), 5,
     "differs from the backup's manifest, do not use it: accounts_user: content differs"),
]


def test_restore_refuses_what_it_cannot_trust_with_one_line_and_its_exit_status(site, taken):
    tmp, env = site
    cases = [(name, changed_copy(taken, tmp, f"refused-{name}", change), status, words)
             for name, change, status, words in REFUSALS]
    cases += [
        ("plain-file", tmp / "live.sqlite3", 3, "is a SQLite database, not a backup folder"),
        ("missing", tmp / "no-such-backup", 2, "PATH: {path} does not exist"),
    ]

    def restore(case):
        name, path, _status, _words = case
        target = sqlite_url(tmp / f"target-{name}.sqlite3")
        return run_mitra("restore", str(path), env={**env, "DATABASE_URL": target})

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(restore, cases))
    for (name, path, status, words), result in zip(cases, results, strict=True):
        assert result.returncode == status, (name, result.stdout, result.stderr)
        line = one_line(result.stderr)
        assert line.startswith("mitra restore: error: "), name
        assert words.format(path=path) in line, (name, line)
    # The miscounted backup was restored, then its check named both tables.
    miscounted = one_line(results[[c[0] for c in cases].index("miscounted")].stderr)
    assert f"{ENTRIES}: {load(taken['path'])['tables'][ENTRIES]['rows']} rows, the backup " \
           "has" in miscounted
    # A refused backup never reached its target database.
    for name, _path, status, _words in cases:
        target = tmp / f"target-{name}.sqlite3"
        assert status != 3 or not target.exists() or count_tables(target) == 0, name


def count_tables(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]


def test_restore_refuses_a_database_that_is_not_empty(site, taken):
    tmp, env = site
    before = count(tmp / "live.sqlite3")
    result = run_mitra("restore", str(taken["path"]), env=env)
    assert result.returncode == 4
    line = one_line(result.stderr)
    assert f"the database {tmp / 'live.sqlite3'} is not empty: it has" in line
    assert "account_emailaddress" in line and "restore only into an empty database" in line
    assert count(tmp / "live.sqlite3") == before


@pytest.mark.parametrize("args, words", [
    (["backup", "{tmp}/b1"], "PATH: {tmp}/b1 already exists"),
    (["backup", "{tmp}/no-such-folder/b"], "PATH: the folder {tmp}/no-such-folder does not"),
    (["backup", "{tmp}/b9", "--timeout", "0"], "--timeout must be between 1 and 604800"),
    (["restore", "{tmp}/b1", "--timeout", "abc"], "--timeout"),
    (["restore"], "PATH"),
])
def test_a_bad_argument_exits_2_with_one_line_naming_it(site, taken, args, words):
    tmp, env = site
    result = run_mitra(*[a.format(tmp=tmp) for a in args], env=env)
    assert result.returncode == 2, result
    assert words.format(tmp=tmp) in one_line(result.stderr)
    assert not (tmp / "b9").exists()


# PostgreSQL: the dump and the digests from one snapshot, while a thread writes.

def postgres_url(name: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or ''}:{s['PORT'] or 5432}/{name}"


def drop_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="pg_dump and pg_restore: PostgreSQL only")


@on_postgresql
def test_a_postgresql_backup_taken_during_writes_restores_into_a_fresh_database(
        transactional_db, tmp_path):
    cast = make_cast()
    for days in range(3):
        make_entry(cast.patient, date(1999, 1, 1) + timedelta(days=days))
    before = DiaryEntry.objects.count()
    stop, written, failures = threading.Event(), [], []

    def write() -> None:
        try:
            n = 0
            while not stop.is_set():
                make_entry(cast.other_patient, date(2000, 1, 1) + timedelta(days=n))
                n += 1
                written.append(n)
        except Exception as exc:  # reported by the test below, not lost in the thread
            failures.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_until(lambda: written or failures)
        at_start = DiaryEntry.objects.count()
        out = StringIO()
        call_command("backup", str(tmp_path / "b"), stdout=out)
        at_end = DiaryEntry.objects.count()
        wait_until(lambda: DiaryEntry.objects.count() > at_end or failures)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not failures, failures
    made = load(tmp_path / "b")
    entries = made["tables"][ENTRIES]["rows"]
    assert before < at_start < at_end < DiaryEntry.objects.count()
    assert at_start <= entries <= at_end
    assert made["vendor"] == "postgresql" and made["tool"].startswith("pg_dump")
    assert "Not in the backup: SECRET_KEY" in out.getvalue()

    # Named after the test database, so parallel and CI runs each have their own.
    target = f"{connection.settings_dict['NAME']}_restore"
    drop_database(target)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{target}"')
    try:
        env = mitra_env(tmp_path, postgres_url(target))
        result = run_mitra("restore", str(tmp_path / "b"), env=env)
        assert result.returncode == 0, result.stderr
        assert f"{made['totals']['tables']} tables, {made['totals']['rows']:,} rows, every " \
               "count and digest equal to the manifest" in result.stdout
        import psycopg

        with psycopg.connect(postgres_url(target)) as conn:
            restored = conn.execute(f"SELECT count(*) FROM {ENTRIES}").fetchone()[0]  # noqa: S608
            # The keys' sequences came along: the next new row takes a key not yet used.
            next_key, last_key = conn.execute(
                f"SELECT nextval(pg_get_serial_sequence('{ENTRIES}', 'id')), "  # noqa: S608
                f"(SELECT max(id) FROM {ENTRIES})").fetchone()
        assert restored == entries
        assert next_key > last_key
        again = run_mitra("restore", str(tmp_path / "b"), env=env)
        assert again.returncode == 4
        assert f"the database {target} is not empty: it has" in one_line(again.stderr)
    finally:
        drop_database(target)


@on_postgresql
def test_a_postgresql_backup_without_pg_dump_says_so_and_exits_1(transactional_db, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError) as raised:
        call_command("backup", str(tmp_path / "b"))
    assert raised.value.returncode == 1
    assert "pg_dump was not found on PATH" in str(raised.value)
    assert list(tmp_path.iterdir()) == []  # no partial folder left behind
