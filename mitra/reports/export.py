"""A patient's data export ("Download my data"): one ZIP of everything Mitra holds about them.

In the ZIP: `everything.json`, a FHIR R4 Bundle (type collection) built by the same mappers
as the API's Patient/$everything; one CSV per kind of record (`KINDS`), each a row per stored
row with every stored column but internal keys; `data-dictionary.csv` (file, column, meaning);
`report.pdf`, the patient's PDF report for the last year; and `README.txt`. Kinds that have no
FHIR mapping yet (CBT records, alerts, safety plan, taper plan, reminder prompts) are in the
CSVs only, and the dictionary says so.

Built in a SpooledTemporaryFile (memory up to 16 MB, then disk), never touched by a write.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.http import HttpResponse
from django.utils import timezone

from mitra.api import fhir
from mitra.api.routers.fhir_everything import everything_resources
from mitra.cbt import models as cbt
from mitra.diary.models import DiaryEntry, TaperPause, TaperPlan, UseEvent
from mitra.measures.models import Response
from mitra.patients.models import Condition, Medication, Patient
from mitra.reminders.models import Prompt
from mitra.reports import pdf
from mitra.reports.series import MAX_DAYS, Period, build_series
from mitra.safety.models import Alert, SafetyPlanVersion

BASE_URL = "urn:mitra:export"
IN_FHIR = "in the FHIR bundle as well"
NOT_IN_FHIR = "not in the FHIR bundle yet"
# Columns never exported: internal keys and digests that mean nothing outside the database.
HIDDEN = {"id", "patient", "payload_digest", "dedupe_key"}


@dataclass(frozen=True)
class Kind:
    file: str
    model: type[models.Model]
    rows: Callable[[Patient], models.QuerySet]
    about: str
    fhir: str


def _by_patient(model) -> Callable[[Patient], models.QuerySet]:
    return lambda p: model.objects.filter(patient=p).order_by("pk")


KINDS: tuple[Kind, ...] = (
    Kind("patient.csv", Patient, lambda p: Patient.objects.filter(pk=p.pk),
         "The patient record.", IN_FHIR + " (Patient)"),
    Kind("questionnaire-responses.csv", Response,
         lambda p: Response.objects.filter(patient=p).order_by("submitted_at", "pk"),
         "Each questionnaire answered: item answers (JSON) and scores.",
         IN_FHIR + " (QuestionnaireResponse; the total as an Observation)"),
    Kind("diary-days.csv", DiaryEntry,
         lambda p: DiaryEntry.objects.filter(patient=p).order_by("date", "version"),
         "Each diary day, every version kept (is_current marks the one in force).",
         IN_FHIR + " (one Observation per figure of the current version)"),
    Kind("diary-uses.csv", UseEvent,
         lambda p: UseEvent.objects.filter(patient=p).order_by("date", "pk"),
         "Each use of a substance recorded in the diary.", NOT_IN_FHIR),
    Kind("medications.csv", Medication,
         lambda p: Medication.objects.filter(patient=p).order_by("name", "pk"),
         "The medication list.", IN_FHIR + " (MedicationStatement)"),
    Kind("conditions.csv", Condition,
         lambda p: Condition.objects.filter(patient=p).order_by("pk"),
         "Conditions named at intake.", NOT_IN_FHIR),
    Kind("taper-plans.csv", TaperPlan,
         lambda p: TaperPlan.objects.filter(patient=p).order_by("pk"),
         "Taper plans.", NOT_IN_FHIR + " (CarePlan planned)"),
    Kind("taper-pauses.csv", TaperPause,
         lambda p: TaperPause.objects.filter(plan__patient=p).order_by("pk"),
         "Pauses of a taper plan.", NOT_IN_FHIR),
    Kind("safety-plan-versions.csv", SafetyPlanVersion,
         lambda p: SafetyPlanVersion.objects.filter(plan__patient=p).order_by("number"),
         "Every saved version of the safety plan.", NOT_IN_FHIR),
    Kind("alerts.csv", Alert, lambda p: Alert.objects.filter(patient=p).order_by("pk"),
         "Alerts raised for the care team.", NOT_IN_FHIR),
    Kind("reminder-prompts.csv", Prompt,
         lambda p: Prompt.objects.filter(patient=p).order_by("pk"),
         "Reminders planned and sent.", NOT_IN_FHIR),
    *(Kind(f"cbt-{m._meta.model_name}.csv", m,
           _by_patient(m),
           f"CBT records: {m._meta.verbose_name_plural}.", NOT_IN_FHIR)
      for m in (cbt.ThoughtRecord, cbt.Value, cbt.Activity, cbt.ActivitySlot, cbt.ExposureItem,
                cbt.ExposureLog, cbt.RelapsePlan, cbt.Homework)),
)


def _columns(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in HIDDEN]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def kind_csv(kind: Kind, patient: Patient) -> tuple[str, int]:
    """The kind's CSV text for `patient`, and its number of rows."""
    fields = _columns(kind.model)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f.attname for f in fields])
    n = 0
    for row in kind.rows(patient).values_list(*(f.attname for f in fields)):
        writer.writerow([_cell(v) for v in row])
        n += 1
    return out.getvalue(), n


