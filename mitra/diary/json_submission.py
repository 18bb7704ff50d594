"""Reading a JSON diary submission (the diary's endpoint and the REST API).

`parse_json_submission` is the one entry point. The common, plainly shaped submission is read in
plain Python (`plain_json_submission`, the fast path of the diary's busiest write); anything
else is mapped onto the web form's fields and judged by the forms, so every message is the
forms' own, keyed by field (`uses[N].field` for a use event).
"""

from __future__ import annotations

import re
import uuid as uuidlib
from datetime import date, time
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BaseFormSet

from mitra.diary import units
from mitra.diary.forms import (
    MAX_USES,
    MOTIVES_RULE,
    RATINGS,
    USE_FIELDS,
    EntryForm,
    UseForm,
    check_use_times,
    diary_days,
    parse_submission,
    shown,
)
from mitra.diary.models import MOTIVES
from mitra.diary.submission import Submission
from mitra.lib import conf, untrusted

USES_RULE = ("uses: send a list of use objects, each with substance, amount and unit "
             "(optional: grams_per_unit, time, product_label), or [] for a day without use")
NOT_AN_OBJECT = ("send a JSON object with uuid, date, the ratings (mood, anxiety, craving, "
                 "sleep_quality, withdrawal), motives, note and uses")


def json_to_formdata(payload: dict[str, Any]) -> dict[str, Any]:
    """Map a JSON submission onto the HTML form's field names, so one validator serves both.

    Values of the wrong JSON type become text the form refuses with its own message; a `uses`
    that is not a list of objects is left out here and reported by `json_shape_errors`.
    """
    data: dict[str, Any] = {}
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


def json_shape_errors(payload: dict[str, Any]) -> dict[str, list[str]]:
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
                                    f"and unit, not {_json_type(use)} {shown(use)}"]
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
        errors["motives"] = [f"{MOTIVES_RULE}, not {shown(motives)}"]
    note = payload.get("note")
    if note is not None and not isinstance(note, str):
        errors["note"] = ["note must be text of at most 2000 characters"]
    return errors


def _json_type(value: object) -> str:
    for kind, name in ((bool, "true/false"), (dict, "an object"), (list, "a list"),
                       (str, "text"), (int, "a number"), (float, "a number")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def parse_json_submission(payload: object, *, enrolled_on: date | None = None
                          ) -> tuple[Submission | None, dict[str, list[str]]]:
    """(Submission, {}) for a valid JSON submission; otherwise (None, every problem by field:
    `uses[N].field` for a use event, `__all__` when the body is not a JSON object)."""
    if not isinstance(payload, dict):
        return None, {"__all__": [NOT_AN_OBJECT]}
    plain = plain_json_submission(payload, enrolled_on=enrolled_on)
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


def _number_pattern(field: forms.DecimalField) -> re.Pattern[str]:
    """A plain decimal within the field's digits and places: no sign, exponent or spaces."""
    whole, places = field.max_digits - field.decimal_places, field.decimal_places
    return re.compile(rf"\d{{1,{whole}}}(\.\d{{1,{places}}})?\Z")


_AMOUNT = _number_pattern(UseForm.base_fields["amount"])
_FILL = _number_pattern(UseForm.base_fields["grams_per_unit"])
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d\Z")


class _NotPlain(Exception):
    """The value is not in the plain shape: let the forms judge it and word the message."""


def _text(value: object, limit: int) -> str:
    if value is None:
        return ""
    if (not isinstance(value, str) or untrusted.text_problem(value) is not None
            or len(value.strip()) > limit):
        raise _NotPlain
    return value.strip()


def _number(value: object, pattern: re.Pattern[str]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _NotPlain
    text = str(value)
    if not pattern.match(text):
        raise _NotPlain
    return Decimal(text)


def _plain_use(use: object) -> dict[str, Any]:
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
        checked = units.check_amount(substance, amount, unit, fill,
                                     max_amount=conf.diary_max_amount())
    except units.AmountError:
        raise _NotPlain from None
    return {"substance": substance, "amount": amount, "unit": unit, "grams_per_unit": fill,
            "time": clock, "product_label": label, "grams": checked.grams}


def plain_json_submission(payload: dict[str, Any], *, enrolled_on: date | None = None
                          ) -> Submission | None:
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
        first, last = diary_days(enrolled_on=enrolled_on)
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
        plain_uses = [_plain_use(use) for use in uses]
        if check_use_times(day, plain_uses, enrolled_on):
            raise _NotPlain
        return Submission(
            uuid=uuidlib.UUID(raw_uuid), date=day, ratings=ratings,
            motives=[str(m) for m in motives],
            note=_text(payload.get("note"), EntryForm.base_fields["note"].max_length),
            uses=plain_uses,
        )
    except _NotPlain:
        return None


def _ordered(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The form's fields first, then `uses`, then each use event in order."""
    def key(name: str) -> tuple[int, int, str]:
        if name == "uses":
            return (1, 0, "")
        if name.startswith("uses["):
            index, _, field = name[5:].partition("]")
            return (2, int(index), field)
        return (0, 0, "")
    return dict(sorted(errors.items(), key=lambda item: key(item[0])))


def field_errors(entry: EntryForm, uses: BaseFormSet) -> dict[str, list[str]]:
    """Errors keyed by field, `uses[N].field` for a use event, for the JSON endpoints."""
    errors = {k: [str(m) for m in v] for k, v in entry.errors.items()}
    for i, form in enumerate(uses.forms):
        for k, v in form.errors.items():
            errors[f"uses[{i}].{k}"] = [str(m) for m in v]
    for message in uses.non_form_errors():
        errors.setdefault("uses", []).append(str(message))
    return errors
