from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role
from mitra.patients.access import (
    get_own_patient,
    get_patient_for_user,
    patients_for_user,
    record_patients_shown,
)
from mitra.patients.models import Intake, Medication, Patient
from mitra.safety import actions, pathway, screening
from mitra.safety import inbox as inbox_view
from mitra.safety.crisis import crisis_resources, locales
from mitra.safety.forms import (
    IntakeForm,
    MedicationForm,
    ResolveAlertForm,
    SafetyPlanForm,
    StopMedicationForm,
)
from mitra.safety.kb import knowledge_base
from mitra.safety.legal import (
    NOT_LEGAL_ADVICE,
    UnknownJurisdiction,
    group_labels,
    jurisdictions,
    legal_status,
)
from mitra.safety.models import Alert, SafetyPlan, ScreeningRun

SEVERITY_WORDS = {"major": "Important", "moderate": "Worth discussing", "minor": "Minor"}


# ---- crisis pathway -------------------------------------------------------------------------

def _patient_locale(request: HttpRequest) -> tuple[str, Patient | None]:
    patient = None
    if request.user.role == Role.PATIENT:
        patient = Patient.objects.filter(user=request.user).first()
    return pathway.patient_locale(patient, request.GET.get("locale", "")), patient


@require_GET
def crisis(request: HttpRequest) -> HttpResponse:
    """Crisis resources: any signed-in user may open them, at any time."""
    locale, patient = _patient_locale(request)
    plan = getattr(patient, "safety_plan", None) if patient else None
    others = [(code, loc["name"]) for code, loc in locales().items() if code != locale]
    return render(request, "safety/crisis.html", {
        "crisis": crisis_resources(locale), "locale": locale, "other_locales": others,
        "is_patient": patient is not None, "plan": plan.current if plan else None,
        "team_alerted": pathway.care_team_alerted(patient),
    })


# ---- alert inbox ----------------------------------------------------------------------------

def _alert_for_user(request: HttpRequest, alert_uuid, *, write: bool) -> Alert:
    alert = (
        Alert.objects.filter(uuid=alert_uuid, patient__in=patients_for_user(request.user))
        .select_related("patient").first()
    )
    if alert is None:
        raise Http404("No such alert")
    # The one access check: 403 for a read-only member who tries to change it.
    get_patient_for_user(request, alert.patient.uuid, write=write)
    return alert


def _back(request: HttpRequest, default: str) -> HttpResponse:
    # A path on this site only ("/safety/alerts/"): `redirect` would take a bare word for a
    # view name and fail (500) when there is none.
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect(default)


@require_GET
@role_required(Role.CLINICIAN)
def inbox(request: HttpRequest) -> HttpResponse:
    """The care team's alerts: filtered, ordered (new, then acknowledged; most urgent first),
    paged, one list or grouped by patient (`safety.inbox`)."""
    context: dict = {"kinds": inbox_view.KINDS, "priorities": inbox_view.PRIORITIES,
                     "states": inbox_view.STATES, "groups": inbox_view.GROUPS,
                     "alerts_per_group": inbox_view.ALERTS_PER_GROUP,
                     "resolve_form": ResolveAlertForm()}
    params = {name: request.GET.get(name, "") for name in
              ("kind", "priority", "patient", "state", "group")}
    try:
        filters = inbox_view.parse_filters(request.GET)
        board = inbox_view.build(patients_for_user(request.user), filters,
                                 request.GET.get("page", 1))
    except inbox_view.InboxError as exc:
        return render(request, "safety/inbox.html",
                      {**context, "error": str(exc), "params": params}, status=400)
    record_patients_shown(request, board.patients_shown)
    return render(request, "safety/inbox.html", {**context, "board": board, "params": {
        "kind": filters.kind, "priority": filters.priority, "state": filters.state,
        "group": filters.group, "patient": str(filters.patient or "")}})


