"""Drug classes: each rule by a typical member, a brand name and a combination product; the
members the issue found missing (clozapine, theophylline, every N05A antipsychotic); the source
and date of every class; and start-up validation that stops a class from losing members."""

from __future__ import annotations

import pytest
import yaml

from mitra.safety import kb as kbmod
from mitra.safety.rules import screen
from mitra.safety.screening import knowledge_base_with_classes
from mitra.safety.tests.factories import edit_yaml

KB = kbmod.knowledge_base()
INTERACTIONS = {r.id: r for r in KB.rules if r.kind == "interaction"}
DOPAMINE = "kava-dopaminergic-and-antidopaminergic-drugs"
SUBSTANCE_INPUT = {"kratom": "kratom", "kava": "kava", "7oh": "7-oh"}
COMBINATIONS = [m for m in KB.medications.values() if m.contains]

# rule -> (a typical member, a brand name, a combination product), each as a person types it.
# None: the dictionary has no brand (the alias after it is tested instead) or no combination
# product with a member of the rule; the test says so in its id and checks that it is true.
CASES: dict[str, tuple[str, str | None, str | None]] = {
    "kratom-opioid-agonists": ("oxycodone", "OxyContin", "Percocet"),
    "kratom-opioid-agonist-treatment": ("methadone", "Subutex", "Suboxone"),
    "kratom-opioid-antagonists": ("naltrexone", "Vivitrol", "Contrave"),
    "kratom-benzodiazepines": ("alprazolam", "Xanax", "Librax"),
    "kratom-alcohol": ("ethanol", None, None),
    "kratom-gabapentinoids": ("gabapentin", "Lyrica", None),
    "kratom-other-cns-depressants": ("zolpidem", "Ambien", "Tylenol PM"),
    "kratom-cyp3a-narrow-therapeutic-index": ("tacrolimus", "Prograf", "Cafergot"),
    "kratom-cyp2d6-substrates": ("metoprolol", "Toprol-XL", "Nuedexta"),
    "kratom-qt-prolonging-drugs": ("citalopram", "Celexa", "Nuedexta"),
    "kratom-serotonergic-drugs": ("sertraline", "Zoloft", "Symbyax"),
    "kratom-maois": ("phenelzine", "Nardil", None),
    "kratom-hepatotoxic-drugs": ("acetaminophen", "Tylenol", "Norco"),
    "kratom-stimulants": ("methylphenidate", "Ritalin", "Adderall"),
    "kratom-cyp3a-modulators": ("ketoconazole", "Nizoral", "Paxlovid"),
    "7oh-opioids-and-cns-depressants": ("fentanyl", "Duragesic", "Vicodin"),
    "7oh-opioid-antagonists": ("naltrexone", "Revia", "Lybalvi"),
    "kava-alcohol": ("ethanol", None, None),
    "kava-benzodiazepines": ("lorazepam", "Ativan", "Librax"),
    "kava-other-cns-depressants": ("cyclobenzaprine", "Flexeril", "Fioricet"),
    "kava-dopaminergic-and-antidopaminergic-drugs": ("haloperidol", "Mirapex", "Symbyax"),
    "kava-hepatotoxic-drugs": ("isoniazid", "Depakote", "Percocet"),
    "kava-cyp2e1-substrates": ("chlorzoxazone", "Parafon Forte", "Tylenol PM"),
    "kava-cyp-in-vitro-inhibition": ("warfarin", "Coumadin", "Symbyax"),
    "kava-maois": ("selegiline", "Emsam", None),
    "kava-kratom-combination": ("mitragynine", None, None),
    "7oh-buprenorphine-initiation": ("buprenorphine", "Sublocade", "Suboxone"),
    "kratom-buprenorphine-initiation": ("buprenorphine", "Belbuca", "Zubsolv"),
}


def _ids(result) -> set[str]:
    return {f.rule for f in result.findings}


def _finding(result, rule_id):
    return next((f for f in result.findings if f.rule == rule_id), None)


def _generic_of(name: str) -> str:
    return KB.names[kbmod.normalize(name)]


