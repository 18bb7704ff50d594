"""The demo cohort's stories in a real browser: caseload, timelines, the patient's own view."""

from __future__ import annotations

import pytest

from mitra.enrolment.demo import NEWCOMER
from mitra.patients.cohort import DEMO_PASSWORD, SUICIDE_RISK
from tests.browser import ARTIFACTS, demo_cohort, screenshot, ui_login


def _story(ctx, trajectory: str):
    # Team B holds every tenth patient; the demo clinician sees Team A.
    return next(p.patient for p in ctx.patients
                if p.trajectory == trajectory and p.index % 10 != 9)


@pytest.mark.browser
def test_the_clinician_sees_the_stories_at_a_glance(browser_page):
    ctx = demo_cohort(patients=12, days=90)
    page = browser_page
    ui_login(page, "clinician", DEMO_PASSWORD)
    assert page.url.endswith("/caseload/"), page.url
    # One row per patient of the demo clinician's team (Team B holds every tenth), and the
    # newcomer invited to Team A who has not signed up yet.
    team_a = [p for p in ctx.patients if p.index % 10 != 9]
    assert page.locator("table.dashboard tbody tr").count() == len(team_a) + 1
    assert page.get_by_role("link", name=NEWCOMER[0]).count() == 1
    screenshot(page, "reports-caseload-phone")
    page.set_viewport_size({"width": 1024, "height": 768})
    screenshot(page, "reports-caseload-tablet")

    # The suicide-risk story: its weeks-old urgent alert was acknowledged by the team within
    # minutes (mitra.safety.demo.finish) and is still followed, so the inbox shows it.
    suicide = _story(ctx, SUICIDE_RISK)
    page.goto("/safety/alerts/")
    item = page.locator("li.alert-item", has_text=suicide.display_name).filter(
        has_text="Suicide risk").first
    assert "Urgent" in item.inner_text() and "Acknowledged by" in item.inner_text()
    page.goto("/caseload/")

    # CBT homework: most overdue first; the demo leaves some homework overdue.
    page.goto("/caseload/?sort=homework")
    first_row = page.locator("table.dashboard tbody tr").first
    assert "overdue" in first_row.locator("td.dash-homework").inner_text()
    page.locator(".table-wrap").evaluate("el => el.scrollLeft = el.scrollWidth")
    screenshot(page, "reports-caseload-homework")

    page.select_option("#f-show", "taper")
    page.click(".dash-apply button")
    page.wait_for_load_state()
    assert "show=taper" in page.url
    assert "Stepping down" in page.locator("table.dashboard").inner_text() or \
        "Paused" in page.locator("table.dashboard").inner_text()

    for story in ("tapering", "escalating", SUICIDE_RISK):
        patient = _story(ctx, story)
        page.goto(f"/reports/patients/{patient.uuid}/timeline/?start={ctx.start}")
        page.wait_for_selector("#timeline .main-svg")
        text = page.locator("#timeline").inner_text()
        assert "PHQ-9" in text and "Daily amount" in text
        if story == "tapering":
            assert "Taper plan" in text
        screenshot(page, f"reports-timeline-{story}")
    page.set_viewport_size({"width": 412, "height": 915})
    page.reload()
    page.wait_for_selector("#timeline .main-svg")
    screenshot(page, "reports-timeline-phone")


@pytest.mark.browser
def test_the_patient_sees_how_they_have_been(browser_page):
    ctx = demo_cohort(patients=12, days=90)
    page = browser_page
    ui_login(page, "patient", DEMO_PASSWORD)
    page.goto("/reports/me/?start=" + ctx.start.isoformat())
    page.wait_for_selector("#timeline .main-svg")
    assert page.get_by_role("heading", name="How I have been").is_visible()
    body = page.locator("main").inner_text()
    assert "Mood questionnaire (PHQ-9)" in body
    assert "real improvement" in body  # the demo patient's story: improving to remission
    screenshot(page, "reports-my-trends")