@require_GET
@role_required(Role.CLINICIAN)
def patient_alerts(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    alerts = patient.alerts.select_related("acknowledged_by", "resolved_by").order_by(
        "priority", "-created_at")
    return render(request, "safety/patient_alerts.html", {
        "patient": patient, "alerts": alerts, "resolve_form": ResolveAlertForm()})


@require_POST
@role_required(Role.CLINICIAN)
def alert_ack(request: HttpRequest, alert_uuid) -> HttpResponse:
    alert = _alert_for_user(request, alert_uuid, write=True)
    if actions.do_acknowledge_alert(alert, acting=request):
        messages.success(request, f"Acknowledged: {alert.get_kind_display()},"
                                  f" {alert.patient.display_name}.")
    return _back(request, reverse("safety:inbox"))


@require_POST
@role_required(Role.CLINICIAN)
def alert_resolve(request: HttpRequest, alert_uuid) -> HttpResponse:
    alert = _alert_for_user(request, alert_uuid, write=True)
    form = ResolveAlertForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return _back(request, reverse("safety:inbox"))
    actions.do_resolve_alert(alert, note=form.cleaned_data["note"], acting=request)
    messages.success(request, "Alert resolved.")
    return _back(request, reverse("safety:inbox"))


# ---- intake and screening -------------------------------------------------------------------

def _claim_url(claim_id: str) -> str:
    try:
        return reverse("evidence:claim", kwargs={"claim_id": claim_id})
    except NoReverseMatch:
        return ""


def _enrich(result: dict) -> dict:
    """Resolve citation keys and claim links for display."""
    kb = knowledge_base()
    findings = []
    for f in result.get("findings", []):
        findings.append({
            **f,
            "severity_words": SEVERITY_WORDS.get(f["severity"], f["severity"]),
            "references": [kb.references[k] for k in f["citations"] if k in kb.references],
            "claims": [{"id": c, "url": _claim_url(c)} for c in f.get("see_also_claims", [])],
        })
    return {**result, "findings": findings}


def _patient_legal(intake: Intake | None) -> dict | None:
    """The legal status of the intake's jurisdiction; None when none is recorded."""
    if intake is None or not intake.jurisdiction:
        return None
    try:
        return legal_status(intake.jurisdiction, timezone.localdate())
    except UnknownJurisdiction:  # a code the data files no longer list
        return None


def _intake_context(request: HttpRequest, patient: Patient, **extra) -> dict:
    intake = Intake.objects.filter(patient=patient).first()
    run = ScreeningRun.objects.filter(patient=patient).first()
    legal = _patient_legal(intake)
    meds = list(patient.medications.all())
    today = timezone.localdate()
    return {
        "patient": patient, "intake": intake, "run": run,
        "result": _enrich(run.result) if run else None,
        "legal": legal,
        "legal_url": reverse("safety:patient_legal", kwargs={"patient_uuid": patient.uuid}),
        "current_meds": [m for m in meds if m.is_current(today)],
        "past_meds": [m for m in meds if not m.is_current(today)],
        "form": extra.pop("form", None) or IntakeForm(initial={
            "jurisdiction": intake.jurisdiction if intake else "",
            "substances": intake.substances if intake else [],
            "conditions": list(patient.conditions.filter(resolved_on__isnull=True)
                               .values_list("code", flat=True)),
        }),
        "med_form": extra.pop("med_form", None) or MedicationForm(),
        "today": today,
        **extra,
    }


@require_GET
@role_required(Role.CLINICIAN)
def intake(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    return render(request, "safety/intake.html", _intake_context(request, patient))


@require_POST
@role_required(Role.CLINICIAN)
def intake_save(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = IntakeForm(request.POST)
    if not form.is_valid():
        return render(request, "safety/intake.html",
                      _intake_context(request, patient, form=form), status=400)
    screening.do_save_intake(patient, acting=request, **form.cleaned_data)
    messages.success(request, "Intake saved and screened.")
    return redirect("safety:intake", patient_uuid=patient.uuid)


@require_POST
@role_required(Role.CLINICIAN)
def medication_add(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = MedicationForm(request.POST)
    if not form.is_valid():
        return render(request, "safety/intake.html",
                      _intake_context(request, patient, med_form=form), status=400)
    screening.do_add_medication(patient, acting=request, **form.cleaned_data)
    messages.success(request, f"Added {form.cleaned_data['name']} and screened again.")
    return redirect("safety:intake", patient_uuid=patient.uuid)


@require_POST
@role_required(Role.CLINICIAN)
def medication_stop(request: HttpRequest, patient_uuid, medication_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    med = Medication.objects.filter(patient=patient, uuid=medication_uuid).first()
    if med is None:
        raise Http404("No such medication")
    form = StopMedicationForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("stopped_on", [])) or
                       "stopped_on: enter the date the medication stopped")
        return redirect("safety:intake", patient_uuid=patient.uuid)
    screening.do_stop_medication(med, acting=request, **form.cleaned_data)
    messages.success(request, f"Stopped {med.name} and screened again.")
    return redirect("safety:intake", patient_uuid=patient.uuid)


@require_GET
@role_required(Role.PATIENT)
def my_screening(request: HttpRequest) -> HttpResponse:
    """The patient's plain-language version of their latest screening."""
    patient = get_own_patient(request)
    run = ScreeningRun.objects.filter(patient=patient).first()
    return render(request, "safety/my_screening.html", {
        "patient": patient, "run": run, "result": _enrich(run.result) if run else None})


# ---- legal status ---------------------------------------------------------------------------
# The law as Mitra's sources report it, with their dates: never advice, never a recommendation.

def _legal_page(request: HttpRequest, *, legal: dict | None, patient: Patient | None,
                own: bool) -> HttpResponse:
    return render(request, "safety/legal.html", {
        "legal": legal, "patient": patient, "own": own, "notice": NOT_LEGAL_ADVICE})


@require_GET
@role_required(Role.PATIENT)
def my_legal(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's own jurisdiction (from their intake); the read is audited."""
    patient = get_own_patient(request)
    legal = _patient_legal(Intake.objects.filter(patient=patient).first())
    return _legal_page(request, legal=legal, patient=patient, own=True)


@require_GET
@role_required(Role.CLINICIAN)
def patient_legal(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    legal = _patient_legal(Intake.objects.filter(patient=patient).first())
    return _legal_page(request, legal=legal, patient=patient, own=False)


@require_GET
@role_required(Role.CLINICIAN)
def legal_index(request: HttpRequest) -> HttpResponse:
    """Every jurisdiction Mitra lists, grouped, with what is unknown, stale or unconfirmed."""
    rows = jurisdictions(timezone.localdate())
    labels = group_labels()
    groups = [{"key": key.lower(), "label": label,
               "rows": [r for r in rows if r["group"] == key]} for key, label in labels.items()]
    counts = {"total": len(rows), "unknown": sum(r["status"] == "unknown" for r in rows),
              "stale": sum(r["possibly_out_of_date"] for r in rows),
              "unverified": sum(r["unverified"] for r in rows)}
    return render(request, "safety/legal_index.html", {
        "groups": [g for g in groups if g["rows"]], "counts": counts,
        "notice": NOT_LEGAL_ADVICE})


@require_GET
@role_required(Role.CLINICIAN)
def legal_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        legal = legal_status(code, timezone.localdate())
    except UnknownJurisdiction:
        raise Http404("No such jurisdiction") from None
    return _legal_page(request, legal=legal, patient=None, own=False)


# ---- safety plan ----------------------------------------------------------------------------

def _plan_page(request, patient, *, save_url, history_url, form=None, status=200):
    plan = SafetyPlan.objects.filter(patient=patient).first()
    current = plan.current if plan else None
    if form is None:
        form = SafetyPlanForm(initial=current.content() if current else {})
    return render(request, "safety/plan.html", {
        "patient": patient, "current": current, "form": form, "save_url": save_url,
        "history_url": history_url, "own": request.user.role == Role.PATIENT,
    }, status=status)


def _plan_save(request, patient, *, page_url, save_url, history_url):
    form = SafetyPlanForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, patient, save_url=save_url, history_url=history_url,
                          form=form, status=400)
    try:
        version, created = actions.do_save_safety_plan(
            patient, content=form.content(), acting=request,
            submission_uuid=form.cleaned_data["submission_uuid"])
    except actions.SubmissionConflict:
        return HttpResponse("submission_uuid: already used for different content; reload the "
                            "page and save again.", status=409, content_type="text/plain")
    if created:
        messages.success(request, f"Safety plan saved (version {version.number}).")
    return redirect(page_url)


def _plan_history(request, patient, *, page_url):
    plan = SafetyPlan.objects.filter(patient=patient).first()
    versions = plan.versions.select_related("created_by") if plan else []
    return render(request, "safety/plan_history.html", {
        "patient": patient, "versions": versions, "page_url": page_url})


@require_GET
@role_required(Role.PATIENT)
def my_plan(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    return _plan_page(request, patient, save_url=reverse("safety:my_plan_save"),
                      history_url=reverse("safety:my_plan_history"))


@require_POST
@role_required(Role.PATIENT)
def my_plan_save(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    return _plan_save(request, patient, page_url=reverse("safety:my_plan"),
                      save_url=reverse("safety:my_plan_save"),
                      history_url=reverse("safety:my_plan_history"))


@require_GET
@role_required(Role.PATIENT)
def my_plan_history(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    return _plan_history(request, patient, page_url=reverse("safety:my_plan"))


def _urls(patient):
    kw = {"patient_uuid": patient.uuid}
    return {"page_url": reverse("safety:patient_plan", kwargs=kw),
            "save_url": reverse("safety:patient_plan_save", kwargs=kw),
            "history_url": reverse("safety:patient_plan_history", kwargs=kw)}


@require_GET
@role_required(Role.CLINICIAN)
def patient_plan(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    u = _urls(patient)
    return _plan_page(request, patient, save_url=u["save_url"], history_url=u["history_url"])


@require_POST
@role_required(Role.CLINICIAN)
def patient_plan_save(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    return _plan_save(request, patient, **_urls(patient))


@require_GET
@role_required(Role.CLINICIAN)
def patient_plan_history(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    return _plan_history(request, patient, page_url=_urls(patient)["page_url"])
