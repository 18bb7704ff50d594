"""Mapping Mitra's records to FHIR R4 (4.0.1) resources and back. Plain Python, no Django.

Every function takes plain values (strings, numbers, dicts, dataclasses) and returns the JSON
shape of one resource, so the mapping can be read and tested on its own. Django code gathers
the values (`mitra/api/routers/fhir_*.py`) and calls these.

Codes:
- LOINC (`http://loinc.org`) for instruments, their items, answers and total scores, as carried
  in the instrument data files (sources: LOINC FHIR Questionnaires 44249-1 and 69737-5, copies in
  shared/reference/fhir/).
- Mitra's own code systems under `CANONICAL` for what has no standard code: daily diary figures
  (`DIARY_SYSTEM`, documented in mitra/api/README.md), totals of instruments without a LOINC
  total, answers without a LOINC answer code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FHIR_VERSION = "4.0.1"
FHIR_MEDIA_TYPE = "application/fhir+json"
# A canonical base of the project's own: a reserved .invalid host, so no one mistakes it for a
# resolvable server. Canonical URLs must stay the same on every installation.
CANONICAL = "https://mitra.invalid/fhir"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
DIARY_SYSTEM = f"{CANONICAL}/CodeSystem/diary"
TOTAL_SYSTEM = f"{CANONICAL}/CodeSystem/instrument-total"
# On a QuestionnaireResponse create answer whose response raised an urgent suicide-risk alert:
# the crisis lines of the patient's locale (contained Organizations) and the crisis page.
CRISIS_EXTENSION = f"{CANONICAL}/StructureDefinition/crisis-resources"


class FhirError(Exception):
    """A request the FHIR interface refuses; carried to the client as an OperationOutcome."""

    def __init__(self, status: int, diagnostics: str, *, code: str = "invalid",
                 expression: str | None = None) -> None:
        self.status = status
        self.issues = [{"code": code, "diagnostics": diagnostics, "expression": expression}]
        super().__init__(diagnostics)


def operation_outcome(issues: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """OperationOutcome with one issue per problem; `expression` names the field when known."""
    out = []
    for issue in issues:
        entry: dict[str, Any] = {
            "severity": issue.get("severity", "error"),
            "code": issue.get("code", "invalid"),
            "diagnostics": issue.get("diagnostics", ""),
        }
        if issue.get("expression"):
            entry["expression"] = [issue["expression"]]
        out.append(entry)
    return {"resourceType": "OperationOutcome", "issue": out}


def reference(resource_type: str, id_: str) -> dict[str, Any]:
    return {"reference": f"{resource_type}/{id_}"}


# A resource's DS4P security labels (`mitra.consent.labels.security_labels`): the mappers of
# records that carry them take `security=` and put it into `meta.security`.
Security = Sequence[Mapping[str, str]]


def _with_security(resource: dict[str, Any], security: Security) -> dict[str, Any]:
    if security:
        resource["meta"] = {"security": [dict(label) for label in security]}
    return resource


# ---------------------------------------------------------------------------------------------
# CapabilityStatement

SEARCH_PARAMS: dict[str, list[tuple[str, str]]] = {
    "Patient": [("_id", "token"), ("name", "string")],
    "Questionnaire": [("_id", "token"), ("code", "token"), ("url", "uri")],
    "QuestionnaireResponse": [("patient", "reference"), ("subject", "reference"),
                              ("questionnaire", "reference")],
    "Observation": [("patient", "reference"), ("subject", "reference"), ("code", "token"),
                    ("category", "token")],
    "MedicationStatement": [("patient", "reference"), ("subject", "reference")],
    "Consent": [("patient", "reference"), ("subject", "reference")],
}


def capability_statement(*, base_url: str, software_version: str, date: str,
                         resources: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """The server's CapabilityStatement; `resources` maps a type to its interactions."""
    rest_resources = []
    for rtype, interactions in resources.items():
        entry: dict[str, Any] = {
            "type": rtype,
            "interaction": [{"code": code} for code in interactions],
        }
        params = SEARCH_PARAMS.get(rtype)
        if params:
            entry["searchParam"] = [{"name": n, "type": t} for n, t in params]
        if rtype == "Patient":
            entry["operation"] = [{
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
            }]
        rest_resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": {"name": "Mitra", "version": software_version},
        "implementation": {"description": "Mitra FHIR R4 interface", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json", FHIR_MEDIA_TYPE],
        "rest": [{
            "mode": "server",
            "security": {
                "description": "Personal access token with the fhir scope, sent as "
                               "Authorization: Bearer <token>. Creating a resource also "
                               "needs the write scope.",
            },
            "resource": rest_resources,
        }],
    }


