"""The deadlines, against the rule's own numbers (45 CFR 164.524(b)(2), 164.526(b)(2))."""

from __future__ import annotations

from datetime import date

import pytest

from mitra.records import deadlines


def test_access_like_requests_are_due_30_days_after_filing():
    for kind in ("restrict", "delete", "close"):
        assert deadlines.due_on(kind, date(2026, 1, 31)) == date(2026, 3, 2)


def test_an_amendment_is_due_60_days_after_filing():
    assert deadlines.due_on("amend", date(2026, 12, 1)) == date(2027, 1, 30)


def test_the_one_extension_adds_30_days_and_a_second_is_refused():
    assert deadlines.extended_due_on("amend", date(2027, 1, 30),
                                     already_extended=False) == date(2027, 3, 1)
    assert deadlines.extended_due_on("restrict", date(2026, 3, 2),
                                     already_extended=False) == date(2026, 4, 1)
    with pytest.raises(deadlines.DeadlineError, match="^extension: .*only one extension"):
        deadlines.extended_due_on("amend", date(2027, 1, 30), already_extended=True)


def test_an_unknown_kind_is_named_with_the_allowed_ones():
    with pytest.raises(deadlines.DeadlineError,
                       match="^kind: 'copy' is not .*allowed: restrict, amend, delete, close"):
        deadlines.due_on("copy", date(2026, 1, 1))


def test_overdue_starts_the_day_after_the_last_day():
    due = date(2026, 3, 2)
    assert not deadlines.is_overdue(due, date(2026, 3, 2))
    assert deadlines.is_overdue(due, date(2026, 3, 3))
    assert deadlines.days_left(due, date(2026, 2, 28)) == 2
    assert deadlines.days_left(due, date(2026, 3, 4)) == -2


def test_each_period_names_its_source():
    assert deadlines.period_of("amend").source == "45 CFR 164.526(b)(2)"
    assert deadlines.period_of("restrict").source == "45 CFR 164.524(b)(2)"
