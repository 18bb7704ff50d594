"""CBT records: written by the patient (homework assigned by the care team), read by both.

Every write goes through the CBT app: its forms validate (same ranges and messages as the web
pages) and its idempotent `do_*` actions store and audit. Nothing here saves a model.
"""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms as djforms
from django.http import Http404
from django.utils.datastructures import MultiValueDict
from ninja import Router, Status
from ninja.pagination import paginate

from mitra.accounts.models import Role
from mitra.api.errors import ApiError, responses
from mitra.api.pagination import Pagination
from mitra.api.permissions import READ, WRITE
from mitra.api.schemas.cbt import (
    ActivityCompleteIn,
    ActivityIn,
    ActivityOut,
    ActivitySlotIn,
    ActivitySlotOut,
    ExposureItemIn,
    ExposureItemOut,
    ExposureLogIn,
    ExposureLogOut,
    HomeworkCompleteIn,
    HomeworkIn,
    HomeworkOut,
    RelapsePlanIn,
    RelapsePlanOut,
    ThoughtRecordIn,
    ThoughtRecordOut,
    ValueIn,
    ValueOut,
)
from mitra.cbt import actions, forms
from mitra.cbt.models import (
    Activity,
    ActivitySlot,
    ExposureItem,
    ExposureLog,
    Homework,
    RelapsePlan,
    ThoughtRecord,
    Value,
)
from mitra.patients.access import get_patient_for_user
from mitra.patients.models import Patient

router = Router(tags=["cbt"])

BASE = "/patients/{uuid:patient_uuid}"


# Helpers ---------------------------------------------------------------------------------

def _formdata(values: dict[str, Any]) -> MultiValueDict:
    """JSON values as the HTML form would post them: strings, lists for multiple choices."""
    data = MultiValueDict()
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, list):
            data.setlist(key, [str(v) for v in value])
        else:
            data[key] = str(value)
    return data


def _validated(form: djforms.Form, rename: Callable[[str], str] = str) -> djforms.Form:
    """The form, valid; otherwise a 400 naming the (JSON) field and the form's own message."""
    if form.is_valid():
        return form
    name, messages = next(iter(form.errors.items()))
    field = None if name == djforms.forms.NON_FIELD_ERRORS else rename(name)
    raise ApiError(400, " ".join(str(m) for m in messages), field=field, location="body")


def _conflict(exc: Exception, field: str | None = "uuid") -> ApiError:
    return ApiError(409, str(exc), field=field, location="body")


def _store_once(action, *args, present=None, **kwargs) -> Status:
    """Run an idempotent store action: 201 for a new record, 200 for a repeat of a stored one,
    409 (field `uuid`) for a UUID reused with other content or by another patient."""
    try:
        obj, created = action(*args, **kwargs)
    except actions.SubmissionConflict as exc:
        raise _conflict(exc) from None
    return Status(201 if created else 200, present(obj) if present else obj)


def _own_writer(request, patient_uuid: UUID, what: str) -> Patient:
    """Records a patient keeps themselves: only their own token writes them (the web pages are
    the patient's own too); any other role gets the same 404 as on the web."""
    if request.user.role != Role.PATIENT:
        raise Http404(f"{what} are written by the patient")
    return get_patient_for_user(request, patient_uuid, write=True)


# Thought records -------------------------------------------------------------------------

def _thought_field(name: str) -> str:
    # emotion_2 / before_2 / after_2 are the web form's rows; JSON has emotions[1].emotion ...
    for prefix, key in (("emotion_", "emotion"), ("before_", "before"), ("after_", "after")):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return f"emotions[{int(name[len(prefix):]) - 1}].{key}"
    return name


@router.get(f"{BASE}/thought-records", auth=READ,
            response=responses({200: list[ThoughtRecordOut]}), url_name="thought_records")
@paginate(Pagination)
def list_thought_records(request, patient_uuid: UUID):
    """Newest first."""
    patient = get_patient_for_user(request, patient_uuid)
    return ThoughtRecord.objects.filter(patient=patient).select_related("patient") \
        .order_by("-occurred_on", "-created_at", "-pk")


