"""Validation for diary submissions (HTML form and JSON) and taper plans.

The plain form POST, the diary's JSON endpoint and the REST API all go through
`parse_submission` (the JSON ones through `parse_json_submission`), so every bad value gets the
same message naming the field and the allowed values or range, whichever way it was sent.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone

from mitra.diary import units
from mitra.diary.models import MOTIVES, TaperPlan
from mitra.lib.idempotency import payload_digest

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


def amount_limits() -> dict[str, Decimal]:
    """The maximum amount per use event for each unit in this deployment."""
    return units.amount_limits(max_amounts())


def diary_days(today: date | None = None) -> tuple[date, date]:
    """The days a diary entry may be for: the last year, and one day of slack ahead (a phone
    east of the server's time zone is already in tomorrow)."""
    today = today or timezone.localdate()
    return today - timedelta(days=366), today + timedelta(days=1)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _shown(value) -> str:
    """The value the client sent, quoted, for a message saying what was wrong with it."""
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _not(value) -> str:
    return "" if value in (None, "") else f", not {_shown(value)}"


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
USES_RULE = ("uses: send a list of use objects, each with substance, amount and unit "
             "(optional: grams_per_unit, time, product_label), or [] for a day without use")
NOT_AN_OBJECT = ("send a JSON object with uuid, date, the ratings (mood, anxiety, craving, "
                 "sleep_quality, withdrawal), motives, note and uses")


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
        raw = {name: self.data.get(self.add_prefix(name)) for name in ("uuid", "date")}
        uuid_rule = ("uuid must be a UUID made by the client "
                     "(like 123e4567-e89b-42d3-a456-426614174000)")
        self.fields["uuid"].error_messages.update({
            "required": uuid_rule, "invalid": uuid_rule + _not(raw["uuid"]),
        })
        self.fields["date"].error_messages.update({
            "required": self.date_rule(), "invalid": self.date_rule() + _not(raw["date"]),
        })
        self.fields["motives"].error_messages.update({
            "invalid_choice": f"{MOTIVES_RULE}, not %(value)r",
            "invalid_list": MOTIVES_RULE,
        })
        self.fields["note"].error_messages.update({
            "max_length": "note must be at most %(limit_value)d characters "
                          "(it has %(show_value)d)",
        })

    @staticmethod
    def date_rule() -> str:
        today = timezone.localdate()
        return (f"date must be a day as YYYY-MM-DD within the last year, "
                f"from {diary_days(today)[0]} to today ({today})")

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        first, last = diary_days()
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
    product_label = forms.CharField(required=False, max_length=120, label="Product")

    def __init__(self, *args, **kwargs):
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
                max_amount=max_amounts(),
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
    """Map a JSON submission onto the HTML form's field names, so one validator serves both.

    Values of the wrong JSON type become text the form refuses with its own message; a `uses`
    that is not a list of objects is left out here and reported by `json_shape_errors`.
    """
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
        for key in USE_FIELDS:
            value = use.get(key)
            if value is not None:
                data[f"uses-{i}-{key}"] = str(value)
    return data


def json_shape_errors(payload: dict) -> dict[str, list[str]]:
    """What the form cannot see in a JSON submission: a `uses` that is not a list of use
    objects (which would otherwise be stored as a day without use), an empty use object,
    motives that are not a list, text fields sent as another JSON type."""
    errors: dict[str, list[str]] = {}
    uses = payload.get("uses", [])
    if not isinstance(uses, list):
        errors["uses"] = [f"{USES_RULE}; got {_json_type(uses)}"]
        uses = []
    for i, use in enumerate(uses):
        if not isinstance(use, dict):
            errors[f"uses[{i}]"] = [f"uses[{i}] must be a use object with substance, amount "
                                    f"and unit, not {_json_type(use)} {_shown(use)}"]
        elif all(use.get(key) in (None, "") for key in USE_FIELDS):
            errors[f"uses[{i}]"] = [f"uses[{i}] is empty: a use object needs substance, amount "
                                    f"and unit (leave it out of uses when there was none)"]
        elif use.get("product_label") is not None and not isinstance(use["product_label"], str):
            errors[f"uses[{i}].product_label"] = [
                "product_label must be text of at most 120 characters, or null"]
    motives = payload.get("motives")
    if motives is not None and not (
        isinstance(motives, list) and all(isinstance(m, str) for m in motives)
    ):
        errors["motives"] = [f"{MOTIVES_RULE}, not {_shown(motives)}"]
    note = payload.get("note")
    if note is not None and not isinstance(note, str):
        errors["note"] = ["note must be text of at most 2000 characters"]
    return errors


def _json_type(value) -> str:
    for kind, name in ((bool, "true/false"), (dict, "an object"), (list, "a list"),
                       (str, "text"), (int, "a number"), (float, "a number")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


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


def parse_json_submission(payload, *, enrolled_on: date | None = None
                          ) -> tuple[Submission | None, dict[str, list[str]]]:
    """(Submission, {}) for a valid JSON submission; otherwise (None, every problem by field:
    `uses[N].field` for a use event, `__all__` when the body is not a JSON object)."""
    if not isinstance(payload, dict):
        return None, {"__all__": [NOT_AN_OBJECT]}
    plain = plain_json_submission(payload)
    if plain is not None:
        return plain, {}
    entry, uses, submission = parse_submission(json_to_formdata(payload),
                                               enrolled_on=enrolled_on)
    errors = field_errors(entry, uses) if submission is None else {}
    for name, messages in json_shape_errors(payload).items():
        if name == "motives" or name.endswith(".product_label"):
            errors[name] = messages  # the form's message about str(value) would only confuse
        else:
            errors.setdefault(name, []).extend(messages)
    return (None if errors else submission), _ordered(errors)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.I)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _number_pattern(field: forms.DecimalField) -> re.Pattern:
    """A plain decimal within the field's digits and places: no sign, exponent or spaces."""
    whole, places = field.max_digits - field.decimal_places, field.decimal_places
    return re.compile(rf"\d{{1,{whole}}}(\.\d{{1,{places}}})?\Z")


_AMOUNT = _number_pattern(UseForm.base_fields["amount"])
_FILL = _number_pattern(UseForm.base_fields["grams_per_unit"])
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d\Z")


class _NotPlain(Exception):
    """The value is not in the plain shape: let the forms judge it and word the message."""


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value or len(value.strip()) > limit:
        raise _NotPlain
    return value.strip()


def _number(value, pattern: re.Pattern) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _NotPlain
    text = str(value)
    if not pattern.match(text):
        raise _NotPlain
    return Decimal(text)


def _plain_use(use) -> dict:
    if not isinstance(use, dict):
        raise _NotPlain
    substance, unit = use.get("substance"), use.get("unit")
    if not (isinstance(substance, str) and substance in units.SUBSTANCES
            and isinstance(unit, str) and unit in units.UNITS):
        raise _NotPlain
    amount = _number(use.get("amount"), _AMOUNT)
    fill = use.get("grams_per_unit")
    fill = None if fill in (None, "") else _number(fill, _FILL)
    clock = use.get("time")
    if clock in (None, ""):
        clock = None
    elif isinstance(clock, str) and _CLOCK.match(clock):
        clock = time(int(clock[:2]), int(clock[3:]))
    else:
        raise _NotPlain
    label = _text(use.get("product_label"), UseForm.base_fields["product_label"].max_length)
    try:
        checked = units.check_amount(substance, amount, unit, fill, max_amount=max_amounts())
    except units.AmountError:
        raise _NotPlain from None
    return {"substance": substance, "amount": amount, "unit": unit, "grams_per_unit": fill,
            "time": clock, "product_label": label, "grams": checked.grams}


def plain_json_submission(payload: dict) -> Submission | None:
    """The Submission the forms would make of a JSON submission whose every value has the
    plain shape (a canonical UUID, YYYY-MM-DD, whole-number ratings, HH:MM, amounts without
    exponent or sign, all within range), checked in plain Python; None for anything else, which
    then goes through the forms (`parse_json_submission`), which word every message.

    Built for the diary's busiest path: the forms cost about 2 ms a submission, this about
    0.1 ms. `test_plain_json_submission` checks it against the forms on generated payloads."""
    try:
        raw_uuid, raw_day = payload.get("uuid"), payload.get("date")
        if not (isinstance(raw_uuid, str) and _UUID.match(raw_uuid)):
            raise _NotPlain
        if not (isinstance(raw_day, str) and _DAY.match(raw_day)):
            raise _NotPlain
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise _NotPlain from None
        first, last = diary_days()
        if not first <= day <= last:
            raise _NotPlain
        ratings = {}
        for name in RATINGS:
            value, field = payload.get(name), EntryForm.base_fields[name]
            if value is not None and (type(value) is not int
                                      or not field.min_value <= value <= field.max_value):
                raise _NotPlain
            ratings[name] = value
        motives = payload.get("motives")
        motives = [] if motives is None else motives
        if not isinstance(motives, list) or not all(
                isinstance(m, str) and m in MOTIVES for m in motives):
            raise _NotPlain
        uses = payload.get("uses", [])  # left out: a day without use; null: an error
        if not isinstance(uses, list) or len(uses) > MAX_USES:
            raise _NotPlain
        return Submission(
            uuid=uuidlib.UUID(raw_uuid), date=day, ratings=ratings,
            motives=[str(m) for m in motives],
            note=_text(payload.get("note"), EntryForm.base_fields["note"].max_length),
            uses=[_plain_use(use) for use in uses],
        )
    except _NotPlain:
        return None


def _ordered(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The form's fields first, then `uses`, then each use event in order."""
    def key(name: str):
        if name == "uses":
            return (1, 0, "")
        if name.startswith("uses["):
            index, _, field = name[5:].partition("]")
            return (2, int(index), field)
        return (0, 0, "")
    return dict(sorted(errors.items(), key=lambda item: key(item[0])))


def field_errors(entry: EntryForm, uses) -> dict[str, list[str]]:
    """Errors keyed by field, `uses[N].field` for a use event, for the JSON endpoints."""
    errors = {k: [str(m) for m in v] for k, v in entry.errors.items()}
    for i, form in enumerate(uses.forms):
        for k, v in form.errors.items():
            errors[f"uses[{i}].{k}"] = [str(m) for m in v]
    for message in uses.non_form_errors():
        errors.setdefault("uses", []).append(str(message))
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


class EndPauseForm(forms.Form):
    """End a taper pause: on `end_date`, or today when it is left empty."""

    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               label="Last day of the pause",
                               help_text="Leave empty to end the pause today.")

    def __init__(self, *args, pause=None, today: date | None = None, **kwargs):
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
