from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role
from mitra.patients.access import get_own_patient, get_patient_for_user
from mitra.patients.models import Patient


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    role = request.user.role
    target = {
        Role.CLINICIAN: "core:caseload",
        Role.PATIENT: "core:me",
        Role.RESEARCHER: "core:research",
        Role.ADMIN: "admin:index",
    }.get(role, "account_login")
    return redirect(target)


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@role_required(Role.CLINICIAN)
def patient_overview(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    return render(request, "core/patient_overview.html", {"patient": patient})


@require_GET
@role_required(Role.PATIENT)
def patient_home(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request)
    return render(request, "core/patient_home.html", {"patient": patient})


@require_GET
@role_required(Role.RESEARCHER)
def research(request: HttpRequest) -> HttpResponse:
    # Aggregates only: a researcher never sees a name, a pseudonym or a single record.
    by_year = (
        Patient.objects.values("enrolled_on__year")
        .annotate(n=Count("id"))
        .order_by("enrolled_on__year")
    )
    return render(
        request,
        "core/research.html",
        {"total": Patient.objects.count(), "by_year": by_year},
    )
