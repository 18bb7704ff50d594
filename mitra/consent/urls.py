from django.urls import path

from mitra.consent import views

app_name = "consent"

urlpatterns = [
    # The patient's own.
    path("", views.mine, name="mine"),
    path("give/", views.give, name="give"),
    path("<uuid:consent_uuid>/revoke/", views.revoke, name="revoke"),
    # The care team's, about one patient.
    path("patients/<uuid:patient_uuid>/", views.patient_consents, name="patient"),
    path("patients/<uuid:patient_uuid>/paper/", views.record_paper, name="record_paper"),
    path("patients/<uuid:patient_uuid>/<uuid:consent_uuid>/end/", views.end, name="end"),
    path("patients/<uuid:patient_uuid>/<uuid:consent_uuid>/scan/", views.scan, name="scan"),
]
