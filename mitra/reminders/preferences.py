"""A patient's reminder preferences: read them as the recurrence rule's `Quiet`, change them
(audited), and the form that does it (the preferences page, and the sign-up's last step).

Channels are named by their id ("email"); a channel without a `ChannelSetting` row is on.
"""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils import timezone

from mitra.audit.actions import record_audit
from mitra.audit.actor import Actor
from mitra.audit.events import Event
from mitra.lib.bounds import OutOfBounds, check_plan_day
from mitra.measures.recurrence import Quiet, RuleError, validate_quiet
from mitra.patients.models import Patient
from mitra.reminders.models import ChannelSetting, Preference

EMAIL = "email"


def quiet_of(patient: Patient) -> Quiet:
    pref = Preference.objects.filter(patient=patient).first()
    return quiet_from(pref)


def quiet_from(pref: Preference | None) -> Quiet:
    if pref is None:
        return Quiet()
    return Quiet(pref.quiet_start, pref.quiet_end, pref.paused_from, pref.paused_until)


def channel_enabled(patient: Patient, channel: str) -> bool:
    setting = ChannelSetting.objects.filter(patient=patient, channel=channel).first()
    return True if setting is None else setting.enabled


@transaction.atomic
def do_set_preferences(patient: Patient, *, quiet: Quiet, channels: dict[str, bool],
                       acting: Actor | None) -> Preference:
    """Store quiet hours, pause and channel switches (RuleError naming the field for quiet
    hours that cover the whole day, half a pause...). Audited with the fields' names only."""
    validate_quiet(quiet)
    for field, day in (("paused_from", quiet.paused_from), ("paused_until", quiet.paused_until)):
        if day is not None:
            try:  # a pause is a holiday: near today, never in year 1
                check_plan_day(field, day, enrolled_on=patient.enrolled_on)
            except OutOfBounds as exc:
                raise RuleError("pause", str(exc).removeprefix(f"{field}: ")) from None
    pref, _ = Preference.objects.select_for_update().get_or_create(patient=patient)
    pref.quiet_start, pref.quiet_end = quiet.start, quiet.end
    pref.paused_from, pref.paused_until = quiet.paused_from, quiet.paused_until
    pref.save()
    for channel, enabled in channels.items():
        ChannelSetting.objects.update_or_create(patient=patient, channel=channel,
                                                defaults={"enabled": enabled})
    on = ", ".join(f"{c} {'on' if e else 'off'}" for c, e in sorted(channels.items()))
    record_audit(Event.REMINDERS_PREFERENCES_CHANGED, acting=acting, patient=patient,
                 obj=pref, detail=on)
    return pref


class PreferenceForm(forms.Form):
    email = forms.BooleanField(required=False, initial=True,
                               label="Send me an e-mail when a check-in is waiting")
    quiet_start = forms.TimeField(required=False, label="Quiet hours from",
                                  widget=forms.TimeInput(attrs={"type": "time"}),
                                  help_text="No reminder is sent between these times.")
    quiet_end = forms.TimeField(required=False, label="Quiet hours until",
                                widget=forms.TimeInput(attrs={"type": "time"}))
    paused_from = forms.DateField(required=False, label="Pause reminders from",
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text="A holiday: no reminders on these days.")
    paused_until = forms.DateField(required=False, label="Pause until (included)",
                                   widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def for_patient(cls, patient: Patient, data=None, *, initial: dict | None = None,
                    **kwargs) -> PreferenceForm:
        pref = Preference.objects.filter(patient=patient).first()
        stored: dict[str, object] = {"email": channel_enabled(patient, EMAIL)}
        if pref is not None:
            stored |= {"quiet_start": pref.quiet_start, "quiet_end": pref.quiet_end,
                        "paused_from": pref.paused_from, "paused_until": pref.paused_until}
        # What the caller gives wins over the stored values.
        return cls(data, initial=stored | (initial or {}), **kwargs)

    def quiet(self) -> Quiet:
        d = self.cleaned_data
        return Quiet(d.get("quiet_start"), d.get("quiet_end"), d.get("paused_from"),
                     d.get("paused_until"))

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                validate_quiet(self.quiet())
            except RuleError as exc:
                field = {"quiet_hours": "quiet_end", "pause": "paused_until"}.get(exc.field)
                self.add_error(field, exc.message)
        for field in ("paused_from", "paused_until"):
            day = cleaned.get(field)
            if day is not None and field not in self.errors:
                try:  # the action's own bound, from today (no later than enrolment)
                    check_plan_day(field, day, enrolled_on=timezone.localdate())
                except OutOfBounds as exc:
                    self.add_error(field, str(exc))
        return cleaned

    def save(self, patient: Patient, *, acting: Actor | None) -> Preference:
        return do_set_preferences(patient, quiet=self.quiet(),
                                  channels={EMAIL: self.cleaned_data["email"]}, acting=acting)
