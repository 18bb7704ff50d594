from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "mitra.diary"
    label = "diary"
    verbose_name = "Diary"

    def ready(self) -> None:
        from django.utils import timezone

        from mitra.diary.alerts import raise_missed_diary_alerts
        from mitra.diary.queries import current_taper_plan
        from mitra.diary.views import nof1_panel
        from mitra.lib import dated_events, jobs, navigation, panels

        navigation.register("Diary", "diary:entry", "patient")
        # The n-of-1 view's summary on the clinician's patient page.
        panels.register("core:patient", "diary:nof1", nof1_panel)
        # Schedules (measures) may count from the start of the taper plan in force.
        dated_events.register(
            "taper_start", "Start of the taper plan",
            lambda patient: plan.start_date if (plan := current_taper_plan(patient)) else None)
        jobs.register("missed_diary",
                      lambda now: len(raise_missed_diary_alerts(timezone.localdate(now))),
                      "raise an alert for each run of days without a diary entry")
