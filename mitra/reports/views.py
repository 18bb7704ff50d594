"""Reports: the caseload dashboard (rendered for core:caseload), the patient timeline, the
patient's own "How I have been" page, and the PDF report for a chosen period."""

from __future__ import annotations

from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.lib import conf
from mitra.measures.library import get_instrument
from mitra.measures.schedules import OVERDUE_AFTER_DAYS
from mitra.patients.access import (
    can_write_patient,
    get_own_patient,
    get_patient_for_staff,
    get_patient_for_user,
    patients_for_user,
    record_patients_shown,
)
from mitra.patients.models import Patient
from mitra.reminders import adherence
from mitra.reports import clinic as clinic_figures
from mitra.reports import clinic_outcomes, dashboard, export, goals, pdf
from mitra.reports.dashboard.diary_columns import (
    ADHERENCE_DAYS,
    BASELINE,
    RECENT,
    SPARK_DAYS,
    sparkline_points,
    trend_share,
)
from mitra.reports.dashboard.ordering import FILTERS, SORTS, DashboardError
from mitra.reports.dashboard.reminder_columns import WINDOW_DAYS, threshold_pct
from mitra.reports.dashboard.rows import SCORED
from mitra.reports.forms import DiscloseForm
from mitra.reports.series import PatientSeries, Period, PeriodError, build_series, parse_period

PERIOD_CHOICES = (30, 90, 180, 365)


@require_GET
@role_required(Role.CLINICIAN)
def caseload(request: HttpRequest) -> HttpResponse:
    """The caseload dashboard of the clinician's own patients (`core:caseload`)."""
    patients = patients_for_user(request.user)
    today = timezone.localdate()
    params = {
        "sort": request.GET.get("sort", "urgency") or "urgency",
        "show": request.GET.get("show", ""),
        "q": request.GET.get("q", ""),
    }
    context = {"sorts": SORTS, "filters": FILTERS, "today": today,
               "overdue_after": OVERDUE_AFTER_DAYS, "adherence_days": ADHERENCE_DAYS,
               "spark_days": SPARK_DAYS, "reliable": _reliable_thresholds(),
               # The kratom trend's rule, said beside the column (not only in the notes).
               "trend_recent": RECENT, "trend_baseline": BASELINE,
               "trend_pct": f"{(trend_share() * 100).normalize():f}",
               "reminder_days": WINDOW_DAYS, "low_pct": threshold_pct(),
               "min_prompts": conf.low_adherence_min_prompts(), **params}
    try:
        board = dashboard.build(patients, today, page=request.GET.get("page", 1),
                                sort=params["sort"], show=params["show"], q=params["q"])
    except DashboardError as exc:
        return render(request, "core/caseload.html", {**context, "error": str(exc)},
                      status=400)
    key = board.sort.lstrip("-")
    context["sort_label"] = SORTS[key] + (" (reversed)" if board.sort[0] == "-" else "")
    rows = list(board.page.object_list)
    for row in rows:
        row.spark_points = sparkline_points(row.spark)
    record_patients_shown(request, (row.uuid for row in rows))
    return render(request, "core/caseload.html", {**context, "board": board, "rows": rows})


CLINIC_FORMATS = ("html", "csv", "outcomes-csv")


