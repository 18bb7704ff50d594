"""What only the page shown gets: sparklines, taper status and the reminders' figures (a fixed
number of queries)."""

from __future__ import annotations

from datetime import date, datetime

from mitra.diary.models import TaperPlan
from mitra.reports.dashboard.diary_columns import add_diary, add_sparklines
from mitra.reports.dashboard.reminder_columns import add_reminder_figures
from mitra.reports.dashboard.rows import Row


def add_page_details(rows: list[Row], today: date, now: datetime, *,
                     diary: bool = False) -> None:
    """Sparklines, taper status and the reminders' figures at `now` for the rows on the page
    (a fixed number of queries); with `diary`, also the diary columns that `summarise` left
    out."""
    by_pk = {r.pk: r for r in rows}
    if not by_pk:
        return
    if diary:
        add_diary(by_pk, list(by_pk), today)
    add_sparklines(by_pk, today)
    add_reminder_figures(by_pk, now)
    plans = (TaperPlan.objects.filter(patient_id__in=by_pk, replaced_at__isnull=True)
             .prefetch_related("pauses").order_by("patient_id", "-created_at"))
    for plan in plans:
        row = by_pk[plan.patient_id]
        if row.taper is not None:
            continue
        row.taper = taper_status(plan, today)


def taper_status(plan: TaperPlan, today: date) -> dict:
    """What the clinician's plan sets today, from diary.taper's arithmetic."""
    spec = plan.as_plan()
    planned = spec.planned_amount(today)
    pause = spec.paused_on(today)
    if planned is None:
        state = "starts"
    elif pause is not None:
        state = "paused"
    elif planned <= plan.target_amount:
        state = "at target"
    else:
        state = "stepping down"
    return {"plan": plan, "state": state, "planned": planned, "pause": pause,
            "step": spec.steps_taken(today) if planned is not None else 0}
