"""Template filters for showing stored values to people, loaded on every template
(TEMPLATES "builtins"): no page shows a raw code or a bare ISO date.

- `|day`: a date, a datetime (in the local time zone) or the ISO dates in a string
  ("2026-09-05", as the data files and the time series carry them) in DATE_FORMAT
  ("5 Sep 2026"); any other text (a free-text "varies by city") as it is.
- `|words`: a code as words: "local_restrictions" is "Local restrictions", "case_reports"
  "Case reports". For codes that have no label of their own; where a model or a data file
  names a label (get_FOO_display, a YAML `label`), use that instead.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def day(value: object) -> object:
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(local.date())
    if isinstance(value, date):
        return formats.date_format(value)
    if isinstance(value, str):
        # Every ISO date in the text: "2023-07-01; 2024-07-01 (amended)" reads
        # "1 Jul 2023; 1 Jul 2024 (amended)"; free text without one is left as it is.
        return ISO_DATE.sub(_formatted, value)
    return value


ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _formatted(match: re.Match[str]) -> str:
    try:
        return formats.date_format(date(*(int(g) for g in match.groups())))
    except ValueError:  # not a real day ("2026-13-40"): leave it
        return match.group(0)


@register.filter
def words(value: object) -> str:
    text = str(value or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]
