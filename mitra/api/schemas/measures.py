from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Field, Schema


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
