import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

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


# Files that are not CSV text, and dates out of bounds: one line on stderr naming the file and
# the line (or row), exit 2, never a traceback (issue 16, item 15).

def analyze_file(tmp_path: Path, content: bytes, *args: str):
    path = tmp_path / "uses.csv"
    path.write_bytes(content)
    return path, call_mitra("diary", "analyze", str(path), *args)


def one_line_error(done, path: Path, *parts: str) -> str:
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"mitra diary: error: {path} ")
    for part in parts:
        assert part in line
    return line


def test_a_binary_file_is_one_line_naming_the_line(tmp_path):
    content = HEADER.encode() + b"2026-01-01,kratom_powder,2,g,\n" + b"PK\x03\x04\x00\x00\x08\n"
    path, done = analyze_file(tmp_path, content)
    one_line_error(done, path, "line 3: a NUL byte at character 5", "binary file")


def test_text_that_is_not_utf8_is_one_line_naming_the_line_and_the_byte(tmp_path):
    latin1 = "timestamp,substance,amount,unit,note\n2026-01-01,kratom_powder,2,g,ok\n" \
             "2026-01-02,kratom_powder,2,g,café\n".encode("latin-1")
    path, done = analyze_file(tmp_path, latin1)
    one_line_error(done, path, "line 3: byte 0xe9 at character 33 is not UTF-8 text")


def test_utf8_text_with_a_bom_and_accents_is_read(tmp_path):
    content = ("\ufefftimestamp,substance,amount,unit,note\n"
               "2026-01-01,kratom_powder,2,g,café ☕\n").encode()
    path, done = analyze_file(tmp_path, content, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["days"][0]["amount"] == 2


def test_an_over_long_field_is_one_line_naming_the_line(tmp_path):
    content = (HEADER + "2026-01-01,kratom_powder,2,g,\n"
               + '2026-01-02,kratom_powder,2,g,"' + "x" * 200_000 + '"\n').encode()
    path, done = analyze_file(tmp_path, content)
    one_line_error(done, path, "line 3: a value longer than 131,072 characters")


def test_a_quote_left_open_is_one_line_naming_where_it_stopped(tmp_path):
    # The open quote runs on over the following lines until the value is too long.
    content = (HEADER + '2026-01-01,"kratom_powder,2,g,\n'
               + "2026-01-02,kratom_powder,2,g,\n" * 10_000).encode()
    path, done = analyze_file(tmp_path, content)
    one_line_error(done, path, "a value longer than 131,072 characters",
                   "(a quotation mark left open?)")


def test_a_line_of_megabytes_is_refused_without_reading_it_whole(tmp_path):
    path, done = analyze_file(tmp_path, b"\xff" * (3 * 1024 * 1024))
    one_line_error(done, path, "line 1: a line longer than 1,048,576 characters")


def test_a_missing_header_column_is_one_line_naming_the_file_and_row_1(tmp_path):
    path, done = analyze_file(tmp_path, b"when,substance,amount,unit\n2026-01-01,kava,1,g\n")
    one_line_error(done, path, "row 1: the header must name the columns", "missing timestamp")


def test_an_empty_file_is_a_missing_header(tmp_path):
    path, done = analyze_file(tmp_path, b"")
    one_line_error(done, path, "row 1:", "missing timestamp, substance, amount, unit")


def test_a_blank_line_counts_as_a_row_as_in_a_spreadsheet(tmp_path):
    content = (HEADER + "2026-01-01,kratom_powder,2,g,\n\n2026-01-02,kratom_powder,x,g,\n")
    path, done = analyze_file(tmp_path, content.encode())
    one_line_error(done, path, "row 4, column amount")


def test_a_short_row_is_a_bad_row_not_a_traceback(tmp_path):
    path, done = analyze_file(tmp_path, (HEADER + "2026-01-01,kratom_powder\n").encode())
    one_line_error(done, path, "row 2, column unit: unit must be one of")


def test_a_bad_value_of_a_hundred_kilobytes_is_shown_short(tmp_path):
    path, done = analyze_file(tmp_path, (HEADER + "y" * 100_000 + ",kava,1,g,\n").encode())
    line = one_line_error(done, path, "row 2, column timestamp: expected an ISO 8601")
    assert len(line) < 300


# Dates: from bounds.IMPORT_EARLIEST (2000-01-01) to today plus a day; a time with a zone not
# after now plus the clock skew (5 minutes).

@pytest.mark.parametrize("timestamp", [
    "1999-12-31", "1900-01-01T00:00:00", "0001-01-01",
    "{day_after_tomorrow}", "9999-12-31T23:59:59", "{in_ten_minutes}",
])
def test_a_day_or_time_out_of_bounds_is_a_bad_row_naming_the_range(tmp_path, timestamp):
    now = timezone.now()
    timestamp = timestamp.format(
        day_after_tomorrow=(timezone.localdate() + timedelta(days=2)).isoformat(),
        in_ten_minutes=(now + timedelta(minutes=10)).isoformat(timespec="seconds"))
    path, done = analyze_file(tmp_path, (HEADER + f"{timestamp},kava,1,g,\n").encode())
    one_line_error(done, path, f"row 2, column timestamp: {timestamp}",
                   "is not allowed; allowed: from 2000-01-01 to ")


@pytest.mark.parametrize("timestamp", [
    "2000-01-01", "2000-01-01T00:00:00", "{tomorrow}", "{tomorrow}T23:59", "{in_a_minute}",
])
def test_days_and_times_at_the_edges_of_the_bounds_are_read(tmp_path, timestamp):
    timestamp = timestamp.format(
        tomorrow=(timezone.localdate() + timedelta(days=1)).isoformat(),
        in_a_minute=(timezone.now() + timedelta(minutes=1)).isoformat(timespec="seconds"))
    path, done = analyze_file(tmp_path, (HEADER + f"{timestamp},kava,1,g,\n").encode(),
                              "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["days"]) == 1


# Streaming: the rows are summed per day, substance and unit as they are read.

def test_the_rows_are_read_into_sums_per_day_substance_and_unit(tmp_path):
    from mitra.diary.management.commands.diary import read_uses

    rows = [f"2026-03-0{1 + n % 3}T08:{n % 60:02d}:00,{('kratom_powder', 'kava')[n % 2]},"
            f"{1 + n % 4},g,\n" for n in range(6000)]
    path = tmp_path / "uses.csv"
    path.write_text(HEADER + "".join(rows))
    uses, unread = read_uses(str(path))
    assert len(uses) == 6  # 3 days x 2 substances, not 6000 events
    assert sum(u.events for u in uses) == 6000
    assert sum(u.amount for u in uses) == sum(1 + n % 4 for n in range(6000))
    assert unread == []


@pytest.mark.slow
def test_reading_a_long_file_takes_memory_by_its_days_not_its_rows(tmp_path):
    import tracemalloc

    from mitra.diary.management.commands.diary import read_uses

    def peak(rows: int) -> int:
        path = tmp_path / f"uses{rows}.csv"
        with path.open("w") as out:
            out.write(HEADER)
            for n in range(rows):
                out.write(f"2026-0{1 + n % 6}-{1 + n % 28:02d}T08:00:00Z,kratom_powder,"
                          f"{1 + n % 7},g,\n")
        tracemalloc.start()
        try:
            read_uses(str(path))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(60_000)
    # 30 times the rows over the same 168 days: about the same memory (every Use held would
    # take some 10 MB more).
    assert large < small + 1_000_000, (small, large)
