"""Hypothesis strategies for hostile input, shared by the fuzz tests (issue 16).

What a red team sends: text with NUL bytes, lone UTF-16 surrogates, very long strings,
direction marks and markup; integers far past 64 bits; the calendar's ends (year 1, 9999)
with and without extreme UTC offsets; JSON of the wrong type. Each strategy mixes these
specimens with ordinary generated values, so a run meets both the edge and the plain case.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

from hypothesis import strategies as st

LONG = "x" * 100_000
TEXT_SPECIMENS = [
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff", "before\udc00after", "\ud83d", "😀",
    "ไทย", "\u202eevil", "\r\n", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\\u0000",
    "{{ 7*7 }}", "9" * 5000, LONG, "é" * 3000, "\ufeff", "\t", "null",
]
INT_SPECIMENS = [0, -1, 1, 10, 11, 100, 101, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63,
                 2**64, -(2**63) - 1, 10**30, -(10**30), 10**4000]
DATE_SPECIMENS = ["0001-01-01", "9999-12-31", "0000-01-01", "10000-01-01", "2026-02-30",
                  "1900-01-01", "1970-01-01", "-0001-01-01", "2026-13-01", "", "today"]
DATETIME_SPECIMENS = [
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59.999999-14:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00",
    "2026-01-01T00:00:00", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+25:00", "1970-01-01",
    "0001-01-01T00:00:00+23:59", "",
]

# What a database cannot hold as text, put into ordinary text (hypothesis, left to itself,
# draws a surrogate seldom: it leaves them out unless asked).
BAD_CHARS = ["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]
any_char = st.characters(codec=None, exclude_categories=()) | st.sampled_from(BAD_CHARS)
with_bad_char = st.builds(lambda head, bad, tail: head + bad + tail, st.text(max_size=8),
                          st.sampled_from(BAD_CHARS), st.text(max_size=8))
hostile_text = st.one_of(
    with_bad_char,
    st.sampled_from(TEXT_SPECIMENS),
    st.text(any_char, max_size=30),
    st.builds(lambda head, tail: head + LONG[:5000] + tail, st.text(any_char, max_size=3),
              st.text(any_char, max_size=3)),
)
hostile_int = st.sampled_from(INT_SPECIMENS) | st.integers()
hostile_day = st.one_of(
    st.sampled_from(DATE_SPECIMENS),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
hostile_datetime = st.one_of(  # st.datetimes spans year 1 to 9999 by default
    st.sampled_from(DATETIME_SPECIMENS),
    st.datetimes(timezones=offsets).map(datetime.isoformat),
)
hostile_scalar = st.one_of(
    hostile_text, hostile_int, hostile_day, hostile_datetime, st.none(), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e308, -0.0, 0.5]),
)
hostile_json = st.recursive(
    hostile_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


def some_of(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """One of `fields` (half the time) or up to three, each with a value of its strategy: with
    few changed at once the others stay valid, so a hostile value gets past the first check
    to the code that stores it."""
    names = sorted(fields)
    one = st.sampled_from(names).flatmap(lambda n: st.fixed_dictionaries({n: fields[n]}))
    several = st.lists(st.sampled_from(names), min_size=2, max_size=3, unique=True) \
        .flatmap(lambda chosen: st.fixed_dictionaries({n: fields[n] for n in chosen}))
    return one | several


def form_encoded(fields: dict[str, str | list[str]]) -> bytes:
    """A form post's body as a browser could send it: UTF-8, a lone surrogate written out as
    the bytes of its UTF-8 form (which Django decodes to replacement characters)."""
    pairs = []
    for name, values in fields.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append(f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'))}")
    return "&".join(pairs).encode("ascii")
