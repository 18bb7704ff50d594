"""Crisis resources by locale, from a versioned data file (no Django import)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data" / "crisis_resources.yaml"
DEFAULT_LOCALE = "en-US"


@cache
def _load() -> dict:
    with DATA.open() as fh:
        return yaml.safe_load(fh)


def crisis_resources(locale: str = DEFAULT_LOCALE) -> dict:
    locales = _load()["locales"]
    return locales.get(locale) or locales[DEFAULT_LOCALE]
