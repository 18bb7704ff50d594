"""Intake, screening on every change, and what the patient sees."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.patients.models import Intake, Medication
from mitra.safety.models import Alert, ScreeningRun
from mitra.safety.screening import do_screen_patient
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _client(user):
    return login(Client(), user)


def test_saving_intake_screens_and_raises_an_alert_for_a_major_finding(cast):
    client = _client(cast.clinician)
    client.post(reverse("safety:medication_add", args=[cast.patient.uuid]), {"name": "Xanax"})
    response = client.post(reverse("safety:intake_save", args=[cast.patient.uuid]), {
        "jurisdiction": "US-AL", "substances": ["kratom"], "conditions": ["pregnancy"]})
    assert response.status_code == 302
    run = ScreeningRun.objects.filter(patient=cast.patient).first()
    rules = {f["rule"] for f in run.result["findings"]}
    assert {"kratom-benzodiazepines", "kratom-pregnancy"} <= rules
    alerts = Alert.objects.filter(patient=cast.patient, kind=Alert.Kind.INTERACTION)
    assert alerts.count() == 2
    assert all(a.evidence_url.startswith(f"/safety/patients/{cast.patient.uuid}/intake/#rule-")
               for a in alerts)
    page = client.get(reverse("safety:intake", args=[cast.patient.uuid])).content.decode()
    assert "kratom-benzodiazepines" in page and "Alabama" in page
    assert "Possibly out of date" in page
    assert "not yet been checked by a pharmacist" in page
    assert "Drug class list: benzodiazepines: WHO ATC N05BA" in page
    assert "/evidence/claims/" in page or "Citations" in page


def test_screening_twice_does_not_duplicate_alerts(cast):
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    Medication.objects.create(patient=cast.patient, name="oxycodone")
    do_screen_patient(cast.patient)
    do_screen_patient(cast.patient)
    assert ScreeningRun.objects.filter(patient=cast.patient).count() == 2
    assert Alert.objects.filter(patient=cast.patient).count() == 1


def test_an_unrecognized_medication_is_shown_and_alerted_never_passed(cast):
    client = _client(cast.clinician)
    client.post(reverse("safety:intake_save", args=[cast.patient.uuid]),
                {"substances": ["kratom"]})
    client.post(reverse("safety:medication_add", args=[cast.patient.uuid]), {"name": "alprazolm"})
    page = client.get(reverse("safety:intake", args=[cast.patient.uuid])).content.decode()
    assert "Not recognized — not screened" in page and "alprazolam" in page
    assert Alert.objects.filter(patient=cast.patient, priority=Alert.Priority.LOW).exists()


def test_stopping_a_medication_screens_again_without_it(cast):
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    med = Medication.objects.create(patient=cast.patient, name="alprazolam")
    client = _client(cast.clinician)
    client.post(reverse("safety:medication_stop", args=[cast.patient.uuid, med.uuid]),
                {"stopped_on": timezone.localdate().isoformat()})
    run = ScreeningRun.objects.filter(patient=cast.patient).first()
    assert run.trigger == ScreeningRun.Trigger.MEDICATIONS
    assert run.result["findings"] == []


def test_a_bad_jurisdiction_is_refused_naming_the_field(cast):
    response = _client(cast.clinician).post(
        reverse("safety:intake_save", args=[cast.patient.uuid]), {"jurisdiction": "XX"})
    assert response.status_code == 400
    assert "jurisdiction: XX is not a known ISO 3166 code" in response.content.decode()
    assert not Intake.objects.filter(patient=cast.patient).exists()


def test_a_read_only_clinician_cannot_change_intake(cast):
    client = _client(cast.readonly)
    response = client.post(reverse("safety:medication_add", args=[cast.patient.uuid]),
                           {"name": "Xanax"})
    assert response.status_code == 403
    assert not Medication.objects.exists()


def test_the_diary_can_screen_a_co_substance(cast):
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    run = do_screen_patient(cast.patient, trigger=ScreeningRun.Trigger.DIARY,
                            co_substances=["alcohol"])
    assert [f["rule"] for f in run.result["findings"]] == ["kratom-alcohol"]
    assert run.inputs["co_substances"] == ["alcohol"]


def test_age_from_the_date_of_birth_is_screened(cast):
    cast.patient.date_of_birth = timezone.localdate().replace(year=timezone.localdate().year - 19)
    cast.patient.save()
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    run = do_screen_patient(cast.patient)
    assert "kratom-adolescents" in {f["rule"] for f in run.result["findings"]}


def test_the_patient_sees_plain_language_without_rule_ids(cast):
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    Medication.objects.create(patient=cast.patient, name="Xanax")
    do_screen_patient(cast.patient)
    page = _client(cast.patient_user).get(reverse("safety:my_screening")).content.decode()
    assert "sleeping pills or anxiety pills" in page
    assert "kratom-benzodiazepines" not in page and "tanna2023" not in page


def test_an_unknown_substance_or_condition_names_the_field_and_the_allowed_values(cast):
    client = _client(cast.clinician)
    response = client.post(reverse("safety:intake_save", args=[cast.patient.uuid]), {
        "substances": ["betel"], "conditions": ["pregnancy", "gout"]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "substances: betel is not allowed; allowed values: kratom, kava, 7oh" in html
    assert "conditions: gout is not allowed; allowed values: pregnancy, breastfeeding" in html
    assert "Select a valid choice" not in html
    assert not Intake.objects.filter(patient=cast.patient).exists()


def test_a_medication_without_a_name_names_the_field(cast):
    response = _client(cast.clinician).post(
        reverse("safety:medication_add", args=[cast.patient.uuid]), {"name": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "name: enter the medication&#x27;s generic or brand name" in html
    assert "This field is required" not in html
    assert not Medication.objects.filter(patient=cast.patient).exists()


def test_a_medication_dated_before_1900_or_in_the_future_is_refused_naming_the_range(cast):
    from datetime import date

    from mitra.lib.bounds import OutOfBounds
    from mitra.safety.screening import do_add_medication

    url = reverse("safety:medication_add", args=[cast.patient.uuid])
    for when in ("0001-01-01", "9999-12-30"):
        response = _client(cast.clinician).post(url, {"name": "sertraline", "started_on": when})
        assert response.status_code == 400
        html = response.content.decode()
        assert f"started_on: {when} is not allowed; allowed: from 1900-01-01 to " in html, when
    with pytest.raises(OutOfBounds, match="started_on: 1899-12-31 is not allowed"):
        do_add_medication(cast.patient, name="sertraline", started_on=date(1899, 12, 31),
                          acting=cast.clinician)
    assert not Medication.objects.filter(patient=cast.patient).exists()
