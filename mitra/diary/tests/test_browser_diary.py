import pytest

from mitra.diary.models import DiaryEntry
from mitra.patients.cohort import DEMO_PASSWORD
from tests.browser import demo_cohort, screenshot, ui_login, ui_logout


@pytest.mark.browser
def test_an_entry_made_offline_arrives_exactly_once_when_back_online(browser_page):
    ctx = demo_cohort()
    patient = ctx.patients[0].patient
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/diary/")
    assert page.get_by_role("heading", name="Diary for").is_visible()
    before = DiaryEntry.objects.filter(patient=patient).count()

    page.select_option("#id_uses-0-substance", "kratom_powder")
    page.fill("#id_uses-0-amount", "3.5")
    page.select_option("#id_uses-0-unit", "g")
    page.fill("#id_uses-0-time", "08:30")
    page.get_by_label("Pain").check()
    for name, value in (("mood", "6"), ("anxiety", "4"), ("craving", "3"),
                        ("sleep_quality", "7"), ("withdrawal", "2")):
        page.locator(f"#rating-{name} label.chip", has_text=value).first.click()
    entry_uuid = page.locator("input[name=uuid]").input_value()

    page.context.set_offline(True)
    page.get_by_role("button", name="Save diary").click()
    status = page.locator("#diary-status")
    status.get_by_text("kept on this device").wait_for()
    assert DiaryEntry.objects.filter(uuid=entry_uuid).count() == 0
    key = f"mitra:diary:pending:{patient.uuid}"
    assert page.evaluate(f"localStorage.getItem('{key}')")
    screenshot(page, "diary-offline")

    page.context.set_offline(False)
    status.get_by_text("Saved.").wait_for()
    assert DiaryEntry.objects.filter(uuid=entry_uuid).count() == 1
    assert page.evaluate(f"localStorage.getItem('{key}')") is None
    # A second online event (or a reload) must not send it again.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.reload()
    page.wait_for_load_state("networkidle")
    entry = DiaryEntry.objects.get(uuid=entry_uuid)
    assert DiaryEntry.objects.filter(patient=patient).count() == before + 1
    assert (entry.mood, entry.withdrawal, entry.motives) == (6, 2, ["pain"])
    assert [(u.substance, float(u.grams)) for u in entry.uses.all()] == [("kratom_powder", 3.5)]
    path = screenshot(page, "diary-saved")
    assert path.stat().st_size > 10_000


@pytest.mark.browser
def test_the_clinician_sees_the_taper_chart(browser_page):
    ctx = demo_cohort()
    tapering = ctx.by_trajectory("tapering")[0].patient
    page = browser_page
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto(f"/diary/patients/{tapering.uuid}/")
    page.locator("#diary-chart .main-svg").first.wait_for()
    assert page.get_by_text("Clinician's plan").first.is_visible()
    screenshot(page, "diary-clinician-chart")


@pytest.mark.browser
def test_the_clinician_cancels_a_pause_that_has_not_begun(browser_page):
    from datetime import timedelta

    from django.utils import timezone

    from mitra.diary.queries import current_taper_plan

    ctx = demo_cohort()
    tapering = ctx.by_trajectory("tapering")[0].patient
    plan = current_taper_plan(tapering)
    pause = plan.pauses.create(start_date=timezone.localdate() + timedelta(days=10),
                               end_date=None, reason="Travelling abroad",
                               created_by=ctx.staff["clinician"])
    page = browser_page
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto(f"/diary/patients/{tapering.uuid}/")
    page.get_by_role("button", name="Cancel this pause (it has not begun)").click()
    page.wait_for_load_state()
    assert page.get_by_text("is cancelled; the plan no longer counts it").is_visible()
    struck = page.locator("ul.pauses del", has_text="Travelling abroad")
    assert struck.is_visible()
    assert page.get_by_role("button", name="Cancel this pause (it has not begun)").count() == 0
    pause.refresh_from_db()
    assert pause.cancelled_at is not None
    screenshot(page, "diary-pause-cancelled")


def _drafts(page) -> list[str]:
    return page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('mitra:'))")


@pytest.mark.browser
def test_a_draft_is_never_sent_into_another_persons_record_and_sign_out_clears_it(browser_page):
    ctx = demo_cohort()
    patient = ctx.patients[0].patient
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    # A draft left on this browser by someone else whose session ended without signing out.
    stranger = {"uuid": "6f1d2a43-0e7c-4b8e-9a55-0c3b8f1e2d10", "date": "2026-01-05",
                "note": "someone else's note", "motives": [], "uses": [], "mood": 5}
    page.goto("/diary/")
    page.evaluate("d => localStorage.setItem('mitra:diary:pending:someone-else', "
                  "JSON.stringify(d))", stranger)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert _drafts(page) == []
    assert not DiaryEntry.objects.filter(uuid=stranger["uuid"]).exists()
    assert not DiaryEntry.objects.filter(note="someone else's note").exists()

    # This patient's own unsent entry is kept until sign-out, which clears it.
    page.fill("#id_note", "kept until sign-out")
    page.context.set_offline(True)
    page.get_by_role("button", name="Save diary").click()
    page.locator("#diary-status").get_by_text("kept on this device").wait_for()
    assert _drafts(page) == [f"mitra:diary:pending:{patient.uuid}"]
    # Back online but the server out of reach, so the draft is still waiting at sign-out.
    page.route("**/diary/api/entries/", lambda route: route.abort())
    page.context.set_offline(False)
    ui_logout(page)
    assert _drafts(page) == []


