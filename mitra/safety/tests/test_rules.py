"""The screening rules: every rule by a generic and a brand (or alias) name, unknown names,
misspellings, whole-name matching, de-duplication, and start-up validation of the data files."""

from __future__ import annotations

import pytest

from mitra.safety import kb as kbmod
from mitra.safety.rules import screen
from mitra.safety.tests.factories import edit_yaml

KB = kbmod.knowledge_base()
INTERACTIONS = [r for r in KB.rules if r.kind == "interaction"]
CONDITION_RULES = [r for r in KB.rules if r.kind == "condition"]
SUBSTANCE_INPUT = {"kratom": "kratom", "kava": "kava", "7oh": "7-oh"}


def _other_names(generic: str) -> list[str]:
    """Brand and alias names of a generic (not the generic itself)."""
    return [n for n in KB.medications[generic].names if kbmod.normalize(n) != generic]


def _ids(result) -> set[str]:
    return {f.rule for f in result.findings}


@pytest.mark.parametrize("rule", INTERACTIONS, ids=lambda r: r.id)
def test_each_interaction_rule_fires_for_a_generic_name(rule):
    # The generic name as typed in upper case: matching ignores case.
    drug = next(d for d in rule.drugs if d != rule.substance)
    result = screen([SUBSTANCE_INPUT[rule.substance]], [drug.upper()])
    assert rule.id in _ids(result)
    finding = next(f for f in result.findings if f.rule == rule.id)
    assert finding.matched == [drug.upper()]
    assert finding.citations and finding.severity in kbmod.SEVERITIES


@pytest.mark.parametrize("rule", INTERACTIONS, ids=lambda r: r.id)
def test_each_interaction_rule_fires_for_a_brand_or_alias_name(rule):
    named = [(d, n) for d in rule.drugs for n in _other_names(d)]
    assert named, f"{rule.id}: no drug in its list has a brand or alias name"
    drug, name = named[0]
    result = screen([SUBSTANCE_INPUT[rule.substance]], [name])
    assert rule.id in _ids(result), f"{name} ({drug}) did not trigger {rule.id}"


@pytest.mark.parametrize("rule", CONDITION_RULES, ids=lambda r: r.id)
def test_each_condition_rule_fires_for_its_condition(rule):
    result = screen([SUBSTANCE_INPUT[rule.substance]], [], [rule.conditions[0]])
    finding = next(f for f in result.findings if f.rule == rule.id)
    assert finding.matched == [rule.conditions[0]]


def test_a_rule_does_not_fire_for_another_substance():
    assert "kratom-benzodiazepines" not in _ids(screen(["kava"], ["alprazolam"]))
    assert "kava-benzodiazepines" in _ids(screen(["kava"], ["alprazolam"]))


def test_an_unrelated_medication_gives_no_finding_and_is_listed_as_screened():
    for substance in ("kratom", "kava", "7oh"):
        result = screen([substance], ["amoxicillin", "Lipitor"])
        assert result.findings == [], substance
    assert [s.generic for s in result.screened] == ["amoxicillin", "atorvastatin"]
    assert result.unrecognized == []


def test_plain_amoxicillin_does_not_inherit_the_combination_products_rules():
    assert _ids(screen(["kava"], ["amoxicillin"])) == set()
    assert "kava-hepatotoxic-drugs" in _ids(screen(["kava"], ["Augmentin"]))
    assert "kava-hepatotoxic-drugs" in _ids(screen(["kava"], ["amoxicillin/clavulanate"]))


def test_a_combination_product_brings_the_rules_of_its_parts():
    ids = _ids(screen(["kratom"], ["Percocet"]))
    assert {"kratom-opioid-agonists", "kratom-hepatotoxic-drugs"} <= ids


def test_matching_is_on_whole_names_only():
    result = screen(["kratom"], ["alprazolam extended", "pam"])
    assert result.findings == []
    assert [u.name for u in result.unrecognized] == ["alprazolam extended", "pam"]


def test_unknown_names_are_listed_never_passed():
    result = screen(["kratom"], ["notarealdrugname"])
    assert result.findings == []
    assert result.unrecognized[0].name == "notarealdrugname"
    assert result.unrecognized[0].suggestions == []


@pytest.mark.parametrize("typo, expected", [
    ("alprazolm", "alprazolam"), ("Xanex", "Xanax"), ("sertralin", "sertraline"),
])
def test_a_misspelling_is_not_screened_but_suggests_the_right_name(typo, expected):
    result = screen(["kratom"], [typo])
    assert result.findings == []
    assert expected in result.unrecognized[0].suggestions


