"""When a patient's request about their record must be answered. Plain Python, no Django.

The periods, and where they come from:

- **Access and everything answered like it** (restrict, delete, close the account): 30 days
  after the request is received, and one extension of at most 30 more days, when the patient
  is told in writing, within the first 30, why and by when (45 CFR 164.524(b)(2)(i)-(iii)).
  A restriction (164.522(a)) and a deletion (not a HIPAA right at all) have no period of
  their own in the rule; Mitra holds them to the access period, the shortest, so that no
  request waits longer than a copy of the record would.
- **Amendment** (correct my records): 60 days after receipt, one extension of at most 30
  more days on the same terms (164.526(b)(2)(i)-(ii)).

A clinic may answer sooner; it may never have more than one extension. Counted in calendar
days from the day filed (the rule says "no later than 30 days after receipt").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

RESTRICT = "restrict"
AMEND = "amend"
DELETE = "delete"
CLOSE = "close"
KINDS = (RESTRICT, AMEND, DELETE, CLOSE)


@dataclass(frozen=True)
class Period:
    days: int
    extension_days: int
    source: str


ACCESS = Period(30, 30, "45 CFR 164.524(b)(2)")
AMENDMENT = Period(60, 30, "45 CFR 164.526(b)(2)")

PERIODS: dict[str, Period] = {RESTRICT: ACCESS, AMEND: AMENDMENT, DELETE: ACCESS, CLOSE: ACCESS}


class DeadlineError(ValueError):
    """A kind not known, or a second extension; the message names the field."""


def period_of(kind: str) -> Period:
    try:
        return PERIODS[kind]
    except KeyError:
        raise DeadlineError(
            f"kind: {kind!r} is not a kind of request; allowed: {', '.join(KINDS)}") from None


def due_on(kind: str, filed_on: date) -> date:
    """The last day to answer a request of `kind` filed on `filed_on`."""
    return filed_on + timedelta(days=period_of(kind).days)


def extended_due_on(kind: str, due: date, *, already_extended: bool) -> date:
    """The new last day after the one extension; DeadlineError for a second one."""
    if already_extended:
        raise DeadlineError("extension: this request was extended once already; the rule "
                            "allows only one extension")
    return due + timedelta(days=period_of(kind).extension_days)


def days_left(due: date, today: date) -> int:
    """Days until the last day (0 on it, negative once overdue)."""
    return (due - today).days


def is_overdue(due: date, today: date) -> bool:
    return today > due
