from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class MeasuresConfig(AppConfig):
    name = "mitra.measures"
    label = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        from django.utils import timezone

        from mitra.lib import jobs
        from mitra.lib.navigation import register
        from mitra.measures.actions import raise_overdue_alerts
        from mitra.measures.library import LibraryError, library
        from mitra.measures.pathways import PathwayError, pathways_file

        # A malformed instrument file must stop start-up: a wrong band or answer value would
        # mis-score every questionnaire silently.
        try:
            library()
        except LibraryError as exc:
            raise ImproperlyConfigured(f"measures instrument library: {exc}") from None
        # So must a care pathway that names an unknown instrument or a schedule that never
        # fires: it would fail only when a clinician applies it.
        try:
            pathways_file()
        except PathwayError as exc:
            raise ImproperlyConfigured(f"measures care pathways: {exc}") from None
        register("Questionnaires", "measures:due", "patient")
        register("Overdue questionnaires", "measures:overdue", "clinician")
        jobs.register("overdue_measure",
                      lambda now: len(raise_overdue_alerts(timezone.localdate(now), now=now)),
                      "raise an alert for each questionnaire overdue by its schedule")
