"""The research export as a background task (django-tasks): started from the site, run by
`mitra worker`. Safe to run twice: only a queued export is claimed."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from mitra.research.export import export_research
from mitra.research.models import ResearchExport

log = logging.getLogger(__name__)


def export_folder(export: ResearchExport) -> Path:
    return Path(settings.VAR_DIR) / "research" / str(export.uuid)


@task()
def run_research_export(export_uuid: str) -> str:
    """Write the export a researcher started; its state says how it went."""
    claimed = ResearchExport.objects.filter(uuid=export_uuid, state=ResearchExport.State.QUEUED) \
        .update(state=ResearchExport.State.RUNNING, started_at=timezone.now())
    if not claimed:
        return "not queued"
    export = ResearchExport.objects.select_related("requested_by").get(uuid=export_uuid)
    folder = export_folder(export)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = export_research(folder, acting=export.requested_by)
    except Exception as exc:  # recorded on the export, which the researcher sees
        log.exception("research export %s failed", export_uuid)
        shutil.rmtree(folder, ignore_errors=True)
        ResearchExport.objects.filter(pk=export.pk).update(
            state=ResearchExport.State.FAILED, finished_at=timezone.now(),
            error=f"{exc.__class__.__name__}: {exc}"[:300])
        return "failed"
    manifest = (folder / "manifest.json").read_text(encoding="utf-8")

    ResearchExport.objects.filter(pk=export.pk).update(
        state=ResearchExport.State.READY, finished_at=timezone.now(),
        participants=report.participants, rows=report.total_rows,
        files=json.loads(manifest)["files"])
    return "ready"
