from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import Error, connection, transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_GET, require_safe

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role
from mitra.core.models import WorkerHeartbeat
from mitra.lib import panels
from mitra.lib.outage import RETRY_AFTER_SECONDS
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
        Role.RECIPIENT: "core:shared",
    }.get(role, "account_login")
    return redirect(target)


log = logging.getLogger(__name__)

# /readyz: the longest the database may take to answer `SELECT 1` (PostgreSQL), in ms.
READYZ_STATEMENT_TIMEOUT_MS = 2000


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Reads no database, so a supervisor never restarts a
    healthy server because the database is down (that is /readyz's business)."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's, a PDF):
    the site's icon instead of a 404 on every page."""
    return redirect(static("core/favicon.svg"), permanent=True)


def _database_ready() -> dict:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL statement_timeout = {READYZ_STATEMENT_TIMEOUT_MS}")
            cursor.execute("SELECT 1")
    except Error as exc:
        log.warning("readyz: the database cannot be reached: %s", " ".join(str(exc).split()))
        return {"ok": False, "problem": "the database cannot be reached"}
    return {"ok": True}


def _worker_ready() -> dict:
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    from mitra.core.taskworker import BEAT_SECONDS, STALE_SECONDS

    if not isinstance(task_backends["default"], DatabaseBackend):
        return {"ok": True, "detail": "tasks do not wait for a worker with this task backend"}
    try:
        newest = WorkerHeartbeat.objects.order_by("-beat_at").values_list(
            "beat_at", flat=True).first()
    except Error:
        return {"ok": False, "problem": "unknown: the database cannot be reached"}
    if newest is None:
        return {"ok": False, "problem": "no background worker has ever run (mitra worker)"}
    age = max(0, round((timezone.now() - newest).total_seconds()))
    if age > STALE_SECONDS:
        return {"ok": False, "last_beat_seconds_ago": age,
                "problem": f"no background worker has written its heartbeat for {age} s "
                           f"(each beats every {BEAT_SECONDS} s)"}
    return {"ok": True, "last_beat_seconds_ago": age}


@login_not_required
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness, for monitoring and a load balancer: 200 when the database answers within
    2 s and a background worker wrote its heartbeat in the last 60 s (STALE_SECONDS), else 503
    with Retry-After. The body says which check failed, without internals.

    The worker check is about the whole site (any worker), so `?only=database` leaves it out:
    for a load balancer that should keep a server in rotation while the workers are down
    (alerts are escalated by `mitra escalate` all the same).
    """
    only = request.GET.get("only")
    if only not in (None, "database"):
        return JsonResponse({"ready": False, "problem": f"only: {only!r} is not a check; "
                             "allowed: database (or leave it out for every check)"}, status=400)
    checks = {"database": _database_ready()}
    if only is None:
        checks["worker"] = (_worker_ready() if checks["database"]["ok"] else
                            {"ok": False, "problem": "unknown: the database cannot be reached"})
    ready = all(check["ok"] for check in checks.values())
    response = JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    if not ready:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@require_GET
@role_required(Role.CLINICIAN)
def patient_overview(request: HttpRequest, patient_uuid) -> HttpResponse:
    patient = get_patient_for_user(request, patient_uuid)
    # Other apps' panels about this patient (reminders), registered in their AppConfig.ready.
    return render(request, "core/patient_overview.html", {
        "patient": patient, "panels": panels.render_panels("core:patient", request, patient)})


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
