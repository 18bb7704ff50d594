from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "mitra.reminders"
    verbose_name = "Reminders"
