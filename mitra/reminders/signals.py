"""What the reminders app hears from the apps below it, which cannot import it (the layers in
pyproject.toml): connected in `RemindersConfig.ready`.

- A schedule saved (assigned, changed, stopped), a patient's reminder preferences saved, a
  patient saved with a (possibly) new time zone: `planner.replan`, in the same transaction, so
  the schedule's `next_fire_at` commits with the change that moved it.
- A questionnaire response or a diary entry stored: the open prompts that asked for it are
  answered, after the commit (`transaction.on_commit`): the submission's own transaction, the
  busiest write, gains no statement, and a submission rolled back answers nothing.

`bulk_create` and `QuerySet.update` send no signal: `planner.replan_all()` (`mitra remind
--replan`) catches up after them.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from django.db import transaction

from mitra.diary.models import DiaryEntry
from mitra.measures import recurrence
from mitra.measures.models import Response, Schedule
from mitra.patients.models import Patient
from mitra.reminders import planner
from mitra.reminders.actions import do_mark_answered
from mitra.reminders.models import Preference

log = logging.getLogger(__name__)


def _only(update_fields, *names: str) -> bool:
    """A save of nothing but these fields (or of no field the planner reads)."""
    return update_fields is not None and set(update_fields) <= set(names)


def schedule_saved(sender, instance: Schedule, raw: bool = False, update_fields=None, **kw):
    if raw or _only(update_fields, "next_fire_at"):
        return
    planner.replan([instance.pk])


def preference_saved(sender, instance: Preference, raw: bool = False, **kw):
    if not raw:
        planner.replan(instance.patient)


def patient_saved(sender, instance: Patient, created: bool = False, raw: bool = False,
                  update_fields=None, **kw):
    # A new patient has no schedule yet; a save that leaves the zone alone changes no time.
    if raw or created or (update_fields is not None and "time_zone" not in update_fields):
        return
    planner.replan(instance)


def _zone(patient: Patient) -> ZoneInfo:
    try:
        return recurrence.zone(patient.time_zone)
    except recurrence.RuleError:
        return ZoneInfo("UTC")


def response_saved(sender, instance: Response, created: bool = False, raw: bool = False, **kw):
    if raw or not created:
        return
    patient = instance.patient
    day = instance.submitted_at.astimezone(_zone(patient)).date()
    transaction.on_commit(lambda: do_mark_answered(
        patient.pk, form=Schedule.Form.QUESTIONNAIRE, instrument=instance.instrument, day=day,
        at=instance.submitted_at))


def diary_entry_saved(sender, instance: DiaryEntry, created: bool = False, raw: bool = False,
                      **kw):
    if raw or not created:
        return
    transaction.on_commit(lambda: do_mark_answered(
        instance.patient_id, form=Schedule.Form.DIARY, instrument="", day=instance.date,
        at=instance.created_at))