def _screen(rule, name: str):
    return screen([SUBSTANCE_INPUT[rule.substance]], [name])


def _params(position: int, label: str) -> list:
    """One case per rule; the id says "no-brand" or "no-combination-product" when there is none."""
    missing = {"brand": "no-brand", "combination": "no-combination-product"}
    return [pytest.param(rule_id, case[position],
                         id=f"{rule_id}-{label}-{case[position]}" if case[position]
                         else f"{rule_id}-{missing[label]}")
            for rule_id, case in CASES.items()]


def test_every_interaction_rule_has_a_case():
    assert set(CASES) == set(INTERACTIONS)


@pytest.mark.parametrize("rule_id, name", _params(0, "generic"))
def test_each_rule_fires_for_a_typical_member(rule_id, name):
    rule = INTERACTIONS[rule_id]
    assert kbmod.normalize(name) in rule.drugs  # typed as the generic id itself
    finding = _finding(_screen(rule, name), rule_id)
    assert finding is not None and finding.matched == [name]


@pytest.mark.parametrize("rule_id, name", _params(1, "brand"))
def test_each_rule_fires_for_a_brand_name(rule_id, name):
    rule = INTERACTIONS[rule_id]
    if name is None:
        # No drug of the rule has a brand in the dictionary; an alias still matches.
        assert not any(KB.medications[d].brands for d in rule.drugs)
        alias = next(n for d in rule.drugs for n in KB.medications[d].names
                     if kbmod.normalize(n) != d)
        assert rule_id in _ids(_screen(rule, alias)), alias
        return
    generic = _generic_of(name)
    assert name in KB.medications[generic].brands and generic in rule.drugs
    assert rule_id in _ids(_screen(rule, name))


@pytest.mark.parametrize("rule_id, name", _params(2, "combination"))
def test_each_rule_fires_for_a_combination_product(rule_id, name):
    rule = INTERACTIONS[rule_id]
    if name is None:
        # True today: no combination product in the dictionary contains a member of the rule.
        # When one is added, name it in CASES.
        assert not [c.generic for c in COMBINATIONS if set(c.contains) & set(rule.drugs)]
        return
    combination = KB.medications[_generic_of(name)]
    assert combination.contains and combination.generic not in rule.drugs
    finding = _finding(_screen(rule, name), rule_id)
    assert finding is not None and finding.matched == [name]


# ---- the members the issue found missing -------------------------------------------------------

@pytest.mark.parametrize("name", ["clozapine", "Clozaril", "Versacloz"])
def test_clozapine_matches_the_kava_rules_of_its_classes(name):
    ids = _ids(screen(["kava"], [name]))
    # an N05A antipsychotic, a sedating antipsychotic, a CYP1A2 substrate
    assert {DOPAMINE, "kava-other-cns-depressants", "kava-cyp-in-vitro-inhibition"} <= ids
    assert "kratom-other-cns-depressants" in _ids(screen(["kratom"], [name]))


@pytest.mark.parametrize("name", ["theophylline", "Theo-24", "Uniphyllin", "aminophylline"])
def test_theophylline_matches_the_kava_cyp1a2_rule(name):
    finding = _finding(screen(["kava"], [name]), "kava-cyp-in-vitro-inhibition")
    assert finding is not None and finding.matched == [name]
    assert any(s.startswith("CYP1A2 substrates:") for s in finding.class_sources)


N05A = sorted(m.generic for m in KB.medications.values()
              if any(c.startswith("N05A") and not c.startswith("N05AN") for c in m.atc))


def test_the_dictionary_codes_the_antipsychotics_it_knows():
    # Not an empty parametrisation below: the old and the newly added antipsychotics are coded.
    assert {"clozapine", "haloperidol", "risperidone", "quetiapine", "olanzapine", "aripiprazole",
            "chlorpromazine", "fluphenazine", "prochlorperazine", "paliperidone",
            "amisulpride"} <= set(N05A)
    assert len(N05A) >= 25