def test_an_unknown_condition_is_listed_with_suggestions():
    result = screen(["kratom"], [], ["pregnacy"])
    assert result.unrecognized[0].kind == "condition"
    assert result.unrecognized[0].suggestions == ["pregnancy"]


@pytest.mark.parametrize("given", ["Pregnancy", "PREGNANCY", "  pregnancy ", " Pregnancy"])
def test_condition_ids_match_in_any_case_and_matched_keeps_the_name_as_given(given):
    result = screen(["kratom"], [], [given])
    assert result.unrecognized == []
    finding = next(f for f in result.findings if f.rule == "kratom-pregnancy")
    assert finding.matched == [given.strip()]


def test_a_misspelt_condition_in_capitals_is_still_unrecognized_with_a_suggestion():
    result = screen(["kratom"], [], ["Pregnacy"])
    assert result.findings == []
    assert [(u.name, u.kind, u.suggestions) for u in result.unrecognized] == [
        ("Pregnacy", "condition", ["pregnancy"])]


def test_findings_are_deduplicated_and_keep_every_input_name():
    result = screen(["kratom"], ["Xanax", "alprazolam", "XANAX"])
    benzo = [f for f in result.findings if f.rule == "kratom-benzodiazepines"]
    assert len(benzo) == 1
    assert benzo[0].matched == ["Xanax", "alprazolam", "XANAX"]


def test_findings_come_most_severe_first():
    result = screen(["kratom"], ["tramadol"])
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, key=kbmod.SEVERITIES.index)
    assert severities[0] == "major"


def test_rescue_naloxone_triggers_no_antagonist_rule():
    # Naloxone for an overdose must never look like a contraindication.
    result = screen(["kratom", "7oh"], ["Narcan"])
    assert result.unrecognized == []
    assert not any("antagonist" in f.rule for f in result.findings)
    assert "kratom-opioid-antagonists" in _ids(screen(["kratom"], ["Vivitrol"]))


def test_kava_and_kratom_together_trigger_the_combination_rule():
    assert "kava-kratom-combination" in _ids(screen(["kava", "kratom"]))


def test_an_unknown_substance_is_refused_naming_the_allowed_values():
    with pytest.raises(ValueError, match="kratom, kava, 7oh"):
        screen(["betel"], ["alprazolam"])


def test_class_lists_not_checked_by_a_pharmacist_are_marked():
    benzo = screen(["kratom"], ["alprazolam"]).findings[0]
    assert benzo.pharmacist_check == "pending"
    alcohol = next(f for f in screen(["kratom"], ["beer"]).findings if f.rule == "kratom-alcohol")
    assert alcohol.pharmacist_check == "not_needed"


# ---- start-up validation --------------------------------------------------------------------

def test_the_shipped_data_files_load():
    assert len(kbmod.load().rules) == 46


def test_a_bad_severity_names_the_file_and_field(data_copy):
    edit_yaml(data_copy / "interaction_rules.yaml",
          lambda d: d["rules"][0].__setitem__("severity", "severe"))
    with pytest.raises(kbmod.KnowledgeBaseError) as exc:
        kbmod.load(data_copy)
    assert "interaction_rules.yaml" in str(exc.value)
    assert "rules[kratom-opioid-agonists].severity" in str(exc.value)


def test_an_unknown_citation_is_refused(data_copy):
    edit_yaml(data_copy / "condition_rules.yaml",
          lambda d: d["rules"][0]["citations"].append("nosuchpaper2099"))
    with pytest.raises(kbmod.KnowledgeBaseError, match="nosuchpaper2099"):
        kbmod.load(data_copy)


def test_a_rule_drug_missing_from_the_dictionary_is_refused(data_copy):
    edit_yaml(data_copy / "interaction_rules.yaml",
          lambda d: d["rules"][3].setdefault("drugs", []).append("unobtainium"))
    with pytest.raises(kbmod.KnowledgeBaseError, match="unobtainium"):
        kbmod.load(data_copy)


def test_a_brand_name_given_to_two_generics_is_refused(data_copy):
    def change(d):
        d["medications"][0]["brands"].append("Xanax")

    edit_yaml(data_copy / "medications.yaml", change)
    with pytest.raises(kbmod.KnowledgeBaseError, match="Xanax"):
        kbmod.load(data_copy)


def test_a_legal_entry_with_a_bad_date_is_refused(data_copy):
    edit_yaml(data_copy / "legal_status.yaml",
          lambda d: d["jurisdictions"]["TH"].__setitem__("as_of", "last year"))
    with pytest.raises(kbmod.KnowledgeBaseError, match=r"jurisdictions\.TH\.as_of"):
        kbmod.load(data_copy)
