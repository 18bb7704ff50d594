"""Forms for the CBT tools. Every error message names the field and the allowed values."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from mitra.cbt.catalogue import distortions, modules
from mitra.cbt.models import Activity, Homework, RelapsePlan, Value
from mitra.lib import bounds
from mitra.lib.textfield import TextField

EMOTION_ROWS = 3


def rating(label: str, lo: int, hi: int, *, required: bool = True, help_text: str = ""):
    message = f"{label}: enter a whole number from {lo} to {hi}."
    return forms.IntegerField(
        label=label, min_value=lo, max_value=hi, required=required, help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": f"{label} is required: enter a whole number from {lo} to {hi}.",
            "invalid": message, "min_value": message, "max_value": message,
        },
    )


def text(label: str, *, required: bool = True, max_length: int = 4000, rows: int = 3,
         help_text: str = ""):
    return TextField(
        label=label, required=required, max_length=max_length, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(),
        error_messages={
            "required": f"{label} is required.",
            "max_length": f"{label}: at most {max_length} characters.",
        },
    )


def day(label: str, *, required: bool = True):
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": f"{label} is required (a date, YYYY-MM-DD).",
            "invalid": f"{label}: enter a date as YYYY-MM-DD.",
        },
    )


class SubmissionForm(forms.Form):
    """Carries the client-made UUID that makes a resubmission harmless."""

    uuid = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Submission id (uuid) is missing: reload the page and try again.",
            "invalid": "Submission id (uuid) is not a UUID: reload the page and try again.",
        },
    )

    def __init__(self, *args, today: date | None = None, enrolled_on: date | None = None,
                 **kwargs):
        self.today = today or timezone.localdate()
        # The patient's enrolment: no record is dated before it (lib/bounds.py). None where
        # the form is shown before the patient is known.
        self.enrolled_on = enrolled_on
        super().__init__(*args, **kwargs)

    def _date_between(self, name: str, earliest: date, latest: date) -> date | None:
        """The day within earliest..latest, not before enrolment; the message names the field
        and the range (and says when enrolment is what bounds it)."""
        value = self.cleaned_data.get(name)
        since = ""
        if self.enrolled_on is not None and self.enrolled_on >= earliest:
            earliest, since = self.enrolled_on, " (enrolment)"
        if value is not None and not earliest <= value <= latest:
            label = self.fields[name].label
            raise forms.ValidationError(
                f"{label} must be between {earliest:%Y-%m-%d}{since} and {latest:%Y-%m-%d}."
            )
        return value

    def _record_day(self, name: str) -> date | None:
        """A day something happened (a thought record, an exposure practice): within the last
        year, from enrolment to today plus a day (`bounds.record_day_range`: a phone east of
        the server is already in tomorrow)."""
        first, last = bounds.record_day_range(self.enrolled_on or date.min, self.today)
        return self._date_between(name, max(first, self.today - timedelta(days=365)), last)


class ThoughtRecordForm(SubmissionForm):
    occurred_on = day("Date it happened")
    situation = text("Situation", help_text="Where were you, what was happening, who with?")
    automatic_thoughts = text(
        "Automatic thoughts", help_text="What went through your mind? Write it as you thought it."
    )
    distortions = forms.MultipleChoiceField(
        label="Thinking traps", required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Thinking traps: %(value)s is not in the list."},
    )
    evidence_for = text("Evidence for the thought", required=False)
    evidence_against = text("Evidence against the thought", required=False)
    balanced_thought = text(
        "Balanced thought", required=False,
        help_text="A fairer way of seeing it that takes all the evidence into account.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distortions"].choices = [
            (d.key, d.name) for d in distortions().distortions
        ]
        for i in range(1, EMOTION_ROWS + 1):
            self.fields[f"emotion_{i}"] = text(
                f"Emotion {i}", required=i == 1, max_length=40, rows=0,
                help_text="For example: anxious, sad, angry, ashamed." if i == 1 else "",
            )
            self.fields[f"before_{i}"] = rating(f"Emotion {i} intensity", 0, 100, required=False)
            self.fields[f"after_{i}"] = rating(
                f"Emotion {i} re-rated", 0, 100, required=False,
                help_text="How strong is it now, after the balanced thought?",
            )

    def emotion_rows(self):
        return [
            (self[f"emotion_{i}"], self[f"before_{i}"]) for i in range(1, EMOTION_ROWS + 1)
        ]

    def rerate_rows(self):
        return [self[f"after_{i}"] for i in range(1, EMOTION_ROWS + 1)]

    def clean_occurred_on(self):
        return self._record_day("occurred_on")

    def clean(self):
        data = super().clean()
        for i in range(1, EMOTION_ROWS + 1):
            name = (data.get(f"emotion_{i}") or "").strip()
            before, after = data.get(f"before_{i}"), data.get(f"after_{i}")
            if name and before is None and f"before_{i}" not in self.errors:
                self.add_error(
                    f"before_{i}",
                    f"Emotion {i} intensity is required: enter a whole number from 0 to 100.",
                )
            if not name and (before is not None or after is not None):
                self.add_error(f"emotion_{i}", f"Emotion {i}: name the emotion you rated.")
        return data

    def record_data(self) -> dict:
        data = self.cleaned_data
        emotions = []
        for i in range(1, EMOTION_ROWS + 1):
            name = (data.get(f"emotion_{i}") or "").strip()
            if name:
                emotions.append({"emotion": name, "before": data[f"before_{i}"],
                                 "after": data.get(f"after_{i}")})
        return {
            "occurred_on": data["occurred_on"],
            "situation": data["situation"].strip(),
            "automatic_thoughts": data["automatic_thoughts"].strip(),
            "emotions": emotions,
            "distortions": sorted(data.get("distortions") or []),
            "evidence_for": data.get("evidence_for", "").strip(),
            "evidence_against": data.get("evidence_against", "").strip(),
            "balanced_thought": data.get("balanced_thought", "").strip(),
        }


class ValueForm(SubmissionForm):
    name = text("Value", max_length=80, rows=0,
                help_text="Something that matters to you, such as family, health or learning.")
    why = text("Why it matters", required=False, rows=2)


class _PatientChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class ActivityForm(SubmissionForm):
    name = text("Activity", max_length=120, rows=0,
                help_text="Small and specific: a 10-minute walk.")
    value = _PatientChoice(
        label="Value it serves", queryset=Value.objects.none(), required=False,
        to_field_name="uuid", empty_label="(none)",
        error_messages={"invalid_choice": "Value it serves: choose one of your values."},
    )

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].queryset = Value.objects.filter(patient=patient)


class ScheduleForm(SubmissionForm):
    activity = _PatientChoice(
        label="Activity", queryset=Activity.objects.none(), to_field_name="uuid",
        error_messages={
            "required": "Activity is required: choose one of your activities.",
            "invalid_choice": "Activity: choose one of your activities.",
        },
    )
    scheduled_for = day("Day")
    at_time = forms.TimeField(
        label="Time (optional)", required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"invalid": "Time (optional): enter a time as HH:MM."},
    )

    def __init__(self, *args, patient=None, **kwargs):
        if patient is not None:
            kwargs.setdefault("enrolled_on", patient.enrolled_on)
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = Activity.objects.filter(patient=patient)

    def clean_scheduled_for(self):
        return self._date_between(
            "scheduled_for", self.today - timedelta(days=30), self.today + timedelta(days=180)
        )


class CompleteActivityForm(forms.Form):
    mastery = rating("Mastery", 0, 10, help_text="How much of an achievement was it? 0-10")
    pleasure = rating("Pleasure", 0, 10, help_text="How much did you enjoy it? 0-10")
    mood_before = rating("Mood before", 0, 10, required=False, help_text="0 = lowest, 10 = best")
    mood_after = rating("Mood after", 0, 10, required=False, help_text="0 = lowest, 10 = best")


class ExposureItemForm(SubmissionForm):
    situation = text("Situation", max_length=200, rows=0,
                     help_text="A situation you avoid or that makes you anxious.")
    expected_suds = rating(
        "Expected distress (SUDS)", 0, 100,
        help_text="How distressing do you expect it to be? 0 = calm, 100 = the worst imaginable.",
    )


class ExposureLogForm(SubmissionForm):
    done_on = day("Date")
    suds_before = rating("Distress before (SUDS)", 0, 100)
    suds_peak = rating("Peak distress (SUDS)", 0, 100)
    suds_after = rating("Distress after (SUDS)", 0, 100)
    minutes = rating("Minutes spent", 1, 600, required=False)
    note = text("What did you learn?", required=False, rows=2)

    def clean_done_on(self):
        return self._record_day("done_on")

    def clean(self):
        data = super().clean()
        peak = data.get("suds_peak")
        for name in ("suds_before", "suds_after"):
            value = data.get(name)
            if peak is not None and value is not None and peak < value:
                self.add_error(
                    "suds_peak",
                    f"Peak distress (SUDS) must be at least {self.fields[name].label} "
                    f"({value}): the peak is the highest point, 0-100.",
                )
                break
        return data

    def log_data(self) -> dict:
        data = self.cleaned_data
        return {key: data.get(key) for key in
                ("done_on", "suds_before", "suds_peak", "suds_after", "minutes")} | {
            "note": (data.get("note") or "").strip()}


MAX_LINES = 20
MAX_LINE = 200


class RelapsePlanForm(SubmissionForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in RelapsePlan.SECTIONS:
            self.fields[name] = text(label, required=False, rows=3,
                                     help_text="One item per line.")

    def _lines(self, name: str) -> list[str]:
        raw = self.cleaned_data.get(name) or ""
        return [line.strip() for line in raw.splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        total = 0
        for name, label in RelapsePlan.SECTIONS:
            if name in self.errors:
                continue
            lines = self._lines(name)
            total += len(lines)
            if len(lines) > MAX_LINES:
                self.add_error(name, f"{label}: at most {MAX_LINES} lines ({len(lines)} given).")
            elif any(len(line) > MAX_LINE for line in lines):
                self.add_error(name, f"{label}: each line at most {MAX_LINE} characters.")
        if total == 0 and not self.errors:
            raise forms.ValidationError("Write at least one line in any section of the plan.")
        return data

    def sections(self) -> dict[str, list[str]]:
        return {name: self._lines(name) for name, _label in RelapsePlan.SECTIONS}


class HomeworkForm(SubmissionForm):
    kind = forms.ChoiceField(
        label="Exercise", choices=Homework.Kind.choices,
        error_messages={
            "required": "Exercise is required: choose "
                        + ", ".join(str(label) for _v, label in Homework.Kind.choices) + ".",
            "invalid_choice": "Exercise: %(value)s is not one of "
                              + ", ".join(v for v, _l in Homework.Kind.choices) + ".",
        },
    )
    module_slug = forms.ChoiceField(
        label="Module (when the exercise is reading a module)", required=False,
        error_messages={"invalid_choice": "Module: %(value)s is not one of the modules."},
    )
    due_on = day("Due date")
    instructions = text("Instructions", required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module_slug"].choices = [("", "(none)")] + [
            (m.slug, m.title) for m in modules().modules
        ]

    def clean_due_on(self):
        return self._date_between("due_on", self.today, self.today + timedelta(days=90))

    def clean(self):
        data = super().clean()
        if data.get("kind") == Homework.Kind.MODULE and not data.get("module_slug"):
            self.add_error(
                "module_slug",
                "Module is required when the exercise is reading a module: choose one of "
                + ", ".join(m.slug for m in modules().modules) + ".",
            )
        if data.get("kind") and data.get("kind") != Homework.Kind.MODULE:
            data["module_slug"] = ""
        return data


class CompleteHomeworkForm(forms.Form):
    note = text("Note for your clinician (optional)", required=False, max_length=2000, rows=2)
