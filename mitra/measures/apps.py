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

        # A malformed instrument file must stop start-up: a wrong band or answer value would
        # mis-score every questionnaire silently.
        try:
            library()
        except LibraryError as exc:
            raise ImproperlyConfigured(f"measures instrument library: {exc}") from None
        register("Questionnaires", "measures:due", "patient")
        register("Overdue questionnaires", "measures:overdue", "clinician")
        jobs.register("overdue_measure",
                      lambda now: len(raise_overdue_alerts(timezone.localdate(now))),
                      "raise an alert for each questionnaire overdue by its schedule")
