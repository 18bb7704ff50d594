"""The research export, read back with pyarrow: every row there, no identifier anywhere,
intervals kept, streamed in batches, nothing half written, audited; the CLI's exit statuses."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.cbt.models import ThoughtRecord
from mitra.diary.models import DiaryEntry, UseEvent
from mitra.measures.models import Response
from mitra.patients.models import Intake, Patient
from mitra.reports.tests.helpers import add_diary, add_scores
from mitra.research import export as research_export
from mitra.research.kinds import KINDS
from mitra.safety.models import Alert
from mitra.testing import make_cast, make_patient

pytestmark = pytest.mark.django_db
KEY = "test-research-key-" + "x" * 30
NAME, EMAIL = "Quintessa Marrowby", "quintessa.marrowby@example.org"
SECRET_TEXT = "ZZ-FREE-TEXT-7Q"
BORN = date(1931, 2, 14)  # over 89 at enrolment


@pytest.fixture
def cohort():
    cast = make_cast()
    today = timezone.localdate()
    enrolled = today - timedelta(days=40)
    p = make_patient("quin", NAME, cast.team_a, enrolled_on=enrolled)
    p.date_of_birth = BORN
    p.save()
    p.user.email = EMAIL
    p.user.save()
    Intake.objects.create(patient=p, jurisdiction="US-CA", substances=["kratom", "kava"])
    days = {enrolled + timedelta(days=n): 2.5 for n in range(0, 40, 3)}
    add_diary(p, days)
    DiaryEntry.objects.filter(patient=p).update(note=SECRET_TEXT)
    UseEvent.objects.filter(patient=p).update(product_label=SECRET_TEXT)
    add_scores(p, "phq9", [18, 12, 7], last_day=today - timedelta(days=1))
    ThoughtRecord.objects.create(
        uuid=uuid.uuid4(), patient=p, occurred_on=enrolled + timedelta(days=5),
        situation=SECRET_TEXT, automatic_thoughts=SECRET_TEXT, balanced_thought=SECRET_TEXT,
        emotions=[{"emotion": SECRET_TEXT, "before": 80, "after": 40}],
        distortions=["labelling", SECRET_TEXT])
    Alert.objects.create(patient=p, kind=Alert.Kind.SUICIDE_RISK, priority=1,
                         reason=f"{NAME} said {SECRET_TEXT}", dedupe_key="x")
    return p, days


def _export(tmp_path: Path, **kw) -> research_export.ExportReport:
    return research_export.export_research(tmp_path / "out", acting=None, key=KEY, **kw)


def _all_text(folder: Path) -> str:
    """Every file's text, the Parquet files' values included (as strings)."""
    parts: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            parts.extend(str(v) for col in table.columns for v in col.to_pylist())
        else:
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_every_row_is_there_in_both_formats(tmp_path, cohort):
    report = _export(tmp_path)
    out = tmp_path / "out"
    expected = {"participants": Patient.objects.count(), "responses": Response.objects.count(),
                "diary_days": DiaryEntry.objects.filter(is_current=True).count(),
                "use_events": UseEvent.objects.filter(is_current=True).count(),
                "thought_records": 1, "activity_slots": 0, "exposure_logs": 0, "alerts": 1}
    assert report.rows == expected
    for kind in KINDS:
        table = pq.read_table(out / f"{kind.name}.parquet")
        assert table.num_rows == expected[kind.name]
        assert table.column_names == [c.name for c in kind.columns]
        with (out / f"{kind.name}.csv").open(encoding="utf-8") as f:
            assert sum(1 for _ in csv.reader(f)) == expected[kind.name] + 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == expected
    assert {f["name"] for f in manifest["files"]} >= {"dictionary.csv", "README.txt",
                                                      "responses.parquet"}
    dictionary = (out / "dictionary.csv").read_text()
    assert "responses,total,float" in dictionary and "diary_days,mood,int" in dictionary


def test_no_identifier_free_text_or_real_date_leaves(tmp_path, cohort):
    patient, days = cohort
    _export(tmp_path)
    text = _all_text(tmp_path / "out")
    for secret in (NAME, "Quintessa", "Marrowby", EMAIL, SECRET_TEXT, BORN.isoformat(),
                   str(patient.uuid), patient.pseudonym, patient.user.username):
        assert secret not in text, secret
    participants = pq.read_table(tmp_path / "out" / "participants.parquet").to_pylist()
    mine = [r for r in participants if r["substances"] == "kava;kratom"]
    assert mine[0]["age_at_enrolment"] == "90+" and mine[0]["jurisdiction"] == "US-CA"
    assert mine[0]["enrolled_on"] != patient.enrolled_on
    thought = pq.read_table(tmp_path / "out" / "thought_records.parquet").to_pylist()[0]
    assert thought["distortions"] == "labelling" and thought["intensity_before"] == "80"


def test_intervals_are_kept_and_the_pseudonym_links_the_files(tmp_path, cohort):
    patient, days = cohort
    _export(tmp_path)
    out = tmp_path / "out"
    (who,) = [r["participant"] for r in pq.read_table(out / "participants.parquet").to_pylist()
              if r["substances"] == "kava;kratom"]
    diary = [r for r in pq.read_table(out / "diary_days.parquet").to_pylist()
             if r["participant"] == who]
    shifted = [r["date"] for r in diary]
    real = sorted(days)
    assert [(b - a).days for a, b in zip(shifted, shifted[1:], strict=False)] == \
        [(b - a).days for a, b in zip(real, real[1:], strict=False)]
    assert [r["day_in_care"] for r in diary] == [(d - patient.enrolled_on).days for d in real]
    # Every date moved back by the same 1 to 365 days: none is left at its real value (a
    # shifted date may still fall on another real day of the series: only the pairing is
    # hidden, and the offset is unknown without the key).
    offsets = {(r - d).days for r, d in zip(real, shifted, strict=True)}
    assert len(offsets) == 1 and 1 <= offsets.pop() <= 365
    responses = [r for r in pq.read_table(out / "responses.parquet").to_pylist()
                 if r["participant"] == who]
    real_times = sorted(Response.objects.filter(patient=patient)
                        .values_list("submitted_at", flat=True))
    assert {(a - b.replace(tzinfo=a.tzinfo)).days
            for a, b in zip(real_times, [r["submitted_at"] for r in responses], strict=True)} \
        == {(real[0] - shifted[0]).days}
    uses = pq.read_table(out / "use_events.parquet").to_pylist()
    assert {r["participant"] for r in uses} == {who}
    assert uses[0]["grams"] == float(Decimal("2.5"))


def test_the_export_is_written_in_batches(tmp_path, cohort):
    for n in range(5):
        p = make_patient(f"more{n}", f"More {n}", enrolled_on=timezone.localdate())
        add_diary(p, {timezone.localdate(): 1.0})
    _export(tmp_path, batch_patients=2, batch_rows=3)
    meta = pq.ParquetFile(tmp_path / "out" / "diary_days.parquet").metadata
    assert meta.num_row_groups > 1 and meta.num_rows == DiaryEntry.objects.count()


def test_a_failure_leaves_nothing_half_written(tmp_path, cohort, monkeypatch):
    def broken(subjects, lo, hi):
        yield from ()
        raise RuntimeError("the database went away")

    kinds = list(KINDS)
    kinds[3] = kinds[3].__class__(kinds[3].name, kinds[3].description, kinds[3].columns,
                                  broken)
    monkeypatch.setattr(research_export, "KINDS", tuple(kinds))
    with pytest.raises(RuntimeError):
        _export(tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(event="research.exported").exists()


def test_each_export_is_audited_without_identifiers(tmp_path, cohort):
    _export(tmp_path)
    event = AuditEvent.objects.get(event="research.exported")
    assert "participants" in event.detail and NAME not in event.detail
    assert event.patient_id is None


def test_a_folder_name_with_a_nul_byte_is_refused_naming_it(tmp_path):
    with pytest.raises(research_export.ResearchExportError, match="DIR: .*NUL"):
        research_export.export_research(tmp_path / "out\0x", acting=None, key=KEY)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_empty_is_refused(tmp_path, cohort):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(research_export.ResearchExportError, match="not an empty folder"):
        _export(tmp_path)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


@pytest.mark.slow
def test_the_cli_writes_an_export_and_says_what_was_wrong_otherwise(tmp_path):
    mitra = str(Path(sys.executable).with_name("mitra"))
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "MITRA_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run([mitra, *args], env=env, capture_output=True,  # noqa: S603
                              text=True, timeout=300)

    assert run("migrate", "-v0").returncode == 0
    # An empty database: the rows themselves are the in-process tests' business.
    done = run("export", "research", str(tmp_path / "x"))
    assert done.returncode == 0, done.stderr
    assert "0 participants" in done.stdout
    assert pq.read_table(tmp_path / "x" / "participants.parquet").num_rows == 0
    again = run("export", "research", str(tmp_path / "x"))
    assert again.returncode == 2 and "not an empty folder" in again.stderr
    wrong = run("export", "everything", str(tmp_path / "y"))
    assert wrong.returncode == 2 and "allowed values: research" in wrong.stderr


def test_an_export_the_audit_trail_cannot_record_is_not_left_behind(tmp_path, cohort,
                                                                     monkeypatch):
    def refused(*args, **kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(research_export, "record_audit", refused)
    with pytest.raises(RuntimeError, match="audit trail"):
        _export(tmp_path)
    assert list(tmp_path.iterdir()) == []
