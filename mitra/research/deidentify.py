"""De-identification for research copies (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)), plain
Python.

- Each patient gets a **pseudonym**, an HMAC of their record's UUID under a key kept outside
  the database: stable across exports made with the same key, and not reversible without it.
- Every date is **shifted** by a per-patient offset (also from the key), between 1 and 365
  days back: intervals within a patient's record are kept exactly, the calendar is not.
- **Age** at enrolment in whole years, 90 and over grouped as "90+" (§164.514(b)(2)(i)(C)).
- **Jurisdiction** reduced to the country, or the US state (never finer: Mitra stores none).
- **Free text** is never copied: the export's columns are coded values and numbers only.

A strict reading of Safe Harbor removes every date element but the year; shifted dates are
how research platforms keep the intervals an analysis needs. Whether a shifted copy may leave
the clinic under Safe Harbor or needs an expert determination (§164.514(b)(1)) is the
clinic's privacy officer's decision: docs/compliance.md says so.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MAX_SHIFT_DAYS = 365
AGE_TOP = 90  # ages over 89 are one group
PSEUDONYM_HEX = 16


def _digest(key: str, purpose: str, subject: str) -> bytes:
    return hmac.new(key.encode(), f"{purpose}:{subject}".encode(), hashlib.sha256).digest()


def pseudonym(key: str, subject: str) -> str:
    """A stable code for `subject` (a patient's UUID) under `key`: R- and 16 hex digits."""
    return "R-" + _digest(key, "pseudonym", subject).hex()[:PSEUDONYM_HEX]


def shift_days(key: str, subject: str) -> int:
    """The subject's date shift: 1 to 365 days back, the same for every date of theirs."""
    return 1 + int.from_bytes(_digest(key, "date-shift", subject)[:4], "big") % MAX_SHIFT_DAYS


@dataclass(frozen=True)
class Subject:
    """One patient as the export sees them."""

    pseudonym: str
    shift: timedelta
    enrolled_on: date  # the real date: only to count days in care, never written

    def day(self, value: date | None) -> date | None:
        return None if value is None else value - self.shift

    def moment(self, value: datetime | None) -> datetime | None:
        return None if value is None else value - self.shift

    def day_in_care(self, value: date | None) -> int | None:
        return None if value is None else (value - self.enrolled_on).days


def subject(key: str, uuid: str, enrolled_on: date) -> Subject:
    return Subject(pseudonym(key, uuid), timedelta(days=shift_days(key, uuid)), enrolled_on)


def age_group(date_of_birth: date | None, on: date) -> str:
    """Age in whole years on `on`, "90+" from 90; "" when the birth date is unknown."""
    if date_of_birth is None:
        return ""
    years = on.year - date_of_birth.year - ((on.month, on.day) <
                                            (date_of_birth.month, date_of_birth.day))
    return f"{AGE_TOP}+" if years >= AGE_TOP else str(max(years, 0))


def jurisdiction(code: str) -> str:
    """A country (TH) or a US state (US-CA) as stored; anything finer cut to the country."""
    code = (code or "").strip().upper()
    if not code:
        return ""
    country, _, region = code.partition("-")
    return f"{country}-{region}" if country == "US" and region else country
