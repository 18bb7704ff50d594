"""FHIR Questionnaire, QuestionnaireResponse and Observation for the measures and the diary.

Questionnaires are generated from the instrument data files. A QuestionnaireResponse is
validated against its Questionnaire, then stored and scored by the measures app's own action
(`do_submit_response`, the same call the web form makes); its total becomes an Observation.
"""

import uuid as uuidlib
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.http import Http404
from ninja import Router

from mitra.api import fhir, instruments
from mitra.api.errors import ApiError
from mitra.api.fhir_support import (
    FhirResponse,
    check_params,
    only_visible,
    reader_kinds,
    require_visible,
    searchset,
    security,
)
from mitra.api.parsing import json_body
from mitra.api.permissions import FHIR_READ, FHIR_WRITE
from mitra.audit.actions import record_audit
from mitra.audit.events import Event
from mitra.consent import labels
from mitra.diary.models import DiaryEntry
from mitra.diary.units import KRATOM
from mitra.lib.bounds import OutOfBounds
from mitra.measures.actions import AnswerError, ResponseConflict, do_submit_response
from mitra.measures.models import Response
from mitra.patients.access import get_patient_for_user, patients_for_user
from mitra.safety import pathway

router = Router(tags=["fhir"])

RATING_FIELDS = {"mood": "mood", "anxiety": "anxiety", "craving": "craving",
                 "sleep-quality": "sleep_quality", "withdrawal": "withdrawal"}


def _iso(value: datetime) -> str:
    return value.isoformat()


# -- Questionnaire ----------------------------------------------------------------------------


def _matches_code(inst: fhir.Instrument, raw: str) -> bool:
    system, code = fhir.parse_token(raw)
    if system not in (None, fhir.LOINC):
        return False
    return code == inst.panel_loinc or any(i.loinc == code for i in inst.items)


@router.get("/Questionnaire", auth=FHIR_READ, url_name="questionnaire_search")
def search_questionnaires(request):
    check_params(request, {"_id", "code", "url"})
    rows = list(instruments.fhir_instruments().values())
    if request.GET.get("_id"):
        rows = [i for i in rows if i.id == request.GET["_id"]]
    if request.GET.get("code"):
        codes = request.GET["code"].split(",")
        rows = [i for i in rows if any(_matches_code(i, c) for c in codes)]
    if request.GET.get("url"):
        url = request.GET["url"].split("|", 1)[0]
        rows = [i for i in rows if i.url == url]
    return searchset(request, rows, fhir.questionnaire)


@router.get("/Questionnaire/{questionnaire_id}", auth=FHIR_READ, url_name="questionnaire_read")
def read_questionnaire(request, questionnaire_id: str):
    inst = instruments.fhir_instruments().get(questionnaire_id)
    if inst is None:
        raise Http404(f"No Questionnaire {questionnaire_id!r}")
    return FhirResponse(fhir.questionnaire(inst))


# -- QuestionnaireResponse --------------------------------------------------------------------


