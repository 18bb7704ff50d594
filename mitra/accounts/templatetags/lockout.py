"""`{{ cooloff_timedelta|in_words }}`: how long a lockout lasts, as a person says it."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()

UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


@register.filter
def in_words(delta: timedelta | None) -> str:
    """15 minutes, 1 hour 30 minutes, 1 day 3 hours: at most two units, the largest first."""
    if delta is None:
        return "a while"
    remaining = int(delta.total_seconds())
    parts = []
    for name, seconds in UNITS:
        count, remaining = divmod(remaining, seconds)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "a while"
