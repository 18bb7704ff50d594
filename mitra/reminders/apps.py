from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "mitra.reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from mitra.diary.models import DiaryEntry
        from mitra.lib import jobs, navigation, panels
        from mitra.measures.models import Response, Schedule
        from mitra.patients.models import Patient
        from mitra.reminders import channels, dispatch, planner, signals
        from mitra.reminders.models import Preference
        from mitra.reminders.views import record_panel

        for model, receiver in ((Schedule, signals.schedule_saved),
                                (Preference, signals.preference_saved),
                                (Patient, signals.patient_saved),
                                (Response, signals.response_saved),
                                (DiaryEntry, signals.diary_entry_saved)):
            post_save.connect(receiver, sender=model,
                              dispatch_uid=f"reminders.{receiver.__name__}")
        channels.register(channels.EmailChannel())
        # In this order within a run: plan what is due, send it, then close what ended.
        jobs.register("reminders_plan", planner.plan_due,
                      "plan the reminder prompts whose time has come")
        jobs.register("reminders_send", dispatch.send_due,
                      "send the due reminders (e-mail), retrying with backoff")
        jobs.register("reminders_expire", dispatch.expire,
                      "close the reminder prompts whose answer window ended")
        navigation.register("Reminders", "reminders:preferences", "patient", menu="account")
        panels.register("core:patient", "reminders:prompts", record_panel)
