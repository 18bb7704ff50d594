from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "mitra.records"
    verbose_name = "The patient's rights over their record"

    def ready(self) -> None:
        from mitra.lib import navigation, panels
        from mitra.records.views import record_panel

        navigation.register("Requests about records", "records:queue", "clinician", "admin")
        panels.register("core:patient", "records:rights", record_panel)
