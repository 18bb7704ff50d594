"""A diary submission as validated: the one type the web form, the JSON endpoint, the REST API,
the actions and the demo cohort share, and its payload hash (idempotency: a repeat with the same
client UUID must carry the same normalised payload).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from mitra.lib.idempotency import payload_digest


@dataclass(frozen=True)
class Submission:
    uuid: UUID
    date: date
    ratings: dict[str, int | None]
    motives: list[str]
    note: str
    uses: list[dict[str, Any]]

    def normalised(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            **self.ratings,
            "motives": sorted(self.motives),
            "note": self.note.strip(),
            "uses": [
                {
                    "substance": u["substance"],
                    "amount": _dec(u["amount"]),
                    "unit": u["unit"],
                    "grams_per_unit": _dec(u.get("grams_per_unit")),
                    "time": u["time"].strftime("%H:%M") if u.get("time") else None,
                    "product_label": (u.get("product_label") or "").strip(),
                }
                for u in self.uses
            ],
        }

    def payload_hash(self) -> str:
        return payload_digest(self.normalised())


def _dec(value: Decimal | float | str | None) -> str | None:
    if value is None or value == "":
        return None
    return format(Decimal(value).normalize(), "f")
