from django.urls import path

from mitra.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("caseload/", views.caseload, name="caseload"),
    path("patients/<uuid:patient_uuid>/", views.patient_overview, name="patient"),
    path("me/", views.patient_home, name="me"),
    path("research/", views.research, name="research"),
]