def data_dictionary() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["file", "column", "meaning"])
    writer.writerow(["everything.json", "", "A FHIR R4 Bundle (collection) of the records "
                     "Mitra maps to FHIR: Patient, QuestionnaireResponse, Observation "
                     "(scores and diary figures), MedicationStatement, Consent; "
                     "substance-use and mental-health records carry their DS4P "
                     "security labels in meta.security."])
    writer.writerow(["report.pdf", "", "The PDF report for the last year."])
    for kind in KINDS:
        writer.writerow([kind.file, "", f"{kind.about} FHIR: {kind.fhir}."])
        for f in _columns(kind.model):
            meaning = str(f.verbose_name)
            if f.help_text:
                meaning += f": {f.help_text}"
            if f.is_relation:
                meaning += " (an internal number of the related record)"
            if f.choices:
                meaning += "; one of " + ", ".join(str(c[0]) for c in f.choices)
            writer.writerow([kind.file, f.attname, meaning])
    return out.getvalue()


def fhir_bundle(patient: Patient) -> dict:
    return fhir.bundle(kind="collection", base_url=BASE_URL,
                       resources=everything_resources(patient))


def readme(patient: Patient, made_at: datetime, counts: dict[str, int]) -> str:
    lines = [
        "Your data from Mitra",
        "",
        f"Made {made_at.isoformat(timespec='seconds')} for record {patient.pseudonym}.",
        "",
        "everything.json      a FHIR R4 Bundle of the records with a FHIR form",
        "report.pdf           the PDF report for the last year",
        "data-dictionary.csv  what each file and column means",
        "",
        "One CSV per kind of record (rows):",
        *(f"  {name:<30} {n}" for name, n in counts.items()),
        "",
    ]
    return "\n".join(lines)


def build_export(patient: Patient, *, made_at: datetime | None = None,
                 extra_files: Mapping[str, str] | None = None):
    """The export ZIP for `patient`, as a file positioned at its start (read it, then close).
    `extra_files` (name: text) go in as well: the §2.32 notice of an export disclosed outside
    the care team (`reports.disclosing`)."""
    made_at = made_at or timezone.now()
    today = timezone.localdate(made_at)
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("everything.json", json.dumps(fhir_bundle(patient), ensure_ascii=False))
        for kind in KINDS:
            text, counts[kind.file] = kind_csv(kind, patient)
            z.writestr(kind.file, text)
        z.writestr("data-dictionary.csv", data_dictionary())
        series = build_series(patient, Period(today - timedelta(days=MAX_DAYS - 1), today))
        z.writestr("report.pdf", pdf.render_report(series, audience="patient",
                                                   generated_at=made_at))
        z.writestr("README.txt", readme(patient, made_at, counts))
        for name, text in (extra_files or {}).items():
            z.writestr(name, text)
    out.seek(0)
    return out


def export_download(patient: Patient, *, extra_files: Mapping[str, str] | None = None,
                    suffix: str = "") -> HttpResponse:
    """The patient's export as a download. One patient's ZIP is small (about 150 KB for a year
    of diary): answered whole."""
    made_at = timezone.now()
    zipped = build_export(patient, made_at=made_at, extra_files=extra_files)
    response = HttpResponse(zipped.read(), content_type="application/zip")
    zipped.close()
    response["Content-Disposition"] = (
        f'attachment; filename="mitra-{patient.pseudonym}-{made_at:%Y-%m-%d}{suffix}.zip"')
    response["Cache-Control"] = "no-store"
    return response
