from django.urls import path

from mitra.measures import views

app_name = "measures"

urlpatterns = [
    # the patient's own
    path("me/", views.due, name="due"),
    path("me/<slug:instrument_id>/", views.fill, name="fill"),
    path("me/answers/<uuid:response_uuid>/", views.saved, name="saved"),
    # the care team's
    path("overdue/", views.overdue_list, name="overdue"),
    path("instruments/", views.library_list, name="instruments"),
    path("instruments/<slug:instrument_id>/", views.instrument_detail, name="instrument"),
    path("patients/<uuid:patient_uuid>/", views.patient_measures, name="patient"),
    path("patients/<uuid:patient_uuid>/schedules/", views.assign, name="assign"),
    path("patients/<uuid:patient_uuid>/pathways/", views.apply_pathway, name="apply_pathway"),
    path("patients/<uuid:patient_uuid>/schedules/<uuid:schedule_uuid>/stop/", views.stop,
         name="stop"),
    path("patients/<uuid:patient_uuid>/rate/<slug:instrument_id>/", views.rate, name="rate"),
]
