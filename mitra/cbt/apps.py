from django.apps import AppConfig


class CbtConfig(AppConfig):
    name = "mitra.cbt"
    label = "cbt"
    verbose_name = "CBT toolkit"
