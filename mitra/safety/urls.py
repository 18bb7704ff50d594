from django.urls import path

from mitra.safety import views

app_name = "safety"

urlpatterns = [
    path("crisis/", views.crisis, name="crisis"),
    # the alert inbox (clinicians)
    path("alerts/", views.inbox, name="inbox"),
    path("alerts/<uuid:alert_uuid>/acknowledge", views.alert_ack, name="alert_ack"),
    path("alerts/<uuid:alert_uuid>/resolve", views.alert_resolve, name="alert_resolve"),
    path("patients/<uuid:patient_uuid>/alerts/", views.patient_alerts, name="patient_alerts"),
    # intake and screening
    path("patients/<uuid:patient_uuid>/intake/", views.intake, name="intake"),
    path("patients/<uuid:patient_uuid>/intake/save", views.intake_save, name="intake_save"),
    path("patients/<uuid:patient_uuid>/medications/add", views.medication_add,
         name="medication_add"),
    path("patients/<uuid:patient_uuid>/medications/<uuid:medication_uuid>/stop",
         views.medication_stop, name="medication_stop"),
    path("me/screening/", views.my_screening, name="my_screening"),
    # legal status
    path("me/legal/", views.my_legal, name="my_legal"),
    path("patients/<uuid:patient_uuid>/legal/", views.patient_legal, name="patient_legal"),
    path("legal/", views.legal_index, name="legal_index"),
    path("legal/<str:code>/", views.legal_detail, name="legal_detail"),
    # safety plan
    path("me/plan/", views.my_plan, name="my_plan"),
    path("me/plan/save", views.my_plan_save, name="my_plan_save"),
    path("me/plan/history/", views.my_plan_history, name="my_plan_history"),
    path("patients/<uuid:patient_uuid>/plan/", views.patient_plan, name="patient_plan"),
    path("patients/<uuid:patient_uuid>/plan/save", views.patient_plan_save,
         name="patient_plan_save"),
    path("patients/<uuid:patient_uuid>/plan/history/", views.patient_plan_history,
         name="patient_plan_history"),
]
