"""The reminder's links (one-tap open, unsubscribe), the patient's reminder settings and
prompt history, and the panel on the clinician's patient page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role
from mitra.measures.library import get_instrument
from mitra.measures.models import Schedule
from mitra.measures.recurrence import RuleError, zone
from mitra.patients.access import get_own_patient
from mitra.patients.models import Patient
from mitra.reminders import channels, links
from mitra.reminders.actions import OPEN_STATES, do_open_prompt, do_unsubscribe
from mitra.reminders.models import Prompt
from mitra.reminders.preferences import PreferenceForm

HISTORY_LENGTH = 100
PANEL_LENGTH = 10


def form_url(prompt: Prompt) -> str:
    """The form the prompt asks for: the questionnaire's page, or the diary for its day."""
    if prompt.schedule.form == Schedule.Form.DIARY:
        return f"{reverse('diary:entry')}?date={prompt.due_on.isoformat()}"
    return reverse("measures:fill", args=[prompt.schedule.instrument])


def prompt_label(prompt: Prompt) -> str:
    """What the prompt asks for, for pages behind sign-in only (never in a message)."""
    if prompt.schedule.form == Schedule.Form.DIARY:
        return "Diary"
    try:
        return get_instrument(prompt.schedule.instrument).short_name
    except KeyError:
        return prompt.schedule.instrument


def patient_zone(patient: Patient) -> ZoneInfo:
    """The patient's zone for showing times; UTC for a zone the tz database no longer has."""
    try:
        return zone(patient.time_zone)
    except RuleError:
        return ZoneInfo("UTC")


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "reminders/gone.html", status=410)


@login_not_required
@require_GET
def open_prompt(request: HttpRequest, prompt_uuid, token: str) -> HttpResponse:
    """The one-tap link: to the due form after sign-in (the prompt OPENED); a link altered,
    or one whose check-in has closed, is refused with 410 and a way home."""
    if not links.valid_open_token(prompt_uuid, token):
        return _gone(request)
    prompt = (Prompt.objects.select_related("schedule", "patient")
              .filter(uuid=prompt_uuid).first())
    if prompt is None or prompt.state == Prompt.State.EXPIRED or (
            prompt.expires_at <= timezone.now()):
        return _gone(request)
    if not request.user.is_authenticated:
        # Sign-in, then back here, then on to the form.
        return redirect_to_login(request.get_full_path())
    if get_own_patient(request, audit=False).pk != prompt.patient_id:
        raise Http404("Not your reminder")
    if prompt.state == Prompt.State.ANSWERED:
        messages.info(request, "This check-in is done already. Thank you.")
        return redirect("core:me")
    do_open_prompt(prompt, acting=request)
    return redirect(form_url(prompt))


@login_not_required
@csrf_exempt  # the RFC 8058 one-click POST only; any other POST is checked below
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, patient_uuid, channel: str, token: str) -> HttpResponse:
    """GET: a page that asks to confirm. POST: the channel is off. A mail client's one-click
    POST (body `List-Unsubscribe=One-Click`, RFC 8058) carries no CSRF token and needs none:
    the signed link is the authority, and no session is used; the confirm page's own form is
    CSRF-checked like any other."""
    patient = None
    if links.valid_unsubscribe_token(patient_uuid, channel, token):
        patient = Patient.objects.filter(uuid=patient_uuid).first()
    if patient is None or channels.get(channel) is None:
        return render(request, "reminders/unsubscribe_invalid.html", status=404)
    context = {"channel_label": channels.label(channel)}
    if request.method == "GET":
        return render(request, "reminders/unsubscribe.html", context)
    if request.POST.get("List-Unsubscribe") != "One-Click":
        # As the middleware checks any view (one without `csrf_exempt`).
        refused = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(
            request, lambda r: HttpResponse(), (), {})
        if refused is not None:
            return refused
    do_unsubscribe(patient, channel, acting=request)
    return render(request, "reminders/unsubscribed.html", context)


def preferences_page(request: HttpRequest, *, template: str, saved: str, done: str
                     ) -> HttpResponse:
    """The signed-in patient's reminder choices on `template`: saved (with the message
    `saved`, then to the URL name `done`) or shown again with the errors (400). The settings
    page and the sign-up's last step both are this."""
    patient = get_own_patient(request)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            form.save(patient, acting=request)
            messages.success(request, saved)
            return redirect(done)
    else:
        form = PreferenceForm.for_patient(patient)
    return render(request, template, {"form": form, "patient": patient},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def preferences(request: HttpRequest) -> HttpResponse:
    return preferences_page(request, template="reminders/preferences.html",
                            saved="Your reminder settings are saved.",
                            done="reminders:preferences")


def _history(patient: Patient, limit: int) -> list[dict]:
    prompts = (Prompt.objects.filter(patient=patient).select_related("schedule")
               .prefetch_related("deliveries").order_by("-fire_at")[:limit])
    return [{"prompt": p, "label": prompt_label(p),
             "deliveries": [{"label": channels.label(d.channel), "delivery": d}
                            for d in p.deliveries.all()]}
            for p in prompts]


@require_GET
@role_required(Role.PATIENT)
def history(request: HttpRequest) -> HttpResponse:
    """The patient's own reminders: each one's states with their times, failures with why."""
    patient = get_own_patient(request)
    return render(request, "reminders/history.html",
                  {"rows": _history(patient, HISTORY_LENGTH), "limit": HISTORY_LENGTH,
                   "zone": patient_zone(patient)})


def record_panel(request: HttpRequest, patient: Patient) -> str:
    """The clinician's patient page (`core:patient`, its access already checked): the recent
    reminders and their states."""
    return render_to_string("reminders/_record_panel.html",
                            {"rows": _history(patient, PANEL_LENGTH), "patient": patient,
                             "zone": patient_zone(patient)},
                            request=request)


def waiting_prompts(patient: Patient) -> list[dict]:
    """The patient's open prompts whose time has come, oldest first: the home page's notice
    (in-app, whatever the channels did)."""
    now = timezone.now()
    prompts = (Prompt.objects.filter(patient=patient, state__in=OPEN_STATES, fire_at__lte=now,
                                     expires_at__gt=now)
               .select_related("schedule").order_by("fire_at"))
    return [{"prompt": p, "label": prompt_label(p), "url": links.open_path(p)} for p in prompts]
