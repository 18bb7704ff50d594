"""Backup and restore of Mitra's database, with a manifest that lets a restore prove itself.

    take_backup(Path("/var/backups/mitra/2026-12-03"), timeout=3600)     # mitra backup PATH
    restore_backup(Path("/var/backups/mitra/2026-12-03"), timeout=3600)  # mitra restore PATH

A backup is a new folder with the dump and `manifest.json` (`manifest.py`): Mitra's version, the
vendor, the time, the migrations applied and, for every table, its row count and a digest of
its content (`digest.py`) taken from the same snapshot as the dump (`postgres.py`,
`sqlite.py`). It is written under a hidden `.NAME.partial-*` folder and renamed into place
last, so a folder named PATH is always a whole backup.

A restore goes only into an empty database of the same vendor. It checks the dump against the
manifest first (size, SHA-256), restores, then reads every table again and compares counts and
digests with the manifest. Secrets (SECRET_KEY and any other key setting) are never in a
backup; the manifest names them so the operator keeps them (`manifest.secrets_to_keep`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone

from mitra.lib.backup import manifest, postgres, sqlite
from mitra.lib.backup.digest import compare
from mitra.lib.backup.errors import (
    EXIT_STATUSES,
    BackupError,
    BackupRefused,
    BadArgument,
    TargetNotEmpty,
    VerificationFailed,
)

__all__ = ["EXIT_STATUSES", "BackupError", "BackupRefused", "BadArgument", "TargetNotEmpty",
           "VerificationFailed", "BackupReport", "RestoreReport", "take_backup",
           "restore_backup"]


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: dict[str, Any]
    seconds: float

    @property
    def reminder(self) -> str:
        return manifest.secrets_reminder(self.manifest["secrets"]["keep"])


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    manifest: dict[str, Any]
    tables: int
    rows: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def reminder(self) -> str:
        keep = self.manifest.get("secrets", {}).get("keep", [])
        return manifest.secrets_reminder(keep, restoring=True)


def _vendor() -> str:
    if connection.vendor not in manifest.DUMP_FILES:
        raise BackupError(f"{connection.vendor}: only PostgreSQL and SQLite can be backed up")
    if connection.in_atomic_block:
        raise BackupError("backup and restore run outside any transaction")
    return connection.vendor


def _new_folder(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BadArgument(f"PATH: {path} already exists; a backup goes into a new (or empty) "
                          "folder, never over another")
    if not path.parent.is_dir():
        raise BadArgument(f"PATH: the folder {path.parent} does not exist")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def take_backup(path: Path, *, timeout: float) -> BackupReport:
    """Dump Django's database into the new folder `path`, with its manifest."""
    vendor = _vendor()
    _new_folder(path)
    started = time.monotonic()
    created_at = timezone.now().isoformat().replace("+00:00", "Z")
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    except OSError as exc:
        raise BackupError(f"cannot write in {path.parent}: {exc.strerror}") from None
    try:
        dump = work / manifest.DUMP_FILES[vendor]
        if vendor == "postgresql":
            content, server_version, tool = postgres.dump(dump, timeout=timeout)
        else:
            content, server_version, tool = sqlite.copy(dump)
        dump.chmod(0o600)  # it holds password hashes and health data
        _fsync(dump)
        data = manifest.build(content, vendor=vendor, dump=dump, server_version=server_version,
                              tool=tool, created_at=created_at,
                              seconds=time.monotonic() - started)
        manifest.write(work, data)
        os.rename(work, path)  # replaces an empty folder; never a full one (checked above)
        _fsync(path.parent)
    except OSError as exc:
        raise BackupError(f"cannot write the backup: {exc.strerror} ({exc.filename})") from None
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return BackupReport(path=path, manifest=data, seconds=time.monotonic() - started)


def _migration_notes(applied: list[str]) -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # the restore itself is done and checked: report, do not fail
        return [f"The backup's migrations could not be compared with this Mitra's: {exc}"]
    on_disk = {f"{app}.{name}" for app, name in executor.loader.disk_migrations}
    notes = []
    unknown = sorted(set(applied) - on_disk)
    if unknown:
        notes.append(f"The backup has {len(unknown)} migrations this Mitra does not have "
                     f"({', '.join(unknown[:3])}...): it was made by a newer Mitra; run that.")
    if plan:
        notes.append(f"This Mitra has {len(plan)} migrations the backup lacks: run mitra migrate.")
    return notes


def restore_backup(path: Path, *, timeout: float) -> RestoreReport:
    """Restore the backup folder `path` into Django's empty database, and check it."""
    if not path.exists():
        raise BadArgument(f"PATH: {path} does not exist")
    vendor = _vendor()
    started = time.monotonic()
    backup = manifest.read(path)
    if backup.vendor != vendor:
        names = manifest.VENDOR_NAMES
        raise BackupRefused(
            f"{path} is a backup of a {names[backup.vendor]} database and the target "
            f"(DATABASE_URL) is {names[vendor]}: restore it into a {names[backup.vendor]} one")
    if vendor == "postgresql":
        postgres.restore(backup.dump, timeout=timeout)
        content = postgres.read_restored()
    else:
        sqlite.restore(backup.dump)
        content = sqlite.read_restored()
    problems = compare(backup.tables, content.tables)
    if problems:
        more = f"; and {len(problems) - 5} more tables" if len(problems) > 5 else ""
        raise VerificationFailed(
            "the restored database differs from the backup's manifest, do not use it: "
            + "; ".join(problems[:5]) + more)
    return RestoreReport(path=path, manifest=backup.manifest, tables=len(content.tables),
                         rows=content.rows, seconds=time.monotonic() - started,
                         notes=_migration_notes(content.migrations))