@pytest.mark.parametrize("generic", N05A)
def test_every_n05a_antipsychotic_matches_the_kava_antidopaminergic_rule(generic):
    med = KB.medications[generic]
    for name in med.names:  # the generic and every brand and alias
        assert DOPAMINE in _ids(screen(["kava"], [name])), name
    for combination in (c for c in COMBINATIONS if generic in c.contains):
        for name in combination.names:
            assert DOPAMINE in _ids(screen(["kava"], [name])), name


def test_lithium_is_coded_n05a_but_left_out_of_the_antidopaminergic_rule_with_a_reason():
    assert "N05AN01" in KB.medications["lithium"].atc
    antipsychotics = KB.classes["antipsychotics"]
    assert dict(antipsychotics.excluded)["lithium"].startswith("N05AN01")
    assert DOPAMINE not in _ids(screen(["kava"], ["lithium"]))


def test_rules_naming_the_same_class_match_the_same_drugs():
    # Narrowing one rule's list can no longer drop members another rule keeps.
    for name in ("baclofen", "tizanidine", "pentobarbital", "chlorpromazine", "zopiclone",
                 "chlorphenamine"):
        assert "kratom-other-cns-depressants" in _ids(screen(["kratom"], [name])), name
        assert "kava-other-cns-depressants" in _ids(screen(["kava"], [name])), name
    assert "kava-maois" in _ids(screen(["kava"], ["methylene blue"]))


def test_rescue_nalmefene_like_naloxone_triggers_no_antagonist_rule():
    result = screen(["kratom", "7oh"], ["Opvee", "Targin"])
    assert result.unrecognized == []
    assert not any("antagonist" in f.rule for f in result.findings)
    # oral nalmefene for alcohol is planned antagonist treatment
    assert "kratom-opioid-antagonists" in _ids(screen(["kratom"], ["Selincro"]))


def test_a_finding_names_the_class_lists_that_matched_and_their_sources():
    finding = _finding(screen(["kava"], ["Zyprexa"]), DOPAMINE)
    assert finding.class_sources == [KB.classes["antipsychotics"].describe()]
    assert "WHO ATC N05A" in finding.class_sources[0]
    assert finding.pharmacist_check == "pending"
    # a rule's own single drug names no class
    alone = _finding(screen(["kava"], ["carbidopa"]), DOPAMINE)
    assert alone.class_sources == []


def test_the_diary_classes_match_only_rules_naming_their_class():
    kb = knowledge_base_with_classes()
    # diazepam is a CYP2C19 substrate, but "a benzodiazepine" is not known to be diazepam
    assert _ids(screen(["kava"], ["benzodiazepine"], kb=kb)) == {"kava-benzodiazepines"}
    assert _ids(screen(["kratom"], ["opioid"], kb=kb)) == {"kratom-opioid-agonists"}
    assert _ids(screen(["7oh"], ["opioid"], kb=kb)) == {"7oh-opioids-and-cns-depressants"}


# ---- every class: source, date, the pharmacist mark ---------------------------------------------

RAW_CLASSES = yaml.safe_load((kbmod.DATA_DIR / "medications.yaml").read_text())["classes"]


@pytest.mark.parametrize("entry", RAW_CLASSES, ids=lambda e: e["id"])
def test_every_class_has_a_source_and_as_of(entry):
    assert isinstance(entry.get("source"), str) and len(entry["source"].strip()) > 10
    assert kbmod.AS_OF_RE.match(str(entry.get("as_of", "")))
    assert kbmod.parse_as_of(str(entry["as_of"])) is not None
    # no class list has been checked by a pharmacist, and none says so
    assert entry.get("pharmacist_check") == "pending"
    cls = KB.classes[entry["id"]]
    assert cls.source and cls.as_of == str(entry["as_of"])
    if cls.atc:
        assert any(g in cls.source for g in cls.atc), "an ATC class names its groups"


def test_every_class_is_named_by_a_rule_and_every_class_rule_is_marked_pending():
    named = {c for r in INTERACTIONS.values() for c in r.classes}
    assert named == set(KB.classes)
    for rule in INTERACTIONS.values():
        if rule.classes:
            assert rule.pharmacist_check == "pending", rule.id


# ---- start-up validation ----------------------------------------------------------------------

