"""Crisis resources by locale, from a versioned data file (no Django)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from mitra.lib.yamldata import load_yaml

DATA = Path(__file__).resolve().parent / "data" / "crisis_resources.yaml"
DEFAULT_LOCALE = "en-US"


class CrisisDataError(ValueError):
    pass


@cache
def _load() -> dict[str, Any]:
    with DATA.open(encoding="utf-8") as fh:
        data = load_yaml(fh)
    validate(data)
    return data


def validate(data: dict[str, Any]) -> None:
    """Raise CrisisDataError naming the field when the file cannot show help to someone."""
    name = "crisis_resources.yaml"
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise CrisisDataError(f"{name}: schema_version: must be 1")
    locales = data.get("locales") or {}
    if DEFAULT_LOCALE not in locales:
        raise CrisisDataError(f"{name}: locales: the {DEFAULT_LOCALE} locale is required")
    for code, loc in locales.items():
        for key in ("country", "name", "heading"):
            if not isinstance(loc.get(key), str) or not loc[key]:
                raise CrisisDataError(f"{name}: locales.{code}.{key}: must be a non-empty string")
        res = loc.get("resources") or []
        if not res or not all(r.get("name") and r.get("contact") for r in res):
            raise CrisisDataError(
                f"{name}: locales.{code}.resources: each needs a name and a contact"
            )
        for i, r in enumerate(res):
            # Every line is a tap-to-call link on a phone: a number that cannot be dialled as
            # written would leave the patient typing it in a crisis.
            for key, required in (("call", True), ("text", False)):
                number = r.get(key)
                if number is None and not required:
                    continue
                if not _dialable(number):
                    raise CrisisDataError(
                        f"{name}: locales.{code}.resources[{i}].{key}: must be the number as "
                        "dialled (digits, optionally a leading +)"
                    )
    intl = data.get("international") or {}
    if not intl.get("resources"):
        raise CrisisDataError(f"{name}: international.resources: must not be empty")


def _dialable(number: object) -> bool:
    return isinstance(number, str) and number.lstrip("+").isdigit() and len(number) <= 16


def locales() -> dict[str, Any]:
    return _load()["locales"]


def locale_for_country(country: str, fallback: str = DEFAULT_LOCALE) -> str:
    for code, loc in locales().items():
        if loc["country"] == country:
            return code
    return fallback if fallback in locales() else DEFAULT_LOCALE


def crisis_resources(locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    data = _load()
    loc = data["locales"].get(locale) or data["locales"][DEFAULT_LOCALE]
    return {**loc, "international": data["international"], "as_of": data.get("as_of")}
