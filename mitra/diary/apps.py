from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "mitra.diary"
    label = "diary"
    verbose_name = "Diary"
