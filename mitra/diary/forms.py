"""The diary's web forms: the day's entry and its use events, and the taper plan and its pauses.

`parse_submission` validates a posted entry through them and makes the `Submission`. The JSON
ways in (the diary's endpoint, the REST API) reach the same forms through
`json_submission.parse_json_submission`, so every bad value gets the same message naming the
field and the allowed values or range, whichever way it was sent.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from mitra.diary import units
from mitra.diary.models import MOTIVES, TaperPause, TaperPlan
from mitra.diary.submission import Submission
from mitra.lib import bounds, conf
from mitra.lib.textfield import TextField

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


def amount_limits() -> dict[str, Decimal]:
    """The maximum amount per use event for each unit in this deployment."""
    return units.amount_limits(conf.diary_max_amount())


def diary_days(today: date | None = None, enrolled_on: date | None = None
               ) -> tuple[date, date]:
    """The days a diary entry may be for: from the patient's enrolment
    (`bounds.record_day_range`), but within the last year, to today and one day of slack ahead
    (a phone east of the server's time zone is already in tomorrow). Without `enrolled_on`
    (a form shown before the patient is known) only the year bounds it."""
    today = today or timezone.localdate()
    first, last = bounds.record_day_range(enrolled_on or date.min, today)
    return max(first, today - timedelta(days=366)), last


def check_use_times(day: date, uses: list[dict[str, Any]], enrolled_on: date | None
                    ) -> dict[int, str]:
    """{index: message} for the use events whose time on `day` is out of bounds
    (`bounds.check_record_time`: not before enrolment, not after now plus a day)."""
    now = timezone.now()
    problems = {}
    for i, use in enumerate(uses):
        if use.get("time") is not None:
            try:
                bounds.check_record_time("time", day, use["time"],
                                         enrolled_on=enrolled_on or date.min, now=now)
            except bounds.OutOfBounds as exc:
                problems[i] = str(exc)
    return problems


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def shown(value: object) -> str:
    """The value the client sent, quoted, for a message saying what was wrong with it."""
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _not(value: object) -> str:
    return "" if value in (None, "") else f", not {shown(value)}"


def amount_rule(unit: str | None) -> str:
    """'a number more than 0 and at most 100 g': the allowed range for an amount in `unit`
    (every unit's maximum when the unit is not one of ours)."""
    limits = amount_limits()
    if unit in limits:
        return f"a number more than 0 and at most {_plain(limits[unit])} {unit}"
    each = ", ".join(f"{_plain(v)} {u}" for u, v in limits.items())
    return f"a number more than 0 and at most the maximum for its unit ({each})"


SUBSTANCE_RULE = f"substance must be one of {', '.join(units.SUBSTANCES)}"
UNIT_RULE = f"unit must be one of {', '.join(units.UNITS)}"
MOTIVES_RULE = f"motives must be a list of any of {', '.join(MOTIVES)}"
TIME_RULE = "time must be a time of day as HH:MM (24-hour clock), or empty"
USE_FIELDS = ("substance", "amount", "unit", "grams_per_unit", "time", "product_label")


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
    note = TextField(required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, enrolled_on: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enrolled_on = enrolled_on
        for name, (_label, low, high) in RATINGS.items():
            self.fields[name].error_messages.update({
                "min_value": f"{name} must be a whole number from 0 ({low}) to 10 ({high})",
                "max_value": f"{name} must be a whole number from 0 ({low}) to 10 ({high})",
                "invalid": f"{name} must be a whole number from 0 ({low}) to 10 ({high})",
            })
        raw = {name: self.data.get(self.add_prefix(name)) for name in ("uuid", "date")}
        uuid_rule = ("uuid must be a UUID made by the client "
                     "(like 123e4567-e89b-42d3-a456-426614174000)")
        self.fields["uuid"].error_messages.update({
            "required": uuid_rule, "invalid": uuid_rule + _not(raw["uuid"]),
        })
        date_rule = self.date_rule()
        self.fields["date"].error_messages.update({
            "required": date_rule, "invalid": date_rule + _not(raw["date"]),
        })
        self.fields["motives"].error_messages.update({
            "invalid_choice": f"{MOTIVES_RULE}, not %(value)r",
            "invalid_list": MOTIVES_RULE,
        })
        self.fields["note"].error_messages.update({
            "max_length": "note must be at most %(limit_value)d characters "
                          "(it has %(show_value)d)",
        })
        first, last = diary_days(enrolled_on=enrolled_on)
        self.fields["date"].widget.attrs.update(min=first.isoformat(), max=last.isoformat())

    def date_rule(self) -> str:
        today = timezone.localdate()
        first = diary_days(today, self.enrolled_on)[0]
        if self.enrolled_on is not None and first == self.enrolled_on:
            return (f"date must be a day as YYYY-MM-DD from {first} (enrolment) "
                    f"to today ({today})")
        return (f"date must be a day as YYYY-MM-DD within the last year, "
                f"from {first} to today ({today})")

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        first, last = diary_days(enrolled_on=self.enrolled_on)
        if not first <= day <= last:
            raise forms.ValidationError(f"{self.date_rule()}, not {day}")
        return day


class UseForm(forms.Form):
    substance = forms.ChoiceField(choices=[("", "Choose…"), *units.SUBSTANCES.items()])
    amount = forms.DecimalField(max_digits=10, decimal_places=3)
    unit = forms.ChoiceField(choices=[("", "Unit"), *units.UNITS.items()])
    grams_per_unit = forms.DecimalField(required=False, max_digits=6, decimal_places=3,
                                        label="Grams per capsule")
    time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    product_label = TextField(required=False, max_length=120, label="Product")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        raw = {name: self.data.get(self.add_prefix(name)) for name in USE_FIELDS}
        unit = raw["unit"] if raw["unit"] in units.UNITS else None
        amount = f"amount must be {amount_rule(unit)}"
        fill = (f"grams_per_unit must be a number more than 0 and at most "
                f"{units.MAX_GRAMS_PER_CAPSULE} g (only for amounts in capsules), or empty")
        messages = {
            "substance": {"required": SUBSTANCE_RULE,
                          "invalid_choice": f"{SUBSTANCE_RULE}, not %(value)r"},
            "unit": {"required": UNIT_RULE, "invalid_choice": f"{UNIT_RULE}, not %(value)r"},
            "amount": {code: amount + _not(raw["amount"]) for code in (
                "required", "invalid", "max_digits", "max_whole_digits")},
            "grams_per_unit": {code: fill + _not(raw["grams_per_unit"]) for code in (
                "invalid", "max_digits", "max_whole_digits", "max_decimal_places")},
            "time": {"invalid": TIME_RULE + _not(raw["time"])},
            "product_label": {"max_length": "product_label must be at most %(limit_value)d "
                                            "characters (it has %(show_value)d)"},
        }
        messages["amount"]["max_decimal_places"] = (
            f"{amount}, with at most 3 decimal places{_not(raw['amount'])}")
        for name, by_code in messages.items():
            self.fields[name].error_messages.update(by_code)

    def clean(self):
        data = super().clean()
        if self.errors:
            # Still check the amount's range when its unit is fine, so that every problem of the
            # use event is reported at once.
            if "amount" not in self.errors and "unit" not in self.errors:
                limit = amount_limits()[data["unit"]]
                if not 0 < data["amount"] <= limit:
                    self.add_error("amount", f"amount must be more than 0 and at most "
                                             f"{_plain(limit)} {data['unit']}, "
                                             f"not {_plain(data['amount'])}")
            return data
        try:
            checked = units.check_amount(
                data["substance"], data["amount"], data["unit"], data.get("grams_per_unit"),
                max_amount=conf.diary_max_amount(),
            )
        except units.AmountError as exc:
            self.add_error(exc.field, exc.message)
            return data
        data["grams"] = checked.grams
        return data


class BaseUseFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": "uses must hold at most %(num)d use events a day",
        "missing_management_form": "uses must be a list of use events (the form's "
                                   "%(field_names)s was missing: reload the page)",
    }


UseFormSet = forms.formset_factory(UseForm, formset=BaseUseFormSet, extra=USE_ROWS,
                                   max_num=MAX_USES, validate_max=True, absolute_max=MAX_USES)


def parse_submission(data: QueryDict | dict, *, enrolled_on: date | None = None
                     ) -> tuple[EntryForm, forms.BaseFormSet, Submission | None]:
    """(EntryForm, UseFormSet, Submission or None). `data` is a QueryDict or a plain dict."""
    entry = EntryForm(data, enrolled_on=enrolled_on)
    uses = UseFormSet(data, prefix="uses")
    if not (entry.is_valid() & uses.is_valid()):
        return entry, uses, None
    c = entry.cleaned_data
    forms_with_use = [f for f in uses.forms if f.cleaned_data]
    rows = [f.cleaned_data for f in forms_with_use]
    late = check_use_times(c["date"], rows, enrolled_on)
    for i, message in late.items():
        forms_with_use[i].add_error("time", message)
    if late:
        return entry, uses, None
    submission = Submission(
        uuid=c["uuid"], date=c["date"],
        ratings={name: c.get(name) for name in RATINGS},
        motives=list(c["motives"]), note=c["note"], uses=rows,
    )
    return entry, uses, submission


def _plan_day(form: Any, field: str) -> Any:
    """A taper plan's or pause's day within `bounds.plan_day_range` (the patient's enrolment
    when the form knows it, else today)."""
    day = form.cleaned_data.get(field)
    if day is not None:
        try:
            bounds.check_plan_day(field, day,
                                  enrolled_on=form.enrolled_on or timezone.localdate())
        except bounds.OutOfBounds as exc:
            raise forms.ValidationError(str(exc)) from None
    return day


class TaperPlanForm(forms.ModelForm):
    class Meta:
        model = TaperPlan
        fields = ["substance", "unit", "start_date", "start_amount", "target_amount",
                  "step_kind", "step_size", "interval_days", "note"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"interval_days": "Days per step", "note": "Note for the care team"}
        field_classes = {"note": TextField}

    def __init__(self, *args: Any, enrolled_on: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enrolled_on = enrolled_on

    def clean_start_date(self) -> date:
        return _plan_day(self, "start_date")

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
    reason = TextField(max_length=300)

    def __init__(self, *args: Any, enrolled_on: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enrolled_on = enrolled_on

    def clean_start_date(self) -> date:
        return _plan_day(self, "start_date")

    def clean_end_date(self) -> date | None:
        return _plan_day(self, "end_date")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", f"end_date must be on or after the start date ({start})")
        return data


class EndPauseForm(forms.Form):
    """End a taper pause: on `end_date`, or today when it is left empty."""

    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               label="Last day of the pause",
                               help_text="Leave empty to end the pause today.")

    def __init__(self, *args: Any, pause: TaperPause | None = None, today: date | None = None,
                 **kwargs: Any) -> None:
        self.pause = pause
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end_date") or self.today
        data["end_date"] = end
        if self.pause is not None and end is not None and end < self.pause.start_date:
            self.add_error("end_date", "end_date must be on or after the pause's start "
                                       f"({self.pause.start_date}), not {end}")
        return data
