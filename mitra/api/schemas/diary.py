from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from mitra.api.schemas.common import TimeOfDay


class UseIn(Schema):
    substance: str = Field(description="kratom_powder, kratom_capsule, kratom_extract, "
                           "7oh_product, kava, alcohol, opioid, benzodiazepine, cannabis, other")
    amount: Decimal
    unit: str = Field(description="g, mg, capsules, tablets, mL, standard_drinks")
    grams_per_unit: Decimal | None = None
    time: TimeOfDay | None = None
    product_label: str | None = None


class DiaryIn(Schema):
    """Validated by the diary app's own form rules, exactly as the web diary is."""

    uuid: UUID = Field(description="Made by the client; resend the same to retry safely.")
    date: dt.date
    mood: int | None = Field(None, description="0 (very low) to 10 (very good)")
    anxiety: int | None = Field(None, description="0 (none) to 10 (extreme)")
    craving: int | None = Field(None, description="0 to 10")
    sleep_quality: int | None = Field(None, description="0 to 10")
    withdrawal: int | None = Field(None, description="0 to 10")
    motives: list[str] = Field(default_factory=list)
    note: str = ""
    uses: list[UseIn] = Field(default_factory=list, max_length=20)


class UseOut(Schema):
    substance: str
    amount: Decimal
    unit: str
    grams: Decimal | None
    time: TimeOfDay | None
    product_label: str


class DiaryOut(Schema):
    uuid: UUID
    patient: UUID
    date: dt.date
    version: int
    mood: int | None
    anxiety: int | None
    craving: int | None
    sleep_quality: int | None
    withdrawal: int | None
    motives: list[str]
    note: str
    uses: list[UseOut]

    @staticmethod
    def resolve_patient(obj) -> UUID:
        return obj.patient.uuid

    @staticmethod
    def resolve_uses(obj) -> list:
        return list(obj.uses.all())
