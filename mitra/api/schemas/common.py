from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from ninja import Schema
from pydantic import WithJsonSchema

# A time of day on the patient's own clock (a diary use at 08:15, an activity at 18:30): it has
# no date, so it has no UTC offset, and one made up from the server's time zone would move the
# patient's 21:00 to another hour for a client converting it. JSON Schema's `format: time` (RFC
# 3339 full-time) requires an offset, so the schema declares what is sent and returned instead.
# Every date-time the API returns does carry one (Django's USE_TZ: aware, in UTC).
TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
TimeOfDay = Annotated[dt.time, WithJsonSchema({
    "type": "string", "pattern": TIME_OF_DAY, "examples": ["08:15"],
    "description": "A time of day on the patient's clock, HH:MM (24-hour; the answer gives "
                   "HH:MM:SS); no UTC offset: it is not an instant.",
})]


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
