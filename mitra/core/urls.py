from django.urls import path

from mitra.core import views
from mitra.reports.disclosure_views import shared
from mitra.reports.views import caseload

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("caseload/", caseload, name="caseload"),
    path("patients/<uuid:patient_uuid>/", views.patient_overview, name="patient"),
    path("me/", views.patient_home, name="me"),
    path("research/", views.research, name="research"),
    path("shared/", shared, name="shared"),
]
