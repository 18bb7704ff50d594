from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "mitra.records"
    verbose_name = "The patient's rights over their record"
