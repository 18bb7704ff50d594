"""Forms for consents. They check with the actions' own rules (`actions.check_terms`, the paper
day, `scans.accept`), so a form and a direct call refuse the same input with the same words."""

from __future__ import annotations

from typing import Any

from django import forms

from mitra.consent import actions, scans
from mitra.consent.models import Consent, Purpose, Scope
from mitra.lib.textfield import TextField
from mitra.patients.models import Patient


def _name(label: str, *, required: bool = False, help_text: str = "") -> TextField:
    return TextField(label=label, required=required, max_length=actions.NAME_LENGTH,
                     help_text=help_text, error_messages={
                         "required": f"{label} is required.",
                         "max_length": f"{label}: at most {actions.NAME_LENGTH} characters."})


def _choices(label: str, choices: Any, widget: type[forms.Widget]) -> forms.ChoiceField:
    allowed = ", ".join(str(c[1]) for c in choices)
    return forms.ChoiceField(label=label, choices=choices, widget=widget, error_messages={
        "required": f"{label} is required: choose one of {allowed}.",
        "invalid_choice": f"{label}: choose one of {allowed}."})


class SubmissionForm(forms.Form):
    """Carries the client-made UUID that makes a resubmission harmless."""

    uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "required": "Submission id (uuid) is missing: reload the page and try again.",
        "invalid": "Submission id (uuid) is not a UUID: reload the page and try again."})


class TermsForm(SubmissionForm):
    """What is shared, with whom, for what and until when."""

    scope = _choices("Which records", Scope.choices, forms.RadioSelect)
    recipient_kind = _choices("Shared with", Consent.RecipientKind.choices, forms.RadioSelect)
    recipient_name = _name(
        "Name of the person or organisation",
        help_text="For a named person or organisation, e.g. \"Riverside Pharmacy\". Leave "
                  "empty for treatment, payment and health care operations.")
    purpose = _choices("Purpose", Purpose.choices, forms.Select)
    expires_on = forms.DateField(
        label="Until (a date)", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"The last day it holds, at most {actions.MAX_YEARS_AHEAD} years ahead. "
                  "Or name an event below instead.",
        error_messages={"invalid": "Until (a date): enter a date as YYYY-MM-DD."})
    expiry_event = _name("Or until an event",
                         help_text="For example \"the end of my treatment at this clinic\".")

    # Fields whose errors `actions` reports under another name than the form's.
    error_fields: dict[str, str] = {}

    def add_action_errors(self, error: actions.ConsentError) -> None:
        for field, message in error.errors.items():
            field = self.error_fields.get(field, field)
            self.add_error(field if field in self.fields else None, message)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if any(f in self.errors for f in ("scope", "recipient_kind", "purpose", "expires_on")):
            return data
        try:
            actions.check_terms(**{f: data.get(f) for f in (
                "scope", "recipient_kind", "recipient_name", "purpose", "expires_on",
                "expiry_event")})
        except actions.ConsentError as error:
            self.add_action_errors(error)
        return data

    def terms(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in (
            "scope", "recipient_kind", "recipient_name", "purpose", "expires_on",
            "expiry_event")}


class GiveConsentForm(TermsForm):
    """The patient's consent, signed by typing their name under the text of `text_version`."""

    text_version = forms.CharField(widget=forms.HiddenInput, max_length=32)
    signed_name = _name("Type your full name to sign", required=True,
                        help_text="Typing your name here is your signature.")


class PaperConsentForm(TermsForm):
    """A consent given on paper: the name and day on the form, and a scan or a note."""

    signed_name = _name("Name signed on the form", required=True)
    signed_on = forms.DateField(
        label="Date signed", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Date signed is required (a date, YYYY-MM-DD).",
                        "invalid": "Date signed: enter a date as YYYY-MM-DD."})
    scan = forms.FileField(
        label="Scan of the form", required=False,
        help_text=f"Optional: {scans.ALLOWED}.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}))
    note = TextField(label="Note", required=False, max_length=actions.NOTE_LENGTH,
                     widget=forms.Textarea(attrs={"rows": 3}),
                     help_text="Where the paper form is kept; required when there is no scan.",
                     error_messages={"max_length": f"Note: at most {actions.NOTE_LENGTH} "
                                                   "characters."})

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        self.patient = patient
        super().__init__(*args, **kwargs)

    def clean_signed_on(self) -> Any:
        day = self.cleaned_data.get("signed_on")
        problem = actions.check_paper_day(day, patient=self.patient)
        if problem:
            raise forms.ValidationError(problem)
        return day

    def clean_scan(self) -> scans.Scan | None:
        upload = self.cleaned_data.get("scan")
        if not upload:
            return None
        if upload.size is not None and upload.size > scans.MAX_BYTES:
            raise forms.ValidationError(
                f"scan: the file is {upload.size / 1024 / 1024:.1f} MB; allowed: {scans.ALLOWED}.")
        try:
            return scans.accept(upload.read(scans.MAX_BYTES + 1), upload.name or "")
        except scans.ScanRefused as refused:
            raise forms.ValidationError(str(refused)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (not data.get("scan") and not (data.get("note") or "").strip()
                and "scan" not in self.errors and "note" not in self.errors):
            self.add_error("scan", "scan: a scan of the form or a note (where the paper form is "
                                   f"kept) is required; allowed scans: {scans.ALLOWED}.")
        return data


class NoteForm(forms.Form):
    """A revocation, or an expiry event recorded: an optional short note."""

    note = TextField(label="Note (optional)", required=False,
                     max_length=actions.REVOKE_NOTE_LENGTH - 40,
                     error_messages={"max_length": "Note: at most "
                                     f"{actions.REVOKE_NOTE_LENGTH - 40} characters."})
