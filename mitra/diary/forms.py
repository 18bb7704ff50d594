"""Validation for diary submissions (HTML form and JSON) and taper plans.

Both the plain form POST and the JSON endpoint go through `parse_submission`, so a bad amount
gets the same message naming the field and the allowed range either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone

from mitra.core.idempotency import payload_digest
from mitra.diary import units
from mitra.diary.models import MOTIVES, TaperPlan

RATINGS = {
    # field: (label, anchor at 0, anchor at 10)
    "mood": ("Mood", "very low", "very good"),
    "anxiety": ("Anxiety", "none", "extreme"),
    "craving": ("Craving", "none", "extreme"),
    "sleep_quality": ("Sleep quality last night", "very poor", "very good"),
    "withdrawal": ("Withdrawal symptoms", "none", "severe"),
}
MAX_USES = 20
USE_ROWS = 3  # blank rows on the HTML form


def max_amounts() -> dict:
    return getattr(settings, "MITRA_DIARY_MAX_AMOUNT", {})


class EntryForm(forms.Form):
    uuid = forms.UUIDField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    mood = forms.IntegerField(min_value=0, max_value=10, required=False)
    anxiety = forms.IntegerField(min_value=0, max_value=10, required=False)
    craving = forms.IntegerField(min_value=0, max_value=10, required=False)
    sleep_quality = forms.IntegerField(min_value=0, max_value=10, required=False)
    withdrawal = forms.IntegerField(min_value=0, max_value=10, required=False)
    motives = forms.MultipleChoiceField(
        choices=list(MOTIVES.items()), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, enrolled_on: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolled_on = enrolled_on
        for name, (_label, low, high) in RATINGS.items():
            self.fields[name].error_messages.update({
                "min_value": f"{name} must be a whole number from 0 ({low}) to 10 ({high})",
                "max_value": f"{name} must be a whole number from 0 ({low}) to 10 ({high})",
                "invalid": f"{name} must be a whole number from 0 ({low}) to 10 ({high})",
            })

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        today = timezone.localdate()
        # One day of slack: a phone east of the server's time zone is already in tomorrow.
        if day > today + timedelta(days=1):
            raise forms.ValidationError(f"date must be today ({today}) or earlier, not {day}")
        if day < today - timedelta(days=366):
            raise forms.ValidationError("date must be within the last year")
        return day


class UseForm(forms.Form):
    substance = forms.ChoiceField(choices=[("", "Choose…"), *units.SUBSTANCES.items()])
    amount = forms.DecimalField(max_digits=10, decimal_places=3)
    unit = forms.ChoiceField(choices=[("", "Unit"), *units.UNITS.items()])
    grams_per_unit = forms.DecimalField(required=False, max_digits=6, decimal_places=3,
                                        label="Grams per capsule")
    time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    product_label = forms.CharField(required=False, max_length=120, label="Product")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            checked = units.check_amount(
                data["substance"], data["amount"], data["unit"], data.get("grams_per_unit"),
                max_amount=max_amounts(),
            )
        except units.AmountError as exc:
            self.add_error(exc.field, exc.message)
            return data
        data["grams"] = checked.grams
        return data


UseFormSet = forms.formset_factory(UseForm, extra=USE_ROWS, max_num=MAX_USES, validate_max=True,
                                   absolute_max=MAX_USES)


@dataclass(frozen=True)
class Submission:
    uuid: object
    date: date
    ratings: dict
    motives: list[str]
    note: str
    uses: list[dict]

    def normalised(self) -> dict:
        return {
            "date": self.date.isoformat(),
            **self.ratings,
            "motives": sorted(self.motives),
            "note": self.note.strip(),
            "uses": [
                {
                    "substance": u["substance"],
                    "amount": _dec(u["amount"]),
                    "unit": u["unit"],
                    "grams_per_unit": _dec(u.get("grams_per_unit")),
                    "time": u["time"].strftime("%H:%M") if u.get("time") else None,
                    "product_label": (u.get("product_label") or "").strip(),
                }
                for u in self.uses
            ],
        }

    def payload_hash(self) -> str:
        return payload_digest(self.normalised())


def _dec(value) -> str | None:
    if value in (None, ""):
        return None
    return format(Decimal(value).normalize(), "f")


def json_to_formdata(payload: dict) -> dict:
    """Map a JSON submission onto the HTML form's field names, so one validator serves both."""
    data: dict = {}
    for key in ("uuid", "date", "note", *RATINGS):
        value = payload.get(key)
        if value is not None:
            data[key] = str(value)
    motives = payload.get("motives") or []
    data["motives"] = [str(m) for m in motives] if isinstance(motives, list) else [str(motives)]
    uses = payload.get("uses") or []
    if not isinstance(uses, list):
        uses = []
    data["uses-TOTAL_FORMS"] = str(len(uses))
    data["uses-INITIAL_FORMS"] = "0"
    for i, use in enumerate(uses):
        if not isinstance(use, dict):
            continue
        for key in ("substance", "amount", "unit", "grams_per_unit", "time", "product_label"):
            value = use.get(key)
            if value is not None:
                data[f"uses-{i}-{key}"] = str(value)
    return data


