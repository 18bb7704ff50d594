"""The care team's view of a patient's CBT work: records, homework, insight."""

from __future__ import annotations

import uuid as uuidlib
from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role
from mitra.cbt import actions, catalogue, forms, summaries
from mitra.cbt.models import ActivitySlot, Homework, RelapsePlan, ThoughtRecord
from mitra.patients.access import can_write_patient, get_patient_for_user


def _page(request, patient, form=None, status=200) -> HttpResponse:
    today = timezone.localdate()
    by_key = catalogue.distortions().by_key()
    records = list(ThoughtRecord.objects.filter(patient=patient)[:20])
    for record in records:
        record.trap_names = [by_key[k].name for k in record.distortions if k in by_key]
    homework = list(Homework.objects.filter(patient=patient).order_by("-due_on")[:40])
    week = summaries.week_start(today)
    slots = (
        ActivitySlot.objects.filter(patient=patient, scheduled_for__gte=week - timedelta(days=21))
        .select_related("activity").order_by("-scheduled_for")
    )
    return render(request, "cbt/patient_cbt.html", {
        "patient": patient,
        "today": today,
        "can_write": can_write_patient(request.user, patient),
        "form": form or forms.HomeworkForm(
            initial={"uuid": uuidlib.uuid4(), "due_on": today + timedelta(days=7)},
            enrolled_on=patient.enrolled_on),
        "homework": [{"hw": hw, "overdue": hw.is_overdue(today)} for hw in homework],
        "n_overdue": sum(1 for hw in homework if hw.is_overdue(today)),
        "records": records,
        "n_records": ThoughtRecord.objects.filter(patient=patient).count(),
        "thought_finding": summaries.thought_finding(patient),
        "thought_chart": summaries.thought_chart(patient),
        "activation_findings": summaries.activation_findings(patient),
        "slots": slots,
        "exposures": [summaries.exposure_summary(item)
                      for item in summaries.exposure_items(patient)],
        "plan": actions.current_plan(patient),
        "n_plan_versions": RelapsePlan.objects.filter(patient=patient).count(),
    }, status=status)


@require_GET
@role_required(Role.CLINICIAN)
def patient_cbt(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    return _page(request, patient)


@require_POST
@role_required(Role.CLINICIAN)
def homework_assign(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = forms.HomeworkForm(request.POST, enrolled_on=patient.enrolled_on)
    if not form.is_valid():
        return _page(request, patient, form, status=400)
    data = form.cleaned_data
    try:
        homework, created = actions.do_assign_homework(
            patient, acting=request, uuid=data["uuid"], kind=data["kind"], due_on=data["due_on"],
            instructions=data["instructions"].strip(), module_slug=data["module_slug"],
        )
    except actions.SubmissionConflict as exc:
        return render(request, "conflict.html", {"message": str(exc)}, status=409)
    if created:
        messages.success(request, f"Homework assigned: {homework.title()}, due {homework.due_on}.")
    return redirect("cbt:patient", patient.uuid)
