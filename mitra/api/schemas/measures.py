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
    instrument: str = Field(description="An instrument id, e.g. phq9, gad7 (GET /instruments).")
    every_days: int | None = Field(
        None, description="Due again every N days (1-365) from start; null: once.")
    start: date = Field(description="The first day it is due (YYYY-MM-DD).")


class ScheduleOut(Schema):
    uuid: UUID
    patient: UUID
    instrument: str
    every_days: int | None
    cadence: str
    start: date
    active: bool
    stopped_at: datetime | None

    @staticmethod
    def resolve_patient(obj) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_cadence(obj) -> str:
        return obj.cadence_label
