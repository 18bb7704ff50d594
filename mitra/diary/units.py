"""Substances, units, and the one conversion the diary makes: to grams of kratom plant material.

Plain Python, no Django. The rule is deliberately narrow:

* kratom leaf powder in g or mg converts to grams (it *is* grams of plant material);
* kratom capsules convert only when the product's grams per capsule is known (fill x count);
* extracts, shots and concentrated 7-OH products are never converted: their potency per gram or
  per mL is unknown and varies widely, so a "gram equivalent" would be a guess. Commercial
  products carry 13.9-270 mg mitragynine per gram (manwill2022 in
  shared/reference/kratom-kava-safety.yaml, `dose_facts.kratom.potency_variability`), and
  concentrated 7-OH products give exposures far above leaf (huestis2024, smith2025_addiction).

Amounts are checked against a plausible maximum per unit. These limits catch typos (a gram
amount typed into a milligram field); they are not clinical thresholds and not advice. The gram
limit sits well above the highest intakes in published case reports (about 30-35 g/day:
acgcr2022, kiyokawa2023) so that a real heavy-use day is never refused. Deployments override
them with the `MITRA_DIARY_MAX_AMOUNT` setting (a dict unit -> maximum).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

SUBSTANCES: dict[str, str] = {
    "kratom_powder": "Kratom leaf powder",
    "kratom_capsule": "Kratom capsules",
    "kratom_extract": "Kratom extract or shot",
    "7oh_product": "Concentrated 7-OH product (7-hydroxymitragynine)",
    "kava": "Kava",
    "alcohol": "Alcohol",
    "opioid": "Another opioid",
    "benzodiazepine": "A benzodiazepine",
    "cannabis": "Cannabis",
    "other": "Other",
}

UNITS: dict[str, str] = {
    "g": "g",
    "mg": "mg",
    "capsules": "capsules",
    "tablets": "tablets",
    "mL": "mL",
    "standard_drinks": "standard drinks",
}

# Which units make sense for which substance: a unit outside this list is almost always a
# slip of the finger (standard drinks of kratom powder), so it is refused with the list.
UNITS_FOR: dict[str, tuple[str, ...]] = {
    "kratom_powder": ("g", "mg"),
    "kratom_capsule": ("capsules", "g", "mg"),
    "kratom_extract": ("mL", "mg", "g", "tablets", "capsules"),
    "7oh_product": ("tablets", "mg", "mL", "capsules", "g"),
    "kava": ("g", "mL", "capsules", "tablets", "mg"),
    "alcohol": ("standard_drinks", "mL"),
    "opioid": ("mg", "tablets", "mL", "capsules"),
    "benzodiazepine": ("mg", "tablets"),
    "cannabis": ("g", "mg", "mL"),
    "other": tuple(UNITS),
}

KRATOM = frozenset({"kratom_powder", "kratom_capsule", "kratom_extract", "7oh_product"})
# Depressants whose same-day use with kratom or kava adds CNS and respiratory depression
# (kratom-opioid-agonists, kratom-benzodiazepines, kratom-alcohol,
# 7oh-opioids-and-cns-depressants, kava-alcohol, kava-benzodiazepines in the knowledge base).
DEPRESSANTS = frozenset({"alcohol", "opioid", "benzodiazepine"})

# Per-use-event maxima: typo guards, see the module docstring. Documented in the README.
DEFAULT_MAX_AMOUNT: dict[str, Decimal] = {
    "g": Decimal("100"),
    "mg": Decimal("100000"),
    "capsules": Decimal("100"),
    "tablets": Decimal("50"),
    "mL": Decimal("2000"),
    "standard_drinks": Decimal("40"),
}
# A capsule holds at most about a gram of powder; 2 g leaves room for large sizes.
MAX_GRAMS_PER_CAPSULE = Decimal("2")


def amount_limits(max_amount: Mapping[str, object] | None = None) -> dict[str, Decimal]:
    """The maximum per use event for each unit: DEFAULT_MAX_AMOUNT with `max_amount` (the
    deployment's MITRA_DIARY_MAX_AMOUNT) over it."""
    return {**DEFAULT_MAX_AMOUNT, **{k: Decimal(str(v)) for k, v in (max_amount or {}).items()}}


class AmountError(ValueError):
    """A bad amount, unit or substance. `field` names the input, the message the allowed values."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Amount:
    substance: str
    amount: Decimal
    unit: str
    grams_per_unit: Decimal | None
    grams: Decimal | None  # grams of kratom plant material, or None when not convertible


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise AmountError(field, f"{field} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise AmountError(field, f"{field} must be a finite number, not {value!r}")
    return number


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def check_amount(
    substance: str,
    amount: object,
    unit: str,
    grams_per_unit: object = None,
    *,
    max_amount: dict[str, Decimal] | None = None,
) -> Amount:
    """Validate one use event and convert it to grams where that is defined.

    Raises AmountError naming the field (`substance`, `unit`, `amount`, `grams_per_unit`) and
    the allowed values or range.
    """
    limits = amount_limits(max_amount)
    if substance not in SUBSTANCES:
        raise AmountError(
            "substance", f"substance must be one of {', '.join(SUBSTANCES)}, not {substance!r}"
        )
    if unit not in UNITS:
        raise AmountError("unit", f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if unit not in UNITS_FOR[substance]:
        raise AmountError(
            "unit",
            f"unit for {substance} must be one of {', '.join(UNITS_FOR[substance])}, not {unit!r}",
        )
    number = _decimal(amount, "amount")
    limit = limits[unit]
    if number <= 0 or number > limit:
        raise AmountError(
            "amount",
            f"amount must be more than 0 and at most {_plain(limit)} {unit}, not {_plain(number)}",
        )
    per_unit: Decimal | None = None
    if grams_per_unit not in (None, ""):
        per_unit = _decimal(grams_per_unit, "grams_per_unit")
        if unit != "capsules":
            raise AmountError(
                "grams_per_unit", "grams_per_unit is only for amounts in capsules; leave it empty"
            )
        if per_unit <= 0 or per_unit > MAX_GRAMS_PER_CAPSULE:
            raise AmountError(
                "grams_per_unit",
                f"grams_per_unit must be more than 0 and at most {MAX_GRAMS_PER_CAPSULE} g, "
                f"not {_plain(per_unit)}",
            )
    return Amount(substance, number, unit, per_unit, to_grams(substance, number, unit, per_unit))


def to_grams(
    substance: str, amount: Decimal, unit: str, grams_per_unit: Decimal | None = None
) -> Decimal | None:
    """Grams of kratom plant material, or None where no conversion is defined."""
    if substance not in ("kratom_powder", "kratom_capsule"):
        return None  # extracts, 7-OH products and other substances are never converted
    if unit == "g":
        return amount
    if unit == "mg":
        return amount / 1000
    if unit == "capsules" and substance == "kratom_capsule" and grams_per_unit is not None:
        return amount * grams_per_unit
    return None  # capsules without a known fill: no guess
