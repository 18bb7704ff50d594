from django.urls import path

from mitra.reminders import views

app_name = "reminders"

urlpatterns = [
    # The links in a reminder: short, signed, no sign-in needed to follow them.
    path("r/<uuid:prompt_uuid>/<str:token>/", views.open_prompt, name="open"),
    path("r/unsubscribe/<uuid:patient_uuid>/<slug:channel>/<str:token>/", views.unsubscribe,
         name="unsubscribe"),
    # The patient's own
    path("reminders/", views.preferences, name="preferences"),
    path("reminders/history/", views.history, name="history"),
]
