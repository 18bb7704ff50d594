from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "mitra.enrolment"
    verbose_name = "Enrolment"