def parse_submission(data, *, enrolled_on: date | None = None):
    """(EntryForm, UseFormSet, Submission or None). `data` is a QueryDict or a plain dict."""
    entry = EntryForm(data, enrolled_on=enrolled_on)
    uses = UseFormSet(data, prefix="uses")
    if not (entry.is_valid() & uses.is_valid()):
        return entry, uses, None
    rows = [f.cleaned_data for f in uses.forms if f.cleaned_data]
    c = entry.cleaned_data
    submission = Submission(
        uuid=c["uuid"], date=c["date"],
        ratings={name: c.get(name) for name in RATINGS},
        motives=list(c["motives"]), note=c["note"], uses=rows,
    )
    return entry, uses, submission


def field_errors(entry: EntryForm, uses) -> dict[str, list[str]]:
    """Errors keyed by field, `uses[N].field` for a use event, for the JSON endpoint."""
    errors = {k: [str(m) for m in v] for k, v in entry.errors.items()}
    for i, form in enumerate(uses.forms):
        for k, v in form.errors.items():
            errors[f"uses[{i}].{k}"] = [str(m) for m in v]
    for message in uses.non_form_errors():
        errors.setdefault("uses", []).append(str(message))
    if "uses-TOTAL_FORMS" in errors or uses.management_form.errors:
        errors.setdefault("uses", []).append("uses must be a list of use events")
    return errors


class TaperPlanForm(forms.ModelForm):
    class Meta:
        model = TaperPlan
        fields = ["substance", "unit", "start_date", "start_amount", "target_amount",
                  "step_kind", "step_size", "interval_days", "note"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"interval_days": "Days per step", "note": "Note for the care team"}

    def clean(self):
        data = super().clean()
        start, target = data.get("start_amount"), data.get("target_amount")
        kind, size = data.get("step_kind"), data.get("step_size")
        interval = data.get("interval_days")
        substance, unit = data.get("substance"), data.get("unit")
        if substance and unit and unit not in units.UNITS_FOR[substance]:
            self.add_error("unit", f"unit for {substance} must be one of "
                                   f"{', '.join(units.UNITS_FOR[substance])}")
        if start is not None and start <= 0:
            self.add_error("start_amount", "start_amount must be more than 0")
        if start is not None and target is not None and not (0 <= target < start):
            self.add_error("target_amount",
                           f"target_amount must be from 0 up to below the start amount ({start})")
        if size is not None and kind == TaperPlan.StepKind.PERCENT and not 0 < size < 100:
            self.add_error("step_size", "step_size in percent must be more than 0 and below 100")
        if size is not None and kind == TaperPlan.StepKind.AMOUNT and size <= 0:
            self.add_error("step_size", "step_size must be more than 0")
        if interval is not None and not 1 <= interval <= 90:
            self.add_error("interval_days", "interval_days must be from 1 to 90")
        return data


class TaperPauseForm(forms.Form):
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text="Leave empty to pause until further notice.")
    reason = forms.CharField(max_length=300)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", f"end_date must be on or after the start date ({start})")
        return data
