"""Forms built from the instrument data files; errors name the item and its allowed values."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone

from mitra.measures import recurrence
from mitra.measures.actions import DEFAULT_TIME_OF_DAY, MAX_EVERY_DAYS, MAX_OFFSET_DAYS
from mitra.measures.library import Instrument, Item, instruments
from mitra.measures.models import DEFAULT_WINDOW_MINUTES, Schedule
from mitra.measures.pathways import pathway_ids, pathways
from mitra.measures.recurrence import RuleError


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


WEEKDAY_CHOICES = [(str(n), name) for n, name in enumerate(
    ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), start=1)]
MAX_WINDOW_MINUTES = int(recurrence.MAX_WINDOW.total_seconds() // 60)


def _int_messages(label: str, allowed: str) -> dict[str, str]:
    text = f"{label}: allowed {allowed}."
    return {"min_value": text, "max_value": text, "invalid": text, "required": text}


class ScheduleForm(forms.Form):
    """A schedule for a questionnaire or the diary, in the patient's own time; the checks of
    the rule itself are the action's (`recurrence.validate`), shown here by `add_rule_error`
    under the field they name."""

    # Made when the form is shown: a double-clicked or resent form assigns one schedule.
    schedule_uuid = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Submission id (schedule_uuid) is missing: reload the page and try again.",
            "invalid": "Submission id (schedule_uuid) is not a UUID: reload the page and try "
                       "again.",
        },
    )
    form = forms.ChoiceField(
        label="What is asked", choices=Schedule.Form.choices, required=False,
        initial=Schedule.Form.QUESTIONNAIRE,
        error_messages={"invalid_choice": "What is asked (form): %(value)s is not one of "
                                          "questionnaire, diary."})
    instrument = forms.ChoiceField(
        required=False, label="Instrument (empty for the diary)",
        choices=lambda: [("", "—")] + _instrument_choices())
    cadence = forms.ChoiceField(
        label="Repeat", required=False,
        choices=[("", "From the fields below")] + Schedule.Cadence.choices,
        error_messages={"invalid_choice": "Repeat (cadence): %(value)s is not one of once, "
                                          "interval, weekdays."})
    every_days = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_EVERY_DAYS,
        label="Repeat every N days (leave empty for once)",
        error_messages=_int_messages("Repeat every N days", f"1-{MAX_EVERY_DAYS}, or empty "
                                                            "for once"),
    )
    weekdays = forms.MultipleChoiceField(
        required=False, label="Or on these weekdays", choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Weekdays: %(value)s is not a weekday; allowed "
                                          "1 (Monday) to 7 (Sunday)."})
    anchor = forms.ChoiceField(
        label="Counting from", choices=Schedule.Anchor.choices, required=False,
        initial=Schedule.Anchor.DATE,
        error_messages={"invalid_choice": "Counting from (anchor): %(value)s is not one of "
                                          "date, enrolment, taper_start."})
    start = forms.DateField(
        required=False, label="Start (when counting from a date)",
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Start: enter a date as YYYY-MM-DD."},
    )
    offset_days = forms.IntegerField(
        required=False, min_value=-MAX_OFFSET_DAYS, max_value=MAX_OFFSET_DAYS, initial=0,
        label="Days after enrolment or the taper start",
        error_messages=_int_messages("Days after the anchor (offset_days)",
                                     f"a whole number from -{MAX_OFFSET_DAYS} to "
                                     f"{MAX_OFFSET_DAYS}"),
    )
    time_of_day = forms.TimeField(
        required=False, label="Time of day (the patient's local time)", initial="09:00",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Time of day: enter a local time as HH:MM, such as 20:00."},
    )
    window_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_WINDOW_MINUTES,
        initial=DEFAULT_WINDOW_MINUTES,
        label="Answer window in minutes (4320: 3 days; overdue after it)",
        error_messages=_int_messages("Answer window (window_minutes)",
                                     f"1-{MAX_WINDOW_MINUTES} minutes (60 days)"),
    )
    random_minutes = forms.IntegerField(
        required=False, min_value=0, max_value=recurrence.MAX_RANDOM_MINUTES, initial=0,
        label="Random delay of up to N minutes (0: none)",
        error_messages=_int_messages("Random delay (random_minutes)",
                                     f"0-{recurrence.MAX_RANDOM_MINUTES} minutes"),
    )

    # Where a RuleError's field is shown, and the words it is named by.
    LABELS = {
        "form": "What is asked", "instrument": "Instrument", "cadence": "Repeat",
        "every_days": "Repeat every N days", "weekdays": "Weekdays", "start": "Start",
        "anchor": "Counting from", "offset_days": "Days after the anchor",
        "time_of_day": "Time of day", "window_minutes": "Answer window",
        "random_minutes": "Random delay", "time_zone": "The patient's time zone",
        "pathway": "Care pathway",
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("schedule_uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)
        ids = ", ".join(i.id for i in instruments())
        self.fields["instrument"].error_messages = {
            "invalid_choice": f"Instrument: %(value)s is not one of {ids}.",
        }

    def clean_weekdays(self) -> str:
        return "".join(sorted(self.cleaned_data.get("weekdays") or []))

    def clean(self):
        data = super().clean()
        data["form"] = data.get("form") or Schedule.Form.QUESTIONNAIRE
        data["anchor"] = data.get("anchor") or Schedule.Anchor.DATE
        data["cadence"] = data.get("cadence") or None
        if data["form"] == Schedule.Form.QUESTIONNAIRE and not data.get("instrument") and (
                "instrument" not in self.errors):
            ids = ", ".join(i.id for i in instruments())
            self.add_error("instrument", f"Instrument: choose one of {ids}, "
                                         "or ask for the diary.")
        if data["anchor"] == Schedule.Anchor.DATE:
            if data.get("start") is None and "start" not in self.errors:
                self.add_error("start", "Start: enter a date as YYYY-MM-DD, or count from "
                                        "enrolment or the taper start.")
        else:
            data["start"] = None  # the anchor gives the first day
        for name, default in (("offset_days", 0), ("window_minutes", DEFAULT_WINDOW_MINUTES),
                              ("random_minutes", 0), ("time_of_day", DEFAULT_TIME_OF_DAY)):
            if data.get(name) is None:
                data[name] = default
        return data

    def schedule_fields(self) -> dict:
        """The cleaned data as the keyword arguments of `do_assign_schedule_once`."""
        data = self.cleaned_data
        return {name: data[name] for name in (
            "form", "instrument", "cadence", "every_days", "weekdays", "start", "anchor",
            "offset_days", "time_of_day", "window_minutes", "random_minutes")}

    def add_rule_error(self, exc: RuleError) -> None:
        """The action's RuleError under the field it names, in the field's words."""
        label = self.LABELS.get(exc.field, exc.field)
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, f"{label} ({exc.field}): {exc.message}")


class PathwayForm(forms.Form):
    pathway = forms.ChoiceField(label="Care pathway")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathway"].choices = [(p.id, f"{p.title}: {p.description}")
                                          for p in pathways()]
        ids = ", ".join(pathway_ids())
        self.fields["pathway"].error_messages = {
            "required": f"Care pathway: choose one of {ids}.",
            "invalid_choice": f"Care pathway: %(value)s is not one of {ids}.",
        }
