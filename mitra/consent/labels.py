"""DS4P security labels: which records are substance-use, which mental-health, and their codes.

Plain Python, no Django. The FHIR mappers put `security_labels(kind, part2=...)` into
`meta.security` of every resource they build from a classified record; the outside-recipient
filter reads the same classification (`kind_of_*`) to show a recipient only the kinds their
consent covers.

The codes (HL7 Data Segmentation for Privacy, DS4P; HL7 FHIR R4 "Security Labels",
https://hl7.org/fhir/R4/security-labels.html, and the v3 code systems named there):
- confidentiality `R` (restricted) of `v3-Confidentiality` on both kinds;
- policy `42CFRPart2` of `v3-ActCode` on substance-use records, and only while 42 CFR Part 2
  handling is on (`MITRA_PART2`): the policy is what a recipient must honour (no redisclosure,
  §2.32), and a service outside Part 2 makes no such claim;
- sensitivity `ETH` (substance abuse information sensitivity) of `v3-ActCode` on substance-use
  records, `PSY` (psychiatry information sensitivity) on mental-health records.
`/work/shared/reference/fhir/` holds no DS4P material (only Questionnaires), so the codes above
follow the issue text and the HL7 code systems; they are not checked against a local copy.

The classification (record: kind, why):

- diary kratom grams, craving and withdrawal ratings: substance_use; use of a substance and
  its effects (42 CFR 2.11, records of substance use disorder treatment).
- diary mood, anxiety and sleep-quality ratings: mental_health; self-ratings, not of use.
- diary use events (substance, amount): substance_use; use of a substance.
- AUDIT-C, the craving scale, COWS, SOWS: substance_use; alcohol-use screening, craving and
  opioid-withdrawal scales.
- PHQ-9, PHQ-2, GAD-7, GAD-2: mental_health; depression and anxiety instruments.
- CBT records (thought records, exposures, activities, values, homework, relapse plan):
  mental_health; psychotherapy records.
- taper plans and their pauses: substance_use; a plan to reduce use of a substance.
- alerts about use (interaction, escalation, co-use, 7-OH, severe withdrawal, missed diary
  days): substance_use; others (suicide risk, deterioration, overdue questionnaire):
  mental_health.
- medications naming kratom, kava, 7-OH or a medication for an opioid- or alcohol-use
  disorder: substance_use; any other: mental_health (the list is kept by a behavioural-health
  service: the stricter reading where a name says nothing).
- the Patient, Consent and Questionnaire resources: none; who the patient is, what they
  agreed to, the blank forms: no clinical content of either kind.

An unknown instrument or figure is classified substance_use: the stricter label, never none.
"""

from __future__ import annotations

import re
from typing import Any

SUBSTANCE_USE = "substance_use"
MENTAL_HEALTH = "mental_health"
KINDS = (SUBSTANCE_USE, MENTAL_HEALTH)

CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

RESTRICTED = {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}
PART2_POLICY = {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}
ETH = {"system": ACT_CODE, "code": "ETH",
       "display": "substance abuse information sensitivity"}
PSY = {"system": ACT_CODE, "code": "PSY", "display": "psychiatry information sensitivity"}
# The sensitivity code of each kind: what the recipient filter reads back from a resource.
SENSITIVITY = {SUBSTANCE_USE: ETH, MENTAL_HEALTH: PSY}

INSTRUMENTS: dict[str, str] = {
    "auditc": SUBSTANCE_USE,
    "craving": SUBSTANCE_USE,
    "cows": SUBSTANCE_USE,
    "sows": SUBSTANCE_USE,
    "phq9": MENTAL_HEALTH,
    "phq2": MENTAL_HEALTH,
    "gad7": MENTAL_HEALTH,
    "gad2": MENTAL_HEALTH,
}

# The diary's FHIR figures (`mitra.api.fhir.DIARY_FIGURES`).
DIARY_FIGURES: dict[str, str] = {
    "kratom-grams": SUBSTANCE_USE,
    "craving": SUBSTANCE_USE,
    "withdrawal": SUBSTANCE_USE,
    "mood": MENTAL_HEALTH,
    "anxiety": MENTAL_HEALTH,
    "sleep-quality": MENTAL_HEALTH,
}

# Words in a medication's name that make it a substance-use record: the substances the diary
# records, and medications for opioid- and alcohol-use disorders.
_SUBSTANCE_MEDICATION = re.compile(
    r"kratom|mitragyn|7-?oh|hydroxymitragynine|kava|kavalactone|buprenorphine|suboxone|"
    r"subutex|sublocade|methadone|naltrexone|vivitrol|naloxone|narcan|lofexidine|lucemyra|"
    r"acamprosate|disulfiram|antabuse",
    re.IGNORECASE,
)

# Alert kinds (`mitra.safety.models.Alert.Kind` values). Unknown kinds: substance_use.
ALERTS: dict[str, str] = {
    "interaction": SUBSTANCE_USE,
    "escalation": SUBSTANCE_USE,
    "co_use": SUBSTANCE_USE,
    "concentrated_7oh": SUBSTANCE_USE,
    "severe_withdrawal": SUBSTANCE_USE,
    "missed_diary": SUBSTANCE_USE,  # the diary is a diary of use
    "suicide_risk": MENTAL_HEALTH,
    "deterioration": MENTAL_HEALTH,
    "overdue_measure": MENTAL_HEALTH,
}


def kind_of_instrument(instrument_id: str) -> str:
    return INSTRUMENTS.get(instrument_id, SUBSTANCE_USE)


def kind_of_diary_figure(code: str) -> str:
    return DIARY_FIGURES.get(code, SUBSTANCE_USE)


def kind_of_medication(name: str) -> str:
    return SUBSTANCE_USE if _SUBSTANCE_MEDICATION.search(name) else MENTAL_HEALTH


def kind_of_alert(alert_kind: str) -> str:
    return ALERTS.get(alert_kind, SUBSTANCE_USE)


def security_labels(kind: str | None, *, part2: bool) -> list[dict[str, str]]:
    """The `meta.security` codings of a record of `kind` (None: unclassified, no labels)."""
    if kind is None:
        return []
    if kind not in SENSITIVITY:
        raise ValueError(f"kind: one of {', '.join(KINDS)} or None, not {kind!r}")
    labels = [dict(RESTRICTED)]
    if kind == SUBSTANCE_USE and part2:
        labels.append(dict(PART2_POLICY))
    labels.append(dict(SENSITIVITY[kind]))
    return labels


def with_labels(resource: dict[str, Any], kind: str | None, *, part2: bool) -> dict[str, Any]:
    """`resource` with the labels of `kind` in `meta.security` (unchanged for None)."""
    labels = security_labels(kind, part2=part2)
    if not labels:
        return resource
    meta = dict(resource.get("meta") or {})
    meta["security"] = [*meta.get("security", []), *labels]
    return {**resource, "meta": meta}


def kind_of_resource(resource: dict[str, Any]) -> str | None:
    """The kind a labelled resource was classified as, read back from its sensitivity code."""
    codes = {(c.get("system"), c.get("code"))
             for c in (resource.get("meta") or {}).get("security", [])}
    for kind, coding in SENSITIVITY.items():
        if (coding["system"], coding["code"]) in codes:
            return kind
    return None


def visible(resource: dict[str, Any], kinds: frozenset[str] | None) -> bool:
    """May a reader allowed `kinds` (None: no restriction) see `resource`? Unclassified
    resources (the Patient, their consent) go to anyone who reaches the patient."""
    if kinds is None:
        return True
    kind = kind_of_resource(resource)
    return kind is None or kind in kinds
