from django.urls import path

from mitra.cbt import clinician, views

app_name = "cbt"

urlpatterns = [
    path("", views.home, name="home"),
    path("thoughts/", views.thought_list, name="thoughts"),
    path("thoughts/new/", views.thought_new, name="thought_new"),
    path("thoughts/create", views.thought_create, name="thought_create"),
    path("thoughts/<uuid:uuid>/", views.thought_detail, name="thought"),
    path("thinking-traps/", views.distortion_list, name="distortions"),
    path("activation/", views.activation, name="activation"),
    path("activation/values/create", views.value_create, name="value_create"),
    path("activation/activities/create", views.activity_create, name="activity_create"),
    path("activation/slots/create", views.slot_create, name="slot_create"),
    path("activation/slots/<uuid:uuid>/", views.slot_detail, name="slot"),
    path("activation/slots/<uuid:uuid>/complete", views.slot_complete, name="slot_complete"),
    path("exposure/", views.exposure, name="exposure"),
    path("exposure/create", views.exposure_item_create, name="exposure_item_create"),
    path("exposure/<uuid:uuid>/", views.exposure_item, name="exposure_item"),
    path("exposure/<uuid:uuid>/log", views.exposure_log_create, name="exposure_log_create"),
    path("plan/", views.relapse_plan, name="relapse_plan"),
    path("plan/save", views.relapse_plan_save, name="relapse_plan_save"),
    path("homework/", views.homework_list, name="homework"),
    path("homework/<uuid:uuid>/complete", views.homework_complete, name="homework_complete"),
    path("learn/", views.module_list, name="modules"),
    path("learn/<slug:slug>/", views.module_detail, name="module"),
    # The care team's pages about one patient.
    path("patients/<uuid:patient_uuid>/", clinician.patient_cbt, name="patient"),
    path("patients/<uuid:patient_uuid>/homework", clinician.homework_assign,
         name="homework_assign"),
]
