from django.urls import path

from mitra.enrolment import views

app_name = "enrolment"

urlpatterns = [
    # The care team's pages.
    path("enrolment/patients/add/", views.add, name="add"),
    path("enrolment/patients/<uuid:patient_uuid>/invitation/", views.invitation,
         name="invitation"),
    path("enrolment/patients/<uuid:patient_uuid>/invitation/show/", views.show, name="show"),
    path("enrolment/patients/<uuid:patient_uuid>/invitation/resend/", views.resend,
         name="resend"),
    path("enrolment/patients/<uuid:patient_uuid>/invitation/revoke/", views.revoke,
         name="revoke"),
    path("enrolment/staff/", views.staff, name="staff"),
    # The patient's: a short code, then the sign-up that an invitation link leads to as well.
    path("join/", views.join, name="join"),
    path("join/welcome/", views.signup, name="signup"),
    path("join/consent/", views.consent, name="consent"),
    path("join/reminders/", views.preferences, name="preferences"),
]
