from django.urls import path

from mitra.records import views

app_name = "records"

urlpatterns = [
    # The patient's own: who has seen my records, my requests.
    path("mine/disclosures/", views.my_accounting, name="my_accounting"),
    path("mine/disclosures.csv", views.my_accounting, {"fmt": "csv"}, name="my_accounting_csv"),
    path("mine/disclosures.pdf", views.my_accounting, {"fmt": "pdf"}, name="my_accounting_pdf"),
    path("mine/requests/", views.my_requests, name="my_requests"),
    path("mine/requests/file/", views.file_request, name="file_request"),
    path("mine/requests/<uuid:request_uuid>/withdraw/", views.withdraw_request,
         name="withdraw_request"),
    # Staff: the queue, one patient's accounting, requests and closing the account.
    path("requests/", views.queue, name="queue"),
    path("patients/<uuid:patient_uuid>/disclosures/", views.patient_accounting,
         name="patient_accounting"),
    path("patients/<uuid:patient_uuid>/disclosures.csv", views.patient_accounting,
         {"fmt": "csv"}, name="patient_accounting_csv"),
    path("patients/<uuid:patient_uuid>/disclosures.pdf", views.patient_accounting,
         {"fmt": "pdf"}, name="patient_accounting_pdf"),
    path("patients/<uuid:patient_uuid>/requests/", views.patient_requests,
         name="patient_requests"),
    path("patients/<uuid:patient_uuid>/close/", views.close_account, name="close_account"),
    path("patients/<uuid:patient_uuid>/requests/<uuid:request_uuid>/", views.request_detail,
         name="request"),
    path("patients/<uuid:patient_uuid>/requests/<uuid:request_uuid>/extend/",
         views.extend_request, name="extend_request"),
    path("patients/<uuid:patient_uuid>/requests/<uuid:request_uuid>/answer/",
         views.answer_request, name="answer_request"),
]
