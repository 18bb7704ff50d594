"""CBT records over REST. Inputs are checked by the CBT app's own forms (`mitra.cbt.forms`), so
the ranges and messages are the web pages'; these schemas only give the JSON its shape."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from ninja import Field, Schema

from mitra.api.schemas.common import TimeOfDay

CLIENT_UUID = "Made by the client; resend the same to retry safely."


class _OfPatient(Schema):
    @staticmethod
    def resolve_patient(obj) -> UUID:
        return obj.patient.uuid


# Thought records -------------------------------------------------------------------------

class EmotionIn(Schema):
    emotion: str = Field(description="For example anxious, sad, angry, ashamed (max 40 chars).")
    before: int | None = Field(None, description="Intensity 0-100 (required with an emotion).")
    after: int | None = Field(None, description="Re-rated intensity 0-100, after the balanced "
                                                "thought (optional).")


class ThoughtRecordIn(Schema):
    uuid: UUID = Field(description=CLIENT_UUID)
    occurred_on: dt.date = Field(description="Within the last 365 days, not in the future.")
    situation: str
    automatic_thoughts: str
    # The web form has three emotion rows; the first is required.
    emotions: list[EmotionIn] = Field(default_factory=list, max_length=3,
                                      description="1 to 3 emotions.")
    distortions: list[str] = Field(default_factory=list,
                                   description="Thinking-trap keys (see the CBT catalogue).")
    evidence_for: str = ""
    evidence_against: str = ""
    balanced_thought: str = ""


class EmotionOut(Schema):
    emotion: str
    before: int | None
    after: int | None


class ThoughtRecordOut(_OfPatient):
    uuid: UUID
    patient: UUID
    occurred_on: dt.date
    situation: str
    automatic_thoughts: str
    emotions: list[EmotionOut]
    distortions: list[str]
    catalogue_version: int
    evidence_for: str
    evidence_against: str
    balanced_thought: str
    created_at: dt.datetime


# Homework --------------------------------------------------------------------------------

class HomeworkIn(Schema):
    uuid: UUID = Field(description=CLIENT_UUID)
    kind: str = Field(description="thought_record, activation, exposure, relapse_plan, module")
    module_slug: str = Field("", description="Required when kind is module.")
    due_on: dt.date = Field(description="From today to 90 days ahead.")
    instructions: str = Field("", description="At most 2000 characters.")


class HomeworkCompleteIn(Schema):
    note: str = Field("", description="Note for the clinician (optional, max 2000 chars).")


class HomeworkOut(_OfPatient):
    uuid: UUID
    patient: UUID
    kind: str
    title: str
    module_slug: str
    instructions: str
    due_on: dt.date
    overdue: bool
    completed_at: dt.datetime | None
    completion_note: str
    # The exercise that completed it (a thought record, activity slot, exposure log or
    # relapse-plan version, by `kind`), when the patient did the work rather than marking it.
    completed_with: UUID | None
    created_at: dt.datetime

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.title()

    @staticmethod
    def resolve_overdue(obj) -> bool:
        from django.utils import timezone

        return obj.is_overdue(timezone.localdate())


# Exposure --------------------------------------------------------------------------------

class ExposureItemIn(Schema):
    uuid: UUID = Field(description=CLIENT_UUID)
    situation: str = Field(description="At most 200 characters.")
    expected_suds: int = Field(description="Expected distress, SUDS 0-100.")


class ExposureItemOut(_OfPatient):
    uuid: UUID
    patient: UUID
    situation: str
    expected_suds: int
    created_at: dt.datetime


class ExposureLogIn(Schema):
    uuid: UUID = Field(description=CLIENT_UUID)
    item: UUID = Field(description="The exposure item (hierarchy step) practised.")
    done_on: dt.date = Field(description="Within the last 365 days, not in the future.")
    suds_before: int = Field(description="SUDS 0-100")
    suds_peak: int = Field(description="SUDS 0-100, at least before and after")
    suds_after: int = Field(description="SUDS 0-100")
    minutes: int | None = Field(None, description="1-600")
    note: str = ""


class ExposureLogOut(_OfPatient):
    uuid: UUID
    patient: UUID
    item: UUID
    situation: str
    done_on: dt.date
    suds_before: int
    suds_peak: int
    suds_after: int
    minutes: int | None
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_item(obj) -> UUID:
        return obj.item.uuid

    @staticmethod
    def resolve_situation(obj) -> str:
        return obj.item.situation


# Behavioural activation ------------------------------------------------------------------

class ValueIn(Schema):
    uuid: UUID = Field(description=CLIENT_UUID)
    name: str = Field(description="Something that matters to the patient, such as family, "
                                  "health or learning (1-80 characters).")
    why: str = Field("", description="Why it matters (optional, at most 4000 characters).")


class ValueOut(_OfPatient):
    uuid: UUID
    patient: UUID
    name: str
    why: str
    created_at: dt.datetime


class ActivityIn(Schema):
    uuid: UUID = Field(description=CLIENT_UUID)
    name: str = Field(description="Small and specific, e.g. a 10-minute walk "
                                  "(1-120 characters).")
    value: UUID | None = Field(None, description="The value it serves: one of the patient's "
                                                 "values (GET .../values), or null for none.")


class ActivityOut(_OfPatient):
    uuid: UUID
    patient: UUID
    name: str
    value: UUID | None
    value_name: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_value(obj) -> UUID | None:
        return obj.value.uuid if obj.value_id else None

    @staticmethod
    def resolve_value_name(obj) -> str | None:
        return obj.value.name if obj.value_id else None


class ActivitySlotIn(Schema):
    uuid: UUID = Field(description=CLIENT_UUID)
    activity: UUID = Field(description="One of the patient's activities "
                                       "(GET .../activities).")
    scheduled_for: dt.date = Field(description="From 30 days ago to 180 days ahead.")
    at_time: TimeOfDay | None = Field(None, description="Time of day, HH:MM (optional).")


class ActivityCompleteIn(Schema):
    mastery: int | None = Field(None, description="0-10 (required)")
    pleasure: int | None = Field(None, description="0-10 (required)")
    mood_before: int | None = Field(None, description="0-10")
    mood_after: int | None = Field(None, description="0-10")


class ActivitySlotOut(_OfPatient):
    uuid: UUID
    patient: UUID
    activity: UUID
    activity_name: str
    value: str | None
    scheduled_for: dt.date
    at_time: TimeOfDay | None
    completed_at: dt.datetime | None
    mastery: int | None
    pleasure: int | None
    mood_before: int | None
    mood_after: int | None

    @staticmethod
    def resolve_activity(obj) -> UUID:
        return obj.activity.uuid

    @staticmethod
    def resolve_activity_name(obj) -> str:
        return obj.activity.name

    @staticmethod
    def resolve_value(obj) -> str | None:
        return obj.activity.value.name if obj.activity.value_id else None


# Relapse-prevention plan -----------------------------------------------------------------

_SECTION = "One short line per item (at most 20 lines of 200 characters)."


class RelapsePlanIn(Schema):
    uuid: UUID = Field(description=CLIENT_UUID)
    triggers: list[str] = Field(default_factory=list, description=_SECTION)
    high_risk_situations: list[str] = Field(default_factory=list, description=_SECTION)
    warning_signs: list[str] = Field(default_factory=list, description=_SECTION)
    coping_strategies: list[str] = Field(default_factory=list, description=_SECTION)
    people_to_call: list[str] = Field(default_factory=list, description=_SECTION)
    reasons_for_change: list[str] = Field(default_factory=list, description=_SECTION)


class RelapsePlanOut(_OfPatient):
    uuid: UUID
    patient: UUID
    version: int
    created_at: dt.datetime
    triggers: list[str]
    high_risk_situations: list[str]
    warning_signs: list[str]
    coping_strategies: list[str]
    people_to_call: list[str]
    reasons_for_change: list[str]
