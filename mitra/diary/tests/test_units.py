from decimal import Decimal

import pytest

from mitra.diary.units import AmountError, check_amount, to_grams


def test_powder_in_grams_and_milligrams_converts_to_grams():
    assert check_amount("kratom_powder", "2.5", "g").grams == Decimal("2.5")
    assert check_amount("kratom_powder", "1500", "mg").grams == Decimal("1.5")


def test_capsules_convert_only_with_a_known_fill():
    assert check_amount("kratom_capsule", "6", "capsules", "0.5").grams == Decimal("3.0")
    assert check_amount("kratom_capsule", "6", "capsules").grams is None


@pytest.mark.parametrize("substance,unit", [
    ("kratom_extract", "mL"), ("kratom_extract", "g"), ("7oh_product", "tablets"),
    ("7oh_product", "mg"), ("kava", "g"), ("alcohol", "standard_drinks"),
])
def test_extracts_7oh_and_other_substances_are_never_converted(substance, unit):
    assert check_amount(substance, "1", unit).grams is None


def test_grams_per_unit_on_an_extract_capsule_is_refused_rather_than_converted():
    # Only kratom_capsule converts; a fill given for an extract capsule is not a conversion.
    assert to_grams("kratom_extract", Decimal(2), "capsules", Decimal("0.5")) is None


@pytest.mark.parametrize("amount", ["-1", "0", "100.001", "1e9"])
def test_negative_zero_and_implausible_amounts_name_the_field_and_range(amount):
    with pytest.raises(AmountError) as exc:
        check_amount("kratom_powder", amount, "g")
    assert exc.value.field == "amount"
    assert "more than 0 and at most 100 g" in exc.value.message


def test_the_maximum_itself_is_accepted():
    assert check_amount("kratom_powder", "100", "g").amount == Decimal(100)


def test_the_maximum_per_unit_is_configurable():
    limits = {"g": 20}
    with pytest.raises(AmountError, match="at most 20 g"):
        check_amount("kratom_powder", "25", "g", max_amount=limits)
    assert check_amount("kratom_powder", "20", "g", max_amount=limits).grams == Decimal(20)


def test_unknown_substance_and_unit_list_the_allowed_values():
    with pytest.raises(AmountError) as exc:
        check_amount("kratom", "1", "g")
    assert exc.value.field == "substance" and "kratom_powder" in exc.value.message
    with pytest.raises(AmountError) as exc:
        check_amount("kratom_powder", "1", "kg")
    assert exc.value.field == "unit" and "standard_drinks" in exc.value.message


def test_a_unit_that_does_not_fit_the_substance_is_refused_with_the_fitting_units():
    with pytest.raises(AmountError) as exc:
        check_amount("kratom_powder", "1", "standard_drinks")
    assert exc.value.field == "unit"
    assert "g, mg" in exc.value.message


def test_an_implausible_capsule_fill_names_grams_per_unit():
    with pytest.raises(AmountError) as exc:
        check_amount("kratom_capsule", "4", "capsules", "5")
    assert exc.value.field == "grams_per_unit"
    assert "at most 2 g" in exc.value.message


def test_a_non_number_names_the_field():
    with pytest.raises(AmountError) as exc:
        check_amount("kratom_powder", "two", "g")
    assert exc.value.field == "amount"
