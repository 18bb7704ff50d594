"""Mitra's own settings, each read through one accessor here.

Every default is written once, in `mitra/settings.py` (most from the environment: README,
"Configuration"). Code calls these rather than `getattr(settings, NAME, default)`, whose second
copy of the default drifts from the first unnoticed; the conversion (a Decimal, at least one
day) is here too, so every reader gets the same value. Each call reads the settings of the
moment, so pytest-django's `settings` fixture changes what the next call returns.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings


def production() -> bool:
    """A declared production deployment: turns on the checks in `core/checks.py`."""
    return bool(settings.MITRA_PRODUCTION)


def base_url() -> str:
    """The public address for links in e-mails, without a trailing slash ("" when unset: only
    possible in production, where `mitra check` warns, mitra.W008)."""
    return str(settings.MITRA_BASE_URL).rstrip("/")


def alert_escalation_minutes() -> int:
    """An urgent alert unacknowledged this long is e-mailed to the rest of the care team."""
    return int(settings.MITRA_ALERT_ESCALATION_MINUTES)


def crisis_locale() -> str:
    """The crisis resources shown when a patient's jurisdiction has none of its own."""
    return str(settings.MITRA_CRISIS_LOCALE)


def diary_missed_days() -> int:
    """Whole days in a row without a diary entry that raise a MISSED_DIARY alert (at least 1)."""
    return max(1, int(settings.MITRA_DIARY_MISSED_DAYS))


def diary_escalation_share() -> Decimal:
    """The rise over the previous 28 days' mean that flags escalation (0.25: 25%)."""
    return Decimal(str(settings.MITRA_DIARY_ESCALATION_SHARE))


def low_adherence_share() -> Decimal:
    """Below this share of the reminders sent over 14 days answered, adherence is low (0.70)."""
    return Decimal(str(settings.MITRA_LOW_ADHERENCE))


def low_adherence_min_prompts() -> int:
    """Reminders sent over 14 days before adherence can be called low (at least 1; 4)."""
    return max(1, int(settings.MITRA_LOW_ADHERENCE_MIN_PROMPTS))


def part2() -> bool:
    """42 CFR Part 2 handling: consent before each disclosure, the notice, the labels."""
    return bool(settings.MITRA_PART2)


def retention_years() -> int:
    """Years a closed account's clinical record is kept (at least 1)."""
    return max(1, int(settings.MITRA_RETENTION_YEARS))


def diary_max_amount() -> dict[str, Any]:
    """The deployment's maximum per use event by unit, over `units.DEFAULT_MAX_AMOUNT`."""
    return dict(settings.MITRA_DIARY_MAX_AMOUNT)


def reminder_batch() -> int:
    """Schedules the reminder planner takes, and deliveries the dispatcher sends, per batch
    (one short transaction and a fixed number of queries each)."""
    return max(1, int(settings.MITRA_REMINDER_BATCH))


def reminder_claim() -> timedelta:
    """How long a delivery may stay claimed ("sending"): past it, its sender is taken to have
    died and the delivery is marked failed ("outcome unknown"), never sent again. At least 30 x
    EMAIL_TIMEOUT, longer than a batch's sender may go on (it stops 10 x EMAIL_TIMEOUT before)."""
    minutes = timedelta(minutes=int(settings.MITRA_REMINDER_CLAIM_MINUTES))
    return max(minutes, timedelta(seconds=30 * int(settings.EMAIL_TIMEOUT)))
