"""The backup's manifest (manifest.json beside the dump) and the checks a restore makes on it.

A backup folder holds exactly two files: the dump (`database.pgdump`, made by pg_dump in its
custom format, or `database.sqlite3`, a copy made by SQLite's online backup) and
`manifest.json`, written last. The manifest names the dump with its size and SHA-256, so a
restore can tell a complete backup from a partial or damaged one before touching the database.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import json
import os
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings

from mitra.lib.backup.digest import ALGORITHM, DatabaseContent, TableDigest
from mitra.lib.backup.errors import BackupRefused

FORMAT = "mitra-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
VENDOR_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# A setting that names a key (SECRET_KEY, SECRET_KEY_FALLBACKS, an audit key...).
KEY_SETTING = re.compile(r"(?:^|_)KEYS?(?:_|$)")
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{2,}")
MAGIC = {b"PGDMP": "a pg_dump archive", b"SQLite format 3\x00": "a SQLite database"}


def mitra_version() -> str:
    try:
        return metadata.version("mitra")
    except metadata.PackageNotFoundError:
        return "unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _env_names(node: ast.AST, namespace: dict[str, Any]) -> list[str]:
    """Environment variables a setting's expression reads: its string constants that look like
    variable names, and those of the helper functions it calls (`secret_key` reads
    SECRET_KEY_FILE and SECRET_KEY)."""
    names: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            names.append(sub.value)
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
            helper = namespace.get(sub.func.id)
            if inspect.isfunction(helper):
                try:
                    tree = ast.parse(inspect.getsource(helper))
                except (OSError, TypeError):
                    continue
                names += [c.value for c in ast.walk(tree)
                          if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return list(dict.fromkeys(n for n in names if ENV_NAME.fullmatch(n)))


def secrets_to_keep(module_name: str | None = None) -> list[dict[str, Any]]:
    """The key settings in the settings module and where each comes from now (never a value).

    The backup holds none of them: the operator keeps them apart from it.
    """
    # Under override_settings SETTINGS_MODULE is None; the environment still names the module.
    name = module_name or settings.SETTINGS_MODULE or os.environ.get(
        "DJANGO_SETTINGS_MODULE", "mitra.settings")
    module = importlib.import_module(name)
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        tree = ast.Module(body=[], type_ignores=[])
    found: dict[str, dict[str, Any]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and KEY_SETTING.search(target.id):
                env = _env_names(value, vars(module))
                found.setdefault(target.id, {"setting": target.id, "environment": env})
    for entry in found.values():
        entry["now_from"] = _source_now(entry["setting"], entry["environment"])
    return list(found.values())


def _source_now(setting: str, env: list[str]) -> str:
    for name in env:
        value = os.environ.get(name)
        if value:
            # A *_FILE variable holds a path, not the secret: naming it helps the operator.
            if name.endswith("_FILE"):
                return f"{name}={value}"
            return f"the environment variable {name}"
    var_dir = getattr(settings, "VAR_DIR", None)
    generated = {"SECRET_KEY": "secret_key", "MITRA_AUDIT_KEY": "audit_key",
                 "MITRA_RESEARCH_KEY": "research_key"}
    if setting in generated and var_dir is not None:
        return f"the file {Path(var_dir) / generated[setting]}, made on first start"
    return "its default in the settings"


def secrets_reminder(secrets: list[dict[str, Any]], *, restoring: bool = False) -> str:
    if not secrets:
        return "The backup holds no secrets, and the settings name none to keep."
    parts = "; ".join(f"{s['setting']} (from {s['now_from']})" for s in secrets)
    if restoring:
        return (f"Secrets are not in the backup: run this site with the backed-up site's "
                f"values of {parts}. Another SECRET_KEY signs everyone out and voids "
                "password-reset links.")
    return (f"Not in the backup: {parts}. Keep a copy with your backups but stored apart "
            "from them, and run a restored site with the same values: another SECRET_KEY "
            "signs everyone out and voids password-reset links.")


def build(content: DatabaseContent, *, vendor: str, dump: Path, server_version: str,
          tool: str, created_at: str, seconds: float) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "mitra_version": mitra_version(),
        "vendor": vendor,
        "server_version": server_version,
        "tool": tool,
        "created_at": created_at,
        "seconds": round(seconds, 2),
        "dump": {"file": dump.name, "bytes": dump.stat().st_size, "sha256": file_sha256(dump)},
        "digest_algorithm": ALGORITHM,
        "migrations": content.migrations,
        "totals": {"tables": len(content.tables), "rows": content.rows},
        "tables": {name: {"rows": t.rows, "sha256": t.sha256}
                   for name, t in sorted(content.tables.items())},
        "secrets": {"included": False, "keep": secrets_to_keep()},
    }


def write(folder: Path, manifest: dict[str, Any]) -> None:
    path = folder / MANIFEST
    with path.open("w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


@dataclass(frozen=True)
class Backup:
    folder: Path
    manifest: dict[str, Any]

    @property
    def vendor(self) -> str:
        return self.manifest["vendor"]

    @property
    def dump(self) -> Path:
        return self.folder / self.manifest["dump"]["file"]

    @property
    def tables(self) -> dict[str, TableDigest]:
        return {name: TableDigest(rows=t["rows"], sha256=t["sha256"])
                for name, t in self.manifest["tables"].items()}


def _refuse_file(path: Path) -> BackupRefused:
    with path.open("rb") as f:
        head = f.read(16)
    kind = next((what for magic, what in MAGIC.items() if head.startswith(magic)), None)
    if kind:
        return BackupRefused(f"{path} is {kind}, not a backup folder made by mitra backup "
                             f"(it has no {MANIFEST} to check it against)")
    return BackupRefused(f"{path} is a file, not a backup folder made by mitra backup")


def _checked(manifest: Any, where: Path) -> dict[str, Any]:
    """The manifest, if it is a Mitra manifest this version reads, with the fields it needs."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{where} is not a Mitra backup manifest (no \"format\": "
                            f"\"{FORMAT}\")")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupRefused(f"{where}: backup format {version!r}; this Mitra "
                            f"({mitra_version()}) reads format {FORMAT_VERSION}")
    if manifest.get("vendor") not in DUMP_FILES:
        raise BackupRefused(f"{where}: vendor {manifest.get('vendor')!r}; allowed: "
                            + ", ".join(DUMP_FILES))
    dump, tables = manifest.get("dump"), manifest.get("tables")
    if not (isinstance(dump, dict) and dump.get("file") == DUMP_FILES[manifest["vendor"]]
            and isinstance(dump.get("bytes"), int) and isinstance(dump.get("sha256"), str)):
        raise BackupRefused(f"{where}: the \"dump\" entry is missing or damaged")
    if not (isinstance(tables, dict) and tables and all(
            isinstance(t, dict) and isinstance(t.get("rows"), int)
            and isinstance(t.get("sha256"), str) for t in tables.values())):
        raise BackupRefused(f"{where}: the \"tables\" entry is missing or damaged")
    return manifest


