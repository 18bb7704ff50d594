from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "mitra.reports"
    label = "reports"
    verbose_name = "Reports and dashboards"

    def ready(self) -> None:
        from mitra.lib.navigation import register

        register("How I have been", "reports:my_trends", "patient")
        register("Clinic", "reports:clinic", "clinician", "admin")
        register("Download my data", "reports:my_export", "patient", menu="account")
