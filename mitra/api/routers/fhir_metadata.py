"""The CapabilityStatement: public, as FHIR clients read it before they authenticate."""


from importlib.metadata import PackageNotFoundError, version

from django.utils import timezone
from ninja import Router

from mitra.api import fhir
from mitra.api.fhir_support import FhirResponse, base_url

router = Router(tags=["fhir"])

# What this server does, per resource type: the CapabilityStatement is built from this table.
INTERACTIONS: dict[str, list[str]] = {
    "Patient": ["read", "search-type"],
    "Questionnaire": ["read", "search-type"],
    "QuestionnaireResponse": ["read", "search-type", "create"],
    "Observation": ["read", "search-type"],
    "MedicationStatement": ["read", "search-type"],
    "Consent": ["read", "search-type"],
}


def _version() -> str:
    try:
        return version("mitra")
    except PackageNotFoundError:
        return "unknown"


@router.get("/metadata", auth=None, url_name="metadata")
def metadata(request):
    return FhirResponse(fhir.capability_statement(
        base_url=base_url(request), software_version=_version(),
        date=timezone.now().date().isoformat(), resources=INTERACTIONS,
    ))
