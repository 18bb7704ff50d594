"""The prescriber PDF when the taper plan starts inside the period: the use before the plan
stays on the chart, and the figures say what they count (days used of diary days, the amount
on the days used), so a prescriber cannot read "mean 0.04 g" as a daily amount."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from mitra.diary.tests.factories import make_entry, make_plan
from mitra.reports.pdf import BLUE, amount_chart, amount_lines, render_report
from mitra.reports.series import Period, build_series
from mitra.reports.tests.helpers import raise_alert
from mitra.safety.actions import do_acknowledge_alert
from mitra.safety.models import Alert
from mitra.testing import login, make_cast
from tests.browser import ARTIFACTS

pytestmark = pytest.mark.django_db
TODAY_OFFSET_PLAN = 20  # the plan starts 20 days before today, inside a 90-day period


def grams_on(i: int) -> str | None:
    """Day i before today: no entry every 5th day, a recorded day without use every 7th,
    otherwise 6, 7 or 8 g of powder."""
    if i % 5 == 0:
        return None
    if i % 7 == 0:
        return "0"
    return str(6 + i % 3)


@pytest.fixture
def cast():
    cast = make_cast()
    cast.patient.enrolled_on = timezone.localdate() - timedelta(days=120)
    cast.patient.save(update_fields=["enrolled_on"])
    for i in range(1, 80):
        grams = grams_on(i)
        if grams is None:
            continue
        uses = (("kratom_powder", grams, "g"),) if grams != "0" else ()
        make_entry(cast.patient, timezone.localdate() - timedelta(days=i), uses=uses)
    make_plan(cast.patient, by=cast.clinician,
              start_date=timezone.localdate() - timedelta(days=TODAY_OFFSET_PLAN))
    return cast


def period() -> Period:
    today = timezone.localdate()
    return Period(today - timedelta(days=89), today)


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
                    .split())


def test_the_chart_keeps_the_use_before_the_plan(cast):
    series = build_series(cast.patient, period())
    begins = timezone.localdate() - timedelta(days=TODAY_OFFSET_PLAN)
    recorded, plan = amount_lines(series)
    assert not recorded["plan"] and plan["plan"]
    before = [(d, v) for d, v in recorded["points"] if d < begins]
    # Every recorded day before the plan is on the chart, with its amount (0 on a day
    # recorded without use), in the plan's terms (grams of plant material).
    expected = {timezone.localdate() - timedelta(days=i): float(grams_on(i))
                for i in range(TODAY_OFFSET_PLAN + 1, 80) if grams_on(i) is not None}
    assert dict(before) == expected
    assert len(before) > 40
    # The plan is drawn from its start, never before it.
    assert plan["points"][0] == (begins, 10.0)
    assert all(d >= begins for d, _v in plan["points"])
    assert amount_chart(series) is not None


def test_a_plan_starting_today_still_shows_the_history_and_the_plan(cast):
    """The walk-through's empty chart: a plan set today, before today's diary entry."""
    make_plan(cast.patient, by=cast.clinician, start_date=timezone.localdate())
    lines = amount_lines(build_series(cast.patient, period()))
    recorded, plan = lines
    assert len(recorded["points"]) > 50
    assert plan["points"] == [(timezone.localdate(), 10.0)]


def test_the_words_say_what_the_figures_count(cast):
    make_entry(cast.patient, timezone.localdate(), uses=(("kratom_extract", "1", "g"),))
    alert = raise_alert(cast.patient, Alert.Priority.HIGH)
    do_acknowledge_alert(alert, acting=cast.clinician)
    login(client := Client(), cast.clinician)
    start = period().start.isoformat()
    response = client.get(reverse("reports:report", args=[cast.patient.uuid]), {"start": start})
    assert response.status_code == 200
    text = pdf_text(response.content)
    series = build_series(cast.patient, period())
    powder = series.substances["kratom_powder"]
    diary_days = powder["days_recorded"]
    assert diary_days == 65  # 79 days before today less every 5th (64), and today
    used = powder["days_used"]
    assert used == sum(1 for i in range(1, 80) if grams_on(i) not in (None, "0"))
    assert (f"Kratom leaf powder: used on {used} of {diary_days} days with a diary entry; on "
            f"the {used} days used, 7 g a day on average (6 to 8 g)") in text
    # One day of extract in the period: the amount of that day, not spread over 65 days.
    assert (f"Kratom extract or shot: used on 1 of {diary_days} days with a diary entry; 1 g "
            "on the one day used") in text
    assert "per recorded day" not in text and " 1 days" not in text
    begins = timezone.localdate() - timedelta(days=TODAY_OFFSET_PLAN)
    begins_text = f"{begins.day} {begins:%b %Y}"
    assert f"The plan starts on {begins_text}, inside this period. Before it, use was " \
           f"recorded on " in text
    assert "with a diary entry while the plan ran" in text
    # The table's headings name what each column counts.
    assert "Days used, of days with a diary entry" in text
    assert "Amount on a day used: average (least to most)" in text
    # No word broken across a line in the alert table.
    assert "Acknowledged" in text and "Acknowledg ed" not in text


def test_the_rendered_chart_draws_the_recorded_line_before_the_plan(cast):
    """The page as a reader sees it (PDFium, from pip): the recorded amount's blue ink starts
    near the period's first day, far left of where the plan starts (old code: only from the
    plan's start, at the right of the chart)."""
    series = build_series(cast.patient, period())
    content = render_report(series, audience="clinician", generated_at=timezone.now())
    pdf = pdfium.PdfDocument(content)
    ARTIFACTS.mkdir(exist_ok=True)
    blue = tuple(int(BLUE.hexval()[2:][i:i + 2], 16) for i in (0, 2, 4))
    columns: list[float] = []  # per page: the share of the page's columns with blue ink
    for n in range(len(pdf)):
        page = pdf[n].render(scale=1.5).to_pil().convert("RGB")
        page.save(ARTIFACTS / f"report-taper-in-period-{n + 1}.png")
        mask = Image.new("L", page.size, 0)
        mask.putdata([255 if all(abs(a - b) <= 30 for a, b in zip(px, blue, strict=True))
                      else 0 for px in page.get_flattened_data()])
        inked = sum(1 for x in range(page.width)
                    if mask.crop((x, 0, x + 1, page.height)).getbbox() is not None)
        columns.append(inked / page.width)
    pdf.close()
    # No questionnaires here: the only blue ink is the recorded line and its legend sample.
    # The period is 90 days, recorded from its 11th day; the plan covers the last 21. The line
    # crosses most of the chart (about 60% of the page's width); drawn from the plan's start
    # only, it would cross under a fifth of it.
    assert max(columns) > 0.45, columns
