from django.urls import path

from mitra.reports import views

app_name = "reports"

urlpatterns = [
    path("clinic/", views.clinic, name="clinic"),
    path("patients/<uuid:patient_uuid>/timeline/", views.timeline, name="timeline"),
    path("patients/<uuid:patient_uuid>/report.pdf", views.report, name="report"),
    path("me/", views.my_trends, name="my_trends"),
    path("me/report.pdf", views.my_report, name="my_report"),
]
