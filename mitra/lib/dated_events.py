"""Dated events of a patient that a schedule can count from, neither app importing the other.

A questionnaire schedule may start "7 days after the taper starts", yet the taper plan is the
diary app's and the domain apps may not import each other (ARCHITECTURE.md): the diary
registers the event "taper_start" in its `AppConfig.ready`, as panels and menu entries are
registered (`panels`, `navigation`), and the measures app resolves whatever is registered. An
event is a function of the patient returning the event's local day, or None when the patient
has none (no taper plan in force).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

Resolver = Callable[[Any], "date | None"]

EVENTS: dict[str, tuple[str, Resolver]] = {}


def register(name: str, label: str, resolve: Resolver) -> None:
    """Make `name` ("taper_start", labelled "Start of the taper plan") resolvable; registering
    a name again replaces it."""
    EVENTS[name] = (label, resolve)


def resolve(name: str, patient: Any) -> date | None:
    """The patient's day of event `name`, or None when they have none; KeyError naming the
    registered events for a name nobody registered."""
    if name not in EVENTS:
        known = ", ".join(sorted(EVENTS)) or "none"
        raise KeyError(f"no dated event {name!r}; registered: {known}")
    return EVENTS[name][1](patient)


def registered() -> dict[str, str]:
    """{name: label} of every registered event, in the order registered."""
    return {name: label for name, (label, _r) in EVENTS.items()}
