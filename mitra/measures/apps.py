from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class MeasuresConfig(AppConfig):
    name = "mitra.measures"
    label = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        from mitra.core.navigation import register
        from mitra.measures.library import LibraryError, library

        # A malformed instrument file must stop start-up: a wrong band or answer value would
        # mis-score every questionnaire silently.
        try:
            library()
        except LibraryError as exc:
            raise ImproperlyConfigured(f"measures instrument library: {exc}") from None
        register("Questionnaires", "measures:due", "patient")
        register("Overdue questionnaires", "measures:overdue", "clinician")
