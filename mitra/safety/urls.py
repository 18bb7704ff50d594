from django.urls import path

from mitra.safety import views

app_name = "safety"

urlpatterns = [
    path("crisis/", views.crisis, name="crisis"),
]
