"""The CLI contract, called the way a user (and ../shared/tools/check-contracts) calls it:
`mitra ARGS` through the console script's `mitra.cli:main`, here in this process (the installed
script's own exit statuses are checked in tests/test_cli.py)."""

import json

import pytest

from tests.clitools import call_mitra as mitra


def test_instruments_json_lists_the_eight_ids_with_item_counts():
    run = mitra("instruments", "--json")
    assert run.returncode == 0, run.stderr
    rows = {row["id"]: row for row in json.loads(run.stdout)}
    assert set(rows) == {"phq9", "phq2", "gad7", "gad2", "sows", "cows", "auditc", "craving"}
    assert {k: rows[k]["items"] for k in ("phq9", "gad7", "cows", "sows", "craving")} == {
        "phq9": 9, "gad7": 7, "cows": 11, "sows": 16, "craving": 1}
    assert all(row["name"] for row in rows.values())


def test_score_json_has_the_contract_keys():
    run = mitra("score", "phq9", "--answers", "2,2,2,2,1,1,2,0,0", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert {k: data[k] for k in ("instrument", "total", "max", "severity", "complete",
                                 "alerts")} == {
        "instrument": "phq9", "total": 12, "max": 27, "severity": "moderate",
        "complete": True, "alerts": []}


def test_score_item9_positive_alerts_and_missing_is_null_total_when_unscorable():
    data = json.loads(mitra("score", "phq9", "--answers", "0,0,0,0,0,0,0,0,2", "--json").stdout)
    assert data["total"] == 2 and any("suicid" in a.lower() for a in data["alerts"])
    data = json.loads(mitra("score", "gad7", "--answers", "1,1,1,-,1,1,1", "--json").stdout)
    assert data["total"] is None and data["severity"] is None and data["complete"] is False


def test_score_prorates_phq9_and_says_so():
    data = json.loads(mitra("score", "phq9", "--answers", "2,2,2,2,1,1,2,0,-", "--json").stdout)
    assert data["total"] == 13.5 and data["prorated"] is True and data["complete"] is False
    assert any("not assessed" in a for a in data["alerts"])


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("score", "phq9", "--answers", "0,0,0,0,0,0,0,0,7"), ["item 9", "0, 1, 2, 3"]),
        (("score", "phq9", "--answers", "0,0,0"), ["9 answers", "got 3"]),
        (("score", "nosuch", "--answers", "0"), ["nosuch", "phq9"]),
        (("score", "cows", "--answers", "0,0,2,0,0,0,0,0,0,0,0"), ["item 3", "0, 1, 3, 5"]),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_item(args, names):
    run = mitra(*args, "--json")
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    for name in names:
        assert name in lines[0]


def test_an_answer_list_may_start_with_a_missing_item():
    result = mitra("score", "gad7", "--answers", "-,0,0,0,0,0,0", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["total"], body["complete"], body["missing_items"]) == (None, False, [1])
    # Still a clear error when the flag has no value at all.
    bad = mitra("score", "gad7", "--answers")
    assert bad.returncode == 2 and "--answers" in bad.stderr
