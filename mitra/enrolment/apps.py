from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "mitra.enrolment"
    verbose_name = "Enrolment"

    def ready(self) -> None:
        from mitra.lib.navigation import register

        # Clinicians add patients from the caseload ("Add patient") and reach an invitation
        # from the patient's record; a care-team admin's work starts from the menu.
        register("Enrol a patient", "enrolment:add", "admin")
        register("Invite staff", "enrolment:staff", "admin")
