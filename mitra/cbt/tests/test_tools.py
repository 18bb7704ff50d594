import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from mitra.cbt.models import Activity, ActivitySlot, ExposureItem, ExposureLog, RelapsePlan
from mitra.cbt.prompts import relapse_plan_prompt
from mitra.cbt.tests import factories
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def client(cast):
    return login(Client(), cast.patient_user)


def key():
    return str(uuid.uuid4())


# Behavioural activation ---------------------------------------------------------------------

def test_values_activities_schedule_and_complete(cast, client):
    client.post(reverse("cbt:value_create"), {"uuid": key(), "name": "Family", "why": "Kids"})
    page = client.get(reverse("cbt:activation")).content.decode()
    value_uuid = cast.patient.cbt_value_set.get().uuid
    assert "Family" in page
    client.post(reverse("cbt:activity_create"),
                {"uuid": key(), "name": "Call my sister", "value": str(value_uuid)})
    activity = Activity.objects.get(patient=cast.patient)
    assert activity.value.name == "Family"
    response = client.post(reverse("cbt:slot_create"), {
        "uuid": key(), "activity": str(activity.uuid), "scheduled_for": TODAY().isoformat()})
    assert response.status_code == 302
    slot = ActivitySlot.objects.get()
    week = client.get(response["Location"]).content.decode()
    assert "Call my sister" in week and "0 of 1 planned activity done" in week
    response = client.post(reverse("cbt:slot_complete", args=[slot.uuid]),
                           {"mastery": "6", "pleasure": "8", "mood_before": "3",
                            "mood_after": "6"})
    slot.refresh_from_db()
    assert (slot.mastery, slot.pleasure, slot.mood_before, slot.mood_after) == (6, 8, 3, 6)
    assert slot.completed_at is not None
    assert "1 of 1 planned activity done" in client.get(response["Location"]).content.decode()


