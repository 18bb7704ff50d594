from django.urls import path

from mitra.reports import disclosure_views, views

app_name = "reports"

urlpatterns = [
    path("clinic/", views.clinic, name="clinic"),
    path("patients/<uuid:patient_uuid>/timeline/", views.timeline, name="timeline"),
    path("patients/<uuid:patient_uuid>/report.pdf", views.report, name="report"),
    path("patients/<uuid:patient_uuid>/export/", views.patient_export, name="patient_export"),
    # For someone outside the care team: through the disclosure gate (consent, notice, account).
    path("patients/<uuid:patient_uuid>/report/for-whom/", disclosure_views.report_for_whom,
         name="report_for_whom"),
    path("patients/<uuid:patient_uuid>/report/disclose/", disclosure_views.report_disclose,
         name="report_disclose"),
    path("patients/<uuid:patient_uuid>/export/disclose/", disclosure_views.export_disclose,
         name="export_disclose"),
    path("shared/<uuid:patient_uuid>/report.pdf", disclosure_views.shared_report,
         name="shared_report"),
    path("me/export/", views.my_export, name="my_export"),
    path("me/", views.my_trends, name="my_trends"),
    path("me/report.pdf", views.my_report, name="my_report"),
]
