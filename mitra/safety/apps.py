from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "mitra.safety"
    label = "safety"
    verbose_name = "Safety and alerts"
