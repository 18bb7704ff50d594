"""Timeline, the patient's own view and the PDF report: access, content, bad input."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from mitra.diary.models import TaperPlan
from mitra.diary.tests.factories import make_plan
from mitra.patients.models import Medication
from mitra.reports.series import Period, _planned_amounts, build_series
from mitra.reports.tests.helpers import add_diary, add_scores, raise_alert, steady_days
from mitra.safety.models import Alert
from mitra.testing import login, make_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    cast = make_cast()
    p = cast.patient
    add_scores(p, "phq9", [17, 15, 11, 9])
    add_scores(p, "gad7", [12, 11, 9, 8])
    add_diary(p, steady_days(60, 5.5))
    make_plan(p, by=cast.clinician)
    Medication.objects.create(patient=p, name="sertraline",
                              started_on=timezone.localdate() - timedelta(days=20))
    raise_alert(p, Alert.Priority.URGENT, Alert.Kind.SUICIDE_RISK)
    return cast


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_timeline_shows_every_series_on_one_page(client, cast):
    login(client, cast.clinician)
    response = client.get(reverse("reports:timeline", args=[cast.patient.uuid]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "vendor/plotly.min.js" in body and "reports/timeline.js" in body
    found = re.search(r'<script id="timeline-data" type="application/json">(.*?)</script>', body)
    data = json.loads(found.group(1))
    phq = data["questionnaires"][0]
    assert phq["id"] == "phq9" and [p["total"] for p in phq["points"]] == [17, 15, 11, 9]
    assert phq["points"][-1]["reliable"] == "improved"  # 17 -> 9: 8 points, threshold 6
    assert data["substances"][0]["amounts"][-1] == 5.5
    # The plan's rows cover the whole period: no planned amount before the plan starts.
    plan = data["plan"]
    planned = dict(zip(plan["dates"], plan["planned"], strict=True))
    assert planned[plan["start_date"]] == 10.0 and plan["planned"][0] is None
    assert plan["dates"][0] == data["start"]
    assert data["medications"][0]["name"] == "sertraline"
    assert data["alerts"][0]["kind"] == "Suicide risk"
    assert len(data["ratings"]["dates"]) == 60
    assert "<script>" not in body  # no inline script: data only in application/json


def test_the_readonly_clinician_reads_and_the_other_team_gets_404(client, cast):
    url = reverse("reports:timeline", args=[cast.patient.uuid])
    login(client, cast.readonly)
    assert client.get(url).status_code == 200
    login(client, cast.other_clinician)
    assert client.get(url).status_code == 404
    assert client.get(reverse("reports:report", args=[cast.patient.uuid])).status_code == 404


@pytest.mark.parametrize("name", ["reports:timeline", "reports:report"])
def test_post_is_405(client, cast, name):
    login(client, cast.clinician)
    assert client.post(reverse(name, args=[cast.patient.uuid])).status_code == 405


def test_post_to_the_patients_own_pages_is_405(client, cast):
    login(client, cast.patient_user)
    assert client.post(reverse("reports:my_trends")).status_code == 405
    assert client.post(reverse("reports:my_report")).status_code == 405


@pytest.mark.parametrize("params, field", [
    ({"start": "2026-13-01"}, "start"),
    ({"end": "tomorrow"}, "end"),
    ({"start": "2020-01-01"}, "start"),  # more than a year
])
def test_a_bad_period_is_a_400_naming_the_field(client, cast, params, field):
    login(client, cast.clinician)
    for name in ("reports:timeline", "reports:report"):
        response = client.get(reverse(name, args=[cast.patient.uuid]), params)
        assert response.status_code == 400
        assert f"{field}: " in response.content.decode()


def test_the_pdf_carries_the_patients_figures(client, cast):
    login(client, cast.clinician)
    start = timezone.localdate() - timedelta(days=59)
    response = client.get(reverse("reports:report", args=[cast.patient.uuid]),
                          {"start": start.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pages, text = pdf_text(response.content)
    assert pages >= 2
    assert "Pat Example" in text and cast.patient.pseudonym in text
    assert f"{start.day} {start:%b %Y}" in text  # the period
    assert "Generated on" in text
    assert "PHQ-9 latest 9 of 27" in text and "improved" in text
    assert "17 / 27" in text  # the table: the first PHQ-9 in the period
    assert "on the 60 days used, 5.5 g a day on average" in " ".join(text.split())
    assert "Taper plan" in text and "sertraline" in text
    assert "Alerts in the period" in text and "Suicide risk" in text
    assert f"Page 1 of {pages}" in text


def test_the_pdf_names_alerts_still_open_from_before_the_period(client, cast):
    earlier = timezone.now() - timedelta(days=120)
    still_open = raise_alert(cast.patient, Alert.Priority.URGENT, Alert.Kind.SUICIDE_RISK,
                             key="earlier:open")
    closed = raise_alert(cast.patient, Alert.Priority.HIGH, Alert.Kind.CO_USE,
                         key="earlier:closed")
    Alert.objects.filter(pk__in=[still_open.pk, closed.pk]).update(created_at=earlier)
    Alert.objects.filter(pk=closed.pk).update(status=Alert.Status.RESOLVED)
    login(client, cast.clinician)
    start = timezone.localdate() - timedelta(days=29)
    response = client.get(reverse("reports:report", args=[cast.patient.uuid]),
                          {"start": start.isoformat()})
    _pages, text = pdf_text(response.content)
    assert "Still open from before the period: 1 (urgent suicide risk)" in text
    assert "Raised before the period and still open" in text
    raised = timezone.localtime(earlier)
    assert f"{raised.day} {raised:%b %Y}" in text
    assert "Co-use" not in text  # resolved before the period: history, not a loose end


def test_the_patients_own_report_and_view(client, cast):
    login(client, cast.patient_user)
    page = client.get(reverse("reports:my_trends"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "How I have been" in body and "real improvement" in body
    assert "data-mode=\"simple\"" in body
    response = client.get(reverse("reports:my_report"))
    assert response.status_code == 200
    _pages, text = pdf_text(response.content)
    assert "For your own records" in text and "PHQ-9 latest 9 of 27" in text
    assert "Alerts in the period" not in text  # the care team's workflow, not the patient's


def test_the_home_card_links_to_the_patients_view(client, cast):
    login(client, cast.patient_user)
    body = client.get(reverse("core:me")).content.decode()
    assert reverse("reports:my_trends") in body and "How I have been" in body


def test_planned_amounts_match_the_plan_day_by_day(cast):
    plan = make_plan(cast.patient, by=cast.clinician, start_date=date(2026, 1, 1),
                     interval_days=5)
    plan.pauses.create(start_date=date(2026, 1, 12), end_date=date(2026, 1, 20), reason="r")
    plan.pauses.create(start_date=date(2026, 2, 10), end_date=None, reason="open")
    spec = TaperPlan.objects.get(pk=plan.pk).as_plan()
    days = [date(2025, 12, 28) + timedelta(days=i) for i in range(70)]
    fast = _planned_amounts(spec, days)
    assert fast == {d: spec.planned_amount(d) for d in days}
    later = days[20:]  # starting mid-plan, inside the first pause
    assert _planned_amounts(spec, later) == {d: spec.planned_amount(d) for d in later}


def test_the_baseline_is_the_first_score_of_the_whole_record(cast):
    today = timezone.localdate()
    series = build_series(cast.patient, Period(today - timedelta(days=20), today))
    points = series.questionnaires["phq9"]["points"]
    assert [p["total"] for p in points] == [11, 9]
    assert points[-1]["baseline"] == 17 and points[-1]["change"] == -8


def test_the_timeline_lists_an_alert_without_repeating_its_kind(client, cast):
    from mitra.safety.actions import do_raise_alert

    do_raise_alert(cast.patient, kind=Alert.Kind.SUICIDE_RISK, priority=Alert.Priority.URGENT,
                   reason="PHQ-9: Possible suicide risk: PHQ-9 item 9 answered above "
                          "'Not at all'", dedupe_key="timeline:kind-once")
    login(client, cast.clinician)
    page = client.get(reverse("reports:timeline", args=[cast.patient.uuid])).content.decode()
    # The list gives the kind once, then the reason without the labels that repeat it.
    assert "Suicide risk · Open: PHQ-9 item 9 answered above" in page
    assert "Possible suicide risk: PHQ-9 item 9" not in page
