"""The demo patient completes a thought record; the clinician assigns homework and the patient
completes it. Screenshots go to test-artifacts/ (phone-sized)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mitra.cbt import demo
from mitra.cbt.models import Homework, ThoughtRecord
from mitra.patients.cohort import DEMO_PASSWORD, build_cohort
from tests.browser import ARTIFACTS, screenshot, ui_login, ui_nav


def cohort():
    # Only the CBT demo data: these tests do not depend on other apps' demo modules.
    ctx = build_cohort(patients=12, days=60, seed=7)
    demo.populate(ctx)
    return ctx


@pytest.mark.browser
def test_the_demo_patient_completes_a_thought_record(browser_page):
    ctx = cohort()
    patient = ctx.patients[0].patient
    before = ThoughtRecord.objects.filter(patient=patient).count()
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/me/")
    page.get_by_role("link", name="New thought record").first.click()
    page.get_by_label("Situation").fill("Alone after work, strong urge to use")
    page.get_by_label("Automatic thoughts").fill("I can't get through tonight without it")
    page.get_by_label("Emotion 1:", exact=True).fill("anxious")
    page.get_by_label("Emotion 1 intensity").fill("150")
    page.get_by_label("Catastrophising").check()
    page.get_by_label("Evidence against the thought").fill("I got through Tuesday with a walk")
    page.get_by_label("Balanced thought").fill("Tonight is hard, and I have a plan for it")
    page.get_by_role("button", name="Save thought record").click()
    # The server names the field and the range, and keeps the answers.
    alert = page.get_by_role("alert")
    assert "Emotion 1 intensity: enter a whole number from 0 to 100." in alert.inner_text()
    assert page.get_by_label("Situation").input_value().startswith("Alone after work")
    screenshot(page, "cbt-thought-record-error")
    page.get_by_label("Emotion 1 intensity").fill("85")
    # The re-rating label follows the emotion's name (rerate.js).
    page.get_by_label("Re-rate “anxious” now (0-100):").fill("40")
    page.get_by_role("button", name="Save thought record").click()
    page.get_by_role("heading", name="Thought record,").wait_for()
    assert page.get_by_text("Thought record saved.").is_visible()
    assert page.get_by_text("anxious: 85 → 40").is_visible()
    path = screenshot(page, "cbt-thought-record-saved")
    assert path.stat().st_size > 10_000
    assert ThoughtRecord.objects.filter(patient=patient).count() == before + 1
    page.goto("/cbt/thoughts/")
    assert page.get_by_text("re-rated thought records").is_visible()
    screenshot(page, "cbt-thought-history")


@pytest.mark.browser
def test_the_clinician_assigns_homework_and_the_patient_completes_it(browser_page):
    ctx = cohort()
    patient = ctx.patients[0].patient
    page = browser_page
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto(f"/patients/{patient.uuid}/")
    page.get_by_role("link", name="CBT: homework, records, insight").click()
    page.get_by_role("heading", name="Insight").wait_for()
    screenshot(page, "cbt-clinician-patient")
    ARTIFACTS.mkdir(exist_ok=True)
    for section in ("insight", "thoughts", "exposure"):
        target = ARTIFACTS / f"cbt-clinician-{section}.png"
        page.locator(f"#{section}").screenshot(path=str(target))
    page.get_by_label("Exercise:", exact=True).select_option("module")
    page.get_by_label("Module (when the exercise is reading a module)").select_option(
        "kratom-kava")
    due = timezone.localdate() + timedelta(days=4)
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_label("Instructions").fill("Read this before our next session")
    page.get_by_role("button", name="Assign").click()
    assert page.get_by_text("Homework assigned: Read: Kratom and kava").is_visible()
    homework = Homework.objects.get(patient=patient, module_slug="kratom-kava")
    assert homework.completed_at is None and homework.due_on == due

    page.context.clear_cookies()
    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/me/")
    screenshot(page, "cbt-patient-home-card")
    page.locator(".cbt-card").get_by_role(
        "link", name="Read: Kratom and kava, what is and is not known").click()
    page.get_by_role("heading", name="What is not known").wait_for()
    page.get_by_label("Note for your clinician (optional)").fill("Useful, questions on Friday")
    page.get_by_role("button", name="I've read it: mark as done").click()
    assert page.get_by_text("Marked as done: Read: Kratom and kava").is_visible()
    screenshot(page, "cbt-homework-done")
    homework.refresh_from_db()
    assert homework.completed_at is not None
    assert homework.completion_note == "Useful, questions on Friday"


@pytest.mark.browser
def test_a_thought_record_written_from_the_cbt_menu_completes_the_open_assignment(browser_page):
    """Issue 18, item 10: homework is done by doing it, not only from its own Start link."""
    from mitra.cbt.tests import factories

    ctx = cohort()
    patient = ctx.patients[0].patient
    factories.homework(patient, ctx.staff["clinician"], kind="thought_record",
                       due=timezone.localdate() + timedelta(days=2))
    expected = (Homework.objects.open().filter(patient=patient, kind="thought_record")
                .order_by("created_at", "pk").first())
    open_before = Homework.objects.open().filter(patient=patient).count()
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/me/")
    assert page.locator(".cbt-card").get_by_role("link", name="Thought record").count() >= 1
    # Not the homework's link: the CBT menu's own "New thought record".
    ui_nav(page, "CBT")
    page.wait_for_load_state()
    page.get_by_role("link", name="New thought record").first.click()
    page.wait_for_load_state()
    assert "homework=" not in page.url
    page.get_by_label("Situation").fill("Payday, walking past the shop")
    page.get_by_label("Automatic thoughts").fill("One more time will not matter")
    page.get_by_label("Emotion 1:", exact=True).fill("restless")
    page.get_by_label("Emotion 1 intensity").fill("70")
    page.get_by_label("Balanced thought").fill("It has mattered before; I can call Sam")
    page.get_by_role("button", name="Save thought record").click()
    page.get_by_role("heading", name="Thought record,").wait_for()
    assert page.get_by_text("Your homework (Thought record) is marked as done.").is_visible()
    screenshot(page, "cbt-thought-record-completes-homework")
    record = ThoughtRecord.objects.filter(patient=patient).latest("created_at")
    expected.refresh_from_db()
    assert expected.completed_at is not None and expected.completed_with == record.uuid
    assert Homework.objects.open().filter(patient=patient).count() == open_before - 1

    page.goto("/cbt/homework/")
    done = page.locator("li", has_text="by doing the exercise")
    assert done.count() == 1 and "Thought record" in done.inner_text()
    screenshot(page, "cbt-homework-done-by-exercise")
