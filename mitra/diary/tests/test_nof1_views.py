"""The clinician's n-of-1 page (`diary:patient_nof1`), its panel on the patient page, and the
read behind them (`queries.nof1_series`)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.diary import nof1, queries
from mitra.diary.tests.factories import make_entry, make_plan
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _diary(patient, n_days: int, *, skip=()):
    """`n_days` days up to yesterday: kratom powder 2-8 g, mood falling with the day before's
    amount, craving rising with it."""
    today = timezone.localdate()
    previous = 0
    for i in range(n_days):
        day = today - timedelta(days=n_days - i)
        grams = 2 + (i * 5) % 7
        if i not in skip:
            make_entry(patient, day, uses=(("kratom_powder", str(grams), "g"),),
                       mood=max(0, 9 - previous), craving=min(10, previous), anxiety=i % 4,
                       withdrawal=None)
        previous = grams if i not in skip else 0


def _url(patient):
    return reverse("diary:patient_nof1", kwargs={"patient_uuid": patient.uuid})


def test_the_clinician_sees_the_figures_and_the_caveat(cast):
    _diary(cast.patient, 30)
    page = login(Client(), cast.clinician).get(_url(cast.patient))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Association, not cause." in html
    assert "Kratom leaf powder" in html or "Kratom powder" in html
    result = page.context["report"]
    mood = next(a for a in result.associations
                if a.exposure == "amount" and a.outcome == "mood")
    # 30 days in a row: 29 pairs; mood the next day is 9 minus the day's grams.
    assert mood.n == 29 and mood.pearson == pytest.approx(-1.0)
    craving = next(a for a in result.associations
                   if a.exposure == "amount" and a.outcome == "craving")
    assert craving.pearson == pytest.approx(1.0)
    withdrawal = next(a for a in result.associations
                      if a.exposure == "amount" and a.outcome == "withdrawal")
    assert withdrawal.status == nof1.NOT_ENOUGH  # never rated
    assert "Not enough data (0 of 14 paired days needed)" in html
    assert re.search(r"<td>29</td>\s*<td>-1.00</td>", html)
    # The plot's data: every cell's pairs, no CDN.
    data = json.loads(re.search(r'id="nof1-chart-data"[^>]*>(.*?)</script>', html,
                                re.S).group(1))
    assert len(data["series"]) == len(result.associations)
    assert len(data["series"][0]["x"]) == 29
    assert "vendor/plotly.min.js" in html and "cdn" not in html.lower()
    assert "No taper plan in force." in html


def test_missing_days_break_pairs_on_both_sides(cast):
    _diary(cast.patient, 20, skip={5, 12})  # 19 pairs less 2 for each missing day: 15
    result = login(Client(), cast.clinician).get(_url(cast.patient)).context["report"]
    assert {a.n for a in result.associations if a.outcome == "mood"} == {15}
    assert result.days_recorded == 18


def test_a_short_diary_is_not_enough_data(cast):
    _diary(cast.patient, 10)
    html = login(Client(), cast.clinician).get(_url(cast.patient)).content.decode()
    # Mood, anxiety and craving by amount and by uses: 9 pairs; withdrawal was never rated.
    assert html.count("Not enough data (9 of 14 paired days needed)") == 6
    assert html.count("Not enough data (0 of 14 paired days needed)") == 2
    assert "Pearson r</th>" in html and "<td>-1.00</td>" not in html
    assert "Association, not cause." in html


def test_taper_phases_are_shown_when_a_plan_exists(cast):
    _diary(cast.patient, 30)
    make_plan(cast.patient, by=cast.clinician,
              start_date=timezone.localdate() - timedelta(days=14), interval_days=7)
    page = login(Client(), cast.clinician).get(_url(cast.patient))
    phases = page.context["report"].phases
    # Before the plan (from a year ago), then 10 g, then 9 g (day 7 of the plan), then 8.1 g.
    assert [p.planned for p in phases] == [None, 10.0, 9.0, 8.1]
    assert phases[0].n["mood"] == 16  # the 30 days up to yesterday, less the plan's 14
    html = page.content.decode()
    assert "before the plan" in html and "<td>10 g</td>" in html and "<td>8.1 g</td>" in html


def test_the_read_is_four_queries_however_long_the_diary(cast, django_assert_num_queries):
    _diary(cast.patient, 25)
    make_plan(cast.patient, by=cast.clinician)
    today = timezone.localdate()
    with django_assert_num_queries(4):
        days, uses, plan = queries.nof1_series(cast.patient, today - timedelta(days=364), today)
        assert plan is not None and plan.as_plan()
    assert len(days) == 25 and len(uses) == 25
    assert days[0].date < days[-1].date


def test_an_edited_day_counts_once_with_its_current_answers(cast):
    day = timezone.localdate() - timedelta(days=2)
    make_entry(cast.patient, day, uses=(("kratom_powder", "3", "g"),), mood=2)
    make_entry(cast.patient, day, uses=(("kratom_powder", "5", "g"),), mood=7)
    today = timezone.localdate()
    days, uses, _plan = queries.nof1_series(cast.patient, today - timedelta(days=364), today)
    assert [(d.date, d.mood) for d in days] == [(day, 7)]
    assert [(u.day, u.amount) for u in uses] == [(day, 5)]


def test_the_patient_page_panel_counts_paired_days_and_links(cast):
    _diary(cast.patient, 10)
    html = login(Client(), cast.clinician).get(
        reverse("core:patient", kwargs={"patient_uuid": cast.patient.uuid})).content.decode()
    assert "Use and next-day ratings (n-of-1)" in html
    assert "9 paired days" in html and "not enough data</strong> (9 of 14 needed)" in html
    assert "Association, not cause." in html
    assert _url(cast.patient) in html


@pytest.mark.parametrize("who", ["researcher", "admin", "other_clinician", "patient_user"])
def test_nobody_off_the_care_team_reaches_it(cast, who):
    _diary(cast.patient, 20)
    response = login(Client(), getattr(cast, who)).get(_url(cast.patient))
    assert response.status_code == 404
    assert b"Association" not in response.content


def test_a_read_only_clinician_on_the_team_reaches_it(cast):
    _diary(cast.patient, 20)
    assert login(Client(), cast.readonly).get(_url(cast.patient)).status_code == 200
