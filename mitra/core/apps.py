from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mitra.core"
    label = "core"
    verbose_name = "Core"
