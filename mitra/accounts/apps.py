from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mitra.accounts"
    label = "accounts"
    verbose_name = "Accounts and care teams"

    def ready(self) -> None:
        from mitra.accounts import signals  # noqa: F401 - connects the receivers
