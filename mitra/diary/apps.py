from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "mitra.diary"
    label = "diary"
    verbose_name = "Diary"

    def ready(self) -> None:
        from mitra.core import navigation

        navigation.register("Diary", "diary:entry", "patient")
