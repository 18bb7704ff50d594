"""What a person reads on the pages: labels, never stored codes; one date format; a label on
every field; the admin header in words (issue 18, item 12)."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.diary.actions import do_submit_diary_entry
from mitra.diary.models import UseEvent
from mitra.diary.tests.factories import make_entry, make_plan, submission
from mitra.lib.display import day, words
from mitra.patients.models import Condition, Intake, Medication
from mitra.safety.screening import do_screen_patient
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db

ISO = re.compile(r"\b20\d\d-\d\d-\d\d\b")
# Django's en locale ("Nov. 22, 2026", "May 3, 2026"): the format pages used to mix in.
US_STYLE = re.compile(r"\b[A-Z][a-z]{2,3}\.? \d{1,2}, 20\d\d\b")


def text_of(page) -> str:
    """The page as read: no scripts, styles, attributes or tags."""
    body = page.content.decode()
    body = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<head>.*?</head>", " ", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture
def cast():
    return make_cast()


# ---- the filters ---------------------------------------------------------------------------


def test_day_gives_one_format_for_dates_datetimes_and_iso_text(settings):
    settings.TIME_ZONE = "UTC"
    assert day(date(2026, 9, 5)) == "5 Sep 2026"
    assert day(datetime(2026, 11, 22, 23, 30, tzinfo=timezone.get_fixed_timezone(0))) \
        == "22 Nov 2026"
    assert day("2026-09-05") == "5 Sep 2026"
    assert day("2023-07-01; 2024-07-01 (amended)") == "1 Jul 2023; 1 Jul 2024 (amended)"
    assert day("varies by city") == "varies by city"
    assert day("2026-13-40") == "2026-13-40"  # not a day: left as written
    assert day(None) is None


def test_words_turns_a_code_into_words():
    assert words("local_restrictions") == "Local restrictions"
    assert words("case_reports") == "Case reports"
    assert words("free_to_reproduce") == "Free to reproduce"


# ---- the clinician's diary page ------------------------------------------------------------


def test_the_clinicians_diary_shows_motive_and_unit_labels_and_the_product(cast):
    today = timezone.localdate()
    sub = submission(today - timedelta(days=1),
                     uses=(("kratom_extract", "5", "mL"), ("alcohol", "2", "standard_drinks")))
    sub.motives.extend(["cut_down_opioids", "avoid_withdrawal"])
    sub.uses[0]["product_label"] = "Green Vein Shot"
    do_submit_diary_entry(cast.patient, sub, acting=cast.patient_user)
    assert UseEvent.objects.filter(product_label="Green Vein Shot").exists()
    make_plan(cast.patient, by=cast.clinician, start_date=today - timedelta(days=30))
    page = login(Client(), cast.clinician).get(
        reverse("diary:patient_diary", args=[cast.patient.uuid]))
    text = text_of(page)
    assert "Avoiding withdrawal, Cutting down other opioids" in text  # stored sorted by code
    assert "cut_down_opioids" not in text and "avoid_withdrawal" not in text
    assert "Kratom extract or shot Green Vein Shot 5 mL" in text  # the product, in <q>
    assert "2 standard drinks" in text and "standard_drinks" not in text
    start = today - timedelta(days=30)
    assert f"from 10 g on {start.day} {start:%b %Y}" in text  # the plan's start, DATE_FORMAT
    assert not ISO.search(text), ISO.search(text)
    assert not US_STYLE.search(text), US_STYLE.search(text)


def test_an_entrys_history_names_the_motives_and_the_product(cast):
    day_ = timezone.localdate() - timedelta(days=2)
    sub = submission(day_, uses=(("kratom_powder", "3", "g"),))
    sub.motives.append("cut_down_opioids")
    sub.uses[0]["product_label"] = "Maeng Da"
    do_submit_diary_entry(cast.patient, sub, acting=cast.patient_user)
    make_entry(cast.patient, day_, uses=(("kratom_powder", "2", "g"),))  # version 2
    page = login(Client(), cast.clinician).get(reverse(
        "diary:entry_history", args=[cast.patient.uuid, day_.isoformat()]))
    text = text_of(page)
    assert "Motives: Cutting down other opioids" in text
    assert "Kratom leaf powder Maeng Da 3 g" in text


# ---- the intake page -----------------------------------------------------------------------


def test_the_intake_page_shows_labels_dates_and_a_label_beside_stop(cast):
    # Missouri: no statewide law, city rules ("local_restrictions"), newest source 2026-02-15.
    Intake.objects.create(patient=cast.patient, jurisdiction="US-MO", substances=["kratom"])
    Condition.objects.create(patient=cast.patient, code="anxiety-depression")
    Condition.objects.create(patient=cast.patient, code="liver-disease")
    Medication.objects.create(patient=cast.patient, name="sertraline")
    do_screen_patient(cast.patient)
    page = login(Client(), cast.clinician).get(
        reverse("safety:intake", args=[cast.patient.uuid]))
    text = text_of(page)
    assert "Local restrictions" in text and "Localrestrictions" not in text
    assert "evidence: Case reports" in text and "Casereports" not in text
    assert "matched: Anxiety or depressive disorder" in text
    assert "matched: Liver disease or abnormal liver tests" in text
    assert "matched: anxiety-depression" not in text
    assert "newest source: 15 Feb 2026" in text  # the legal entry's as_of, from the data file
    assert not ISO.search(text), ISO.search(text)
    # The date box beside "Stop" has a visible label, tied to it.
    body = page.content.decode()
    med = Medication.objects.get(name="sertraline")
    label = re.search(rf'<label([^>]*) for="stop-{med.uuid}">([^<]+)</label>', body)
    assert label and label.group(2) == "Stopped on"
    assert "visually-hidden" not in label.group(1)
    assert "Stop sertraline" in text


def test_a_screening_alert_names_the_condition_not_its_id(cast):
    Intake.objects.create(patient=cast.patient, substances=["kratom"])
    Condition.objects.create(patient=cast.patient, code="liver-disease")
    do_screen_patient(cast.patient)
    reason = cast.patient.alerts.get().reason
    assert reason.endswith("(matched: Liver disease or abnormal liver tests)")


# ---- the admin header ----------------------------------------------------------------------


def test_the_admin_header_names_the_person_in_words(cast):
    cast.admin.first_name, cast.admin.last_name = "Casey", "Morgan"
    cast.admin.save(update_fields=["first_name", "last_name"])
    page = login(Client(), cast.admin).get("/admin/")
    assert page.status_code == 200
    text = text_of(page)
    assert f"Signed in as Casey Morgan ({cast.admin.username})" in text
    assert "Welcome," not in text
    assert "Mitra administration" in text
    body = page.content.decode()
    assert "accounts/admin.css" in body  # the user tools are not set in capitals