@require_GET
@role_required(Role.CLINICIAN, Role.ADMIN)
def clinic(request: HttpRequest) -> HttpResponse:
    """Baseline and repeat measurement and reminders answered, per care team, in aggregate
    (`reports.clinic`); `?format=csv` downloads the same table."""
    fmt = request.GET.get("format", "html") or "html"
    if fmt not in CLINIC_FORMATS:
        return render(request, "reports/clinic.html", {
            "error": f"format: {fmt!r} is not allowed; allowed values: "
                     + ", ".join(CLINIC_FORMATS)}, status=400)
    now = timezone.now()
    teams = clinic_figures.clinic_teams_for_user(request.user)
    figures = clinic_figures.build_clinic(teams, timezone.localdate(now), now)
    if fmt == "outcomes-csv":
        response = HttpResponse(clinic_outcomes.outcomes_csv(
            clinic_outcomes.build_outcomes(teams, figures.today)),
            content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="mitra-outcomes-{figures.today.isoformat()}.csv"')
        response["Cache-Control"] = "no-store"
        return response
    if fmt == "csv":
        response = HttpResponse(clinic_figures.clinic_csv(figures),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="mitra-clinic-{figures.today.isoformat()}.csv"')
        response["Cache-Control"] = "no-store"
        return response
    outcomes = clinic_outcomes.build_outcomes(teams, figures.today)
    return render(request, "reports/clinic.html", {
        "clinic": figures, "min_cell": clinic_figures.MIN_CELL,
        "baseline_days": clinic_figures.BASELINE_DAYS,
        "repeat_after": clinic_figures.REPEAT_AFTER_DAYS,
        "prompt_days": clinic_figures.PROMPT_DAYS,
        "outcomes": outcomes,
        "outcomes_chart": clinic_outcomes.chart_data(outcomes),
        "adherence_days": clinic_outcomes.ADHERENCE_DAYS,
    })


def _reliable_thresholds() -> list[dict]:
    out = []
    for instrument in SCORED:
        inst = get_instrument(instrument)
        rc = inst.thresholds.reliable_change
        if rc and rc.points:
            out.append({"name": inst.short_name, "points": rc.points,
                        "unverified": rc.unverified})
    return out


def _period_links(request: HttpRequest, end: date) -> list[dict]:
    return [{"days": n, "start": (end - timedelta(days=n - 1)).isoformat(),
             "end": end.isoformat()} for n in PERIOD_CHOICES]


def _period_or_400(request, patient, template, context):
    try:
        return parse_period(request.GET, patient, timezone.localdate()), None
    except PeriodError as exc:
        return None, render(request, template, {**context, "error": str(exc)}, status=400)


@require_GET
@role_required(Role.CLINICIAN)
def timeline(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    context = {"patient": patient}
    period, error = _period_or_400(request, patient, "reports/timeline.html", context)
    if error:
        return error
    series = build_series(patient, period)
    return render(request, "reports/timeline.html", {
        **context, **_series_context(series), **_reminders_context(patient), "period": period,
        "period_links": _period_links(request, period.end),
        # The "For whom?" step first: the care team's copy, or a disclosure.
        "pdf_url": reverse("reports:report_for_whom", args=[patient.uuid])
        + f"?start={period.start}&end={period.end}",
        "export_url": reverse("reports:patient_export", args=[patient.uuid])
        if isinstance(request.user, User) and can_write_patient(request.user, patient)
        else None,
    })


def _reminders_context(patient: Patient) -> dict:
    """The patient's reminders answered (one query), for the timeline's panel."""
    figures = adherence.adherence_by_patient([patient.pk], timezone.now()).get(
        patient.pk, adherence.EMPTY)
    return {"reminders": figures, "low_pct": threshold_pct(),
            "min_prompts": conf.low_adherence_min_prompts(),
            "reminder_status": adherence.status(figures, conf.low_adherence_share(),
                                                conf.low_adherence_min_prompts())}


def _series_context(series: PatientSeries) -> dict:
    return {
        "series": series, "chart": series.as_json(), "weeks": weekly_rows(series),
        "score_rows": score_rows(series),
    }


def score_rows(series: PatientSeries) -> list[dict]:
    rows = []
    for q in series.questionnaires.values():
        for p in q["points"]:
            rows.append({**p, "short_name": q["short_name"], "max": q["max"]})
    return sorted(rows, key=lambda r: (r["date"], r["short_name"]))


def weekly_rows(series: PatientSeries) -> list[dict]:
    """Weekly means of the diary, the data-table twin of the charts (weeks from Monday)."""
    ratings = series.ratings
    weeks: dict[date, dict] = {}
    for n, text in enumerate(ratings.get("dates", [])):
        day = date.fromisoformat(text)
        week = weeks.setdefault(day - timedelta(days=day.weekday()),
                                {"days": 0, **{k: [] for k in ("mood", "anxiety", "craving",
                                                               "withdrawal")}, "kratom": 0.0})
        week["days"] += 1
        for key in ("mood", "anxiety", "craving", "withdrawal"):
            if ratings[key][n] is not None:
                week[key].append(ratings[key][n])
    for s in series.substances.values():
        if not s["kratom"] or s["unit"] != "g":
            continue
        for text, amount in zip(s["dates"], s["amounts"], strict=True):
            day = date.fromisoformat(text)
            week = weeks.get(day - timedelta(days=day.weekday()))
            if week is not None and amount is not None:
                week["kratom"] += amount
    plan = series.plan or {}
    planned = dict(zip(plan.get("dates", []), plan.get("planned", []), strict=False))
    # Recorded amounts in the plan's own terms, so the two plan columns compare like with like.
    in_terms: dict[date, list[float]] = {}
    for text, amount in zip(plan.get("dates", []), plan.get("actual", []), strict=False):
        if amount is not None:
            day = date.fromisoformat(text)
            in_terms.setdefault(day - timedelta(days=day.weekday()), []).append(amount)
    out = []
    for start in sorted(weeks):
        w = weeks[start]
        mid = (start + timedelta(days=3)).isoformat()
        recorded = in_terms.get(start)
        out.append({
            "recorded_in_plan_terms": round(sum(recorded) / len(recorded), 1) if recorded
            else None,
            "week": start, "days": w["days"],
            **{k: round(sum(w[k]) / len(w[k]), 1) if w[k] else None
               for k in ("mood", "anxiety", "craving", "withdrawal")},
            "kratom_g": round(w["kratom"] / w["days"], 1) if w["days"] else None,
            "planned": planned.get(mid),
        })
    return out


@require_GET
@role_required(Role.PATIENT)
def my_trends(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    context = {"patient": patient}
    period, error = _period_or_400(request, patient, "reports/my_trends.html", context)
    if error:
        return error
    series = build_series(patient, period)
    return render(request, "reports/my_trends.html", {
        **context, **_series_context(series), "period": period,
        "period_links": _period_links(request, period.end),
        "goals": goals.goals_for(patient), "summary": goals.plain_summary(series),
        "pdf_url": reverse("reports:my_report") + f"?start={period.start}&end={period.end}",
        "export_url": reverse("reports:my_export"),
    })


def _pdf_response(request, patient: Patient, period: Period, *, audience: str) -> HttpResponse:
    series = build_series(patient, period)
    data = pdf.render_report(series, audience=audience, generated_at=timezone.now())
    response = HttpResponse(data, content_type="application/pdf")
    name = f"mitra-{patient.pseudonym}-{period.start}-{period.end}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@role_required(Role.CLINICIAN)
def report(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    period, error = _period_or_400(request, patient, "reports/period_error.html",
                                   {"patient": patient})
    if error:
        return error
    return _pdf_response(request, patient, period, audience="clinician")


@require_GET
@role_required(Role.PATIENT)
def my_report(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    period, error = _period_or_400(request, patient, "reports/period_error.html",
                                   {"patient": patient})
    if error:
        return error
    return _pdf_response(request, patient, period, audience="patient")


def _export_response(request, patient: Patient) -> HttpResponse:
    response = export.export_download(patient)
    record_audit(Event.PATIENT_EXPORT_DOWNLOADED, acting=request, patient=patient,
                 detail=request.path)
    return response


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def my_export(request: HttpRequest) -> HttpResponse:
    """"Download my data": a page with a button; the POST answers with the ZIP at once."""
    patient = get_own_patient(request)
    if request.method == "POST":
        return _export_response(request, patient)
    return render(request, "reports/export.html", {"patient": patient, "own": True})


@require_http_methods(["GET", "POST"])
@role_required(Role.CLINICIAN, Role.ADMIN)
def patient_export(request: HttpRequest, patient_uuid) -> HttpResponse:
    """The same ZIP for a patient who asks on paper: their read-and-write care team and the
    care-team admins of one of their teams (the enrolment access check)."""
    patient = get_patient_for_staff(request, patient_uuid)
    if request.method == "POST":
        return _export_response(request, patient)
    return render(request, "reports/export.html", {
        "patient": patient, "own": False, "form": DiscloseForm.blank(),
        "disclose_url": reverse("reports:export_disclose", args=[patient.uuid])})