def _rows_in_view(page) -> int:
    """Patient rows wholly inside the viewport, as the screen shows them."""
    return page.evaluate("""() => [...document.querySelectorAll("table.dashboard tbody tr")]
        .filter(r => { const b = r.getBoundingClientRect();
                       return b.top >= 0 && b.bottom <= window.innerHeight; }).length""")


@pytest.mark.browser
def test_the_desktop_caseload_fits_15_patients_and_the_tablet_keeps_its_layout(browser_page):
    demo_cohort(patients=30, days=60)  # 27 patients on the demo clinician's team
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto("/caseload/")  # as it is shown again and again, without the signed-in message
    assert page.locator("table.dashboard tbody tr").count() >= 20
    shown = _rows_in_view(page)
    screenshot(page, "reports-caseload-desktop")
    page.screenshot(path=str(ARTIFACTS / "reports-caseload-desktop-screen.png"))
    assert shown >= 15, f"{shown} patients on a 1280x800 screen"
    # Every column in view: the table does not scroll sideways on a desktop.
    wrap = page.locator(".table-wrap").evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert wrap[0] <= wrap[1], wrap
    # The kratom trend's rule is said in its column heading, and on each label on hover.
    hint = page.locator("th.dash-trend-head .dash-hint").inner_text()
    for words in ("last 7 days vs 28 before", "rising", "falling", "25%", "steady within"):
        assert words in hint, hint
    labels = page.locator("td.dash-trend .badge.warn, td.dash-trend .dash-steady")
    assert labels.count()
    for n in range(labels.count()):
        text, title = labels.nth(n).inner_text(), labels.nth(n).get_attribute("title")
        assert ("rising" in text and title.startswith("At least 25% above")) or (
            "steady" in text and title.startswith("Within ±25%")), (text, title)

    # A tablet (1024 px, or a touch screen of any width) keeps the roomy layout.
    page.set_viewport_size({"width": 1024, "height": 768})
    page.reload()
    font = page.locator("table.dashboard").evaluate("el => getComputedStyle(el).fontSize")
    assert font == "14.72px", font  # .92rem, not the desktop's .8rem
    assert page.locator(".dash-name .muted").first.evaluate(
        "el => getComputedStyle(el).display") == "block"
    assert _rows_in_view(page) < 15
    screenshot(page, "reports-caseload-tablet-1024")


def _timeline_figure(page) -> dict:
    """What Plotly drew (traces, axis titles, plot area) and the data Django sent."""
    return page.evaluate("""() => {
        const el = document.getElementById("timeline"), box = el.getBoundingClientRect();
        const size = el._fullLayout._size;
        const axes = Object.keys(el._fullLayout).filter(k => /^yaxis\\d*$/.test(k))
            .map(k => el._fullLayout[k].title.text);
        return {
            traces: el.data.map(t => ({name: t.name, x: t.x, y: t.y, mode: t.mode,
                dash: t.line && t.line.dash, colour: t.line && t.line.color,
                symbol: t.marker && t.marker.symbol, connectgaps: t.connectgaps,
                text: t.text})),
            axes: axes,
            plot: {left: box.left + size.l, right: box.left + size.l + size.w,
                   top: box.top + size.t},
            data: JSON.parse(document.getElementById("timeline-data").textContent),
        };
    }""")


def _boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(selector, """els => els.map(e => {
        const b = e.getBoundingClientRect();
        return {text: e.textContent, left: b.left, right: b.right, top: b.top, bottom: b.bottom};
    })""")