def _class(data: dict, class_id: str) -> dict:
    return next(c for c in data["classes"] if c["id"] == class_id)


def test_dropping_a_coded_member_from_its_atc_class_is_refused(data_copy):
    edit_yaml(data_copy / "medications.yaml",
          lambda d: _class(d, "antipsychotics")["members"].remove("clozapine"))
    with pytest.raises(kbmod.KnowledgeBaseError) as exc:
        kbmod.load(data_copy)
    assert "classes[antipsychotics].members" in str(exc.value)
    assert "'clozapine' has ATC code N05AH02" in str(exc.value)


def test_a_new_coded_drug_must_join_its_atc_class(data_copy):
    def change(d):
        d["medications"].append({"generic": "pimavanserin", "class": "antipsychotic",
                                 "atc": ["N05AX17"]})

    edit_yaml(data_copy / "medications.yaml", change)
    with pytest.raises(kbmod.KnowledgeBaseError, match="'pimavanserin' has ATC code N05AX17"):
        kbmod.load(data_copy)

    def exclude(d):
        _class(d, "antipsychotics")["excluded"]["pimavanserin"] = "no D2 binding (label)"

    edit_yaml(data_copy / "medications.yaml", exclude)
    assert "pimavanserin" not in kbmod.load(data_copy).classes["antipsychotics"].members


@pytest.mark.parametrize("field", ["source", "as_of"])
def test_a_class_without_its_source_or_date_is_refused(data_copy, field):
    edit_yaml(data_copy / "medications.yaml", lambda d: _class(d, "benzodiazepines").pop(field))
    with pytest.raises(kbmod.KnowledgeBaseError, match=rf"classes\[benzodiazepines\]\.{field}"):
        kbmod.load(data_copy)


def test_a_class_member_missing_from_the_dictionary_is_refused(data_copy):
    edit_yaml(data_copy / "medications.yaml",
          lambda d: _class(d, "ssris")["members"].append("unobtainium"))
    with pytest.raises(kbmod.KnowledgeBaseError, match=r"classes\[ssris\]\.members.*unobtainium"):
        kbmod.load(data_copy)


def test_a_bad_atc_code_is_refused(data_copy):
    edit_yaml(data_copy / "medications.yaml",
          lambda d: d["medications"][0].__setitem__("atc", ["N2AA05"]))
    with pytest.raises(kbmod.KnowledgeBaseError, match="'N2AA05' is not a 7-character ATC code"):
        kbmod.load(data_copy)


def test_a_rule_naming_an_unknown_class_is_refused(data_copy):
    edit_yaml(data_copy / "interaction_rules.yaml",
          lambda d: d["rules"][0]["classes"].append("opiods"))
    with pytest.raises(kbmod.KnowledgeBaseError,
                       match=r"rules\[kratom-opioid-agonists\]\.classes.*'opiods'"):
        kbmod.load(data_copy)


def test_a_class_membership_rule_must_name_its_classes(data_copy):
    def change(d):
        rule = d["rules"][0]
        rule.pop("classes")
        rule["drugs"] = ["oxycodone"]

    edit_yaml(data_copy / "interaction_rules.yaml", change)
    with pytest.raises(kbmod.KnowledgeBaseError, match="must name its classes"):
        kbmod.load(data_copy)


def test_a_rule_cannot_claim_a_pharmacist_check_its_classes_lack(data_copy):
    edit_yaml(data_copy / "interaction_rules.yaml",
          lambda d: d["rules"][0].__setitem__("pharmacist_check", "not_needed"))
    with pytest.raises(kbmod.KnowledgeBaseError,
                       match=r"pharmacist_check: must be pending: class 'opioid-agonists'"):
        kbmod.load(data_copy)


def test_a_rule_drug_already_in_its_class_is_refused(data_copy):
    edit_yaml(data_copy / "interaction_rules.yaml",
          lambda d: d["rules"][0].__setitem__("drugs", ["morphine"]))
    with pytest.raises(kbmod.KnowledgeBaseError, match="'morphine' is already a member"):
        kbmod.load(data_copy)
