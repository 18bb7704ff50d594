from __future__ import annotations

import uuid

from django import forms

from mitra.lib import bounds
from mitra.lib.textfield import TextField
from mitra.safety.kb import SUBSTANCE_LABELS, SUBSTANCES, knowledge_base
from mitra.safety.legal import known_codes
from mitra.safety.models import SafetyPlanVersion


def _jurisdiction_choices():
    kb = knowledge_base()
    choices = [("", "Not recorded")]
    for code in known_codes(kb):
        name = kb.legal.get(code, {}).get("name", "")
        choices.append((code, f"{code} {name}".strip()))
    return choices


class IntakeForm(forms.Form):
    jurisdiction = forms.ChoiceField(required=False, choices=())
    substances = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(s, SUBSTANCE_LABELS[s]) for s in SUBSTANCES],
    )
    conditions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].choices = _jurisdiction_choices()
        self.fields["jurisdiction"].error_messages["invalid_choice"] = (
            "jurisdiction: %(value)s is not a known ISO 3166 code (such as TH or US-AL)"
        )
        conditions = knowledge_base().conditions
        self.fields["conditions"].choices = list(conditions.items())
        for name, allowed in (("substances", SUBSTANCES), ("conditions", list(conditions))):
            listed = ", ".join(allowed)
            self.fields[name].error_messages.update({
                "invalid_choice": f"{name}: %(value)s is not allowed; allowed values: {listed}",
                "invalid_list": f"{name}: give a list of values from: {listed}",
            })


class MedicationForm(forms.Form):
    name = TextField(max_length=120, strip=True, error_messages={
        "required": "name: enter the medication's generic or brand name (such as sertraline or "
                    "Zoloft)",
        "max_length": "name: at most %(limit_value)d characters (it has %(show_value)d)",
    })
    started_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_started_on(self):
        return _history_day(self.cleaned_data.get("started_on"), "started_on")


class StopMedicationForm(forms.Form):
    stopped_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean_stopped_on(self):
        return _history_day(self.cleaned_data.get("stopped_on"), "stopped_on")


def _history_day(value, field: str):
    """A day of the patient's history: `bounds.check_history_day` (1900-01-01 to today)."""
    if value is not None:
        try:
            bounds.check_history_day(field, value)
        except bounds.OutOfBounds as exc:
            raise forms.ValidationError(str(exc)) from None
    return value


class ResolveAlertForm(forms.Form):
    note = TextField(max_length=2000, strip=True, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": "note: say how the alert was resolved"})


class SafetyPlanForm(forms.Form):
    submission_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, heading, prompt in SafetyPlanVersion.SECTIONS:
            self.fields[field] = TextField(
                label=heading, help_text=prompt, required=False, max_length=4000, strip=True,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if not self.is_bound:
            self.initial.setdefault("submission_uuid", uuid.uuid4())

    def content(self) -> dict[str, str]:
        return {f: self.cleaned_data.get(f, "") for f, _, _ in SafetyPlanVersion.SECTIONS}