def response_resource(row: Response) -> dict:
    inst = instruments.get(row.instrument)
    options = {}
    for item in inst.items:
        value = row.answers.get(item.link_id)
        if value is None:
            continue
        if item.numeric is not None:
            options[item.link_id] = fhir.AnswerOption(value=value, text=str(value))
        else:
            options[item.link_id] = next(o for o in item.options if o.value == value)
    resource = fhir.questionnaire_response(
        id_=str(row.uuid), instrument=inst, patient_id=str(row.patient.uuid),
        authored=_iso(row.submitted_at), answers=options,
        security=security(labels.kind_of_instrument(row.instrument)),
    )
    resource["identifier"] = {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{row.uuid}"}
    return resource


def _client_uuid(resource: dict) -> uuidlib.UUID:
    """The client's idempotency key: identifier urn:uuid:<uuid>; a fresh one if none."""
    identifier = resource.get("identifier")
    if identifier is None:
        return uuidlib.uuid4()
    value = str(identifier.get("value", "")) if isinstance(identifier, dict) else ""
    try:
        return uuidlib.UUID(value.removeprefix("urn:uuid:"))
    except ValueError:
        raise fhir.FhirError(400, "identifier.value: a urn:uuid:<uuid> made by the client "
                             "(repeat it to resend safely)", expression="identifier.value") \
            from None


def _parse_authored(resource: dict) -> datetime | None:
    raw = resource.get("authored")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise fhir.FhirError(400, "authored: a dateTime with a time zone, e.g. "
                             "2026-11-22T09:30:00Z", expression="authored")
    return value


@router.post("/QuestionnaireResponse", auth=FHIR_WRITE, url_name="qr_create")
def create_questionnaire_response(request):
    try:
        # Checked as every API body is (mitra.api.parsing): text, and how deep it nests.
        resource = json_body(request) if request.body else None
    except ValueError:
        raise fhir.FhirError(400, "the body is not JSON", code="structure") from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "QuestionnaireResponse":
        raise fhir.FhirError(400, "resourceType: must be QuestionnaireResponse",
                             expression="resourceType")
    if resource.get("status") not in ("completed", "amended"):
        raise fhir.FhirError(422, "status: only completed (or amended) responses are scored",
                             expression="status")
    subject = resource.get("subject") or {}
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if not reference or not str(reference).startswith("Patient/"):
        raise fhir.FhirError(422, "subject.reference: Patient/<id> is required",
                             expression="subject.reference")
    patient = get_patient_for_user(request, fhir.parse_patient_reference(reference), write=True)
    inst = fhir.resolve_instrument(str(resource.get("questionnaire", "")),
                                   instruments.fhir_instruments().values())
    chosen = fhir.answers_from_response(resource, inst)
    answers = {link_id: int(option.value) for link_id, option in chosen.items()
               if option.value is not None}
    try:
        row, created = do_submit_response(
            patient, instrument=inst.id, answers=answers, response_uuid=_client_uuid(resource),
            acting=request, submitted_at=_parse_authored(resource),
        )
    except OutOfBounds as exc:
        raise fhir.FhirError(422, str(exc).replace("submitted_at", "authored", 1),
                             expression="authored") from None
    except AnswerError as exc:
        raise fhir.FhirError(422, str(exc), expression="item") from None
    except ResponseConflict as exc:
        raise ApiError(409, str(exc), field="identifier") from None
    location = request.build_absolute_uri(f"{request.path.rstrip('/')}/{row.uuid}")
    resource = response_resource(row)
    # An urgent suicide-risk alert (item 9 above 0): the crisis lines travel with the answer,
    # decided by the alert's kind and priority as the web form decides to open the crisis page.
    crisis = pathway.crisis_if_raised(request, row.patient, row.uuid)
    if crisis is not None:
        resource = fhir.with_crisis_resources(resource, crisis)
    return FhirResponse(resource, status=201 if created else 200,
                        headers={"Location": location})


def _patient_filter(request):
    """The patients a search may cover: the `patient`/`subject` parameter, checked by the one
    access helper; a patient's own record when they name none. Clinicians must name one, so a
    search stays bounded."""
    raw = request.GET.get("patient") or request.GET.get("subject")
    if raw:
        return [get_patient_for_user(request, fhir.parse_patient_reference(raw))]
    own = patients_for_user(request.user)
    if request.user.role == "patient":
        mine = list(own)
        # The search reads their record as surely as naming it would (which records it).
        for patient in mine:
            record_audit(Event.PATIENT_RECORD_VIEWED, acting=request, patient=patient,
                         detail=request.path)
        return mine
    if not own.exists():
        return []
    raise fhir.FhirError(400, "patient: required for this search (patient=Patient/<id>)",
                         code="required", expression="patient")


@router.get("/QuestionnaireResponse", auth=FHIR_READ, url_name="qr_search")
def search_questionnaire_responses(request):
    check_params(request, {"patient", "subject", "questionnaire"})
    patients = _patient_filter(request)
    rows = Response.objects.filter(patient__in=patients)
    kinds = reader_kinds(request, patients)
    if kinds is not None:  # an outside recipient: the instruments their consent covers
        rows = rows.filter(instrument__in=[i for i in instruments.fhir_instruments()
                                           if labels.kind_of_instrument(i) in kinds])
    if request.GET.get("questionnaire"):
        wanted = request.GET["questionnaire"].split("|", 1)[0]
        ids = [i.id for i in instruments.fhir_instruments().values()
               if wanted in (i.url, f"Questionnaire/{i.id}", i.id)]
        rows = rows.filter(instrument__in=ids)
    rows = rows.select_related("patient").order_by("-submitted_at", "-pk")
    return searchset(request, rows, response_resource)


@router.get("/QuestionnaireResponse/{response_id}", auth=FHIR_READ, url_name="qr_read")
def read_questionnaire_response(request, response_id: str):
    row = _response_for(request, response_id)
    return FhirResponse(require_visible(request, row.patient, response_resource(row)))


def _response_for(request, response_id: str) -> Response:
    try:
        row = Response.objects.select_related("patient").get(uuid=uuidlib.UUID(response_id))
    except (ValueError, Response.DoesNotExist):
        raise Http404("No such QuestionnaireResponse") from None
    # Reachable only if its patient is: the same 404 as for the patient.
    get_patient_for_user(request, row.patient.uuid)
    return row


# -- Observation ------------------------------------------------------------------------------


def score_resource(row: Response) -> dict:
    inst = instruments.get(row.instrument)
    return fhir.score_observation(
        id_=f"score-{row.uuid}", instrument=inst, patient_id=str(row.patient.uuid),
        effective=_iso(row.submitted_at), total=row.total, severity=row.severity or None,
        response_id=str(row.uuid), security=security(labels.kind_of_instrument(row.instrument)),
    )


def diary_resources(entry: DiaryEntry) -> list[dict]:
    out = []
    for code, figure in fhir.DIARY_FIGURES.items():
        if code == "kratom-grams":
            # Plant material whose weight is unknown (capsules of unknown fill) would make the
            # day's figure a partial sum presented as the whole: no figure, as the CLI's null.
            value = None if entry.kratom_unconverted else entry.kratom_grams
        else:
            value = getattr(entry, RATING_FIELDS[code])
        if value is None:
            continue
        out.append(fhir.diary_observation(
            id_=f"diary-{entry.uuid}-{code}", patient_id=str(entry.patient.uuid),
            day=entry.date.isoformat(), figure=figure,
            value=float(value) if isinstance(value, Decimal) else value,
            security=security(labels.kind_of_diary_figure(code)),
        ))
    return out


# The day's grams of kratom plant material, and how many plant-material uses had no known
# weight (capsules of unknown fill): then the day has no gram figure at all.
KRATOM_FIGURES = {
    "kratom_grams": Sum("uses__grams", filter=Q(uses__substance__in=KRATOM)),
    "kratom_unconverted": Count("uses", filter=Q(
        uses__substance__in=("kratom_powder", "kratom_capsule"), uses__grams__isnull=True)),
}


def _diary_entries(patients):
    return (
        DiaryEntry.objects.current().filter(patient__in=patients).select_related("patient")
        .annotate(**KRATOM_FIGURES)
        .order_by("-date")
    )


def _observation_codes(request) -> tuple[set[str] | None, set[str] | None]:
    """(instrument ids, diary codes) the `code` parameter selects; None: no code filter."""
    raw = request.GET.get("code")
    if not raw:
        return None, None
    inst_ids: set[str] = set()
    diary: set[str] = set()
    for token in raw.split(","):
        system, code = fhir.parse_token(token)
        for inst in instruments.fhir_instruments().values():
            if system in (None, fhir.LOINC) and code == inst.total_loinc:
                inst_ids.add(inst.id)
            if system in (None, fhir.TOTAL_SYSTEM) and code == inst.id and not inst.total_loinc:
                inst_ids.add(inst.id)
        if system in (None, fhir.DIARY_SYSTEM) and code in fhir.DIARY_FIGURES:
            diary.add(code)
    return inst_ids, diary


@router.get("/Observation", auth=FHIR_READ, url_name="observation_search")
def search_observations(request):
    check_params(request, {"patient", "subject", "code", "category"})
    category = request.GET.get("category")
    if category and fhir.parse_token(category)[1] != "survey":
        return searchset(request, [], lambda r: r)
    patients = _patient_filter(request)
    inst_ids, diary_codes = _observation_codes(request)
    scores = Response.objects.filter(patient__in=patients, total__isnull=False)
    if inst_ids is not None:
        scores = scores.filter(instrument__in=inst_ids)
    resources = [score_resource(r) for r in scores.select_related("patient")]
    if diary_codes is None or diary_codes:
        for entry in _diary_entries(patients):
            resources.extend(
                r for r in diary_resources(entry)
                if diary_codes is None or r["code"]["coding"][0]["code"] in diary_codes
            )
    resources = only_visible(reader_kinds(request, patients), resources)
    resources.sort(key=lambda r: (r["effectiveDateTime"], r["id"]), reverse=True)
    return searchset(request, resources, lambda r: r, total=len(resources))


@router.get("/Observation/{observation_id}", auth=FHIR_READ, url_name="observation_read")
def read_observation(request, observation_id: str):
    kind, _, rest = observation_id.partition("-")
    if kind == "score":
        row = _response_for(request, rest)
        if row.total is None:
            raise Http404("This response has no total score")
        return FhirResponse(require_visible(request, row.patient, score_resource(row)))
    if kind == "diary" and len(rest) > 37:
        entry_uuid = rest[:36]
        try:
            entry = (
                DiaryEntry.objects.filter(uuid=uuidlib.UUID(entry_uuid)).select_related("patient")
                .annotate(**KRATOM_FIGURES).get()
            )
        except (ValueError, DiaryEntry.DoesNotExist):
            raise Http404("No such Observation") from None
        get_patient_for_user(request, entry.patient.uuid)
        for resource in diary_resources(entry):
            if resource["id"] == observation_id:
                return FhirResponse(require_visible(request, entry.patient, resource))
    raise Http404("No such Observation")