@router.post(f"{BASE}/thought-records", auth=WRITE,
             response=responses({201: ThoughtRecordOut, 200: ThoughtRecordOut}, 409),
             url_name="submit_thought_record")
def submit_thought_record(request, patient_uuid: UUID, payload: ThoughtRecordIn):
    """The patient's own thought record: 201 stored, 200 a repeat, 409 the UUID reused."""
    patient = _own_writer(request, patient_uuid, "Thought records")
    body = payload.dict()
    values: dict[str, Any] = {k: body[k] for k in (
        "uuid", "occurred_on", "situation", "automatic_thoughts", "distortions",
        "evidence_for", "evidence_against", "balanced_thought")}
    for i, emotion in enumerate(body["emotions"], start=1):
        values |= {f"emotion_{i}": emotion["emotion"], f"before_{i}": emotion["before"],
                   f"after_{i}": emotion["after"]}
    form = _validated(forms.ThoughtRecordForm(_formdata(values),
                                                  enrolled_on=patient.enrolled_on), _thought_field)
    return _store_once(actions.do_record_thought, patient, acting=request,
        uuid=form.cleaned_data["uuid"], data=form.record_data())


# Homework --------------------------------------------------------------------------------

@router.get(f"{BASE}/homework", auth=READ, response=responses({200: list[HomeworkOut]}),
            url_name="homework")
@paginate(Pagination)
def list_homework(request, patient_uuid: UUID):
    """Open homework first (soonest due), then completed."""
    patient = get_patient_for_user(request, patient_uuid)
    return Homework.objects.filter(patient=patient).select_related("patient") \
        .order_by("completed_at", "due_on", "pk")


@router.post(f"{BASE}/homework", auth=WRITE,
             response=responses({201: HomeworkOut, 200: HomeworkOut}, 409),
             url_name="assign_homework")
def assign_homework(request, patient_uuid: UUID, payload: HomeworkIn):
    """Assign homework (care team, write access): 201, 200 a repeat, 409 the UUID reused."""
    if request.user.role != Role.CLINICIAN:
        raise Http404("Homework is assigned by the care team")
    patient = get_patient_for_user(request, patient_uuid, write=True)
    form = _validated(forms.HomeworkForm(_formdata(payload.dict()),
                                          enrolled_on=patient.enrolled_on))
    data = form.cleaned_data
    return _store_once(actions.do_assign_homework, patient, acting=request, uuid=data["uuid"],
        kind=data["kind"], due_on=data["due_on"], instructions=data["instructions"].strip(),
        module_slug=data["module_slug"])


@router.post(f"{BASE}/homework/{{uuid:homework_uuid}}/complete", auth=WRITE,
             response=responses({200: HomeworkOut}, 409), url_name="complete_homework")
def complete_homework(request, patient_uuid: UUID, homework_uuid: UUID,
                      payload: HomeworkCompleteIn):
    """The patient marks their homework done. Repeating with the same note changes nothing;
    a different note for completed homework is 409."""
    patient = _own_writer(request, patient_uuid, "Homework completions")
    homework = Homework.objects.filter(patient=patient, uuid=homework_uuid).first()
    if homework is None:
        raise Http404("No such homework")
    form = _validated(forms.CompleteHomeworkForm(_formdata(payload.dict())))
    try:
        homework, _changed = actions.do_complete_homework(
            homework, acting=request, note=form.cleaned_data["note"].strip())
    except actions.SubmissionConflict as exc:
        raise _conflict(exc, "note") from None
    return homework


# Exposure --------------------------------------------------------------------------------

@router.get(f"{BASE}/exposure-items", auth=READ,
            response=responses({200: list[ExposureItemOut]}), url_name="exposure_items")
@paginate(Pagination)
def list_exposure_items(request, patient_uuid: UUID):
    """The exposure hierarchy, least distressing first."""
    patient = get_patient_for_user(request, patient_uuid)
    return ExposureItem.objects.filter(patient=patient).select_related("patient") \
        .order_by("expected_suds", "situation", "pk")


@router.post(f"{BASE}/exposure-items", auth=WRITE,
             response=responses({201: ExposureItemOut, 200: ExposureItemOut}, 409),
             url_name="add_exposure_item")
