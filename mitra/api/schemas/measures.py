from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Field, Schema

from mitra.safety import pathway


class ResponseIn(Schema):
    uuid: UUID = Field(description="Made by the client; resend the same to retry safely.")
    instrument: str = Field(description="An instrument id, e.g. phq9, gad7 (GET /instruments).")
    answers: dict[str, int | None] = Field(
        description="{item link_id: value}; a missing item is null, never 0.")
    submitted_at: datetime | None = None


class ResponseOut(Schema):
    uuid: UUID
    patient: UUID
    instrument: str
    instrument_version: str
    answers: dict[str, int | None]
    total: float | None
    max_total: int
    severity: str
    complete: bool
    prorated: bool
    alerts: list[str]
    submitted_at: datetime

    @staticmethod
    def resolve_patient(obj) -> UUID:
        return obj.patient.uuid


class CrisisLineOut(Schema):
    name: str
    contact: str = Field(description="As the crisis page words it, e.g. \"Call or text 988\".")
    call: str = Field(description="The number as dialled.")
    call_uri: str = Field(description="tel: URI of `call`, for a tap-to-call link.")
    text: str | None = Field(description="The number that takes text messages, if any.")
    text_uri: str | None = Field(description="sms: URI of `text`.")
    url: str | None
    hours: str | None


class CrisisDirectoryOut(Schema):
    name: str
    url: str


class CrisisInternationalOut(Schema):
    note: str
    resources: list[CrisisDirectoryOut]


class CrisisOut(Schema):
    locale: str = Field(description="The crisis locale shown (the patient's intake country, "
                        "else the installation's default).")
    country: str
    name: str = Field(description="The country's name.")
    heading: str
    care_team_alerted: bool = Field(
        description="The urgent alert is recent and unresolved: the care team has been told.")
    unverified: bool = Field(
        description="The numbers are not yet checked against each service's own page: say so.")
    as_of: str | None = Field(description="When the numbers were last checked.")
    page: str = Field(description="The crisis page (absolute URL) for this locale.")
    lines: list[CrisisLineOut]
    international: CrisisInternationalOut


class ResponseSubmittedOut(ResponseOut):
    crisis: CrisisOut | None = Field(
        None, description="Present when this response raised an urgent suicide-risk alert "
        "(PHQ-9 item 9 above 0): show these crisis lines to the patient at once, as the web "
        "form does (it opens the crisis page). Null otherwise.")

    @staticmethod
    def resolve_crisis(obj, context) -> dict | None:
        # Decided by the alert's kind and priority (safety.pathway), as the web form decides
        # to open the crisis page; the page's address from the request.
        return pathway.crisis_if_raised(context["request"], obj.patient, obj.uuid)


class InstrumentOut(Schema):
    id: str
    short_name: str
    name: str
    version: str
    administration: str
    items: list[str]


class ScheduleIn(Schema):
    uuid: UUID = Field(description="Made by the client; resend the same to retry safely.")
    form: str | None = Field(
        None, description="questionnaire (default) or diary.")
    instrument: str | None = Field(
        None, description="An instrument id, e.g. phq9, gad7 (GET /instruments); required for a "
                          "questionnaire, empty for the diary.")
    every_days: int | None = Field(
        None, description="Due again every N days (1-365) from start; null (and no weekdays): "
                          "once.")
    weekdays: list[int] | None = Field(
        None, description="Or on these ISO weekdays, 1 (Monday) to 7 (Sunday), e.g. [1, 3, 5].")
    start: date | None = Field(
        None, description="The first day (YYYY-MM-DD); required unless anchor is enrolment or "
                          "taper_start.")
    anchor: str | None = Field(
        None, description="date (default: start), enrolment or taper_start (the start of the "
                          "patient's taper plan in force): the first day is offset_days after it.")
    offset_days: int | None = Field(
        None, description="Days after the anchor (-365 to 365; 0 with anchor date).")
    time_of_day: str | None = Field(
        None, description="The prompt's local time in the patient's zone, HH:MM (default 09:00).")
    window_minutes: int | None = Field(
        None, description="Minutes the prompt stays open; overdue after it (1-86400, default "
                          "4320: 3 days).")
    random_minutes: int | None = Field(
        None, description="A random delay (0-1440 minutes, shorter than the window), the same "
                          "each time for a schedule and day.")


class ScheduleOut(Schema):
    uuid: UUID
    patient: UUID
    form: str
    instrument: str
    every_days: int | None
    weekdays: list[int]
    cadence: str = Field(description="The rule in words, e.g. \"every 2 weeks at 09:00\".")
    start: date
    anchor: str
    offset_days: int
    time_of_day: str = Field(description="Local time in the patient's zone, HH:MM.")
    window_minutes: int
    random_minutes: int
    pathway: str = Field(description="The care pathway that assigned it; empty by hand.")
    active: bool
    stopped_at: datetime | None

    @staticmethod
    def resolve_patient(obj) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_cadence(obj) -> str:
        return obj.cadence_label

    @staticmethod
    def resolve_weekdays(obj) -> list[int]:
        return [int(d) for d in obj.weekdays]

    @staticmethod
    def resolve_time_of_day(obj) -> str:
        return obj.time_of_day.strftime("%H:%M")
