from django.urls import path

from mitra.evidence import views

app_name = "evidence"

urlpatterns = [
    path("", views.index, name="index"),
    path("claims/<slug:claim_id>/", views.claim_detail, name="claim"),
]
