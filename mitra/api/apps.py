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
        register("API tokens", "api:tokens", "patient", "clinician", "researcher", "admin",
                 menu="account")

        from mitra.accounts.models import password_changed

        password_changed.connect(_revoke_tokens, dispatch_uid="mitra.api.revoke_on_password")


def _revoke_tokens(sender, user, **kwargs) -> None:
    from mitra.api.actions import do_revoke_tokens_after_password_change

    # Tokens must not outlive the password they were made under.
    do_revoke_tokens_after_password_change(user, acting=user)
