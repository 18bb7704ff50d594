"""Taper adherence in the reports: the planned and the recorded amount are compared in the
plan's own terms (diary.taper.plan_terms), never the plan's unit against grams."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from mitra.diary.tests.factories import make_entry, make_plan
from mitra.reports.series import Period, build_series
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def last_days(n: int):
    today = timezone.localdate()
    return [today - timedelta(days=i) for i in range(n - 1, -1, -1)]


def series_for(patient):
    today = timezone.localdate()
    return build_series(patient, Period(today - timedelta(days=29), today), today=today)


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def capsule_plan(cast, **kw):
    return make_plan(cast.patient, by=cast.clinician, substance="kratom_capsule",
                     unit="capsules", start_date=timezone.localdate() - timedelta(days=10),
                     start_amount=Decimal("7"), target_amount=Decimal("2"), step_kind="amount",
                     step_size=Decimal("1"), interval_days=30, **kw)


def test_a_capsule_plan_is_compared_with_capsules_not_grams(cast):
    capsule_plan(cast)
    for day in last_days(5):  # 12 capsules of 0.5 g: 6 g, but 12 capsules against a plan of 7
        make_entry(cast.patient, day, uses=(("kratom_capsule", "12", "capsules", "0.5"),))
    plan = series_for(cast.patient).plan
    assert plan["terms"] == "capsules of kratom capsules"
    assert plan["days_compared"] == 5 and plan["days_at_or_below"] == 0
    assert plan["actual"][-5:] == [12.0] * 5 and plan["planned"][-1] == 7.0


def test_a_milligram_plan_is_compared_with_milligrams(cast):
    make_plan(cast.patient, by=cast.clinician, unit="mg", start_amount=Decimal("8000"),
              target_amount=Decimal("2000"), step_kind="amount", step_size=Decimal("500"),
              interval_days=30, start_date=timezone.localdate() - timedelta(days=10))
    days = last_days(6)
    for day in days[:5]:
        make_entry(cast.patient, day, uses=(("kratom_powder", "12000", "mg"),))
    make_entry(cast.patient, days[5], uses=(("kratom_powder", "7.5", "g"),))  # 7500 mg
    plan = series_for(cast.patient).plan
    assert plan["terms"] == "mg of kratom plant material"
    assert plan["days_compared"] == 6 and plan["days_at_or_below"] == 1
    assert plan["actual"][-6:] == [12000.0] * 5 + [7500.0]


def test_a_gram_plan_counts_powder_and_filled_capsules_in_grams(cast):
    make_plan(cast.patient, by=cast.clinician)  # 10 g, 10% less every 7 days, from 14 days ago
    days = last_days(5)  # planned: 9, 9, 9, 9 g, then 8.1 g today
    for day in days[:3]:
        make_entry(cast.patient, day, uses=(("kratom_powder", "9", "g"),))
    make_entry(cast.patient, days[3], uses=(("kratom_powder", "7", "g"),
                                            ("kratom_capsule", "6", "capsules", "0.5")))  # 10 g
    make_entry(cast.patient, days[4], uses=(("kratom_powder", "8", "g"),))
    plan = series_for(cast.patient).plan
    assert plan["terms"] == "g of kratom plant material"
    assert plan["planned"][-5:] == [9.0, 9.0, 9.0, 9.0, 8.1]
    assert plan["actual"][-5:] == [9.0, 9.0, 9.0, 10.0, 8.0]
    assert plan["days_compared"] == 5 and plan["days_at_or_below"] == 4


def test_a_day_that_cannot_be_counted_in_the_plans_terms_is_left_out(cast):
    make_plan(cast.patient, by=cast.clinician)
    days = last_days(3)
    make_entry(cast.patient, days[0], uses=(("kratom_powder", "5", "g"),))
    make_entry(cast.patient, days[1], uses=(("kratom_capsule", "30", "capsules"),))  # no fill
    make_entry(cast.patient, days[2], uses=())  # a recorded day without use: a zero
    plan = series_for(cast.patient).plan
    assert plan["actual"][-3:] == [5.0, None, 0.0]
    assert plan["days_compared"] == 2 and plan["days_at_or_below"] == 2
    assert plan["days_not_comparable"] == 1


def test_the_pdf_and_the_timeline_use_the_plans_terms(client, cast):
    plan = capsule_plan(cast)
    plan.pauses.create(start_date=timezone.localdate() - timedelta(days=2), end_date=None,
                       reason="Flu")
    for day in last_days(5):
        make_entry(cast.patient, day, uses=(("kratom_capsule", "12", "capsules", "0.5"),))
    login(client, cast.clinician)
    start = (timezone.localdate() - timedelta(days=29)).isoformat()
    text = pdf_text(client.get(reverse("reports:report", args=[cast.patient.uuid]),
                               {"start": start}).content)
    flat = " ".join(text.split())
    assert ("at or below the plan on 0 of 5 days with a diary entry while the plan ran "
            "(capsules of kratom capsules)") in flat
    paused_on = timezone.localdate() - timedelta(days=2)
    assert f"paused from {paused_on.day} {paused_on:%b %Y} until further notice: Flu" in flat
    assert "to -" not in flat
    body = client.get(reverse("reports:timeline", args=[cast.patient.uuid]),
                      {"start": start}).content.decode()
    data = json.loads(re.search(r'<script id="timeline-data" type="application/json">(.*?)'
                                r"</script>", body).group(1))
    assert data["plan"]["terms"] == "capsules of kratom capsules"
    assert data["plan"]["actual"][-1] == 12.0
    # The substance row stays in grams; the plan is drawn against its own recorded series.
    assert data["substances"][0]["unit"] == "g" and data["substances"][0]["amounts"][-1] == 6.0


def test_the_weekly_table_puts_plan_and_recorded_amount_in_the_same_terms(cast):
    from mitra.reports.views import weekly_rows

    capsule_plan(cast)
    for day in last_days(5):
        make_entry(cast.patient, day, uses=(("kratom_capsule", "12", "capsules", "0.5"),))
    series = series_for(cast.patient)
    rows = [r for r in weekly_rows(series) if r["recorded_in_plan_terms"] is not None]
    assert rows and all(r["recorded_in_plan_terms"] == 12.0 for r in rows)  # capsules, not 6 g
    assert all(r["kratom_g"] == 6.0 for r in rows)  # the grams column stays in grams
    client = login(Client(), cast.clinician)
    html = client.get(reverse("reports:timeline", args=[cast.patient.uuid])).content.decode()
    assert "Clinician's plan mid-week, capsules of kratom capsules" in html
    assert "Recorded per day, capsules of kratom capsules" in html
