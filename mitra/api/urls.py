from django.urls import path

from mitra.api import views
from mitra.api.endpoints import api
from mitra.api.routing import api_patterns, unknown_path_pattern

app_name = "api"

urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<uuid:token_uuid>/revoke/", views.revoke_token, name="revoke_token"),
    *api_patterns(api, root_redirect="api:openapi-view"),
    unknown_path_pattern(api),  # last: every other path under /api/
]
