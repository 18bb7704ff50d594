"""Forms built from the instrument data files; errors name the item and its allowed values."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone

from mitra.measures.actions import MAX_EVERY_DAYS
from mitra.measures.library import Instrument, Item, instruments


def _allowed(instrument: Instrument, item: Item) -> str:
    if item.response is not None:
        return (f"a whole number from {item.response.min} ({item.response.left_anchor}) to"
                f" {item.response.max} ({item.response.right_anchor})")
    return "; ".join(f"{o.value} “{o.text}”" for o in instrument.options_for(item))


class ResponseForm(forms.Form):
    """One field per item (`q1`, `q2`, ...), plus the client-made response UUID."""

    response_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, instrument: Instrument, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("response_uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for number, item in enumerate(instrument.items, start=1):
            label = f"Item {number}"
            messages = {
                "required": f"{label} needs an answer; allowed: {_allowed(instrument, item)}.",
                "invalid_choice": f"{label}: choose one of {_allowed(instrument, item)}.",
                "invalid": f"{label}: enter {_allowed(instrument, item)}.",
                "min_value": f"{label}: enter {_allowed(instrument, item)}.",
                "max_value": f"{label}: enter {_allowed(instrument, item)}.",
            }
            if item.response is not None:
                field: forms.Field = forms.IntegerField(
                    min_value=item.response.min, max_value=item.response.max,
                    required=item.required, error_messages=messages,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )
            else:
                field = forms.TypedChoiceField(
                    choices=[(o.value, o.text) for o in instrument.options_for(item)],
                    coerce=int, empty_value=None, required=item.required,
                    widget=forms.RadioSelect, error_messages=messages,
                )
            field.label = item.text
            field.item = item  # type: ignore[attr-defined]
            field.number = number  # type: ignore[attr-defined]
            self.fields[f"q{number}"] = field
            if item.measurement is not None:
                # The measured reading decides the answer; a chosen band alone still counts.
                m = item.measurement
                field.required = False
                reading_range = f"a whole number from {m.min} to {m.max}"
                self.fields[f"q{number}_reading"] = forms.IntegerField(
                    required=False, min_value=m.min, max_value=m.max,
                    label=f"{m.label} ({m.unit})",
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                    error_messages={k: f"{label}, {m.label.lower()}: enter {reading_range} "
                                       f"({m.unit})." for k in ("invalid", "min_value",
                                                                 "max_value")},
                )
                field.reading = f"q{number}_reading"  # type: ignore[attr-defined]

    def clean(self):
        cleaned = super().clean()
        for number, item in enumerate(self.instrument.items, start=1):
            m = item.measurement
            if m is None:
                continue
            name, label = f"q{number}", f"Item {number}"
            reading = cleaned.get(f"{name}_reading")
            chosen = cleaned.get(name)
            if reading is None:
                if chosen is None and not self.has_error(f"{name}_reading"):
                    self.add_error(name, f"{label} needs an answer: enter the measured "
                                         f"{m.label.lower()} ({m.unit}) or choose one of "
                                         f"{_allowed(self.instrument, item)}.")
                continue
            derived = m.value_for(reading)
            if chosen is not None and chosen != derived:
                text = next(o.text for o in self.instrument.options_for(item)
                            if o.value == derived)
                self.add_error(name, f"{label}: a {m.label.lower()} of {reading} {m.unit} "
                                     f"scores {derived} ('{text}'), not {chosen}; correct the "
                                     "reading or the choice.")
                continue
            cleaned[name] = derived
        return cleaned

    def readings(self) -> dict[str, int]:
        """The measured readings given with the answers ({link_id: reading})."""
        return {
            item.link_id: self.cleaned_data[f"q{number}_reading"]
            for number, item in enumerate(self.instrument.items, start=1)
            if item.measurement is not None
            and self.cleaned_data.get(f"q{number}_reading") is not None
        }

    def item_fields(self):
        return [self[f"q{n}"] for n in range(1, len(self.instrument.items) + 1)]

    def item_rows(self):
        """(item field, its measured-reading field or None), in item order."""
        return [(field, self[field.field.reading] if hasattr(field.field, "reading") else None)
                for field in self.item_fields()]

    def answers(self) -> dict[str, int | None]:
        """{link_id: value} for every item, from cleaned data."""
        return {
            item.link_id: self.cleaned_data.get(f"q{number}")
            for number, item in enumerate(self.instrument.items, start=1)
        }


def _instrument_choices():
    return [(i.id, f"{i.short_name} — {i.name}") for i in instruments()]


class ScheduleForm(forms.Form):
    # Made when the form is shown: a double-clicked or resent form assigns one schedule.
    schedule_uuid = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Submission id (schedule_uuid) is missing: reload the page and try again.",
            "invalid": "Submission id (schedule_uuid) is not a UUID: reload the page and try "
                       "again.",
        },
    )
    instrument = forms.ChoiceField(choices=_instrument_choices)
    every_days = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_EVERY_DAYS,
        label="Repeat every N days (leave empty for once)",
        error_messages={
            "min_value": f"Repeat every N days: allowed 1-{MAX_EVERY_DAYS}, or empty for once.",
            "max_value": f"Repeat every N days: allowed 1-{MAX_EVERY_DAYS}, or empty for once.",
            "invalid": f"Repeat every N days: allowed 1-{MAX_EVERY_DAYS}, or empty for once.",
        },
    )
    start = forms.DateField(
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Start: enter a date as YYYY-MM-DD."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("schedule_uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)
        ids = ", ".join(i.id for i in instruments())
        self.fields["instrument"].error_messages = {
            "required": f"Instrument: choose one of {ids}.",
            "invalid_choice": f"Instrument: %(value)s is not one of {ids}.",
        }