def read(folder: Path) -> Backup:
    """A backup whose manifest and dump are whole, or BackupRefused saying what is wrong."""
    if folder.is_file():
        raise _refuse_file(folder)
    path = folder / MANIFEST
    if not path.is_file():
        dumps = [name for name in DUMP_FILES.values() if (folder / name).exists()]
        if dumps:
            raise BackupRefused(f"partial backup: {folder} has {dumps[0]} but no {MANIFEST} "
                                "(the backup did not finish)")
        raise BackupRefused(f"{folder} is not a Mitra backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupRefused(f"{path} is not valid JSON (truncated or damaged): {exc}") from None
    backup = Backup(folder, _checked(manifest, path))
    dump, expected = backup.dump, backup.manifest["dump"]
    if not dump.is_file():
        raise BackupRefused(f"partial backup: {dump.name} is missing from {folder}")
    size = dump.stat().st_size
    if size != expected["bytes"]:
        raise BackupRefused(f"partial backup: {dump.name} has {size} bytes, {MANIFEST} says "
                            f"{expected['bytes']} (truncated or copied incompletely)")
    if file_sha256(dump) != expected["sha256"]:
        raise BackupRefused(f"damaged backup: {dump.name} does not match its SHA-256 in "
                            f"{MANIFEST}")
    return backup
