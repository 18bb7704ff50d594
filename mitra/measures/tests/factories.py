"""Small builders for measures tests and the route table."""

from __future__ import annotations

from django.utils import timezone

from mitra.measures.models import Schedule


def make_schedule(patient, instrument: str = "phq9", every_days: int | None = 14,
                  start=None, created_by=None, **fields) -> Schedule:
    """A questionnaire schedule (every_days None: once); `fields` sets the timing."""
    fields.setdefault("cadence", Schedule.Cadence.ONCE if every_days is None
                      else Schedule.Cadence.INTERVAL)
    return Schedule.objects.create(
        patient=patient, instrument=instrument, every_days=every_days,
        start=start or timezone.localdate(), created_by=created_by, **fields,
    )


def route_schedule(cast, patient) -> dict:
    """URL kwargs for the stop-schedule route: a schedule of Team A's patient."""
    schedule = make_schedule(patient, created_by=cast.clinician)
    return {"patient_uuid": patient.uuid, "schedule_uuid": schedule.uuid}


def route_response(cast, patient) -> dict:
    """URL kwargs for the patient's confirmation page: a PHQ-9 response of Team A's patient."""
    import uuid

    from mitra.measures.actions import do_submit_response

    answers = {f"phq9.q{n}": 1 for n in range(1, 9)} | {"phq9.q9": 0}
    response, _ = do_submit_response(patient, instrument="phq9", answers=answers,
                                     response_uuid=uuid.uuid4(), acting=patient.user)
    return {"response_uuid": response.uuid}