# ---------------------------------------------------------------------------------------------
# Patient

def patient(*, id_: str, name: str, pseudonym: str, birth_date: str | None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": id_,
        "identifier": [{"system": f"{CANONICAL}/NamingSystem/study-code", "value": pseudonym}],
        "active": True,
        "name": [{"text": name}],
    }
    if birth_date:
        resource["birthDate"] = birth_date
    return resource


# ---------------------------------------------------------------------------------------------
# Instruments → Questionnaire


@dataclass(frozen=True)
class AnswerOption:
    value: float | int | None  # the score of this answer; None for an unscored item
    text: str
    loinc: str | None = None  # a LOINC answer code ("LA6568-5") when the source gives one

    def coding(self, instrument_id: str) -> dict[str, Any]:
        if self.loinc:
            return {"system": LOINC, "code": self.loinc, "display": self.text}
        return {"system": answer_system(instrument_id), "code": answer_code(self),
                "display": self.text}


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    options: tuple[AnswerOption, ...]
    loinc: str | None = None
    scored: bool = True
    required: bool = True
    # (min, max) for a whole-number rating (a 0-100 scale) instead of answer options.
    numeric: tuple[int, int] | None = None


@dataclass(frozen=True)
class Instrument:
    """What the FHIR layer needs to know of an instrument (built from its data file)."""

    id: str
    name: str
    version: str
    items: tuple[Item, ...]
    panel_loinc: str | None = None
    panel_display: str | None = None
    total_loinc: str | None = None
    total_display: str | None = None
    copyright: str | None = None
    # Canonical URLs of published Questionnaires for the same instrument, with their own
    # linkIds mapped to ours, so a response written against them is accepted.
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return questionnaire_url(self.id)


def questionnaire_url(instrument_id: str) -> str:
    return f"{CANONICAL}/Questionnaire/{instrument_id}"


def answer_system(instrument_id: str) -> str:
    return f"{CANONICAL}/CodeSystem/{instrument_id}-answers"


def answer_code(option: AnswerOption) -> str:
    if option.value is None:
        return re.sub(r"[^a-z0-9]+", "-", option.text.lower()).strip("-")
    value = option.value
    return str(int(value)) if float(value).is_integer() else str(value)


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    items = []
    for item in instrument.items:
        entry: dict[str, Any] = {"linkId": item.link_id, "text": item.text, "type": "choice",
                                 "required": item.required}
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        if item.numeric is not None:
            entry["type"] = "integer"
            entry["extension"] = [{"url": MIN_VALUE, "valueInteger": item.numeric[0]},
                                  {"url": MAX_VALUE, "valueInteger": item.numeric[1]}]
            items.append(entry)
            continue
        options = []
        for option in item.options:
            answer: dict[str, Any] = {"valueCoding": option.coding(instrument.id)}
            if option.value is not None:
                answer["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": option.value}]
            options.append(answer)
        entry["answerOption"] = options
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument.id,
        "url": instrument.url,
        "version": instrument.version,
        "name": re.sub(r"[^A-Za-z0-9]", "", instrument.id.upper()) or "Instrument",
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }
    if instrument.panel_loinc:
        resource["code"] = [{"system": LOINC, "code": instrument.panel_loinc,
                             "display": instrument.panel_display or instrument.name}]
    if instrument.copyright:
        resource["copyright"] = instrument.copyright
    return resource


# ---------------------------------------------------------------------------------------------
# QuestionnaireResponse in and out


def _loinc_from_link_id(link_id: str) -> str | None:
    match = re.fullmatch(r"/?(\d{1,7}-\d)", link_id)
    return match.group(1) if match else None


# Items within items (`item.item`, `answer.item`): the published instruments nest none; a
# response with groups nests a few. Deeper is refused before it costs a recursion per level.
MAX_ITEM_DEPTH = 10


