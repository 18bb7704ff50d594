from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mitra.api"
    label = "api"
    verbose_name = "REST API and FHIR"

    def ready(self) -> None:
        from django.core.exceptions import ImproperlyConfigured

        from mitra.api.instruments import AliasError, load_aliases
        from mitra.lib.navigation import register

        # A wrong alias table would mis-map answers to items: refuse to start, naming the field.
        try:
            load_aliases()
        except (AliasError, OSError, AttributeError) as exc:
            raise ImproperlyConfigured(f"mitra/api/data/{exc}") from None

        # Every signed-in role may hold a token; what it reaches is the same as on the web.
        register("API tokens", "api:tokens", "patient", "clinician", "researcher", "admin")
