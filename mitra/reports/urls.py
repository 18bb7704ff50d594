from django.urls import path

from mitra.reports import views

app_name = "reports"

urlpatterns = [
    path("clinic/", views.clinic, name="clinic"),
    path("patients/<uuid:patient_uuid>/timeline/", views.timeline, name="timeline"),
    path("patients/<uuid:patient_uuid>/report.pdf", views.report, name="report"),
    path("patients/<uuid:patient_uuid>/export/", views.patient_export, name="patient_export"),
    path("me/export/", views.my_export, name="my_export"),
    path("me/", views.my_trends, name="my_trends"),
    path("me/report.pdf", views.my_report, name="my_report"),
]
