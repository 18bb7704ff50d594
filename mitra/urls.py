from django.contrib import admin
from django.urls import include, path

# A database outage or a full disk: 503 with Retry-After (in the API's shape under /api/, /fhir/).
handler500 = "mitra.core.handlers.server_error"

urlpatterns = [
    path("", include("mitra.core.urls")),
    path("accounts/invitation/", include("mitra.accounts.urls")),
    path("", include("mitra.enrolment.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("measures/", include("mitra.measures.urls")),
    path("diary/", include("mitra.diary.urls")),
    path("safety/", include("mitra.safety.urls")),
    path("cbt/", include("mitra.cbt.urls")),
    path("evidence/", include("mitra.evidence.urls")),
    path("reports/", include("mitra.reports.urls")),
    path("research/exports/", include("mitra.research.urls")),
    path("consent/", include("mitra.consent.urls")),
    path("records/", include("mitra.records.urls")),
    # Reminders: the links in messages (/r/...) and the patient's settings (/reminders/).
    path("", include("mitra.reminders.urls")),
    path("api/", include("mitra.api.urls")),
    path("fhir/", include("mitra.api.fhir_urls")),
]