def _json_kind(value: object) -> str:
    for kind, name in ((bool, "true/false"), (str, "text"), (int, "a number"),
                       (float, "a number"), (list, "a list"), (Mapping, "an object")):
        if isinstance(value, kind):
            return name
    return "null"


def _objects(value: object, path: str) -> list[Mapping[str, Any]]:
    """`value` as a list of objects (absent or null: none), or FhirError 400 naming `path`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FhirError(400, f"{path}: must be a list of objects, not {_json_kind(value)}",
                        code="structure", expression=path)
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise FhirError(400, f"{path}[{index}]: must be an object, not {_json_kind(entry)}",
                            code="structure", expression=f"{path}[{index}]")
    return value


def _flatten(items: object, path: str = "item",
             depth: int = 1) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """(path, item) for every item, nested ones too, in document order."""
    entries = _objects(items, path)
    if entries and depth > MAX_ITEM_DEPTH:
        raise FhirError(400, f"{path}: items nested more than {MAX_ITEM_DEPTH} levels deep "
                        "(item.item and answer.item)", code="structure", expression=path)
    for index, item in enumerate(entries):
        where = f"{path}[{index}]"
        yield where, item
        yield from _flatten(item.get("item"), f"{where}.item", depth + 1)
        for number, answer in enumerate(_objects(item.get("answer"), f"{where}.answer")):
            yield from _flatten(answer.get("item"), f"{where}.answer[{number}].item", depth + 1)


def resolve_instrument(canonical: str, instruments: Iterable[Instrument]) -> Instrument:
    """The instrument a QuestionnaireResponse.questionnaire points at (ours or an alias)."""
    url = canonical.split("|", 1)[0].rstrip("/")
    for instrument in instruments:
        if url in (instrument.url, f"Questionnaire/{instrument.id}") or url in instrument.aliases:
            return instrument
    raise FhirError(422, f"unknown Questionnaire {canonical!r}: use the url of one of "
                    "GET /fhir/Questionnaire", code="not-found", expression="questionnaire")


def answers_from_response(resource: Mapping[str, Any], instrument: Instrument) -> dict[str, Any]:
    """{our linkId: the chosen AnswerOption} from a QuestionnaireResponse, or FhirError.

    An item is matched by our linkId, by its LOINC code written as a linkId ("/44250-9", the
    LHC-Forms and US Core convention), or through the alias table of a published Questionnaire.
    Items the instrument does not score (a total the client computed, a comment) are ignored:
    Mitra scores the answers itself.
    """
    url = str(resource.get("questionnaire", "")).split("|", 1)[0].rstrip("/")
    alias_links = instrument.aliases.get(url, {})
    by_link = {item.link_id: item for item in instrument.items}
    by_loinc = {item.loinc: item for item in instrument.items if item.loinc}
    chosen: dict[str, AnswerOption] = {}
    # Every item's shape is checked first, so a malformed one is refused wherever it is.
    for where, given in list(_flatten(resource.get("item"))):
        link_id = str(given.get("linkId", ""))
        item = by_link.get(link_id)
        if item is None and link_id in alias_links:
            item = by_link.get(alias_links[link_id])
        if item is None:
            loinc = _loinc_from_link_id(link_id)
            item = by_loinc.get(loinc) if loinc else None
        if item is None or not given.get("answer"):
            continue
        answers = given["answer"]
        if len(answers) != 1:
            raise FhirError(422, f"item {link_id!r}: give exactly one answer",
                            expression=f"{where}.answer")
        chosen[item.link_id] = _match_answer(answers[0], item, instrument, link_id, where)
    missing = [i.link_id for i in instrument.items if i.required and i.link_id not in chosen]
    if missing:
        raise FhirError(422, f"required items without an answer: {', '.join(missing)}",
                        code="required", expression="item")
    return chosen


def _match_answer(answer: Mapping[str, Any], item: Item, instrument: Instrument, link_id: str,
                  where: str) -> AnswerOption:
    if item.numeric is not None:
        low, high = item.numeric
        value = answer.get("valueInteger")
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return AnswerOption(value=value, text=str(value))
        raise FhirError(422, f"item {link_id!r}: answer must be a valueInteger from {low} to "
                        f"{high}", expression=f"{where}.answer[0]")
    allowed = ", ".join(
        f"{o.coding(instrument.id)['code']} ({o.text})" for o in item.options
    )
    coding = answer.get("valueCoding")
    if isinstance(coding, Mapping):
        code = coding.get("code")
        system = coding.get("system")
        for option in item.options:
            wanted = option.coding(instrument.id)
            if code == wanted["code"] and system in (None, wanted["system"]):
                return option
    elif "valueInteger" in answer or "valueDecimal" in answer:
        value = answer.get("valueInteger", answer.get("valueDecimal"))
        for option in item.options:
            if option.value is not None and option.value == value:
                return option
    raise FhirError(422, f"item {link_id!r}: answer must be one of {allowed}",
                    expression=f"{where}.answer[0]")


def questionnaire_response(*, id_: str, instrument: Instrument, patient_id: str, authored: str,
                           answers: Mapping[str, AnswerOption],
                           security: Security = ()) -> dict[str, Any]:
    items = []
    for item in instrument.items:
        option = answers.get(item.link_id)
        if option is None:
            continue
        value: dict[str, Any] = ({"valueInteger": int(option.value or 0)}
                                 if item.numeric is not None
                                 else {"valueCoding": option.coding(instrument.id)})
        items.append({"linkId": item.link_id, "text": item.text, "answer": [value]})
    return _with_security({
        "resourceType": "QuestionnaireResponse",
        "id": id_,
        "questionnaire": instrument.url,
        "status": "completed",
        "subject": reference("Patient", patient_id),
        "authored": authored,
        "item": items,
    }, security)


def with_crisis_resources(resource: dict[str, Any], crisis: Mapping[str, Any]) -> dict[str, Any]:
    """The QuestionnaireResponse `resource` carrying the crisis resources `crisis` (the shape
    of `safety.pathway.crisis_answer`): each line and directory a contained Organization whose
    `telecom` holds its numbers (`phone`, `sms`) and web address (`url`), and one complex
    extension (`CRISIS_EXTENSION`) naming them in order, with the crisis page's URL, the
    locale, the heading, whether the care team was told, and whether the numbers are yet
    unverified. Documented in mitra/api/README.md."""
    contained: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = [
        {"url": "page", "valueUrl": crisis["page"]},
        {"url": "locale", "valueCode": crisis["locale"]},
        {"url": "heading", "valueString": crisis["heading"]},
        {"url": "careTeamAlerted", "valueBoolean": bool(crisis["care_team_alerted"])},
        {"url": "unverified", "valueBoolean": bool(crisis["unverified"])},
    ]
    if crisis.get("as_of"):
        parts.append({"url": "asOf", "valueDate": str(crisis["as_of"])})
    for n, line in enumerate(crisis["lines"], start=1):
        telecom = [{"system": "phone", "value": line["call"]}]
        if line.get("text"):
            telecom.append({"system": "sms", "value": line["text"]})
        if line.get("url"):
            telecom.append({"system": "url", "value": line["url"]})
        id_ = f"crisis-line-{n}"
        contained.append({"resourceType": "Organization", "id": id_, "name": line["name"],
                          "telecom": telecom})
        hours = f" ({line['hours']})" if line.get("hours") else ""
        parts.append({"url": "line", "valueReference": {
            "reference": f"#{id_}", "display": f"{line['name']}: {line['contact']}{hours}"}})
    for n, entry in enumerate(crisis["international"]["resources"], start=1):
        id_ = f"crisis-directory-{n}"
        contained.append({"resourceType": "Organization", "id": id_, "name": entry["name"],
                          "telecom": [{"system": "url", "value": entry["url"]}]})
        parts.append({"url": "directory",
                      "valueReference": {"reference": f"#{id_}", "display": entry["name"]}})
    return {**resource, "contained": [*resource.get("contained", []), *contained],
            "extension": [*resource.get("extension", []),
                          {"url": CRISIS_EXTENSION, "extension": parts}]}


# ---------------------------------------------------------------------------------------------
# Observations


def _survey_category() -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey",
                         "display": "Survey"}]}]


def score_observation(*, id_: str, instrument: Instrument, patient_id: str, effective: str,
                      total: float, severity: str | None = None,
                      response_id: str | None = None, security: Security = ()) -> dict[str, Any]:
    """The total score of one administration, coded with its LOINC total where there is one."""
    if instrument.total_loinc:
        coding = {"system": LOINC, "code": instrument.total_loinc,
                  "display": instrument.total_display or f"{instrument.name} total score"}
    else:
        coding = {"system": TOTAL_SYSTEM, "code": instrument.id,
                  "display": f"{instrument.name} total score"}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": id_,
        "status": "final",
        "category": _survey_category(),
        "code": {"coding": [coding], "text": f"{instrument.name} total score"},
        "subject": reference("Patient", patient_id),
        "effectiveDateTime": effective,
        "valueQuantity": {"value": total, "unit": "{score}", "system": UCUM, "code": "{score}"},
    }
    if severity:
        resource["interpretation"] = [{"text": severity}]
    if response_id:
        resource["derivedFrom"] = [reference("QuestionnaireResponse", response_id)]
    return _with_security(resource, security)


@dataclass(frozen=True)
class DiaryFigure:
    """One code of Mitra's diary code system (documented in mitra/api/README.md)."""

    code: str
    display: str
    unit: str
    ucum: str


