from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "mitra.diary"
    label = "diary"
    verbose_name = "Diary"

    def ready(self) -> None:
        from django.utils import timezone

        from mitra.diary.alerts import raise_missed_diary_alerts
        from mitra.lib import jobs, navigation

        navigation.register("Diary", "diary:entry", "patient")
        jobs.register("missed_diary",
                      lambda now: len(raise_missed_diary_alerts(timezone.localdate(now))),
                      "raise an alert for each run of days without a diary entry")
