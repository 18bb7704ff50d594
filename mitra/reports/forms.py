"""The "For whom?" form: the outside recipient a report or an export is disclosed to."""

from __future__ import annotations

import uuid

from django import forms

from mitra.consent.models import Purpose
from mitra.lib.textfield import TextField

RECIPIENT_KINDS = (("organisation", "An organisation"), ("person", "A named person"))
# What a disclosure is for. "Treatment, payment and health care operations" is what a consent
# may cover, not what one disclosure is for: each is one of the three.
PURPOSES = tuple((p.value, p.label) for p in Purpose if p != Purpose.TPO)


def _choices_message(label: str, choices) -> str:
    return f"{label}: choose one of " + ", ".join(str(c[0]) for c in choices) + "."


class DiscloseForm(forms.Form):
    """To whom and why; `uuid` is the submission's client-made id (a repeat discloses once)."""

    uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "required": "Submission id (uuid) is missing: reload the page and try again.",
        "invalid": "Submission id (uuid) is not a UUID: reload the page and try again."})
    recipient_name = TextField(label="Recipient's name", max_length=200, error_messages={
        "required": "Recipient's name is required (the person or organisation, as the "
                    "consent names them).",
        "max_length": "Recipient's name: at most 200 characters."})
    recipient_kind = forms.ChoiceField(
        label="The recipient is", choices=RECIPIENT_KINDS, widget=forms.RadioSelect,
        initial="organisation", error_messages={
            "required": _choices_message("The recipient is", RECIPIENT_KINDS),
            "invalid_choice": _choices_message("The recipient is", RECIPIENT_KINDS)})
    purpose = forms.ChoiceField(label="Purpose", choices=PURPOSES, initial=Purpose.TREATMENT,
                                error_messages={
                                    "required": _choices_message("Purpose", PURPOSES),
                                    "invalid_choice": _choices_message("Purpose", PURPOSES)})

    @classmethod
    def blank(cls, **initial) -> DiscloseForm:
        return cls(initial={"uuid": uuid.uuid4(), **initial})

    def clean_recipient_name(self) -> str:
        name = " ".join(self.cleaned_data["recipient_name"].split())
        if not name:
            raise forms.ValidationError(self.fields["recipient_name"].error_messages["required"])
        return name

    @property
    def purpose_label(self) -> str:
        return dict(PURPOSES)[self.cleaned_data["purpose"]]
