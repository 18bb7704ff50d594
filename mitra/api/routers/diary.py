"""Diary entries: written by the patient, read by the patient and their care team."""

from typing import Annotated, Any
from uuid import UUID

from ninja import Router, Status
from ninja.pagination import paginate
from pydantic import WrapValidator

from mitra.api.errors import ApiError, responses
from mitra.api.pagination import Pagination
from mitra.api.permissions import READ, WRITE
from mitra.api.schemas.diary import DiaryIn, DiaryOut
from mitra.diary import actions
from mitra.diary.json_submission import parse_json_submission
from mitra.diary.models import DiaryEntry
from mitra.patients.access import get_own_patient, get_patient_for_user

router = Router(tags=["diary"])


@router.get("/patients/{uuid:patient_uuid}/diary", auth=READ,
            response=responses({200: list[DiaryOut]}), url_name="diary")
@paginate(Pagination)
def list_diary(request, patient_uuid: UUID):
    """The current version of each day, newest first."""
    patient = get_patient_for_user(request, patient_uuid)
    return DiaryEntry.objects.current().filter(patient=patient).select_related("patient") \
        .prefetch_related("uses").order_by("-date", "-pk")


def _as_sent(value: Any, _handler: Any) -> Any:
    """The body as the client sent it (parsed JSON, unvalidated): see `submit_diary`."""
    return value


@router.post("/diary", auth=WRITE, response=responses({201: DiaryOut, 200: DiaryOut}, 409),
             url_name="submit_diary")
def submit_diary(request, payload: Annotated[DiaryIn, WrapValidator(_as_sent)]):
    """The signed-in patient's own diary for one day (a later one for the same day is its next
    version). 201 stored, 200 a repeat of a stored submission, 409 the UUID reused differently.
    """
    patient = get_own_patient(request)
    # DiaryIn documents the body; pydantic does not validate it (`_as_sent`). The diary app's
    # own rules do, as for the web diary and its JSON endpoint: the same messages naming the
    # field and the allowed values, the same field names (`uses[0].amount`), and every problem
    # in one 400, where pydantic would stop at types and name fields `uses.0.amount`.
    submission, errors = parse_json_submission(payload, enrolled_on=patient.enrolled_on)
    if submission is None:
        return Status(400, {"status": 400, "errors": _problems(errors)})
    try:
        result = actions.do_submit_diary_entry(patient, submission, acting=request)
    except actions.SubmissionConflict as exc:
        raise ApiError(409, str(exc), field="uuid", location="body") from None
    return Status(201 if result.created else 200, result.entry)


def _problems(errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The diary's errors by field as the API's one error shape, one problem per message."""
    return [{"field": None if name == "__all__" else name, "location": "body", "problem": message}
            for name, messages in errors.items() for message in messages]
