"""The recorded amount in a taper plan's terms (diary.taper.plan_terms / recorded_in_terms):
the one place that decides what a plan's amount is compared with. Plain Python, no database."""

from datetime import date
from decimal import Decimal

from mitra.diary import taper
from mitra.diary.units import check_amount

DAY = date(2026, 3, 1)
NEXT = date(2026, 3, 2)


def use(substance, amount, unit, per=None, day=DAY):
    a = check_amount(substance, amount, unit, per)
    return (day, a.substance, a.amount, a.unit, a.grams)


def test_a_gram_plan_of_powder_counts_grams_of_plant_material():
    terms = taper.plan_terms("kratom_powder", "g")
    assert terms.label == "g of kratom plant material" and terms.plant_material
    totals, unknown = taper.recorded_in_terms(terms, [
        use("kratom_powder", "5", "g"), use("kratom_powder", "2000", "mg"),
        use("kratom_capsule", "4", "capsules", "0.5"),  # 2 g inside the capsules
        use("kratom_extract", "5", "mL"),  # never converted, not plant material: not counted
        use("alcohol", "2", "standard_drinks"),
    ])
    assert totals == {DAY: Decimal("9")} and unknown == set()


def test_a_milligram_plan_of_powder_counts_milligrams():
    terms = taper.plan_terms("kratom_powder", "mg")
    assert terms.label == "mg of kratom plant material"
    totals, _ = taper.recorded_in_terms(terms, [use("kratom_powder", "12000", "mg"),
                                                use("kratom_powder", "1", "g", day=NEXT)])
    assert totals == {DAY: Decimal("12000"), NEXT: Decimal("1000")}


def test_a_capsule_plan_counts_capsules_not_grams():
    terms = taper.plan_terms("kratom_capsule", "capsules")
    assert terms.label == "capsules of kratom capsules" and not terms.plant_material
    totals, unknown = taper.recorded_in_terms(terms, [
        use("kratom_capsule", "12", "capsules", "0.5"),
        use("kratom_powder", "3", "g"),  # another substance: not what the plan counts
    ])
    assert totals == {DAY: Decimal("12")} and unknown == set()


def test_a_day_that_cannot_be_put_in_the_plans_terms_is_not_a_zero():
    gram_plan = taper.plan_terms("kratom_powder", "g")
    totals, unknown = taper.recorded_in_terms(gram_plan, [
        use("kratom_powder", "3", "g"), use("kratom_capsule", "6", "capsules"),  # fill unknown
        use("kratom_powder", "3", "g", day=NEXT),
    ])
    assert totals == {NEXT: Decimal("3")} and unknown == {DAY}
    capsule_plan = taper.plan_terms("kratom_capsule", "capsules")
    totals, unknown = taper.recorded_in_terms(capsule_plan, [use("kratom_capsule", "3", "g")])
    assert totals == {} and unknown == {DAY}


def test_other_substances_count_in_their_own_unit_with_g_and_mg_converted():
    terms = taper.plan_terms("kava", "mL")
    assert terms.label == "mL of kava"
    totals, unknown = taper.recorded_in_terms(terms, [use("kava", "250", "mL"),
                                                      use("kava", "2", "tablets", day=NEXT)])
    assert totals == {DAY: Decimal("250")} and unknown == {NEXT}
    mg = taper.plan_terms("opioid", "mg")
    totals, _ = taper.recorded_in_terms(mg, [use("opioid", "30", "mg"), use("opioid", "20", "mg")])
    assert totals == {DAY: Decimal("50")}


def test_without_a_plan_the_terms_are_kratom_grams():
    terms = taper.plan_terms(None, None)
    assert terms.unit == "g" and terms.label == "g of kratom plant material"
