"""Care pathways: the versioned data file (validated at start-up, errors naming the file and
the field), applying one in one audited step (all or nothing, never doubling its schedules),
and the clinician's button on the patient's questionnaires page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.audit.models import AuditEvent
from mitra.diary.tests.factories import make_plan
from mitra.measures import pathways as pathways_module
from mitra.measures.actions import RuleError, do_apply_pathway, do_stop_schedule
from mitra.measures.library import library
from mitra.measures.models import Schedule
from mitra.measures.pathways import PathwayError, get_pathway, load_pathways, pathways_file
from mitra.patients.models import Patient
from mitra.testing import login, make_cast


@pytest.fixture
def cast(db):
    return make_cast()


def summary(patient) -> set[tuple]:
    return set(Schedule.objects.filter(patient=patient, active=True).values_list(
        "form", "instrument", "cadence", "every_days", "weekdays", "time_of_day__hour",
        "pathway"))


# ---- the data file -------------------------------------------------------------------------

def test_the_packaged_pathways_load_and_name_real_instruments():
    data = pathways_file()
    assert data.version and data.as_of
    ids = [p.id for p in data.pathways]
    assert {"anxiety", "depression", "kratom-use"} <= set(ids)
    for pathway in data.pathways:
        for entry in pathway.schedules:
            assert entry.form == "diary" or entry.instrument in library(), (pathway.id, entry)
    anxiety = get_pathway("anxiety")
    assert [s.label for s in anxiety.schedules] == [
        "GAD-7 every 2 weeks at 09:00", "PHQ-9 every 4 weeks at 09:00", "Diary daily at 20:00"]
    with pytest.raises(KeyError, match="anxiety, depression"):
        get_pathway("nosuch")


def write(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(pathways_module.DATA_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "pathways.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _schedules(data, n=0):
    return data["pathways"][n]["schedules"]


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: _schedules(d)[0].update(instrument="gad77"),
     r"pathways\.0\.schedules\.0: .*instrument: 'gad77' is not an instrument"),
    (lambda d: _schedules(d)[2].update(instrument="phq9"),
     r"pathways\.0\.schedules\.2: .*a diary schedule has no instrument"),
    (lambda d: _schedules(d)[0].update(window_minutes=0),
     r"pathways\.0\.schedules\.0: .*window_minutes: the answer window is from 1 minute"),
    (lambda d: _schedules(d)[0].update(every_days=0),
     r"pathways\.0\.schedules\.0: .*every_days"),
    (lambda d: _schedules(d)[0].update(weekdays="9"),
     r"pathways\.0\.schedules\.0: .*weekdays"),
    (lambda d: _schedules(d)[0].update(time_of_day=1200),
     r"schedules\.0\.time_of_day: .*quoted"),
    (lambda d: _schedules(d)[0].update(anchor="birthday"), r"schedules\.0\.anchor"),
    (lambda d: _schedules(d)[0].update(every=14), r"schedules\.0\.every"),
    (lambda d: _schedules(d).append({"instrument": "gad7", "every_days": 7}),
     r"pathways\.0: .*each instrument \(and the diary\) at most once"),
    (lambda d: d["pathways"].append(dict(d["pathways"][0])), r"pathways: each id once"),
    (lambda d: d.pop("version"), r"version: Field required"),
    (lambda d: d["pathways"][0].update(id="Anxiety Care"), r"pathways\.0\.id"),
])
def test_a_malformed_pathways_file_names_the_field(tmp_path, change, words):
    with pytest.raises(PathwayError, match=r"^pathways\.yaml: field .*" + words):
        load_pathways(write(tmp_path, change))


def test_a_malformed_pathways_file_stops_start_up(tmp_path, monkeypatch):
    bad = write(tmp_path, lambda d: _schedules(d)[0].update(instrument="gad77"))
    monkeypatch.setattr(pathways_module, "DATA_FILE", bad)
    pathways_module.pathways_file.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match=r"care pathways: pathways\.yaml: field"):
            apps.get_app_config("measures").ready()
    finally:
        monkeypatch.undo()
        pathways_module.pathways_file.cache_clear()
    apps.get_app_config("measures").ready()  # the packaged file loads again


# ---- applying one --------------------------------------------------------------------------

def test_applying_a_pathway_assigns_its_schedules_once(cast):
    assigned, kept = do_apply_pathway(cast.patient, "anxiety", acting=cast.clinician)
    assert kept == [] and len(assigned) == 3
    assert summary(cast.patient) == {
        ("questionnaire", "gad7", "interval", 14, "", 9, "anxiety"),
        ("questionnaire", "phq9", "interval", 28, "", 9, "anxiety"),
        ("diary", "", "interval", 1, "", 20, "anxiety"),
    }
    assert {s.start for s in assigned} == {timezone.localdate()}  # from the day applied
    applied = AuditEvent.objects.get(event="measures.pathway.applied")
    assert applied.patient_id == cast.patient.pk and applied.detail.startswith("anxiety (")
    assert AuditEvent.objects.filter(event="measures.schedule.assigned").count() == 3
    # Again: nothing doubled, nothing audited as applied.
    again, kept = do_apply_pathway(cast.patient, "anxiety", acting=cast.clinician)
    assert again == [] and len(kept) == 3
    assert Schedule.objects.filter(patient=cast.patient).count() == 3
    assert AuditEvent.objects.filter(event="measures.pathway.applied").count() == 1
    # A stopped one is assigned again; the others are kept.
    do_stop_schedule(Schedule.objects.get(patient=cast.patient, instrument="phq9"),
                     acting=cast.clinician)
    [phq9], kept = do_apply_pathway(cast.patient, "anxiety", acting=cast.clinician)
    assert phq9.instrument == "phq9" and len(kept) == 2
    # Another pathway's schedules sit beside these (its own GAD-7 and PHQ-9).
    assigned, kept = do_apply_pathway(cast.patient, "depression", acting=cast.clinician)
    assert len(assigned) == 3 and kept == []


def test_a_one_off_at_enrolment_is_asked_today_when_enrolment_is_past(cast):
    do_apply_pathway(cast.patient, "kratom-use", acting=cast.clinician)  # enrolled today
    auditc = Schedule.objects.get(patient=cast.patient, instrument="auditc")
    assert (auditc.cadence, auditc.anchor, auditc.start) == (
        "once", "enrolment", cast.patient.enrolled_on)
    other = cast.other_patient
    Patient.objects.filter(pk=other.pk).update(
        enrolled_on=timezone.localdate() - timedelta(days=40))
    other.refresh_from_db()
    do_apply_pathway(other, "kratom-use", acting=cast.other_clinician)
    late = Schedule.objects.get(patient=other, instrument="auditc")
    assert (late.anchor, late.start) == ("date", timezone.localdate())


def test_a_pathway_that_cannot_be_made_writes_nothing(cast):
    with pytest.raises(RuleError) as caught:
        do_apply_pathway(cast.patient, "taper", acting=cast.clinician)
    assert caught.value.field == "anchor" and "taper plan" in caught.value.message
    assert not Schedule.objects.exists()
    assert not AuditEvent.objects.filter(event__startswith="measures.").exists()
    plan = make_plan(cast.patient, by=cast.clinician)
    assigned, _ = do_apply_pathway(cast.patient, "taper", acting=cast.clinician)
    sows = next(s for s in assigned if s.instrument == "sows")
    assert (sows.anchor, sows.start, sows.weekdays) == ("taper_start", plan.start_date, "14")
    with pytest.raises(RuleError) as caught:
        do_apply_pathway(cast.patient, "nosuch", acting=cast.clinician)
    assert caught.value.field == "pathway" and "anxiety" in caught.value.message


# ---- the clinician's page ------------------------------------------------------------------

def test_the_clinician_applies_a_pathway_from_the_page(cast):
    client = login(Client(), cast.clinician)
    page = client.get(reverse("measures:patient", args=[cast.patient.uuid])).content.decode()
    assert re.search(r'<select name="pathway"[^>]*>', page)
    assert "Apply pathway" in page and "GAD-7 every 14 days, PHQ-9 every 28 days" in page
    url = reverse("measures:apply_pathway", args=[cast.patient.uuid])
    done = client.post(url, {"pathway": "anxiety"}, follow=True)
    html = done.content.decode()
    assert done.redirect_chain[-1][1] == 302
    assert "Assigned GAD-7 (every 2 weeks at 09:00)" in html
    assert "Diary" in html and "(Anxiety pathway)" in html and "12 hours" in html
    again = client.post(url, {"pathway": "anxiety"}, follow=True).content.decode()
    assert "Every schedule of this pathway is already assigned." in again
    bad = client.post(url, {"pathway": "nosuch"})
    assert bad.status_code == 400
    assert "Care pathway: nosuch is not one of anxiety, depression" in bad.content.decode()
    taper = client.post(url, {"pathway": "taper"})
    assert taper.status_code == 400 and "no start of the taper plan" in taper.content.decode()
    assert Schedule.objects.filter(patient=cast.patient).count() == 3


def test_only_the_care_team_with_write_access_applies_a_pathway(cast):
    url = reverse("measures:apply_pathway", args=[cast.patient.uuid])
    assert login(Client(), cast.readonly).post(url, {"pathway": "anxiety"}).status_code == 403
    assert login(Client(), cast.other_clinician).post(
        url, {"pathway": "anxiety"}).status_code == 404
    assert login(Client(), cast.clinician).get(url).status_code == 405
    assert not Schedule.objects.exists()
