from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "mitra.consent"
    verbose_name = "Consent and disclosure"

    def ready(self) -> None:
        from mitra.consent import access, part2
        from mitra.consent.views import record_panel
        from mitra.lib import navigation, panels
        from mitra.patients.access import register_recipient_gate

        # Outside recipients reach only consented patients, each read accounted.
        register_recipient_gate(access.recipient_patients, access.on_recipient_read)
        # The data file is read (and checked) at start-up, not at the first disclosure.
        part2.load()
        navigation.register("My consents", "consent:mine", "patient", menu="account")
        panels.register("core:patient", "consent:consents", record_panel)
