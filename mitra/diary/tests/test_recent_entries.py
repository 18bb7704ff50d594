"""The diary page's "Your last entries": a line a day with the time it was saved, the uses added
up by substance (never one item a use), mood and craving; refreshed after a save through
`diary:recent`, which also carries the CBT relapse-plan prompt after a strong craving (issue 18,
item 14)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mitra.diary.models import UseEvent
from mitra.diary.queries import recent_days, use_totals
from mitra.diary.tests.factories import make_entry
from mitra.testing import MARKER, login, make_cast

pytestmark = pytest.mark.django_db
PROMPT = "You recorded a strong craving"


@pytest.fixture
def cast():
    return make_cast()


@pytest.fixture
def client(cast):
    return login(Client(), cast.patient_user)


def _lines(html: str) -> list[str]:
    """The text of each line of the list, whitespace collapsed."""
    items = re.findall(r'<li data-day="[^"]+">(.*?)</li>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def test_uses_are_added_up_by_substance_and_unit_in_the_order_recorded():
    uses = [UseEvent(substance="kratom_powder", amount=Decimal("3.500"), unit="g",
                     time=time(13, 5)),
            UseEvent(substance="alcohol", amount=Decimal("2.000"), unit="standard_drinks"),
            UseEvent(substance="kratom_powder", amount=Decimal("6.500"), unit="g",
                     time=time(7, 30)),
            UseEvent(substance="kratom_powder", amount=Decimal("500.000"), unit="mg",
                     time=time(21, 0)),
            UseEvent(substance="kava", amount=Decimal("2"), unit="g"),
            UseEvent(substance="kava", amount=Decimal("3"), unit="g")]
    totals = [(t.substance, t.amount, t.unit, t.when) for t in use_totals(uses)]
    assert totals == [("Kratom leaf powder", "10", "g", "2 uses: 07:30, 13:05"),  # not "1E+1"
                      ("Alcohol", "2", "standard drinks", ""),
                      ("Kratom leaf powder", "500", "mg", "at 21:00"),
                      ("Kava", "5", "g", "2 uses")]


def _day(d) -> str:
    return f"{d:%a} {d.day} {d:%b}"  # as the template's "D j M"


def test_the_page_shows_a_line_a_day_with_time_uses_and_mood(cast, client):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    make_entry(cast.patient, today, mood=6, craving=2, uses=(
        ("kratom_powder", "3", "g"), ("kratom_powder", "2.5", "g"),
        ("alcohol", "1", "standard_drinks")))
    make_entry(cast.patient, yesterday, uses=(), mood=4)
    make_entry(cast.patient, yesterday, uses=(("kava", "4", "g"),), mood=5)
    html = client.get(reverse("diary:entry")).content.decode()
    first, second = recent_days(cast.patient)
    assert first.saved_same_day and not second.saved_same_day  # yesterday's, saved today
    assert _lines(html) == [
        f"{_day(today)} saved {first.saved_at:%H:%M} Kratom leaf powder 5.5 g (2 uses);"
        " Alcohol 1 standard drinks Mood 6/10 · Craving 2/10",
        # The day saved twice: its current version only, marked edited, with the save's day.
        f"{_day(yesterday)} saved {second.saved_at.day} {second.saved_at:%b %H:%M}, edited"
        " Kava 4 g Mood 5/10",
    ]
    assert "Kratom leaf powder 3 g" not in html  # never one item a use


def test_a_day_with_no_use_says_so(cast, client):
    make_entry(cast.patient, uses=())
    lines = _lines(client.get(reverse("diary:entry")).content.decode())
    assert len(lines) == 1 and lines[0].endswith("No use recorded")


def test_after_a_json_save_the_list_comes_back_with_the_new_day(cast, client):
    empty = client.get(reverse("diary:recent"))
    assert empty.status_code == 200
    assert empty.json()["recent"].strip() == "" and empty.json()["panels"] == ""
    body = {"uuid": str(uuid.uuid4()), "date": timezone.localdate().isoformat(), "mood": 7,
            "craving": 1, "motives": [], "note": "", "uses": [
                {"substance": "kratom_capsule", "amount": "4", "unit": "capsules",
                 "grams_per_unit": "0.5", "time": "08:00"},
                {"substance": "kratom_capsule", "amount": "2", "unit": "capsules",
                 "grams_per_unit": "0.5", "time": "14:00"}]}
    saved = client.post(reverse("diary:api_submit"), json.dumps(body),
                        content_type="application/json")
    assert saved.status_code == 201, saved.content
    answer = client.get(reverse("diary:recent")).json()
    lines = _lines(answer["recent"])
    assert len(lines) == 1 and "Kratom capsules 6 capsules (2 uses: 08:00, 14:00)" in lines[0]
    assert "Mood 7/10" in lines[0] and "saved " in lines[0]
    assert answer["panels"] == ""  # a craving of 1 prompts nothing


def test_a_strong_craving_brings_the_relapse_plan_prompt_to_the_diary(cast, client):
    threshold = settings.MITRA_CBT_CRAVING_PROMPT_THRESHOLD
    make_entry(cast.patient, craving=threshold - 1)
    assert PROMPT not in client.get(reverse("diary:entry")).content.decode()
    assert client.get(reverse("diary:recent")).json()["panels"] == ""
    make_entry(cast.patient, craving=threshold)
    answer = client.get(reverse("diary:recent")).json()
    assert f"{PROMPT} ({threshold} out of 10) today." in answer["panels"]
    assert reverse("cbt:relapse_plan") in answer["panels"] and "Write my plan" in answer["panels"]
    page = client.get(reverse("diary:entry")).content.decode()
    assert PROMPT in page and page.index("diary-form") < page.index(PROMPT)


def test_the_list_is_the_patients_own(cast):
    make_entry(cast.other_patient, uses=(("kava", "9", "g"),), craving=10)
    make_entry(cast.patient, uses=(("kratom_powder", "2", "g"),), craving=0)
    answer = login(Client(), cast.patient_user).get(reverse("diary:recent")).json()
    assert "Kava" not in answer["recent"] and MARKER not in answer["recent"]
    assert "Kratom leaf powder 2 g" in answer["recent"] and answer["panels"] == ""
    assert login(Client(), cast.clinician).get(reverse("diary:recent")).status_code == 404
