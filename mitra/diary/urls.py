from django.urls import path

from mitra.diary import views

app_name = "diary"

urlpatterns = [
    path("", views.entry_form, name="entry"),
    path("submit/", views.submit, name="submit"),
    path("api/entries/", views.api_submit, name="api_submit"),
    path("recent/", views.recent, name="recent"),
    path("patients/<uuid:patient_uuid>/", views.patient_diary, name="patient_diary"),
    path("patients/<uuid:patient_uuid>/nof1/", views.patient_nof1, name="patient_nof1"),
    path("patients/<uuid:patient_uuid>/days/<str:day>/", views.entry_history,
         name="entry_history"),
    path("patients/<uuid:patient_uuid>/taper/new/", views.taper_new, name="taper_new"),
    path("patients/<uuid:patient_uuid>/taper/", views.taper_create, name="taper_create"),
    path("patients/<uuid:patient_uuid>/taper/<uuid:plan_uuid>/pause/", views.taper_pause,
         name="taper_pause"),
    path("patients/<uuid:patient_uuid>/taper/<uuid:plan_uuid>/pauses/<uuid:pause_uuid>/end/",
         views.taper_pause_end, name="taper_pause_end"),
    path("patients/<uuid:patient_uuid>/taper/<uuid:plan_uuid>/pauses/<uuid:pause_uuid>/cancel/",
         views.taper_pause_cancel, name="taper_pause_cancel"),
]
