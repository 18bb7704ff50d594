from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class EvidenceConfig(AppConfig):
    name = "mitra.evidence"
    label = "evidence"
    verbose_name = "Evidence library"

    def ready(self) -> None:
        from mitra.evidence import library
        from mitra.lib.navigation import register

        try:
            library.library.cache_clear()
            library.library()
        except library.ClaimsError as exc:
            raise ImproperlyConfigured(f"mitra/evidence/data/{exc}") from None
        register("Evidence", "evidence:index", "clinician", "patient")
