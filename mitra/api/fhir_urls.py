from mitra.api.endpoints import fhir_api
from mitra.api.routing import api_patterns

app_name = "fhir"

urlpatterns = api_patterns(fhir_api, root_redirect="fhir:metadata")
