from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mitra.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from mitra.core import checks  # noqa: F401 - registers the production checks