def diary_observation(*, id_: str, patient_id: str, day: str, figure: DiaryFigure,
                      value: float, security: Security = ()) -> dict[str, Any]:
    return _with_security({
        "resourceType": "Observation",
        "id": id_,
        "status": "final",
        "category": _survey_category(),
        "code": {"coding": [{"system": DIARY_SYSTEM, "code": figure.code,
                             "display": figure.display}], "text": figure.display},
        "subject": reference("Patient", patient_id),
        "effectiveDateTime": day,
        "valueQuantity": {"value": value, "unit": figure.unit, "system": UCUM,
                          "code": figure.ucum},
    }, security)


# ---------------------------------------------------------------------------------------------
# MedicationStatement and Bundle


def medication_statement(*, id_: str, patient_id: str, name: str, status: str,
                         asserted: str | None = None, dosage_text: str | None = None,
                         rxnorm: str | None = None, start: str | None = None,
                         end: str | None = None, security: Security = ()) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": name}
    if rxnorm:
        concept["coding"] = [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                              "code": rxnorm, "display": name}]
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": id_,
        "status": status,
        "medicationCodeableConcept": concept,
        "subject": reference("Patient", patient_id),
    }
    if start or end:
        resource["effectivePeriod"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    if asserted:
        resource["dateAsserted"] = asserted
    if dosage_text:
        resource["dosage"] = [{"text": dosage_text}]
    return _with_security(resource, security)


# ---------------------------------------------------------------------------------------------
# Consent (read-only): a consent to disclose under 42 CFR Part 2 (`mitra.consent.models.Consent`)

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PART2_URI = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"
# With Part 2 handling off the consent is a HIPAA authorisation (45 CFR 164.508).
HIPAA_AUTHORISATION_URI = ("https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/"
                           "part-164/subpart-E/section-164.508")
# A consent ending at an event ("the end of my treatment") instead of a date: the event in
# words. Documented in mitra/api/README.md.
EXPIRY_EVENT_EXTENSION = f"{CANONICAL}/StructureDefinition/consent-expiry-event"

# Mitra's purposes (`consent.models.Purpose`) as v3-ActReason codes; "tpo" is all three.
CONSENT_PURPOSES: dict[str, tuple[tuple[str, str], ...]] = {
    "tpo": (("TREAT", "treatment"), ("HPAYMT", "healthcare payment"),
            ("HOPERAT", "healthcare operations")),
    "treatment": (("TREAT", "treatment"),),
    "payment": (("HPAYMT", "healthcare payment"),),
    "operations": (("HOPERAT", "healthcare operations"),),
    "patient_request": (("PATRQT", "patient requested"),),
    "research": (("HRESCH", "healthcare research"),),
}


@dataclass(frozen=True)
class ConsentRecord:
    """What the FHIR layer needs of a consent (plain values, gathered by the router)."""

    id: str
    patient_id: str
    active: bool
    signed_at: str  # dateTime
    signed_name: str
    recipient: str  # in words ("Riverside Pharmacy", "Anyone receiving it for ...")
    purpose: str  # a key of CONSENT_PURPOSES
    # The record kinds it covers, as their DS4P sensitivity codings (ETH, PSY).
    covers: tuple[Mapping[str, str], ...]
    part2: bool
    ends_on: str | None = None  # date or dateTime: the expiry date, or the revocation
    expiry_event: str = ""
    scan_title: str = ""
    scan_type: str = ""
    organisations: tuple[str, ...] = ()  # the care teams holding the record


def consent(record: ConsentRecord) -> dict[str, Any]:
    """A FHIR R4 Consent (scope patient-privacy, category LOINC 59284-0 "Consent Document").

    The paper form's scan is named by its title only (`sourceAttachment`), never its bytes.
    """
    if record.purpose not in CONSENT_PURPOSES:
        raise ValueError(f"purpose: one of {', '.join(CONSENT_PURPOSES)}, "
                         f"not {record.purpose!r}")
    period: dict[str, Any] = {"start": record.signed_at}
    if record.ends_on:
        period["end"] = record.ends_on
    provision: dict[str, Any] = {
        "type": "permit",
        "period": period,
        "actor": [{
            "role": {"coding": [{"system": PARTICIPATION_TYPE, "code": "IRCP",
                                 "display": "information recipient"}]},
            "reference": {"display": record.recipient},
        }],
        "purpose": [{"system": ACT_REASON, "code": code, "display": display}
                    for code, display in CONSENT_PURPOSES[record.purpose]],
        "securityLabel": [dict(label) for label in record.covers],
    }
    if record.expiry_event:
        provision["extension"] = [{"url": EXPIRY_EVENT_EXTENSION,
                                   "valueString": record.expiry_event}]
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": record.id,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{record.id}"}],
        "status": "active" if record.active else "inactive",
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy",
                              "display": "Privacy Consent"}]},
        "category": [{"coding": [{"system": LOINC, "code": "59284-0",
                                  "display": "Consent Document"}]}],
        "patient": reference("Patient", record.patient_id),
        "dateTime": record.signed_at,
        "performer": [{**reference("Patient", record.patient_id),
                       "display": record.signed_name}],
    }
    if record.organisations:
        resource["organization"] = [{"display": name} for name in record.organisations]
    if record.scan_title:
        attachment = {"title": record.scan_title}
        if record.scan_type:
            attachment["contentType"] = record.scan_type
        resource["sourceAttachment"] = attachment
    resource["policy"] = [{"uri": PART2_URI if record.part2 else HIPAA_AUTHORISATION_URI}]
    resource["provision"] = provision
    return resource


