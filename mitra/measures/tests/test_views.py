import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.measures.models import Response, Schedule
from mitra.safety.models import Alert
from mitra.testing import MARKER, login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def client_for(user):
    return login(Client(), user)


def phq9_post(values, rid=None, q10=""):
    data = {f"q{n}": v for n, v in enumerate(values, start=1) if v is not None}
    if q10 != "":
        data["q10"] = q10
    data["response_uuid"] = str(rid or uuid.uuid4())
    return data


# -- patient forms ----------------------------------------------------------------------


def test_the_form_has_a_fieldset_and_labelled_radios_per_item(cast):
    page = client_for(cast.patient_user).get(reverse("measures:fill", args=["phq9"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<fieldset") == 10 and html.count("<legend") == 10
    assert html.count('type="radio"') == 10 * 4
    assert "Over the last 2 weeks" in html and 'name="response_uuid"' in html


def test_a_validation_error_keeps_the_answers_and_names_the_item(cast):
    client = client_for(cast.patient_user)
    data = phq9_post([2, 2, 2, 2, 1, 1, 2, 0, None])  # item 9 left out
    page = client.post(reverse("measures:fill", args=["phq9"]), data)
    html = page.content.decode()
    assert page.status_code == 400
    assert "Item 9 needs an answer; allowed: 0 “Not at all”; 1 “Several days”" in html
    checked = re.findall(r'<input[^>]*name="(q\d+)" value="(\d)"[^>]*\bchecked\b', html)
    assert checked == [(f"q{n}", str(v)) for n, v in enumerate([2, 2, 2, 2, 1, 1, 2, 0], 1)]
    assert data["response_uuid"] in html  # the same submission id is kept
    assert not Response.objects.exists()


def test_a_complete_form_is_saved_and_the_patient_sees_it(cast):
    client = client_for(cast.patient_user)
    page = client.post(reverse("measures:fill", args=["phq9"]),
                       phq9_post([2, 2, 2, 2, 1, 1, 2, 0, 0], q10="1"))
    response = Response.objects.get()
    assert page.status_code == 302
    assert page["Location"] == reverse("measures:saved", args=[response.uuid])
    assert (response.total, response.patient, response.submitted_by) == (
        12, cast.patient, cast.patient_user)
    assert "PHQ-9" in client.get(reverse("measures:due")).content.decode()


def test_item9_goes_to_the_crisis_page_with_the_alert_already_raised(cast):
    client = client_for(cast.patient_user)
    page = client.post(reverse("measures:fill", args=["phq9"]),
                       phq9_post([0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert page.status_code == 302 and page["Location"] == reverse("safety:crisis")
    alert = Alert.objects.get(kind=Alert.Kind.SUICIDE_RISK)
    assert alert.priority == Alert.Priority.URGENT
    assert alert.source_uuid == Response.objects.get().uuid


def test_a_double_submit_is_stored_once_and_a_changed_one_is_409(cast):
    client = client_for(cast.patient_user)
    data = phq9_post([1, 1, 1, 1, 1, 1, 1, 1, 0])
    url = reverse("measures:fill", args=["phq9"])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Response.objects.count() == 1
    assert client.post(url, {**data, "q1": "3"}).status_code == 409


def test_cows_is_not_a_patient_form(cast):
    client = client_for(cast.patient_user)
    assert client.get(reverse("measures:fill", args=["cows"])).status_code == 404
    assert client.get(reverse("measures:fill", args=["nosuch"])).status_code == 404


def test_the_home_page_card_lists_what_is_due(cast):
    Schedule.objects.create(patient=cast.patient, instrument="phq9", start=timezone.localdate())
    html = client_for(cast.patient_user).get(reverse("core:me")).content.decode()
    assert "Questionnaires due" in html
    assert reverse("measures:fill", args=["phq9"]) in html


# -- the care team's pages ----------------------------------------------------------------


def test_the_clinician_sees_history_with_badges_and_unverified_marks(cast):
    client = client_for(cast.patient_user)
    for values in ([3, 3, 3, 2, 2, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0, 0, 0, 0]):  # 16 -> 4
        client.post(reverse("measures:fill", args=["phq9"]), phq9_post(values))
    page = client_for(cast.clinician).get(reverse("measures:patient", args=[cast.patient.uuid]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "PHQ-9" in html and "<strong>4</strong> of 27" in html
    for badge in ("reliable improvement", "response", "remission"):
        assert badge in html
    assert "unverified — needs a human check" in html  # IAPT reliable-change threshold
    assert 'id="measures-chart-data"' in html and "vendor/plotly.min.js" in html
    assert "<script>" not in html  # no inline script: data travels as application/json


def test_assign_and_stop(cast):
    client = client_for(cast.clinician)
    url = reverse("measures:assign", args=[cast.patient.uuid])
    form = client.get(reverse("measures:patient", args=[cast.patient.uuid])).content.decode()
    sent = re.search(r'name="schedule_uuid" value="([0-9a-f-]{36})"', form).group(1)
    data = {"schedule_uuid": sent, "instrument": "gad7", "every_days": "7",
            "start": timezone.localdate().isoformat()}
    page = client.post(url, data)
    assert page.status_code == 302
    # A double click or a resent form assigns it once.
    assert client.post(url, data).status_code == 302
    schedule = Schedule.objects.get()
    assert str(schedule.uuid) == sent
    # The same submission id with other answers is refused, naming what to do.
    conflict = client.post(url, data | {"instrument": "phq9"})
    assert conflict.status_code == 409
    assert "reload the page to assign another" in conflict.content.decode()
    assert Schedule.objects.count() == 1
    assert (schedule.instrument, schedule.every_days, schedule.created_by) == (
        "gad7", 7, cast.clinician)
    stop = reverse("measures:stop", args=[cast.patient.uuid, schedule.uuid])
    assert client.post(stop).status_code == 302
    schedule.refresh_from_db()
    assert not schedule.active


def test_assign_errors_name_the_field_and_allowed_values(cast):
    page = client_for(cast.clinician).post(
        reverse("measures:assign", args=[cast.patient.uuid]),
        {"instrument": "cssrs", "every_days": "0", "start": "soon", "schedule_uuid": "x"})
    html = page.content.decode()
    assert page.status_code == 400
    assert "Instrument: cssrs is not one of phq9, gad7" in html
    assert "Repeat every N days: allowed 1-365, or empty for once." in html
    assert "Start: enter a date as YYYY-MM-DD." in html
    assert "Submission id (schedule_uuid) is not a UUID" in html
    assert not Schedule.objects.exists()


def test_readonly_clinician_reads_but_cannot_write(cast):
    client = client_for(cast.readonly)
    assert client.get(reverse("measures:patient", args=[cast.patient.uuid])).status_code == 200
    url = reverse("measures:assign", args=[cast.patient.uuid])
    assert client.post(url, {"instrument": "gad7", "start": "2026-01-01"}).status_code == 403
    schedule = Schedule.objects.create(patient=cast.patient, instrument="phq9",
                                       start=timezone.localdate())
    stop = reverse("measures:stop", args=[cast.patient.uuid, schedule.uuid])
    assert client.post(stop).status_code == 403
    rate = reverse("measures:rate", args=[cast.patient.uuid, "cows"])
    assert client.get(rate).status_code == 403
    assert Schedule.objects.get().active


def test_another_team_gets_404(cast):
    client = client_for(cast.other_clinician)
    for url in (reverse("measures:patient", args=[cast.patient.uuid]),
                reverse("measures:rate", args=[cast.patient.uuid, "cows"])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("measures:assign", args=[cast.patient.uuid]),
                       {"instrument": "gad7", "start": "2026-01-01"}).status_code == 404
    schedule = Schedule.objects.create(patient=cast.other_patient, instrument="phq9",
                                       start=timezone.localdate())
    # Team A's clinician cannot stop Team B's schedule through Team A's patient either.
    stop = reverse("measures:stop", args=[cast.patient.uuid, schedule.uuid])
    assert client_for(cast.clinician).post(stop).status_code == 404


def test_wrong_methods_get_405(cast):
    client = client_for(cast.clinician)
    assert client.get(reverse("measures:assign", args=[cast.patient.uuid])).status_code == 405
    assert client.post(reverse("measures:patient", args=[cast.patient.uuid])).status_code == 405
    assert client.post(reverse("measures:overdue")).status_code == 405
    patient = client_for(cast.patient_user)
    assert patient.put(reverse("measures:fill", args=["phq9"])).status_code == 405


def test_the_clinician_rates_cows(cast):
    client = client_for(cast.clinician)
    url = reverse("measures:rate", args=[cast.patient.uuid, "cows"])
    assert "Pupil size" in client.get(url).content.decode()
    data = {f"q{n}": v for n, v in enumerate([1, 2, 1, 1, 2, 1, 2, 1, 1, 2, 3], start=1)}
    page = client.post(url, {**data, "response_uuid": str(uuid.uuid4())})
    assert page.status_code == 302
    response = Response.objects.get()
    assert (response.total, response.severity, response.submitted_by) == (
        17, "Moderate", cast.clinician)
    assert client.get(reverse("measures:rate", args=[cast.patient.uuid, "phq9"])
                      ).status_code == 404


@pytest.mark.parametrize(("pulse", "chosen", "status", "item_1"), [
    ("92", "", 302, 1),        # the reading alone decides the band (81-100 -> 1)
    ("80", "0", 302, 0),       # a reading and the matching band
    ("121", "", 302, 4),       # above 120 -> 4
    ("92", "2", 400, None),    # a reading and a band that disagree: refused, naming both
    ("", "", 400, None),       # neither: refused, naming both ways to answer
    ("19", "", 400, None),     # a typing error
])
def test_cows_item_1_takes_the_measured_pulse(cast, pulse, chosen, status, item_1):
    client = client_for(cast.clinician)
    url = reverse("measures:rate", args=[cast.patient.uuid, "cows"])
    assert 'name="q1_reading"' in client.get(url).content.decode()
    rest = {f"q{n}": v for n, v in enumerate([2, 1, 1, 2, 1, 2, 1, 1, 2, 3], start=2)}
    page = client.post(url, {**rest, "q1": chosen, "q1_reading": pulse,
                             "response_uuid": str(uuid.uuid4())})
    assert page.status_code == status
    if status == 302:
        response = Response.objects.get()
        assert response.answers["cows.q1"] == item_1
        assert response.total == 16 + item_1
        assert response.readings == ({"cows.q1": int(pulse)} if pulse else {})
        history = client.get(reverse("measures:patient", args=[cast.patient.uuid]))
        if pulse:
            assert f"(resting pulse {pulse} beats/minute)" in history.content.decode()
        return
    html = page.content.decode()
    assert not Response.objects.exists()
    if chosen:
        assert ("a resting pulse of 92 beats/minute scores 1 "
                "(&#x27;Pulse rate 81–100&#x27;), not 2") in html
    elif pulse:
        assert "Item 1, resting pulse: enter a whole number from 20 to 250 (beats/minute)." in html
    else:
        assert "Item 1 needs an answer: enter the measured resting pulse (beats/minute)" in html
    assert f'value="{pulse}"' in html or not pulse  # the reading is kept on the form


def test_overdue_lists_only_the_clinicians_patients(cast):
    old = timezone.localdate() - timezone.timedelta(days=10)
    Schedule.objects.create(patient=cast.patient, instrument="phq9", start=old)
    Schedule.objects.create(patient=cast.other_patient, instrument="phq9", start=old)
    html = client_for(cast.clinician).get(reverse("measures:overdue")).content.decode()
    assert cast.patient.display_name in html and MARKER not in html


def test_the_instrument_page_shows_every_unverified_mark(cast):
    client = client_for(cast.clinician)
    html = client.get(reverse("measures:instrument", args=["sows"])).content.decode()
    assert "unverified — needs a human check" in html
    assert "Handelsman" in html and "I feel like shooting up now." in html
    library = client.get(reverse("measures:instruments")).content.decode()
    assert "C-SSRS is not included" in library


# -- the confirmation after a questionnaire (issue 18, item 16) ---------------------------


def test_after_saving_the_patient_sees_the_answers_saved_with_total_and_band(cast):
    client = client_for(cast.patient_user)
    page = client.post(reverse("measures:fill", args=["phq9"]),
                       phq9_post([2, 2, 2, 2, 1, 1, 2, 0, 0], q10="1"), follow=True)
    response = Response.objects.get()
    assert page.redirect_chain == [(reverse("measures:saved", args=[response.uuid]), 302)]
    html = page.content.decode()
    assert "Your PHQ-9 answers are saved" in html
    # 12 of 27 is the band "Moderate" (10-14) of the data file, as the scoring stored it.
    assert response.severity == "Moderate"
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "12 out of 27: Moderate" in text
    assert re.search(r'<li class="current" aria-current="true">10-14: Moderate', html)
    assert html.count('aria-current="true"') == 1  # the one band that is the patient's
    assert "help is available now" not in html  # no crisis note for item 9 at 0


def test_a_prorated_total_says_how_it_was_worked_out(cast):
    from mitra.measures.actions import do_submit_response

    # Sent without item 1 (the API allows it): the NHS rule prorates one or two gaps.
    answers = {f"phq9.q{n}": 2 for n in range(2, 9)} | {"phq9.q1": None, "phq9.q9": 0}
    response, _ = do_submit_response(cast.patient, instrument="phq9", answers=answers,
                                     response_uuid=uuid.uuid4(), acting=cast.patient_user)
    assert response.scoring_method == "prorated"
    html = client_for(cast.patient_user).get(
        reverse("measures:saved", args=[response.uuid])).content.decode()
    assert "worked out from the ones you answered" in html
    assert f'{response.total_display}</span> out of 27' in html


def test_item9_still_goes_to_the_crisis_page_first(cast):
    client = client_for(cast.patient_user)
    page = client.post(reverse("measures:fill", args=["phq9"]),
                       phq9_post([0, 0, 0, 0, 0, 0, 0, 0, 2]))
    assert page["Location"] == reverse("safety:crisis")
    # Opened later, the confirmation shows the score and the way to help.
    response = Response.objects.get()
    html = client.get(reverse("measures:saved", args=[response.uuid])).content.decode()
    assert "Your PHQ-9 answers are saved" in html and "help is available now" in html
    assert "2</span> out of 27" in html


def test_the_confirmation_is_the_patients_own(cast):
    theirs = Response.objects.create(
        uuid=uuid.uuid4(), patient=cast.other_patient, instrument="phq9",
        instrument_version="1", answers={}, total=3, max_total=27, severity="None-minimal",
        complete=True, scoring_method="sum", submitted_at=timezone.now())
    url = reverse("measures:saved", args=[theirs.uuid])
    assert client_for(cast.patient_user).get(url).status_code == 404
    assert client_for(cast.clinician).get(url).status_code == 404


def test_the_clinician_rating_cows_sees_the_total_in_the_message(cast):
    client = client_for(cast.clinician)
    url = reverse("measures:rate", args=[cast.patient.uuid, "cows"])
    form = client.get(url).content.decode()
    names = sorted(set(re.findall(r'name="(q\d+)"', form)), key=lambda n: int(n[1:]))
    data = {name: "0" for name in names} | {"response_uuid": str(uuid.uuid4())}
    page = client.post(url, data, follow=True)
    assert page.status_code == 200, page.content.decode()[:2000]
    assert "COWS saved: total 0 of 48" in page.content.decode()


def test_assign_a_diary_schedule_on_weekdays_at_a_local_time(cast):
    client = client_for(cast.clinician)
    url = reverse("measures:assign", args=[cast.patient.uuid])
    page = client.get(reverse("measures:patient", args=[cast.patient.uuid])).content.decode()
    # The weekday checkboxes sit in a fieldset with its legend.
    assert re.search(r"<fieldset><legend>Or on these weekdays", page)
    assert 'type="time"' in page and 'name="window_minutes"' in page
    data = {"schedule_uuid": str(uuid.uuid4()), "form": "diary", "weekdays": ["1", "5"],
            "time_of_day": "20:30", "window_minutes": "180", "random_minutes": "30",
            "anchor": "enrolment", "offset_days": "2",
            "start": timezone.localdate().isoformat()}  # ignored: the anchor gives the day
    done = client.post(url, data, follow=True)
    assert done.status_code == 200
    assert "Assigned Diary, Mon, Fri at 20:30 (within 30 minutes)." in done.content.decode()
    diary = Schedule.objects.get()
    assert (diary.form, diary.instrument, diary.cadence, diary.weekdays, diary.anchor,
            diary.start, diary.window_minutes, diary.random_minutes) == (
        "diary", "", "weekdays", "15", "enrolment",
        cast.patient.enrolled_on + timedelta(days=2), 180, 30)


@pytest.mark.parametrize(("data", "message"), [
    ({"time_of_day": "25:00"}, "Time of day: enter a local time as HH:MM, such as 20:00."),
    ({"window_minutes": "0"}, "Answer window (window_minutes): allowed 1-86400 minutes"),
    ({"random_minutes": "2000"}, "Random delay (random_minutes): allowed 0-1440 minutes."),
    ({"weekdays": ["9"]}, "Weekdays: 9 is not a weekday; allowed 1 (Monday) to 7 (Sunday)."),
    ({"cadence": "monthly"}, "Repeat (cadence): monthly is not one of once, interval, weekdays."),
    ({"anchor": "date", "start": ""}, "Start: enter a date as YYYY-MM-DD, or count from"),
    # Checked by the rule (the action), shown under the field it names.
    ({"every_days": "1", "window_minutes": "60", "random_minutes": "60"},
     "Random delay (random_minutes): the random offset must be shorter than the answer window"),
    ({"anchor": "taper_start", "every_days": "7"},
     "Counting from (anchor): taper_start: the patient has no start of the taper plan"),
    ({"form": "diary", "instrument": "phq9", "every_days": "1"},
     "Instrument (instrument): a diary schedule asks for the diary"),
])
def test_timing_errors_name_the_field(cast, data, message):
    client = client_for(cast.clinician)
    base = {"schedule_uuid": str(uuid.uuid4()), "instrument": "gad7",
            "start": timezone.localdate().isoformat()}
    page = client.post(reverse("measures:assign", args=[cast.patient.uuid]), base | data)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not Schedule.objects.exists()
