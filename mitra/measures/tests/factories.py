"""Small builders for measures tests and the route table."""

from __future__ import annotations

from django.utils import timezone

from mitra.measures.models import Schedule


def make_schedule(patient, instrument: str = "phq9", every_days: int | None = 14,
                  start=None, created_by=None) -> Schedule:
    return Schedule.objects.create(
        patient=patient, instrument=instrument, every_days=every_days,
        start=start or timezone.localdate(), created_by=created_by,
    )


def route_schedule(cast, patient) -> dict:
    """URL kwargs for the stop-schedule route: a schedule of Team A's patient."""
    schedule = make_schedule(patient, created_by=cast.clinician)
    return {"patient_uuid": patient.uuid, "schedule_uuid": schedule.uuid}
