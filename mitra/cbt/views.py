"""The patient's CBT pages. Every view reads the signed-in patient through `get_own_patient`."""

from __future__ import annotations

import uuid as uuidlib
from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mitra.accounts.models import Role
from mitra.cbt import actions, catalogue, forms, summaries
from mitra.cbt.models import (
    Activity,
    ActivitySlot,
    ExposureItem,
    Homework,
    RelapsePlan,
    ThoughtRecord,
    Value,
)
from mitra.cbt.prompts import relapse_plan_prompt
from mitra.patients.access import get_own_patient

# Where a patient does each kind of homework.
TOOL_URLS = {
    Homework.Kind.THOUGHT_RECORD: "cbt:thought_new",
    Homework.Kind.ACTIVATION: "cbt:activation",
    Homework.Kind.EXPOSURE: "cbt:exposure",
    Homework.Kind.RELAPSE_PLAN: "cbt:relapse_plan",
}


def _fresh() -> dict:
    return {"uuid": uuidlib.uuid4()}


def conflict(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "conflict.html", {"message": message}, status=409)


def homework_url(homework: Homework) -> str:
    if homework.kind == Homework.Kind.MODULE:
        return reverse("cbt:module", args=[homework.module_slug])
    url = reverse(TOOL_URLS[homework.kind])
    if homework.kind == Homework.Kind.THOUGHT_RECORD:
        url += f"?homework={homework.uuid}"
    return url


def _homework_rows(homework_list, today: date) -> list[dict]:
    return [{"hw": hw, "overdue": hw.is_overdue(today), "url": homework_url(hw)}
            for hw in homework_list]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    today = timezone.localdate()
    return render(request, "cbt/home.html", {
        "patient": patient,
        "homework": _homework_rows(summaries.open_homework(patient), today),
        "prompt": relapse_plan_prompt(patient, today),
        "modules": catalogue.modules().modules,
        "n_thoughts": ThoughtRecord.objects.filter(patient=patient).count(),
    })


# Thought records ---------------------------------------------------------------------------

