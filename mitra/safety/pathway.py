"""The crisis pathway for one patient: did a submission raise an urgent suicide-risk alert,
which crisis lines does the patient see (their locale), and was the care team told.

Read by the web form (redirect to the crisis page), the crisis page itself, and the REST and
FHIR answers to a questionnaire response, so all of them decide the same way: by the alert's
kind and priority, never by the wording of a message.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from mitra.lib import conf
from mitra.patients.models import Intake, Patient
from mitra.safety.crisis import DEFAULT_LOCALE, crisis_resources, locale_for_country, locales
from mitra.safety.models import Alert

# How long after an urgent suicide-risk alert the crisis page still tells the patient that
# their care team was alerted (the PHQ-9 submission redirects there at once).
CRISIS_ALERT_WINDOW = timedelta(minutes=15)


def patient_locale(patient: Patient | None, wanted: str = "") -> str:
    """The crisis locale to show: `wanted` when it is one we have, else the country of the
    patient's intake jurisdiction, else the MITRA_CRISIS_LOCALE setting (else en-US)."""
    if wanted in locales():
        return wanted
    fallback = conf.crisis_locale()
    intake = Intake.objects.filter(patient=patient).first() if patient else None
    if intake and intake.jurisdiction:
        return locale_for_country(intake.jurisdiction.split("-")[0], fallback)
    return fallback if fallback in locales() else DEFAULT_LOCALE


def raised_suicide_risk(patient_id: int, source_uuid: UUID) -> bool:
    """Did the submission `source_uuid` raise an urgent suicide-risk alert (PHQ-9 item 9
    above 0)? Decided by the alert's kind and priority, never by the wording of its reason (a
    reworded data file must not hide the crisis resources). True for a repeat of the same
    submission too."""
    return Alert.objects.filter(source_uuid=source_uuid, patient_id=patient_id,
                                kind=Alert.Kind.SUICIDE_RISK,
                                priority=Alert.Priority.URGENT).exists()


def care_team_alerted(patient: Patient | None) -> bool:
    """True when an urgent suicide-risk alert for this patient was raised just now and is
    still unresolved: the only case in which the patient may be told the care team knows.

    Read from the database, not from the URL: a link or a bookmark cannot claim an alert
    that was never raised.
    """
    if patient is None:
        return False
    return Alert.objects.filter(
        patient=patient, kind=Alert.Kind.SUICIDE_RISK, priority=Alert.Priority.URGENT,
        created_at__gte=timezone.now() - CRISIS_ALERT_WINDOW,
    ).exclude(status=Alert.Status.RESOLVED).exists()


def crisis_answer(patient: Patient, *, page_url: str) -> dict[str, Any]:
    """The crisis resources of the patient's locale as the API gives them: each line with its
    numbers and the `tel:`/`sms:` URIs a phone dials, and `page`, the crisis page's address
    (`page_url`, absolute, for this locale)."""
    locale = patient_locale(patient)
    data = crisis_resources(locale)
    return {
        "locale": locale,
        "country": data["country"],
        "name": data["name"],
        "heading": data["heading"],
        "care_team_alerted": care_team_alerted(patient),
        "unverified": bool(data.get("unverified")),
        "as_of": data.get("as_of"),
        "page": f"{page_url}?locale={locale}",
        "lines": [{
            "name": r["name"], "contact": r["contact"],
            "call": r["call"], "call_uri": f"tel:{r['call']}",
            "text": r.get("text"), "text_uri": f"sms:{r['text']}" if r.get("text") else None,
            "url": r.get("url") or None, "hours": r.get("hours") or None,
        } for r in data["resources"]],
        "international": {
            "note": data["international"].get("note", ""),
            "resources": [{"name": r["name"], "url": r["url"]}
                          for r in data["international"]["resources"]],
        },
    }


def crisis_if_raised(request: HttpRequest, patient: Patient,
                     source_uuid: UUID) -> dict[str, Any] | None:
    """`crisis_answer` when the submission `source_uuid` raised an urgent suicide-risk alert
    (`raised_suicide_risk`), else None: what the REST and FHIR answers to a questionnaire
    response carry, decided as the web form decides to open the crisis page."""
    if not raised_suicide_risk(patient.pk, source_uuid):
        return None
    return crisis_answer(patient, page_url=request.build_absolute_uri(reverse("safety:crisis")))
