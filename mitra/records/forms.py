"""Forms for requests and closing an account. Each error names the field and what is allowed."""

from __future__ import annotations

from django import forms

from mitra.lib.textfield import TextField
from mitra.records.models import RecordRequest
from mitra.records.requests import ANSWER_MAX, DETAILS_MAX, OUTCOMES, REASON_MAX

CLOSE_REASON_MAX = 300


def _text(label: str, limit: int, *, rows: int = 4, help_text: str = "") -> TextField:
    return TextField(
        label=label, max_length=limit, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(),
        error_messages={"required": f"{label} is required.",
                        "max_length": f"{label}: at most {limit} characters."})


def _choice(label: str, choices: list[tuple[str, str]]) -> forms.ChoiceField:
    allowed = ", ".join(str(lab) for _v, lab in choices)
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect,
        error_messages={"required": f"{label}: choose one of {allowed}.",
                        "invalid_choice": f"{label}: choose one of {allowed}."})


class RequestForm(forms.Form):
    uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "required": "Submission id (uuid) is missing: reload the page and try again.",
        "invalid": "Submission id (uuid) is not a UUID: reload the page and try again."})
    kind = _choice("What you are asking for", RecordRequest.Kind.choices)
    details = _text("Details", DETAILS_MAX, rows=5, help_text=(
        "Which records, and what you would like done. For a correction: what is wrong and "
        "what it should say."))


class ExtendForm(forms.Form):
    reason = _text("Reason for the extension", REASON_MAX, rows=3, help_text=(
        "Told to the patient with the new date (45 CFR 164.524(b)(2)(iii))."))


class AnswerForm(forms.Form):
    outcome = _choice("Answer", [(o.value, o.label) for o in OUTCOMES])
    answer = _text("Written answer", ANSWER_MAX, rows=5, help_text=(
        "What the patient will read. A denial gives its reason and says the patient may send "
        "a statement of disagreement (164.526(d))."))


class CloseForm(forms.Form):
    reason = _text("How the patient asked", CLOSE_REASON_MAX, rows=0, help_text=(
        "For example: on a signed form at the front desk, 3 Dec."))
    confirm = forms.BooleanField(
        label="I have checked that the patient asked to close their account", error_messages={
            "required": "Confirm that the patient asked to close their account."})
