"""Questionnaire responses and schedules, through the measures app's actions."""

from uuid import UUID

from django.http import Http404
from ninja import Router, Status
from ninja.pagination import paginate

from mitra.accounts.models import Role
from mitra.api.errors import ApiError, responses
from mitra.api.pagination import Pagination
from mitra.api.permissions import READ, WRITE
from mitra.api.schemas.measures import (
    InstrumentOut,
    ResponseIn,
    ResponseOut,
    ResponseSubmittedOut,
    ScheduleIn,
    ScheduleOut,
)
from mitra.lib.bounds import OutOfBounds
from mitra.measures.actions import (
    AnswerError,
    ResponseConflict,
    RuleError,
    ScheduleConflict,
    do_assign_schedule_once,
    do_stop_schedule,
    do_submit_response,
)
from mitra.measures.forms import ScheduleForm
from mitra.measures.library import instruments
from mitra.measures.models import Response, Schedule
from mitra.patients.access import get_patient_for_user

router = Router(tags=["measures"])


@router.get("/instruments", auth=READ, response=responses({200: list[InstrumentOut]}),
            url_name="instruments")
def list_instruments(request):
    """The instrument library (data files); the FHIR Questionnaires carry the full wording."""
    return [
        {"id": i.id, "short_name": i.short_name, "name": i.name, "version": i.version,
         "administration": i.administration, "items": [item.link_id for item in i.items]}
        for i in instruments()
    ]


@router.get("/patients/{uuid:patient_uuid}/responses", auth=READ,
            response=responses({200: list[ResponseOut]}), url_name="responses")
@paginate(Pagination)
def list_responses(request, patient_uuid: UUID):
    patient = get_patient_for_user(request, patient_uuid)
    return Response.objects.filter(patient=patient).select_related("patient") \
        .order_by("-submitted_at", "-pk")


@router.post("/patients/{uuid:patient_uuid}/responses", auth=WRITE,
             response=responses({201: ResponseSubmittedOut, 200: ResponseSubmittedOut}, 409),
             url_name="submit_response")
def submit_response(request, patient_uuid: UUID, payload: ResponseIn):
    """Store and score a response: 201 stored, 200 a repeat, 409 the UUID reused differently.

    Patients complete self-report instruments; their care team (write access) may enter any.
    When the response raised an urgent suicide-risk alert (PHQ-9 item 9 above 0), `crisis`
    carries the crisis lines of the patient's locale and a link to the crisis page.
    """
    patient = get_patient_for_user(request, patient_uuid, write=True)
    by_id = {i.id: i for i in instruments()}
    inst = by_id.get(payload.instrument)
    if inst is None:
        raise ApiError(400, f"choose one of {', '.join(sorted(by_id))}", field="instrument",
                       location="body")
    if request.user.role == Role.PATIENT and inst.administration != "self_report":
        raise ApiError(400, f"{inst.short_name} is rated by the care team", field="instrument",
                       location="body")
    try:
        row, created = do_submit_response(
            patient, instrument=inst.id, answers=payload.answers, response_uuid=payload.uuid,
            acting=request, submitted_at=payload.submitted_at,
        )
    except OutOfBounds as exc:
        raise ApiError(400, str(exc), field=exc.field, location="body") from None
    except AnswerError as exc:
        raise ApiError(400, str(exc), field="answers", location="body") from None
    except ResponseConflict as exc:
        raise ApiError(409, str(exc), field="uuid", location="body") from None
    return Status(201 if created else 200, row)


@router.get("/patients/{uuid:patient_uuid}/schedules", auth=READ,
            response=responses({200: list[ScheduleOut]}), url_name="schedules")
@paginate(Pagination)
def list_schedules(request, patient_uuid: UUID):
    patient = get_patient_for_user(request, patient_uuid)
    return Schedule.objects.filter(patient=patient).select_related("patient") \
        .order_by("instrument", "start", "pk")


@router.post("/patients/{uuid:patient_uuid}/schedules", auth=WRITE,
             response=responses({201: ScheduleOut, 200: ScheduleOut}, 409),
             url_name="assign_schedule")
def assign_schedule(request, patient_uuid: UUID, payload: ScheduleIn):
    """Assign a questionnaire or diary schedule (care team with write access): 201 stored,
    200 a repeat, 409 the UUID reused with another instrument, cadence, timing or start.

    The cadence follows from the fields: weekdays, else every_days, else once. Times are the
    patient's own (their time zone). Checked by the measures app's schedule form and its rule
    (the web page's rules and messages): a 400 names the field and the allowed values.
    """
    if request.user.role != Role.CLINICIAN:
        raise Http404("Schedules are set by the care team")
    patient = get_patient_for_user(request, patient_uuid, write=True)
    if payload.start is not None and payload.anchor in (Schedule.Anchor.ENROLMENT,
                                                        Schedule.Anchor.TAPER_START):
        raise ApiError(400, f"the anchor {payload.anchor} gives the first day: leave start "
                       "empty (offset_days counts from the anchor)", field="start",
                       location="body")
    form = ScheduleForm(_form_data(payload))
    if not form.is_valid():
        name, messages = next(iter(form.errors.items()))
        field = {"schedule_uuid": "uuid", "__all__": None}.get(name, name)
        raise ApiError(400, " ".join(str(m) for m in messages), field=field, location="body")
    try:
        schedule, created = do_assign_schedule_once(
            patient, acting=request, uuid=payload.uuid, **form.schedule_fields())
    except RuleError as exc:
        raise ApiError(400, exc.message, field=exc.field, location="body") from None
    except ScheduleConflict as exc:
        raise ApiError(409, str(exc), field="uuid", location="body") from None
    return Status(201 if created else 200, schedule)


def _form_data(payload: ScheduleIn) -> dict:
    """The payload as the schedule form's data (the web page's strings)."""
    def text(value) -> str:
        return "" if value is None else str(value)

    return {
        "schedule_uuid": str(payload.uuid),
        "form": text(payload.form),
        "instrument": text(payload.instrument),
        "every_days": text(payload.every_days),
        "weekdays": [str(d) for d in payload.weekdays or []],
        "start": "" if payload.start is None else payload.start.isoformat(),
        "anchor": text(payload.anchor),
        "offset_days": text(payload.offset_days),
        "time_of_day": text(payload.time_of_day),
        "window_minutes": text(payload.window_minutes),
        "random_minutes": text(payload.random_minutes),
    }


@router.post("/patients/{uuid:patient_uuid}/schedules/{uuid:schedule_uuid}/stop", auth=WRITE,
             response=responses({200: ScheduleOut}), url_name="stop_schedule")
def stop_schedule(request, patient_uuid: UUID, schedule_uuid: UUID):
    """Stop a schedule (care team with write access); stopping twice changes nothing."""
    if request.user.role != Role.CLINICIAN:
        raise Http404("Schedules are set by the care team")
    patient = get_patient_for_user(request, patient_uuid, write=True)
    schedule = Schedule.objects.filter(patient=patient, uuid=schedule_uuid).first()
    if schedule is None:
        raise Http404("No such schedule")
    return do_stop_schedule(schedule, acting=request)