@pytest.mark.browser
def test_the_timeline_leaves_gaps_draws_what_its_legend_says_and_keeps_labels_apart(
        browser_page):
    ctx = demo_cohort(patients=12, days=90)
    patient = _story(ctx, SUICIDE_RISK)  # a PHQ-9 with an item alert, gaps in the diary
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    ui_login(page, "clinician", DEMO_PASSWORD)
    page.goto(f"/reports/patients/{patient.uuid}/timeline/?start={ctx.start}")
    page.wait_for_selector("#timeline .main-svg")
    fig = _timeline_figure(page)
    data = fig["data"]
    recorded = set(data["ratings"]["dates"])
    substances = {f"{s['label']} ({s['unit']})" for s in data["substances"] if s["unit"]}
    diary = set(data["ratings"]["labels"].values())
    daily = [t for t in fig["traces"] if t["name"] in substances | diary]
    assert substances and len(daily) == len(substances) + 4, [t["name"] for t in fig["traces"]]
    gaps = 0
    for t in daily:
        assert t["connectgaps"] is False, t["name"]
        assert t["x"][0] == data["start"] and t["x"][-1] == data["end"], t["name"]
        for day, value in zip(t["x"], t["y"], strict=True):
            if day not in recorded:  # no diary entry: a gap, never a value or a bridge
                assert value is None, (t["name"], day, value)
                gaps += 1
            elif t["name"] in substances:  # an entry: the amount, or a recorded zero
                assert value is not None, (t["name"], day)
    assert gaps, "the demo diary should have days without an entry"

    # The legend says "one solid line per substance"; the diary's anxiety line is dashed. No
    # substance line shares a colour or a marker with a diary line.
    legend = page.locator(".legend-list").inner_text()
    assert "one solid line per substance" in legend
    assert "gap" in legend
    by_name = {t["name"]: t for t in daily}
    for name in substances:
        assert by_name[name]["dash"] == "solid", by_name[name]
        for rating in diary:
            assert by_name[name]["colour"] != by_name[rating]["colour"], (name, rating)
            assert by_name[name]["symbol"] != by_name[rating]["symbol"], (name, rating)
    assert by_name[data["ratings"]["labels"]["anxiety"]]["dash"] == "dash"

    # The item alert is a star named in the legend and on hover, with no text beside it; the
    # band names sit in the margin right of the plot, clear of every point and line.
    (star,) = [t for t in fig["traces"] if t["name"] == "PHQ-9 item alert"]
    assert star["mode"] == "markers" and not star["text"], star
    assert page.locator("#timeline .textpoint").count() == 0
    bands = {b["label"] for q in data["questionnaires"] for b in q["bands"]}
    labels = [a for a in _boxes(page, "#timeline .annotation") if a["text"] in bands]
    assert {a["text"] for a in labels} >= {"Severe", "Moderate", "Mild"}, labels
    for a in labels:
        assert a["left"] >= fig["plot"]["right"], a
    screenshot(page, "reports-timeline-desktop")

    # The mode bar (shown on hover) stays above the first row and clear of the band names.
    for size in ({"width": 1280, "height": 800}, {"width": 390, "height": 844}):
        page.set_viewport_size(size)
        page.reload()
        page.wait_for_selector("#timeline .main-svg")
        page.locator("#timeline").scroll_into_view_if_needed()
        fig = _timeline_figure(page)
        page.mouse.move(fig["plot"]["left"] + 40, fig["plot"]["top"] + 30)
        page.wait_for_selector("#timeline .modebar-group")
        (bar,) = _boxes(page, "#timeline .modebar")
        visible = [b for b in _boxes(page, "#timeline .modebar-group") if b["right"] > b["left"]]
        bottom = max(b["bottom"] for b in visible)
        assert bottom <= fig["plot"]["top"] + 1, (size, visible, fig["plot"])
        for a in _boxes(page, "#timeline .annotation"):
            overlaps = not (a["right"] <= bar["left"] or a["left"] >= bar["right"]
                            or a["bottom"] <= bar["top"] or a["top"] >= bottom)
            assert not overlaps, (size, a, bar)
    # On the phone each diary rating has its own row (four lines in one row are a tangle).
    assert {"Mood", "Anxiety", "Craving", "Withdrawal"} <= set(fig["axes"]), fig["axes"]
    assert "Diary 0-10" not in fig["axes"]
    page.screenshot(path=str(ARTIFACTS / "reports-timeline-phone-modebar.png"))
    screenshot(page, "reports-timeline-phone-390")
