from django.urls import path

from mitra.research import views

app_name = "research"

urlpatterns = [
    path("", views.exports, name="exports"),
    path("<uuid:export_uuid>/<str:name>", views.download, name="download"),
]
