"""PostgreSQL: pg_dump and pg_restore (found on PATH), digests from pg_dump's own snapshot.

The digests and the dump must describe the same moment while the app keeps writing. So the
backup opens one REPEATABLE READ, READ ONLY transaction, exports its snapshot
(`pg_export_snapshot()`), starts `pg_dump --snapshot` on it and reads the digests in that
transaction while pg_dump runs: both see exactly the rows committed before the snapshot. The
transaction holds no lock that blocks writers, only the snapshot (vacuum waits for it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction
from django.db.backends.postgresql.client import DatabaseClient

from mitra.lib.backup.digest import DatabaseContent, read_database
from mitra.lib.backup.errors import BackupError, TargetNotEmpty, shown

CONNECT_TIMEOUT = "10"  # seconds for pg_dump/pg_restore to reach the server


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found on PATH: install PostgreSQL's client programs (Debian: "
            "postgresql-client), the server's major version or newer")
    return path


def _version(exe: str) -> str:
    result = subprocess.run([exe, "--version"], capture_output=True, text=True,  # noqa: S603
                            timeout=30, check=False)
    return result.stdout.strip()


def libpq_env() -> dict[str, str]:
    """The environment that points libpq (pg_dump, pg_restore) at Django's database."""
    settings = connection.settings_dict
    _args, env = DatabaseClient.settings_to_cmd_args_env(settings, [])
    env = dict(env or {})
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                     ("PGDATABASE", "NAME")):
        if settings.get(key):
            env[var] = str(settings[key])
    env.setdefault("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT)
    return {**os.environ, **env}


def _failed(name: str, returncode: int, stderr: str) -> BackupError:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = "; ".join(lines[-3:]) or "no message"
    return BackupError(f"{name} failed (exit {returncode}): {detail}")


def dump(target: Path, *, timeout: float) -> tuple[DatabaseContent, str, str]:
    """pg_dump -Fc into `target`; (content read from the same snapshot, server version, tool)."""
    exe = tool("pg_dump")
    if connection.in_atomic_block:
        raise BackupError("a backup needs its own transaction: call it outside transaction.atomic")
    deadline = time.monotonic() + timeout
    with transaction.atomic(), tempfile.TemporaryFile() as errors:
        with connection.cursor() as cursor:
            # The first statement of the transaction: its snapshot is taken by the next one.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
        # stderr to a file, not a pipe: nothing reads it while the digests are taken.
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [exe, "--format=custom", "--no-password", f"--snapshot={snapshot}",
             f"--file={target}"],
            env=libpq_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=errors)
        try:
            content = read_database(connection)
            returncode = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            raise BackupError(f"pg_dump did not finish within {timeout:g} s (--timeout)") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if returncode != 0:
            errors.seek(0)
            raise _failed("pg_dump", returncode, errors.read().decode(errors="replace"))
    return content, server_version, _version(exe)


KINDS = {"r": "tables", "p": "tables", "f": "tables", "v": "views", "m": "views",
         "S": "sequences"}


def nonempty() -> tuple[list[str], dict[str, int]]:
    """Relations outside the system schemas: (their names, tables first; a count per kind)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT CASE WHEN n.nspname = 'public' THEN '' ELSE n.nspname || '.' END || c.relname,
                   c.relkind
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            ORDER BY c.relkind NOT IN ('r', 'p'), 1
        """)
        rows = cursor.fetchall()
    counts: dict[str, int] = {}
    for _name, kind in rows:
        counts[KINDS[kind]] = counts.get(KINDS[kind], 0) + 1
    return [name for name, _kind in rows], counts


def restore(dump_file: Path, *, timeout: float) -> None:
    """pg_restore into Django's (empty) database in one transaction, then ANALYZE."""
    exe = tool("pg_restore")
    name = connection.settings_dict["NAME"]
    found, counts = nonempty()
    if found:
        what = " and ".join(f"{n} {kind}" for kind, n in counts.items())
        raise TargetNotEmpty(
            f"the database {name} is not empty: it has {what} ({shown(found)}); restore only "
            "into an empty database (createdb a new one)")
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [exe, "--no-password", "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", f"--dbname={name}", str(dump_file)],
            env=libpq_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"pg_restore did not finish within {timeout:g} s (--timeout); "
                          "its one transaction was rolled back") from None
    if result.returncode != 0:
        raise _failed("pg_restore", result.returncode, result.stderr)
    # pg_restore brings no planner statistics, and the busiest queries' plans depend on them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def read_restored() -> DatabaseContent:
    with transaction.atomic():
        return read_database(connection)
