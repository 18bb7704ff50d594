"""The researcher's exports: start one (a background job), see its state, download its
files. A researcher sees only the exports they started, and never a patient."""

from __future__ import annotations

import uuid as uuidlib
from typing import cast

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mitra.accounts.decorators import role_required
from mitra.accounts.models import Role, User
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.research.models import ResearchExport
from mitra.research.tasks import export_folder, run_research_export

# At most this many exports waiting or running per researcher: one click too many is not
# a second copy of the cohort.
MAX_PENDING = 2


def _uuid(raw: str | None) -> uuidlib.UUID | None:
    try:
        return uuidlib.UUID(str(raw))
    except ValueError:
        return None


@role_required(Role.RESEARCHER)
@require_http_methods(["GET", "POST"])
def exports(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # role_required let a signed-in researcher in
    mine = ResearchExport.objects.filter(requested_by=user)
    error = ""
    if request.method == "POST":
        token = _uuid(request.POST.get("uuid"))
        if token is None:
            error = "uuid: a client-made UUID is required (reload the page and start again)."
        elif mine.filter(uuid=token).exists():
            messages.info(request, "That export was already started.")
            return redirect("research:exports")
        elif mine.filter(state__in=[ResearchExport.State.QUEUED,
                                    ResearchExport.State.RUNNING]).count() >= MAX_PENDING:
            error = (f"You have {MAX_PENDING} exports waiting or running; start another "
                     "when one is ready.")
        else:
            with transaction.atomic():
                export = ResearchExport.objects.create(uuid=token, requested_by=user)
                transaction.on_commit(lambda: run_research_export.enqueue(str(export.uuid)))
            messages.success(request, "Export started: this page shows it when it is ready.")
            return redirect("research:exports")
    return render(request, "research/exports.html", {
        "exports": mine[:20], "token": uuidlib.uuid4(), "error": error,
    }, status=400 if error else 200)


@role_required(Role.RESEARCHER)
@require_GET
def download(request: HttpRequest, export_uuid: uuidlib.UUID, name: str) -> HttpResponse:
    try:
        export = ResearchExport.objects.get(uuid=export_uuid,
                                            requested_by=cast(User, request.user),
                                            state=ResearchExport.State.READY)
    except ResearchExport.DoesNotExist:
        raise Http404("No such export") from None
    if name not in {f["name"] for f in export.files}:
        raise Http404("No such file in this export")
    path = export_folder(export) / name
    if not path.is_file():
        raise Http404("The file is no longer on the server")
    record_audit(Event.RESEARCH_EXPORT_DOWNLOADED, acting=request, obj=export, detail=name)
    # A FileResponse streams the file; typed as the HttpResponse role_required expects.
    return cast(HttpResponse, FileResponse(path.open("rb"), as_attachment=True, filename=name))