def bundle(*, kind: str, base_url: str, resources: Iterable[Mapping[str, Any]],
           total: int | None = None, links: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A searchset or collection Bundle; each entry's fullUrl is absolute."""
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {
            "fullUrl": f"{base_url.rstrip('/')}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
        }
        if kind == "searchset":
            entry["search"] = {"mode": "match"}
        entries.append(entry)
    out: dict[str, Any] = {"resourceType": "Bundle", "type": kind}
    if total is not None:
        out["total"] = total
    if links:
        out["link"] = [{"relation": rel, "url": url} for rel, url in links.items()]
    out["entry"] = entries
    return out


# Mitra's diary code system (DIARY_SYSTEM): one code per daily figure. Documented in
# mitra/api/README.md; the ratings are the diary's own 0-10 self-ratings, not instruments.
DIARY_FIGURES: dict[str, DiaryFigure] = {
    f.code: f for f in (
        DiaryFigure("mood", "Mood, self-rated 0-10 (10 best)", "{rating}", "{rating}"),
        DiaryFigure("anxiety", "Anxiety, self-rated 0-10", "{rating}", "{rating}"),
        DiaryFigure("craving", "Craving, self-rated 0-10", "{rating}", "{rating}"),
        DiaryFigure("sleep-quality", "Sleep quality, self-rated 0-10", "{rating}", "{rating}"),
        DiaryFigure("withdrawal", "Withdrawal, self-rated 0-10", "{rating}", "{rating}"),
        DiaryFigure("kratom-grams", "Kratom plant material used that day, grams", "g", "g"),
    )
}


def parse_token(raw: str) -> tuple[str | None, str]:
    """A FHIR token search value: "system|code" or "code" → (system or None, code)."""
    if "|" in raw:
        system, code = raw.split("|", 1)
        return system or None, code
    return None, raw


def parse_patient_reference(raw: str) -> str:
    """"Patient/<id>", a full URL ending so, or a bare id → the id."""
    return raw.rstrip("/").rsplit("/", 1)[-1] if "/" in raw else raw