def add_exposure_item(request, patient_uuid: UUID, payload: ExposureItemIn):
    patient = _own_writer(request, patient_uuid, "Exposure items")
    form = _validated(forms.ExposureItemForm(_formdata(payload.dict())))
    data = form.cleaned_data
    return _store_once(actions.do_add_exposure_item, patient, acting=request, uuid=data["uuid"],
        situation=data["situation"].strip(), expected_suds=data["expected_suds"])


@router.get(f"{BASE}/exposure-logs", auth=READ,
            response=responses({200: list[ExposureLogOut]}), url_name="exposure_logs")
@paginate(Pagination)
def list_exposure_logs(request, patient_uuid: UUID):
    """Exposure practice, newest first, each with the step practised."""
    patient = get_patient_for_user(request, patient_uuid)
    return ExposureLog.objects.filter(patient=patient).select_related("patient", "item") \
        .order_by("-done_on", "-created_at", "-pk")


@router.post(f"{BASE}/exposure-logs", auth=WRITE,
             response=responses({201: ExposureLogOut, 200: ExposureLogOut}, 409),
             url_name="log_exposure")
def log_exposure(request, patient_uuid: UUID, payload: ExposureLogIn):
    patient = _own_writer(request, patient_uuid, "Exposure logs")
    body = payload.dict()
    item = ExposureItem.objects.filter(patient=patient, uuid=body.pop("item")).first()
    if item is None:
        raise ApiError(400, "item: not one of this patient's exposure items "
                       "(GET .../exposure-items)", field="item", location="body")
    form = _validated(forms.ExposureLogForm(_formdata(body), enrolled_on=patient.enrolled_on))
    return _store_once(actions.do_log_exposure, item, acting=request,
        uuid=form.cleaned_data["uuid"], data=form.log_data())


# Behavioural activation ------------------------------------------------------------------

@router.get(f"{BASE}/values", auth=READ, response=responses({200: list[ValueOut]}),
            url_name="values")
@paginate(Pagination)
def list_values(request, patient_uuid: UUID):
    """The patient's values, by name (as on the web page's behavioural-activation tool)."""
    patient = get_patient_for_user(request, patient_uuid)
    return Value.objects.filter(patient=patient).select_related("patient").order_by("name", "pk")


@router.post(f"{BASE}/values", auth=WRITE,
             response=responses({201: ValueOut, 200: ValueOut}, 409), url_name="add_value")
def add_value(request, patient_uuid: UUID, payload: ValueIn):
    """The patient writes down a value: 201 stored, 200 a repeat, 409 the UUID reused with
    another name or reason."""
    patient = _own_writer(request, patient_uuid, "Values")
    form = _validated(forms.ValueForm(_formdata(payload.dict())))
    data = form.cleaned_data
    return _store_once(actions.do_add_value, patient, acting=request, uuid=data["uuid"],
        name=data["name"].strip(), why=data["why"].strip())


@router.get(f"{BASE}/activities", auth=READ, response=responses({200: list[ActivityOut]}),
            url_name="activities")
@paginate(Pagination)
def list_activities(request, patient_uuid: UUID):
    """The patient's activity list, by name, each with the value it serves (if any)."""
    patient = get_patient_for_user(request, patient_uuid)
    return Activity.objects.filter(patient=patient).select_related("patient", "value") \
        .order_by("name", "pk")


def _activity_out(activity: Activity) -> Activity:
    return Activity.objects.select_related("patient", "value").get(pk=activity.pk)


@router.post(f"{BASE}/activities", auth=WRITE,
             response=responses({201: ActivityOut, 200: ActivityOut}, 409),
             url_name="add_activity")
def add_activity(request, patient_uuid: UUID, payload: ActivityIn):
    """The patient adds an activity to their list, optionally serving one of their values:
    201 stored, 200 a repeat, 409 the UUID reused with another name or value."""
    patient = _own_writer(request, patient_uuid, "Activities")
    form = _validated(forms.ActivityForm(_formdata(payload.dict()), patient=patient))
    data = form.cleaned_data
    return _store_once(actions.do_add_activity, patient, acting=request, uuid=data["uuid"],
        name=data["name"].strip(), value=data["value"], present=_activity_out)