@require_GET
def thought_list(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    records = ThoughtRecord.objects.filter(patient=patient)
    return render(request, "cbt/thought_list.html", {
        "records": records[:100],
        "finding": summaries.thought_finding(patient),
        "chart": summaries.thought_chart(patient),
    })


def _thought_page(request, form, homework_uuid="", status=200) -> HttpResponse:
    return render(request, "cbt/thought_form.html", {
        "form": form,
        "catalogue": catalogue.distortions().distortions,
        "homework_uuid": homework_uuid,
    }, status=status)


@require_GET
def thought_new(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.ThoughtRecordForm(initial=_fresh() | {"occurred_on": timezone.localdate()},
                                   enrolled_on=patient.enrolled_on)
    return _thought_page(request, form, request.GET.get("homework", "")[:36])


def _open_homework_for(patient, raw_uuid: str, kind: str) -> Homework | None:
    try:
        wanted = uuidlib.UUID(raw_uuid)
    except (ValueError, TypeError):
        return None
    return Homework.objects.filter(patient=patient, uuid=wanted, kind=kind).open().first()


@require_POST
def thought_create(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.ThoughtRecordForm(request.POST, enrolled_on=patient.enrolled_on)
    homework_uuid = request.POST.get("homework", "")[:36]
    if not form.is_valid():
        return _thought_page(request, form, homework_uuid, status=400)
    try:
        record, _created = actions.do_record_thought(
            patient, acting=request, uuid=form.cleaned_data["uuid"], data=form.record_data(),
            homework=_open_homework_for(patient, homework_uuid, Homework.Kind.THOUGHT_RECORD),
        )
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    _saved(request, record, "Thought record saved.")
    return redirect("cbt:thought", record.uuid)


def _saved(request: HttpRequest, record, message: str) -> None:
    """The success message, saying so when the work completed an assignment."""
    homework = actions.homework_done_with(record)
    if homework is not None:
        message += f" Your homework ({homework.title()}) is marked as done."
    messages.success(request, message)


@require_GET
def thought_detail(request: HttpRequest, uuid) -> HttpResponse:
    patient = get_own_patient(request)
    record = get_object_or_404(ThoughtRecord, uuid=uuid, patient=patient)
    by_key = catalogue.distortions().by_key()
    return render(request, "cbt/thought_detail.html", {
        "record": record,
        "traps": [by_key[k] for k in record.distortions if k in by_key],
    })


@require_GET
def distortion_list(request: HttpRequest) -> HttpResponse:
    return render(request, "cbt/distortions.html", {"catalogue": catalogue.distortions()})


# Behavioural activation --------------------------------------------------------------------

def _week(request: HttpRequest, today: date) -> date:
    raw = request.GET.get("week", "")
    try:
        return summaries.week_start(date.fromisoformat(raw))
    except ValueError:
        return summaries.week_start(today)


def _activation_page(request, patient, *, week: date, status=200, **bound) -> HttpResponse:
    today = timezone.localdate()
    slots = (
        ActivitySlot.objects.filter(patient=patient, scheduled_for__gte=week,
                                    scheduled_for__lt=week + timedelta(days=7))
        .select_related("activity", "activity__value")
    )
    days = [{"day": week + timedelta(days=i), "slots": []} for i in range(7)]
    for slot in slots:
        days[(slot.scheduled_for - week).days]["slots"].append(slot)
    done = [s for s in slots if s.is_done]
    context = {
        "week": week, "prev_week": week - timedelta(days=7), "next_week": week + timedelta(days=7),
        "today": today, "days": days, "n_scheduled": len(slots), "n_done": len(done),
        "values": Value.objects.filter(patient=patient),
        "activities": Activity.objects.filter(patient=patient).select_related("value"),
        "value_form": bound.get("value_form") or forms.ValueForm(initial=_fresh()),
        "activity_form": bound.get("activity_form")
        or forms.ActivityForm(initial=_fresh(), patient=patient),
        "schedule_form": bound.get("schedule_form")
        or forms.ScheduleForm(initial=_fresh() | {"scheduled_for": max(today, week)},
                              patient=patient),
    }
    return render(request, "cbt/activation.html", context, status=status)


@require_GET
def activation(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    return _activation_page(request, patient, week=_week(request, timezone.localdate()))


@require_POST
def value_create(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.ValueForm(request.POST)
    if not form.is_valid():
        return _activation_page(request, patient, week=summaries.week_start(
            timezone.localdate()), status=400, value_form=form)
    try:
        actions.do_add_value(patient, acting=request, uuid=form.cleaned_data["uuid"],
                             name=form.cleaned_data["name"].strip(),
                             why=form.cleaned_data["why"].strip())
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    messages.success(request, "Value added.")
    return redirect("cbt:activation")


@require_POST
def activity_create(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.ActivityForm(request.POST, patient=patient)
    if not form.is_valid():
        return _activation_page(request, patient, week=summaries.week_start(
            timezone.localdate()), status=400, activity_form=form)
    try:
        actions.do_add_activity(patient, acting=request, uuid=form.cleaned_data["uuid"],
                                name=form.cleaned_data["name"].strip(),
                                value=form.cleaned_data["value"])
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    messages.success(request, "Activity added. Now schedule it for a day.")
    return redirect("cbt:activation")


@require_POST
def slot_create(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.ScheduleForm(request.POST, patient=patient)
    if not form.is_valid():
        return _activation_page(request, patient, week=summaries.week_start(
            timezone.localdate()), status=400, schedule_form=form)
    try:
        slot, _ = actions.do_schedule_activity(
            patient, acting=request, uuid=form.cleaned_data["uuid"],
            activity=form.cleaned_data["activity"],
            scheduled_for=form.cleaned_data["scheduled_for"],
            at_time=form.cleaned_data["at_time"],
        )
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    messages.success(request, f"{slot.activity.name} scheduled for {slot.scheduled_for:%A %d %B}.")
    return redirect(f"{reverse('cbt:activation')}?week={summaries.week_start(slot.scheduled_for)}")


def _own_slot(patient, uuid) -> ActivitySlot:
    return get_object_or_404(
        ActivitySlot.objects.select_related("activity"), uuid=uuid, patient=patient
    )


@require_GET
def slot_detail(request: HttpRequest, uuid) -> HttpResponse:
    slot = _own_slot(get_own_patient(request), uuid)
    return render(request, "cbt/slot.html", {"slot": slot, "form": forms.CompleteActivityForm()})


@require_POST
def slot_complete(request: HttpRequest, uuid) -> HttpResponse:
    slot = _own_slot(get_own_patient(request), uuid)
    form = forms.CompleteActivityForm(request.POST)
    if not form.is_valid():
        return render(request, "cbt/slot.html", {"slot": slot, "form": form}, status=400)
    try:
        slot, _changed = actions.do_complete_activity(slot, acting=request,
                                                      ratings=form.cleaned_data)
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    _saved(request, slot, f"Well done: {slot.activity.name} recorded.")
    return redirect(f"{reverse('cbt:activation')}?week={summaries.week_start(slot.scheduled_for)}")


# Exposure ----------------------------------------------------------------------------------

def _exposure_page(request, patient, form=None, status=200) -> HttpResponse:
    return render(request, "cbt/exposure.html", {
        "items": summaries.exposure_items(patient),
        "form": form or forms.ExposureItemForm(initial=_fresh()),
    }, status=status)


@require_GET
def exposure(request: HttpRequest) -> HttpResponse:
    return _exposure_page(request, get_own_patient(request))


@require_POST
def exposure_item_create(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.ExposureItemForm(request.POST)
    if not form.is_valid():
        return _exposure_page(request, patient, form, status=400)
    try:
        actions.do_add_exposure_item(
            patient, acting=request, uuid=form.cleaned_data["uuid"],
            situation=form.cleaned_data["situation"].strip(),
            expected_suds=form.cleaned_data["expected_suds"],
        )
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    messages.success(request, "Situation added to your list.")
    return redirect("cbt:exposure")


def _item_page(request, item, form=None, status=200) -> HttpResponse:
    return render(request, "cbt/exposure_item.html", {
        "summary": summaries.exposure_summary(item),
        "form": form or forms.ExposureLogForm(
            initial=_fresh() | {"done_on": timezone.localdate()},
            enrolled_on=item.patient.enrolled_on),
    }, status=status)


@require_GET
def exposure_item(request: HttpRequest, uuid) -> HttpResponse:
    patient = get_own_patient(request)
    return _item_page(request, get_object_or_404(ExposureItem, uuid=uuid, patient=patient))


@require_POST
def exposure_log_create(request: HttpRequest, uuid) -> HttpResponse:
    patient = get_own_patient(request)
    item = get_object_or_404(ExposureItem, uuid=uuid, patient=patient)
    form = forms.ExposureLogForm(request.POST, enrolled_on=patient.enrolled_on)
    if not form.is_valid():
        return _item_page(request, item, form, status=400)
    try:
        log, _created = actions.do_log_exposure(item, acting=request,
                                                uuid=form.cleaned_data["uuid"],
                                                data=form.log_data())
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    _saved(request, log, "Exposure logged.")
    return redirect("cbt:exposure_item", item.uuid)


# Relapse-prevention plan -------------------------------------------------------------------

def _plan_page(request, patient, form=None, status=200) -> HttpResponse:
    plan = actions.current_plan(patient)
    if form is None:
        initial = _fresh()
        if plan:
            initial |= {name: "\n".join(getattr(plan, name)) for name, _ in RelapsePlan.SECTIONS}
        form = forms.RelapsePlanForm(initial=initial)
    return render(request, "cbt/relapse_plan.html", {
        "plan": plan, "form": form,
        "versions": RelapsePlan.objects.filter(patient=patient).only("version", "created_at"),
        "prompt": relapse_plan_prompt(patient, timezone.localdate()),
    }, status=status)


@require_GET
def relapse_plan(request: HttpRequest) -> HttpResponse:
    return _plan_page(request, get_own_patient(request))


@require_POST
def relapse_plan_save(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    form = forms.RelapsePlanForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, patient, form, status=400)
    try:
        plan, created = actions.do_save_relapse_plan(
            patient, acting=request, uuid=form.cleaned_data["uuid"], sections=form.sections()
        )
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    if created:
        _saved(request, plan, f"Plan saved as version {plan.version}.")
    else:
        messages.success(request, "No changes to save.")
    return redirect("cbt:relapse_plan")


# Homework and modules ----------------------------------------------------------------------

@require_GET
def homework_list(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    today = timezone.localdate()
    done = Homework.objects.filter(patient=patient, completed_at__isnull=False).order_by(
        "-completed_at")[:30]
    return render(request, "cbt/homework.html", {
        "open": _homework_rows(summaries.open_homework(patient), today),
        "done": done, "form": forms.CompleteHomeworkForm(),
    })


@require_POST
def homework_complete(request: HttpRequest, uuid) -> HttpResponse:
    patient = get_own_patient(request)
    homework = get_object_or_404(Homework, uuid=uuid, patient=patient)
    form = forms.CompleteHomeworkForm(request.POST)
    if not form.is_valid():
        today = timezone.localdate()
        return render(request, "cbt/homework.html", {
            "open": _homework_rows(summaries.open_homework(patient), today),
            "done": [], "form": form,
        }, status=400)
    try:
        actions.do_complete_homework(homework, acting=request,
                                     note=form.cleaned_data["note"].strip())
    except actions.SubmissionConflict as exc:
        return conflict(request, str(exc))
    messages.success(request, f"Marked as done: {homework.title()}.")
    return redirect("cbt:homework")


@require_GET
def module_list(request: HttpRequest) -> HttpResponse:
    return render(request, "cbt/modules.html", {"modules": catalogue.modules().modules})


@require_GET
def module_detail(request: HttpRequest, slug: str) -> HttpResponse:
    data = catalogue.modules()
    module = data.by_slug().get(slug)
    if module is None:
        raise Http404("No such module")
    homework = None
    if request.user.role == Role.PATIENT:
        patient = get_own_patient(request)
        homework = Homework.objects.filter(
            patient=patient, kind=Homework.Kind.MODULE, module_slug=slug).open().first()
    return render(request, "cbt/module.html", {
        "module": module, "references": data.references, "homework": homework,
        "tool_url": reverse(TOOL_URLS[module.tool]) if module.tool else None,
        "form": forms.CompleteHomeworkForm(),
    })
