"""Diary entries: written by the patient, read by the patient and their care team."""

from uuid import UUID

from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from mitra.api.errors import ApiError, responses
from mitra.api.permissions import READ, WRITE
from mitra.api.schemas.diary import DiaryIn, DiaryOut
from mitra.diary import actions
from mitra.diary.forms import field_errors, json_to_formdata, parse_submission
from mitra.diary.models import DiaryEntry
from mitra.patients.access import get_own_patient, get_patient_for_user

router = Router(tags=["diary"])


@router.get("/patients/{uuid:patient_uuid}/diary", auth=READ,
            response=responses({200: list[DiaryOut]}), url_name="diary")
@paginate(LimitOffsetPagination)
def list_diary(request, patient_uuid: UUID):
    """The current version of each day, newest first."""
    patient = get_patient_for_user(request, patient_uuid)
    return DiaryEntry.objects.current().filter(patient=patient).select_related("patient") \
        .prefetch_related("uses").order_by("-date", "-pk")


@router.post("/diary", auth=WRITE, response=responses({201: DiaryOut, 200: DiaryOut}, 409),
             url_name="submit_diary")
def submit_diary(request, payload: DiaryIn):
    """The signed-in patient's own diary for one day (a later one for the same day is its next
    version). 201 stored, 200 a repeat of a stored submission, 409 the UUID reused differently.
    """
    patient = get_own_patient(request)
    body = payload.dict()
    # The diary app's own form rules validate the submission, as for the web diary.
    entry, uses, submission = parse_submission(json_to_formdata(body),
                                               enrolled_on=patient.enrolled_on)
    if submission is None:
        problems = field_errors(entry, uses)
        name, messages = next(iter(problems.items()))
        raise ApiError(400, "; ".join(messages), field=name, location="body")
    try:
        result = actions.do_submit_diary_entry(request, patient, submission)
    except actions.SubmissionConflict as exc:
        raise ApiError(409, str(exc), field="uuid", location="body") from None
    return Status(201 if result.created else 200, result.entry)
