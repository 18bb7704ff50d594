from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mitra.accounts"
    label = "accounts"
    verbose_name = "Accounts and care teams"

    def ready(self) -> None:
        from mitra.accounts import signals  # noqa: F401 - connects the receivers
        from mitra.lib.navigation import register

        # Two-step sign-in (allauth's MFA pages), for every role, in the account menu.
        register("Security", "mfa_index", "patient", "clinician", "researcher", "admin",
                 menu="account")
