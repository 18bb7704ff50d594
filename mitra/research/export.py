"""The de-identified research export: every participant, one CSV and one Parquet file per
kind (`kinds.KINDS`), a data dictionary, a README on the method and a manifest.

Streamed: patients are read in primary-key batches (keyset paging, no cursor held between
batches, no transaction held at all) and each kind's rows written as they come, so memory
holds one batch whatever the size of the cohort. Written into a hidden folder beside the
target and renamed into place at the end: a failed export leaves nothing half written. Each
export is an audited disclosure of de-identified data (`research.exported`).
"""

from __future__ import annotations

import json
import shutil
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor
from mitra.audit.events import Event
from mitra.patients.models import Patient
from mitra.research import deidentify
from mitra.research.kinds import KINDS
from mitra.research.writer import KindWriter, sha256

BATCH_PATIENTS = 100
README = """Mitra research export (de-identified)

Made {created} by Mitra {mitra}. {participants} participants.

Method (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)):
- Participants are named by a pseudonym: a keyed HMAC of their record, the key kept outside
  the database (key fingerprint {fingerprint}). Exports made with the same key share pseudonyms.
- Every date and time is shifted by a per-participant offset of 1 to 365 days back: intervals
  within one participant's record are exact, calendar dates are not. day_in_care counts days
  from enrolment.
- Ages at enrolment over 89 are grouped as 90+; jurisdiction is the country or US state.
- No names, contact details, birth dates, free text or alert texts are exported.
A strict reading of Safe Harbor keeps no date element but the year; whether shifted dates may
leave the clinic under Safe Harbor or need an expert determination (164.514(b)(1)) is the
clinic's privacy officer's decision.

Files: one CSV and one Parquet file per kind, same rows; dictionary.csv describes every column;
manifest.json lists the files with their row counts and SHA-256 digests.
"""


class ResearchExportError(Exception):
    """The export cannot be made (exit status 2: the target; 1: a failure)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class ExportReport:
    path: Path
    participants: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def key_fingerprint(key: str) -> str:
    return deidentify.pseudonym(key, "fingerprint")[2:10]


def _target(path: Path) -> None:
    if "\0" in str(path):
        raise ResearchExportError("DIR: a folder name cannot hold a NUL byte")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ResearchExportError(f"{path}: exists and is not an empty folder; name a new one")
    if not path.parent.is_dir():
        raise ResearchExportError(f"{path.parent}: no such folder")


def export_research(path: Path, *, acting: Actor | None, key: str | None = None,
                    batch_patients: int = BATCH_PATIENTS,
                    batch_rows: int = 50_000) -> ExportReport:
    """Write the export into the new folder `path`; an ExportReport of what was written."""
    _target(path)
    key = key or settings.MITRA_RESEARCH_KEY
    began = time.monotonic()
    partial = path.parent / f".{path.name}.partial-{uuidlib.uuid4().hex[:8]}"
    partial.mkdir()
    writers = [KindWriter(partial, k.name, k.columns, batch_rows) for k in KINDS]
    report = ExportReport(path)
    try:
        last = 0
        while True:
            batch = list(Patient.objects.filter(pk__gt=last).order_by("pk")
                         .values_list("pk", "uuid", "enrolled_on")[:batch_patients])
            if not batch:
                break
            subjects = {pk: deidentify.subject(key, str(uuid), enrolled_on)
                        for pk, uuid, enrolled_on in batch}
            lo, last = batch[0][0], batch[-1][0]
            for kind, writer in zip(KINDS, writers, strict=True):
                writer.write(kind.rows(subjects, lo, last))
            report.participants += len(batch)
        for writer in writers:
            report.rows[writer.name] = writer.close()
        _describe(partial, report, key)
        # Audited before the files appear: an export the audit trail cannot record is not
        # left behind.
        record_audit(Event.RESEARCH_EXPORTED, acting=acting,
                     detail=f"{report.participants} participants, {report.total_rows} rows, "
                            f"key {key_fingerprint(key)}")
        if path.exists():
            _move_into(partial, path)
        else:
            partial.rename(path)
    except BaseException:
        for writer in writers:
            writer.abort()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    report.seconds = time.monotonic() - began
    return report


def _move_into(partial: Path, path: Path) -> None:
    """`path` is an empty folder (made by the caller): move the files in, drop `partial`."""
    for item in partial.iterdir():
        item.rename(path / item.name)
    partial.rmdir()


def _describe(folder: Path, report: ExportReport, key: str) -> None:
    created = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    mitra = version("mitra")
    with (folder / "dictionary.csv").open("w", newline="", encoding="utf-8") as f:
        f.write("file,column,type,description\r\n")
        for kind in KINDS:
            f.write(f'{kind.name},,,"{kind.description}"\r\n')
            for c in kind.columns:
                f.write(f'{kind.name},{c.name},{c.type},"{c.description.replace(chr(34), "")}"'
                        "\r\n")
    (folder / "README.txt").write_text(README.format(
        created=created, mitra=mitra, participants=report.participants,
        fingerprint=key_fingerprint(key)), encoding="utf-8")
    files = sorted(p for p in folder.iterdir() if p.is_file())
    manifest = {
        "format": "mitra-research-export/1", "mitra": mitra, "created": created,
        "participants": report.participants, "key_fingerprint": key_fingerprint(key),
        "date_shift_days": [1, deidentify.MAX_SHIFT_DAYS],
        "rows": report.rows,
        "files": [{"name": p.name, "bytes": p.stat().st_size, "sha256": sha256(p)}
                  for p in files],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                          encoding="utf-8")