@router.get(f"{BASE}/activity-slots", auth=READ,
            response=responses({200: list[ActivitySlotOut]}), url_name="activity_slots")
@paginate(Pagination)
def list_activity_slots(request, patient_uuid: UUID):
    """Scheduled activities, newest day first, with their completion ratings."""
    patient = get_patient_for_user(request, patient_uuid)
    return ActivitySlot.objects.filter(patient=patient) \
        .select_related("patient", "activity", "activity__value") \
        .order_by("-scheduled_for", "-at_time", "-pk")


def _slot_out(slot: ActivitySlot) -> ActivitySlot:
    return ActivitySlot.objects.select_related("patient", "activity", "activity__value") \
        .get(pk=slot.pk)


@router.post(f"{BASE}/activity-slots", auth=WRITE,
             response=responses({201: ActivitySlotOut, 200: ActivitySlotOut}, 409),
             url_name="schedule_activity")
def schedule_activity(request, patient_uuid: UUID, payload: ActivitySlotIn):
    """The patient schedules one of their activities for a day: 201 stored, 200 a repeat,
    409 the UUID reused with another activity, day or time."""
    patient = _own_writer(request, patient_uuid, "Scheduled activities")
    form = _validated(forms.ScheduleForm(_formdata(payload.dict()), patient=patient))
    data = form.cleaned_data
    return _store_once(actions.do_schedule_activity, patient, acting=request, uuid=data["uuid"],
        activity=data["activity"], scheduled_for=data["scheduled_for"], at_time=data["at_time"],
        present=_slot_out)


@router.post(f"{BASE}/activity-slots/{{uuid:slot_uuid}}/complete", auth=WRITE,
             response=responses({200: ActivitySlotOut}, 409), url_name="complete_activity")
def complete_activity(request, patient_uuid: UUID, slot_uuid: UUID,
                      payload: ActivityCompleteIn):
    """The patient completes a scheduled activity with 0-10 ratings. A completed slot is final:
    the same ratings again change nothing, other ratings are 409."""
    patient = _own_writer(request, patient_uuid, "Activity completions")
    slot = ActivitySlot.objects.filter(patient=patient, uuid=slot_uuid).first()
    if slot is None:
        raise Http404("No such scheduled activity")
    form = _validated(forms.CompleteActivityForm(_formdata(payload.dict())))
    try:
        slot, _changed = actions.do_complete_activity(slot, acting=request,
                                                      ratings=form.cleaned_data)
    except actions.SubmissionConflict as exc:
        raise _conflict(exc, None) from None
    return _slot_out(slot)


# Relapse-prevention plan -----------------------------------------------------------------

@router.get(f"{BASE}/relapse-plan", auth=READ, response=responses({200: RelapsePlanOut}),
            url_name="relapse_plan")
def relapse_plan(request, patient_uuid: UUID):
    """The current (newest) version of the plan; 404 while there is none."""
    patient = get_patient_for_user(request, patient_uuid)
    plan = actions.current_plan(patient)
    if plan is None:
        raise Http404("No relapse-prevention plan yet")
    return plan


@router.post(f"{BASE}/relapse-plan", auth=WRITE,
             response=responses({201: RelapsePlanOut, 200: RelapsePlanOut}, 409),
             url_name="save_relapse_plan")
def save_relapse_plan(request, patient_uuid: UUID, payload: RelapsePlanIn):
    """The patient saves the next version of their plan: 201 the new version, 200 a repeat
    (the version stored under this UUID), 409 the UUID reused with other content. Content
    equal to the current version changes nothing: 200 with the current version."""
    patient = _own_writer(request, patient_uuid, "Relapse-prevention plans")
    body = payload.dict()
    # The web form takes each section as text, one item per line.
    values = {"uuid": body["uuid"]} | {
        name: "\n".join(body[name]) for name, _label in RelapsePlan.SECTIONS}
    form = _validated(forms.RelapsePlanForm(_formdata(values)))
    return _store_once(actions.do_save_relapse_plan, patient, acting=request,
        uuid=form.cleaned_data["uuid"], sections=form.sections())