def test_completion_ratings_are_validated_with_the_range(cast, client):
    slot = factories.slot(cast.patient)
    response = client.post(reverse("cbt:slot_complete", args=[slot.uuid]),
                           {"mastery": "11", "pleasure": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Mastery: enter a whole number from 0 to 10." in page
    assert "Pleasure is required: enter a whole number from 0 to 10." in page
    slot.refresh_from_db()
    assert slot.completed_at is None


def test_a_completed_activity_is_final(cast, client):
    slot = factories.slot(cast.patient)
    url = reverse("cbt:slot_complete", args=[slot.uuid])
    client.post(url, {"mastery": "5", "pleasure": "5"})
    assert client.post(url, {"mastery": "5", "pleasure": "5"}).status_code == 302
    assert client.post(url, {"mastery": "9", "pleasure": "5"}).status_code == 409


def test_scheduling_another_patients_activity_is_refused(cast, client):
    theirs = factories.activity(cast.other_patient)
    response = client.post(reverse("cbt:slot_create"), {
        "uuid": key(), "activity": str(theirs.uuid), "scheduled_for": TODAY().isoformat()})
    assert response.status_code == 400
    assert "Activity: choose one of your activities." in response.content.decode()
    assert ActivitySlot.objects.count() == 0


def test_week_navigation(cast, client):
    factories.slot(cast.patient, on=TODAY() + timedelta(days=7))
    this_week = client.get(reverse("cbt:activation")).content.decode()
    assert "Walk 10 minutes" not in this_week.split("Plan an activity")[0]
    next_week = client.get(reverse("cbt:activation"),
                           {"week": (TODAY() + timedelta(days=7)).isoformat()}).content.decode()
    assert "Walk 10 minutes" in next_week.split("Plan an activity")[0]
    assert client.get(reverse("cbt:activation"), {"week": "garbage"}).status_code == 200


# Exposure -----------------------------------------------------------------------------------

def test_practice_and_scheduling_before_enrolment_are_refused_naming_the_range(cast, client):
    enrolled = TODAY() - timedelta(days=5)
    cast.patient.enrolled_on = enrolled
    cast.patient.save(update_fields=["enrolled_on"])
    item = factories.exposure_item(cast.patient)
    response = client.post(reverse("cbt:exposure_log_create", args=[item.uuid]), {
        "uuid": key(), "done_on": (enrolled - timedelta(days=1)).isoformat(),
        "suds_before": "40", "suds_peak": "60", "suds_after": "20"})
    assert response.status_code == 400
    assert (f"Date must be between {enrolled:%Y-%m-%d} (enrolment) and "
            f"{TODAY() + timedelta(days=1):%Y-%m-%d}.") in response.content.decode()
    assert not ExposureLog.objects.exists()
    activity = factories.activity(cast.patient)
    response = client.post(reverse("cbt:slot_create"), {
        "uuid": key(), "activity": str(activity.uuid),
        "scheduled_for": (enrolled - timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert (f"Day must be between {enrolled:%Y-%m-%d} (enrolment) and "
            f"{TODAY() + timedelta(days=180):%Y-%m-%d}.") in response.content.decode()
    assert not ActivitySlot.objects.exists()
    response = client.post(reverse("cbt:slot_create"), {
        "uuid": key(), "activity": str(activity.uuid), "scheduled_for": enrolled.isoformat()})
    assert response.status_code == 302
    assert ActivitySlot.objects.get().scheduled_for == enrolled


def test_exposure_ladder_and_logs(cast, client):
    cast.patient.enrolled_on = TODAY() - timedelta(days=30)  # practice logged since then
    cast.patient.save(update_fields=["enrolled_on"])
    for situation, suds in (("Phone the GP", 50), ("Say hello to a neighbour", 20)):
        client.post(reverse("cbt:exposure_item_create"),
                    {"uuid": key(), "situation": situation, "expected_suds": str(suds)})
    page = client.get(reverse("cbt:exposure")).content.decode()
    assert page.index("Say hello to a neighbour") < page.index("Phone the GP")
    item = ExposureItem.objects.get(situation="Phone the GP")
    for i, peak in enumerate((70, 60, 45)):
        response = client.post(reverse("cbt:exposure_log_create", args=[item.uuid]), {
            "uuid": key(), "done_on": (TODAY() - timedelta(days=10 - i)).isoformat(),
            "suds_before": "40", "suds_peak": str(peak), "suds_after": "30"})
        assert response.status_code == 302
    detail = client.get(reverse("cbt:exposure_item", args=[item.uuid])).content.decode()
    assert "from 70 to 45" in detail and "n = 3" in detail and "<svg" in detail


@pytest.mark.parametrize("data,message", [
    ({"suds_peak": "30", "suds_before": "50"},
     "Peak distress (SUDS) must be at least Distress before (SUDS) (50)"),
    ({"suds_after": "101"}, "Distress after (SUDS): enter a whole number from 0 to 100."),
    ({"minutes": "0"}, "Minutes spent: enter a whole number from 1 to 600."),
])
def test_exposure_log_validation(cast, client, data, message):
    item = factories.exposure_item(cast.patient)
    form = {"uuid": key(), "done_on": TODAY().isoformat(), "suds_before": "40",
            "suds_peak": "60", "suds_after": "30", **data}
    response = client.post(reverse("cbt:exposure_log_create", args=[item.uuid]), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ExposureLog.objects.count() == 0


def test_expected_suds_is_validated(client):
    response = client.post(reverse("cbt:exposure_item_create"),
                           {"uuid": key(), "situation": "Bus", "expected_suds": "150"})
    assert "Expected distress (SUDS): enter a whole number from 0 to 100." in (
        response.content.decode())


def test_another_patients_exposure_item_is_404(cast, client):
    item = factories.exposure_item(cast.other_patient)
    assert client.get(reverse("cbt:exposure_item", args=[item.uuid])).status_code == 404
    response = client.post(reverse("cbt:exposure_log_create", args=[item.uuid]), {})
    assert response.status_code == 404


# Relapse-prevention plan --------------------------------------------------------------------

def plan_data(**overrides):
    data = {"uuid": key(), "triggers": "Evenings alone\nPayday", "high_risk_situations": "",
            "warning_signs": "Skipping the diary", "coping_strategies": "Walk\n\nCall Sam",
            "people_to_call": "Sam", "reasons_for_change": "My kids"}
    data.update(overrides)
    return data


def test_the_plan_is_versioned(cast, client):
    client.post(reverse("cbt:relapse_plan_save"), plan_data())
    plan = RelapsePlan.objects.get()
    assert plan.version == 1 and plan.coping_strategies == ["Walk", "Call Sam"]
    # Same content again: no new version.
    client.post(reverse("cbt:relapse_plan_save"), plan_data())
    assert RelapsePlan.objects.count() == 1
    client.post(reverse("cbt:relapse_plan_save"), plan_data(triggers="Evenings alone"))
    assert list(RelapsePlan.objects.values_list("version", flat=True)) == [2, 1]
    page = client.get(reverse("cbt:relapse_plan")).content.decode()
    assert "Version 2" in page and "Payday" not in page.split("Edit my plan")[0]


def test_an_empty_plan_is_refused(client):
    empty = {name: "" for name in plan_data()} | {"uuid": key()}
    response = client.post(reverse("cbt:relapse_plan_save"), empty)
    assert response.status_code == 400
    assert "Write at least one line in any section of the plan." in response.content.decode()


def _diary_entry(patient, day, craving):
    DiaryEntry = apps.get_model("diary", "DiaryEntry")
    fields = {f.name for f in DiaryEntry._meta.get_fields()}
    extra = {"payload_hash": "x"} if "payload_hash" in fields else {}
    return DiaryEntry.objects.create(uuid=uuid.uuid4(), patient=patient, date=day,
                                     craving=craving, **extra)


def _has_diary():
    try:
        model = apps.get_model("diary", "DiaryEntry")
    except LookupError:
        return False
    return {"patient", "date", "craving"} <= {f.name for f in model._meta.get_fields()}


@pytest.mark.skipif(not _has_diary(), reason="the diary app has no DiaryEntry yet")
@override_settings(MITRA_CBT_CRAVING_PROMPT_THRESHOLD=7, MITRA_CBT_CRAVING_LOOKBACK_DAYS=3)
def test_high_craving_surfaces_the_plan(cast, client):
    today = TODAY()
    _diary_entry(cast.patient, today - timedelta(days=3), 10)  # outside the window
    _diary_entry(cast.patient, today - timedelta(days=1), 6)  # under the threshold
    assert relapse_plan_prompt(cast.patient, today) is None
    assert "strong craving" not in client.get(reverse("core:me")).content.decode()
    _diary_entry(cast.patient, today, 8)
    prompt = relapse_plan_prompt(cast.patient, today)
    assert prompt.days == [(today, 8)] and prompt.plan is None and prompt.highest == 8
    home = client.get(reverse("core:me")).content.decode()
    assert "strong craving (8 out of 10)" in home and "Write my plan" in home
    client.post(reverse("cbt:relapse_plan_save"), plan_data())
    assert relapse_plan_prompt(cast.patient, today).plan.version == 1
    assert "Open my plan" in client.get(reverse("core:me")).content.decode()
    # Another patient's cravings never surface here.
    assert relapse_plan_prompt(cast.other_patient, today) is None


# Modules and catalogue ----------------------------------------------------------------------

def test_modules_render_with_sources(client):
    for slug in ("cbt-model", "anxiety", "depression", "cravings", "kratom-kava"):
        page = client.get(reverse("cbt:module", args=[slug])).content.decode()
        assert "Sources" in page and "<li>" in page.split("Sources")[1], slug
    assert client.get(reverse("cbt:module", args=["nope"])).status_code == 404
    traps = client.get(reverse("cbt:distortions")).content.decode()
    assert "Burns DD. Feeling Good" in traps and "Catastrophising" in traps


def test_the_kratom_module_links_the_evidence_library_when_it_exists(client):
    from django.urls import NoReverseMatch

    page = client.get(reverse("cbt:module", args=["kratom-kava"])).content.decode()
    try:
        url = reverse("evidence:index")
    except NoReverseMatch:
        assert "evidence library" not in page
    else:
        assert f'href="{url}"' in page
