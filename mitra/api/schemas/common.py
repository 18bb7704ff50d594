from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Schema


class MeOut(Schema):
    username: str
    role: str
    token_name: str
    scopes: list[str]
    token_expires_at: datetime


class PatientOut(Schema):
    uuid: UUID
    display_name: str
    pseudonym: str
    date_of_birth: date | None
    enrolled_on: date
