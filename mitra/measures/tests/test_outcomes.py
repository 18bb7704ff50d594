"""Population outcomes judged by the instruments' published rules (plain Python), against
hand-worked examples."""

from __future__ import annotations

from datetime import date

from mitra.measures.library import get_instrument
from mitra.measures.outcomes import outcomes

PHQ9 = get_instrument("phq9")  # reliable change 6 points; response >= 50% from > 9; remission < 5
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def s(*pairs: tuple[date, int]) -> list[tuple[date, int]]:
    return list(pairs)


COHORT = [
    # 20 -> 8: -12, reliably improved; response (12 >= 10); no remission (8 is not < 5).
    s((date(2026, 1, 5), 20), (date(2026, 2, 10), 15), (date(2026, 2, 24), 8)),
    # 12 -> 4: -8, improved; response (8 >= 6); remission (4 < 5).
    s((date(2026, 1, 7), 12), (date(2026, 3, 2), 4)),
    # 7 -> 14: +7, reliably deteriorated; response and remission not defined (baseline <= 9).
    s((date(2026, 2, 3), 7), (date(2026, 3, 3), 14)),
    # Baseline only.
    s((date(2026, 3, 9), 18)),
    # 10 -> 12: +2, no reliable change; no response, no remission.
    s((date(2026, 1, 9), 10), (date(2026, 1, 23), 12)),
]


def test_each_patient_is_judged_on_the_latest_total_against_the_baseline():
    got = outcomes(PHQ9, COHORT, [MAR, FEB, JAN]).overall
    assert (got.baseline, got.repeated) == (5, 4)
    assert (got.met["reliable_improvement"], got.judged["reliable_improvement"]) == (2, 4)
    assert (got.met["reliable_deterioration"], got.judged["reliable_deterioration"]) == (1, 4)
    assert (got.met["response"], got.judged["response"]) == (2, 3)
    assert (got.met["remission"], got.judged["remission"]) == (1, 3)


def test_by_month_each_patient_counts_on_their_last_total_of_the_month_after_baseline():
    by = outcomes(PHQ9, COHORT, [MAR, FEB, JAN]).by_month
    # January: only the fifth patient has a total after their baseline (12, no change).
    assert by[JAN].repeated == 1 and by[JAN].met["reliable_deterioration"] == 0
    # February: the first patient's last February total is 8 (improved, response).
    assert by[FEB].repeated == 1
    assert by[FEB].met["reliable_improvement"] == 1 and by[FEB].met["response"] == 1
    # March: the second (4: improved, remission) and the third (14: deteriorated).
    assert by[MAR].repeated == 2
    assert by[MAR].met["remission"] == 1 and by[MAR].judged["remission"] == 1
    assert by[MAR].met["reliable_deterioration"] == 1


def test_months_outside_the_window_are_left_out_and_empty_series_ignored():
    got = outcomes(PHQ9, [[], *COHORT], [MAR])
    assert set(got.by_month) == {MAR} and got.overall.baseline == 5


def test_gad7_uses_its_own_reliable_change_threshold():
    gad7 = get_instrument("gad7")  # 4 points
    got = outcomes(gad7, [s((JAN, 10), (FEB, 6)), s((JAN, 10), (FEB, 7))], [FEB]).overall
    assert got.met["reliable_improvement"] == 1 and got.judged["reliable_improvement"] == 2
