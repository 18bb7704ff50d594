from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "mitra.measures"
    label = "measures"
    verbose_name = "Measures"
