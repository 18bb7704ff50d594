"""FHIR Consent, read-only: the patient's consents to disclose (`mitra.consent.models.Consent`).

Reached as every other resource is, through the patient's one access check. An outside
recipient sees only the consent under which they read the patient (`recipient_consent`): the
others name other recipients and purposes, which are not theirs to learn.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable

from django.http import Http404, HttpRequest
from ninja import Router

from mitra.accounts.models import Role
from mitra.api import fhir
from mitra.api.fhir_support import FhirResponse, check_params, searchset
from mitra.api.permissions import FHIR_READ
from mitra.api.routers.fhir_measures import _patient_filter
from mitra.consent import labels
from mitra.consent.access import recipient_consent
from mitra.consent.models import Consent
from mitra.lib import conf
from mitra.patients.access import get_patient_for_user
from mitra.patients.models import Patient

router = Router(tags=["fhir"])

# The kinds of record each scope covers, as the DS4P sensitivity codings of the provision.
_COVERS = {
    "substance_use": (labels.ETH,),
    "mental_health": (labels.PSY,),
    "all": (labels.ETH, labels.PSY),
}


def _ends_on(row: Consent) -> str | None:
    """When the permission ends: its revocation if revoked (it held until then), else its
    last day."""
    if row.revoked_at is not None:
        return row.revoked_at.isoformat()
    return row.expires_on.isoformat() if row.expires_on else None


def consent_resource(row: Consent, *, teams: Iterable[str] = ()) -> dict:
    return fhir.consent(fhir.ConsentRecord(
        id=str(row.uuid), patient_id=str(row.patient.uuid), active=row.is_active(),
        signed_at=row.signed_at.isoformat(), signed_name=row.signed_name,
        recipient=row.recipient_label, purpose=row.purpose, covers=_COVERS[row.scope],
        part2=conf.part2(), ends_on=_ends_on(row), expiry_event=row.expiry_event,
        scan_title=row.scan_name, scan_type=row.scan_type,
        organisations=tuple(teams),
    ))


def _teams(patient: Patient) -> list[str]:
    return sorted(patient.care_teams.values_list("name", flat=True))


def consents_of(request: HttpRequest | None, patient: Patient) -> list[Consent]:
    """The consents of `patient` the caller may see (every one, but for an outside recipient,
    only the one under which they read), newest first. `request` None: the patient's own
    export, every one."""
    rows = list(Consent.objects.filter(patient=patient).select_related("patient")
                .order_by("-signed_at", "-pk"))
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "role", None) == Role.RECIPIENT:
        theirs = recipient_consent(user, patient)
        rows = [r for r in rows if theirs is not None and r.pk == theirs.pk]
    return rows


def consent_resources(request: HttpRequest | None, patient: Patient) -> list[dict]:
    teams = _teams(patient)
    return [consent_resource(r, teams=teams) for r in consents_of(request, patient)]


@router.get("/Consent", auth=FHIR_READ, url_name="consent_search")
def search_consents(request):
    check_params(request, {"patient", "subject"})
    resources: list[dict] = []
    for patient in _patient_filter(request):
        resources.extend(consent_resources(request, patient))
    return searchset(request, resources, lambda r: r, total=len(resources))


@router.get("/Consent/{consent_id}", auth=FHIR_READ, url_name="consent_read")
def read_consent(request, consent_id: str):
    try:
        row = Consent.objects.select_related("patient").get(uuid=uuidlib.UUID(consent_id))
    except (ValueError, Consent.DoesNotExist):
        raise Http404("No such Consent") from None
    # Reachable only if its patient is: the same 404 as for the patient.
    patient = get_patient_for_user(request, row.patient.uuid)
    if row.pk not in {c.pk for c in consents_of(request, patient)}:
        raise Http404("No such Consent")
    return FhirResponse(consent_resource(row, teams=_teams(patient)))
