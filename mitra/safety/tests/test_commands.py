import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_check_json_has_the_contract_shape():
    data = json.loads(run("check", "--substance", "kratom", "--meds",
                          "Xanax,notarealdrugname", "--conditions", "pregnancy", "--json"))
    rules = {f["rule"]: f for f in data["findings"]}
    assert rules["kratom-benzodiazepines"]["matched"] == ["Xanax"]
    assert rules["kratom-pregnancy"]["matched"] == ["pregnancy"]
    # where the benzodiazepine list comes from; a condition rule names no class
    assert rules["kratom-benzodiazepines"]["class_sources"][0].startswith(
        "benzodiazepines: WHO ATC N05BA")
    assert rules["kratom-pregnancy"]["class_sources"] == []
    for f in data["findings"]:
        assert f["severity"] in ("major", "moderate", "minor") and f["citations"]
    assert data["unrecognized"][0]["name"] == "notarealdrugname"


def test_check_matches_condition_ids_in_any_case():
    data = json.loads(run("check", "--substance", "kratom", "--conditions",
                          "Pregnancy, LIVER-DISEASE", "--json"))
    rules = {f["rule"]: f for f in data["findings"]}
    assert rules["kratom-pregnancy"]["matched"] == ["Pregnancy"]
    assert any(f["matched"] == ["LIVER-DISEASE"] for f in data["findings"])
    assert data["unrecognized"] == []


def test_the_mitra_command_matches_condition_ids_in_any_case():
    from tests.clitools import call_mitra

    result = call_mitra("check", "--substance", "kratom", "--conditions", "Pregnancy", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["unrecognized"] == []
    assert {"rule": "kratom-pregnancy", "matched": ["Pregnancy"]}.items() <= next(
        f for f in data["findings"] if f["rule"] == "kratom-pregnancy").items()


def test_check_accepts_7oh():
    data = json.loads(run("check", "--substance", "7oh", "--meds", "oxycodone", "--json"))
    assert data["findings"][0]["rule"] == "7oh-opioids-and-cns-depressants"


def test_check_refuses_an_unknown_substance():
    with pytest.raises(CommandError, match="kratom, kava, 7oh"):
        run("check", "--substance", "betel", "--json")


@pytest.mark.django_db
def test_check_without_substance_is_the_system_check():
    assert "System check identified no issues" in run("check")


def test_conditions_json_lists_the_required_ids():
    ids = json.loads(run("conditions", "--json"))
    for required in ("pregnancy", "breastfeeding", "liver-disease", "seizure-disorder",
                     "cardiac-qt", "opioid-use-disorder", "adolescent", "parkinson-disease"):
        assert required in ids


def test_legal_json_and_unknown_exit_2():
    data = json.loads(run("legal", "US-AL", "--json"))
    assert {"jurisdiction", "status", "effective", "as_of", "sources", "confidence"} <= set(data)
    assert data["source_details"][0]["type_label"] and data["notice"]
    ny = json.loads(run("legal", "US-NY", "--json"))
    assert ny["status"] == "unknown" and ny["as_of"] == "2026-12-03" and ny["sources"] == []
    with pytest.raises(CommandError) as exc:
        run("legal", "XX-NOWHERE", "--json")
    assert exc.value.returncode == 2


def test_legal_text_never_prints_a_missing_date_as_none():
    from mitra.safety.legal import known_codes

    for code in known_codes():
        out = run("legal", code)
        assert "None" not in out, code
        assert "as of None" not in out and "not legal advice" in out, code
    ny = run("legal", "US-NY")
    assert "No entry for New York: Mitra has no information; check local law." in ny
    assert "Why unknown:" in ny and "Federal (applies here too)" in ny
    assert "UNVERIFIED:" in run("legal", "US-UT")


