from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "mitra.research"
    verbose_name = "De-identified research exports"