@pytest.mark.browser
def test_changing_the_day_opens_that_days_entry_and_never_copies_todays(browser_page):
    from datetime import timedelta

    from django.utils import timezone

    ctx = demo_cohort()
    patient = ctx.patients[0].patient
    today = timezone.localdate()
    earlier = today - timedelta(days=3)
    # A clean slate for both days (the demo cohort has entries on most days).
    from mitra.diary.models import UseEvent
    UseEvent.objects.filter(patient=patient, date__in=[today, earlier]).delete()
    DiaryEntry.objects.filter(patient=patient, date__in=[today, earlier]).delete()
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/diary/")
    page.select_option("#id_uses-0-substance", "kratom_powder")
    page.fill("#id_uses-0-amount", "4")
    page.select_option("#id_uses-0-unit", "g")
    page.locator("#rating-mood label.chip", has_text="6").first.click()
    page.get_by_label("Pain").check()
    page.get_by_role("button", name="Save diary").click()
    page.locator("#diary-status").get_by_text("Saved.").wait_for()
    saved_today = DiaryEntry.objects.get(patient=patient, date=today, is_current=True)

    page.goto("/diary/")
    with page.expect_navigation():
        page.fill("#id_date", earlier.isoformat())
    page.wait_for_load_state("networkidle")
    assert f"{earlier:%A} {earlier.day} {earlier:%B}" in page.locator("h1").inner_text()
    assert page.input_value("#id_uses-0-amount") == ""
    assert page.input_value("#id_uses-0-substance") == ""
    assert page.locator("#diary-form input[name=mood]:checked").count() == 0
    assert not page.get_by_label("Pain").is_checked()
    page.select_option("#id_uses-0-substance", "kratom_powder")
    page.fill("#id_uses-0-amount", "2")
    page.select_option("#id_uses-0-unit", "g")
    page.get_by_role("button", name="Save diary").click()
    page.locator("#diary-status").get_by_text("Saved.").wait_for()

    backfilled = DiaryEntry.objects.get(patient=patient, date=earlier, is_current=True)
    assert [(u.substance, float(u.amount)) for u in backfilled.uses.all()] == [
        ("kratom_powder", 2.0)]
    assert (backfilled.mood, backfilled.motives) == (None, [])
    current_today = DiaryEntry.objects.get(patient=patient, date=today, is_current=True)
    assert current_today.pk == saved_today.pk
    assert [(u.substance, float(u.amount)) for u in current_today.uses.all()] == [
        ("kratom_powder", 4.0)]


@pytest.mark.browser
def test_saving_refreshes_the_last_entries_and_a_strong_craving_offers_the_plan(browser_page):
    """Issue 18, item 14: after a save through the page's script, "Your last entries" shows the
    day at once (time saved, uses added up, mood), and a strong craving brings the
    relapse-prevention prompt to the diary page, not only to Home."""
    from django.conf import settings
    from django.utils import timezone

    from tests.browser import ARTIFACTS

    ctx = demo_cohort()
    patient = ctx.patients[0].patient
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/diary/")
    page.wait_for_load_state("networkidle")
    for row, (amount, at) in enumerate((("2.5", "07:45"), ("3", "13:10"))):
        if row:
            page.locator("details.more-uses summary").click()
        page.select_option(f"#id_uses-{row}-substance", "kratom_powder")
        page.fill(f"#id_uses-{row}-amount", amount)
        page.select_option(f"#id_uses-{row}-unit", "g")
        page.fill(f"#id_uses-{row}-time", at)
    craving = settings.MITRA_CBT_CRAVING_PROMPT_THRESHOLD + 1
    for name, value in (("mood", "3"), ("craving", str(craving))):
        page.locator(f"#rating-{name} label.chip", has_text=value).first.click()
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Save diary").click()
    page.locator("#diary-status").get_by_text("Saved.").wait_for()
    page.locator("#diary-form[data-refreshed]").wait_for(state="attached")
    assert page.evaluate("window.notReloaded === true")  # the list changed in place

    today = timezone.localdate()
    line = page.locator("#diary-recent li").first
    assert line.get_attribute("data-day") == today.isoformat()
    text = " ".join(line.inner_text().split())
    entry = DiaryEntry.objects.current().get(patient=patient, date=today)
    saved = timezone.localtime(entry.created_at)
    assert text.startswith(f"{today:%a} {today.day} {today:%b} saved {saved:%H:%M}")
    assert "Kratom leaf powder 5.5 g (2 uses: 07:45, 13:10)" in text and "Mood 3/10" in text
    assert f"Craving {craving}/10" in text and text.count("Kratom") == 1
    # One line a day: the list names each day once.
    days = [li.get_attribute("data-day") for li in page.locator("#diary-recent li").all()]
    assert len(days) == len(set(days)) and days == sorted(days, reverse=True)

    prompt = page.locator("#diary-panels .plan-prompt")
    assert prompt.is_visible()
    assert f"You recorded a strong craving ({craving} out of 10) today." in prompt.inner_text()
    screenshot(page, "diary-saved-phone")
    page.locator("#diary-panels").screenshot(path=str(ARTIFACTS / "diary-craving-prompt.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "diary-saved-desktop")
    page.set_viewport_size({"width": 412, "height": 915})

    # The page loaded afresh shows the same (the server renders both).
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#diary-panels .plan-prompt").is_visible()
    assert " ".join(page.locator("#diary-recent li").first.inner_text().split()) == text
    prompt = page.locator("#diary-panels .plan-prompt")
    prompt.get_by_role("link", name="plan").click()
    page.wait_for_load_state()
    assert page.url.endswith("/cbt/plan/")
