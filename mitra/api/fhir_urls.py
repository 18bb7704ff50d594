from mitra.api.endpoints import fhir_api
from mitra.api.routing import api_patterns, unknown_path_pattern

app_name = "fhir"

urlpatterns = [
    *api_patterns(fhir_api, root_redirect="fhir:metadata"),
    unknown_path_pattern(fhir_api),  # last: every other path under /fhir/
]
