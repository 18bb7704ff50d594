"""The two django-ninja APIs: the REST API under /api/ and the FHIR R4 interface under /fhir/.

Routers live in `mitra/api/routers/`, one per subject; schemas in `mitra/api/schemas/`.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from mitra.api import errors, fhir
from mitra.api.parsing import CheckedParser
from mitra.api.routers import (
    alerts,
    cbt,
    diary,
    fhir_consent,
    fhir_everything,
    fhir_measures,
    fhir_metadata,
    fhir_patient,
    me,
    measures,
    patients,
)

api = NinjaAPI(
    title="Mitra API",
    version="1",
    description=(
        "Records, measures and screens for supervised care. Authenticate with a personal "
        "access token (Authorization: Bearer mitra_pat_...), created on the API tokens page. "
        "Errors: {status, errors: [{field, location, problem}]}. POSTs are idempotent by the "
        "client-made `uuid`: 201 the first time, 200 for a repeat, 409 for a different payload."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=CheckedParser(),
)
errors.install_rest_handlers(api)
api.add_router("", me.router)
api.add_router("", patients.router)
api.add_router("", alerts.router)
api.add_router("", measures.router)
api.add_router("", diary.router)
api.add_router("", cbt.router)


class FhirRenderer(JSONRenderer):
    media_type = fhir.FHIR_MEDIA_TYPE


fhir_api = NinjaAPI(
    title="Mitra FHIR R4",
    version="4.0.1",
    urls_namespace="fhir",
    renderer=FhirRenderer(),
    docs_url=None,
    openapi_url=None,
    parser=CheckedParser(),
)
errors.install_fhir_handlers(fhir_api)
fhir_api.add_router("", fhir_metadata.router)
fhir_api.add_router("", fhir_patient.router)
fhir_api.add_router("", fhir_measures.router)
fhir_api.add_router("", fhir_everything.router)
fhir_api.add_router("", fhir_consent.router)
