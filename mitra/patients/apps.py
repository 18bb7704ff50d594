from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "mitra.patients"
    label = "patients"
    verbose_name = "Patients"
