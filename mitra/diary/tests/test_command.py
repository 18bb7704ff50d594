import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.clitools import call_mitra

HEADER = "timestamp,substance,amount,unit,grams_per_unit\n"


def run(tmp_path: Path, body: str, *args):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + body)
    from io import StringIO

    out = StringIO()
    call_command("diary", "analyze", str(path), *args, stdout=out)
    return out.getvalue()


def test_json_report_has_days_and_flags(tmp_path):
    body = ("2026-01-01T08:00:00,kratom_capsule,6,capsules,0.5\n"
            "2026-01-01T20:00:00Z,alcohol,2,standard_drinks,\n"
            "2026-01-02T08:00:00+07:00,kratom_extract,5,mL,\n")
    report = json.loads(run(tmp_path, body, "--json"))
    assert report["days"][1] == {"date": "2026-01-01", "substance": "kratom_capsule",
                                 "total_g": 3, "amount": 6, "unit": "capsules", "uses": 1}
    assert report["days"][2]["total_g"] is None
    assert {"date": "2026-01-01", "kind": "co_use",
            "substances": ["alcohol", "kratom_capsule"]} in report["flags"]


@pytest.mark.parametrize("row,message", [
    ("yesterday,kratom_powder,2,g,", "row 2, column timestamp: expected an ISO 8601"),
    ("2026-01-01T08:00,kratom,2,g,", "row 2, column substance: substance must be one of"),
    ("2026-01-01T08:00,kratom_powder,-2,g,", "row 2, column amount: amount must be more than 0"),
    ("2026-01-01T08:00,kratom_powder,2,kg,", "row 2, column unit: unit must be one of"),
    ("2026-01-01T08:00,kratom_capsule,2,capsules,9", "row 2, column grams_per_unit"),
])
def test_a_bad_row_names_the_row_the_column_and_what_was_expected(tmp_path, row, message):
    with pytest.raises(CommandError) as exc:
        run(tmp_path, row + "\n")
    assert exc.value.returncode == 2
    assert message in str(exc.value)


def test_the_row_number_counts_the_header_as_row_one(tmp_path):
    with pytest.raises(CommandError, match="row 3, column amount"):
        run(tmp_path, "2026-01-01,kratom_powder,2,g,\n2026-01-02,kratom_powder,x,g,\n")


def test_a_missing_column_is_reported(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("when,substance,amount,unit\n")
    with pytest.raises(CommandError, match="missing timestamp"):
        call_command("diary", "analyze", str(path))


def test_columns_not_read_are_named_on_stderr_and_the_report_is_unchanged(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("timestamp,substance,amount,unit,note,id\n2026-01-01,kratom_powder,2,g,x,7\n")
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("diary", "analyze", str(path), "--json", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["days"][0]["amount"] == 2
    assert "columns not read: note, id" in err.getvalue()
    path.write_text(HEADER + "2026-01-01,kratom_powder,2,g,\n")
    err = StringIO()
    call_command("diary", "analyze", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_the_mitra_command_exits_2_with_one_line(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + "2026-01-01,kratom_powder,1000,g,\n")
    done = call_mitra("diary", "analyze", str(path))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "row 2, column amount" in done.stderr
