"""Demo cohort: the schedules made by bulk_create get their next reminder time."""

from __future__ import annotations

from mitra.reminders.planner import replan_all


def populate(ctx) -> None:
    # bulk_create sends no save signal: the planner's times are set here, once for all.
    replan_all()
