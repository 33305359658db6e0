"""Credit score sub-score curves, renormalised weights, errors, grades and suggested limits."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.engine.credit import (
    SUBSCORE_CURVES,
    SUBSCORE_NAMES,
    CreditInputError,
    credit_grade,
    credit_score,
    normalise_grades,
    subscore,
    subscores,
    suggested_limit,
)

ANCHORS = {
    "liquidity": [(0.5, 0), (1.0, 40), (1.5, 70), (2.0, 100)],
    "leverage": [(0.3, 100), (0.5, 70), (0.7, 30), (0.9, 0)],
    "coverage": [(1, 0), (1.5, 30), (3, 70), (5, 100)],
    "profitability": [(-0.05, 0), (0.0, 40), (0.05, 70), (0.10, 100)],
    "payment": [(1, 1), (55, 55), (100, 100)],
    "arrears": [(0.0, 100), (0.1, 70), (0.3, 30), (0.5, 0)],
}


@pytest.mark.parametrize("name", SUBSCORE_NAMES)
def test_curve_anchor_points(name):
    xs, ys = zip(*ANCHORS[name])
    assert subscore(name, np.array(xs)) == pytest.approx(ys)


@pytest.mark.parametrize("name,below,above", [
    ("liquidity", (0.1, 0), (9.0, 100)), ("leverage", (0.0, 100), (1.5, 0)), ("coverage", (-3, 0), (50, 100)),
    ("profitability", (-0.5, 0), (0.9, 100)), ("arrears", (-0.2, 100), (1.0, 0)), ("payment", (-5, 0), (150, 100)),
])
def test_curves_clamp(name, below, above):
    assert subscore(name, np.array([below[0], above[0]])) == pytest.approx([below[1], above[1]])


def test_midpoints_are_linear_and_infinite_coverage_scores_100():
    assert subscore("liquidity", 1.25) == pytest.approx(55)
    assert subscore("arrears", 0.2) == pytest.approx(50)
    assert subscore("coverage", np.inf) == 100
    assert set(SUBSCORE_CURVES) == set(SUBSCORE_NAMES)


def test_full_score_is_weighted_mean():
    score, err = credit_score(1.5, 0.5, 3.0, 0.05, 80, 0.1)
    expected = (0.15 * 70 + 0.15 * 70 + 0.10 * 70 + 0.10 * 70 + 0.35 * 80 + 0.15 * 70) / 1.0
    assert float(score) == pytest.approx(round(expected, 1)) and err.item() is None


def test_missing_inputs_renormalise_weights():
    # only payment (80) and arrears (0.1 → 70): weights 0.35 and 0.15 renormalised
    score, err = credit_score(None, np.nan, None, None, 80, 0.1)
    assert float(score) == pytest.approx(round((0.35 * 80 + 0.15 * 70) / 0.5, 1)) == 77.0
    assert err.item() is None


def test_one_decimal_half_up():
    # liquidity 1.25 → 55, payment 60.5 with equal weights → 57.75 → 57.8 (half-up)
    score, _ = credit_score(1.25, None, None, None, 60.5, None, weights=(1, 0, 0, 0, 1, 0))
    assert float(score) == 57.8


def test_fewer_than_two_subscores_is_an_error():
    scores, errors = credit_score([None, None], [None, None], [None, None], [None, None], [None, None], [0.2, None])
    assert np.isnan(scores[0]) and "only overdue_share" in errors[0]
    assert np.isnan(scores[1]) and "none is given" in errors[1]
    # a zero weight does not make a sub-score count
    s, e = credit_score(1.5, None, None, None, 70, None, weights=(0, 0.2, 0.2, 0.2, 0.2, 0.2))
    assert np.isnan(float(s)) and "at least two" in e.item()


def test_subscores_shape_and_bad_weights():
    sub = subscores([1.0, 2.0], 0.5, None, 0.0, 80, 0.0)
    assert sub.shape == (2, 6) and np.isnan(sub[:, 2]).all() and sub[1, 0] == 100
    with pytest.raises(CreditInputError, match="expected 6"):
        credit_score(1, 1, 1, 1, 1, 1, weights=(1, 1))
    with pytest.raises(CreditInputError):
        credit_score(1, 1, 1, 1, 1, 1, weights=(1, -1, 1, 1, 1, 1))
    empty, errs = credit_score([], [], [], [], [], [])
    assert empty.shape == (0,) and errs.shape == (0,)


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
maybe = st.one_of(st.none(), finite)


@settings(max_examples=300, deadline=None)
@given(maybe, maybe, maybe, maybe, maybe, maybe)
def test_score_between_0_and_100(cr, dr, ic, nm, pi, od):
    score, err = credit_score(cr, dr, ic, nm, pi, od)
    if err.item() is None:
        assert 0.0 <= float(score) <= 100.0
    else:
        assert math.isnan(float(score))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-50, max_value=150, allow_nan=False), min_size=2, max_size=30))
def test_grade_is_monotone_in_score(scores):
    s = np.sort(np.asarray(scores))
    grades = credit_grade(s)
    rank = [("EDCBA").index(g) for g in grades]
    assert rank == sorted(rank)


def test_grade_cutoffs():
    assert list(credit_grade([80, 79.9, 65, 64.9, 50, 35, 34.9, np.nan])) == \
        ["A", "B", "B", "C", "C", "D", "E", None]
    assert credit_grade(70, cutoffs=(90, 70, 50, 30)) == "B"
    with pytest.raises(CreditInputError):
        credit_grade(70, cutoffs=(50, 65, 80, 35))


def test_suggested_limit_rules():
    # NW 1,000,000.00 → 10 % = 100,000; WC 600,000.00 → 20 % = 120,000; min 100,000 × grade
    nw, wc = 1_000_000_00, 600_000_00
    assert suggested_limit(nw, wc, "A") == 100_000_00
    assert suggested_limit(nw, wc, "B") == 75_000_00
    assert suggested_limit(nw, wc, "D") == 25_000_00
    assert suggested_limit(nw, wc, "E") == 0


def test_suggested_limit_rounds_down():
    # 10 % of 1,234,567.89 = 123,456.789 → 123,000 (down, never up)
    assert suggested_limit(1_234_567_89, 10_000_000_00, "A") == 123_000_00
    assert suggested_limit(1_239_999_99, 10_000_000_00, "A", rounding=1) == 123_999_00
    assert suggested_limit(1_234_567_89, 10_000_000_00, "A", rounding=0) == 123_456_78
    # binary error must not drop a whole step: 0.1 × 10,000,000.00 is exactly 1,000,000.00
    assert suggested_limit(10_000_000_00, 10_000_000_00, "A") == 1_000_000_00


def test_suggested_limit_non_positive_and_blank():
    out = suggested_limit(pd.Series([-5_00, 1_000_000_00, 1_000_000_00, None, 1_000_000_00]),
                          pd.Series([1_000_000_00, 0, None, -1, 1_000_000_00]),
                          pd.Series(["A", "A", "A", None, None]))
    assert out.dtype == "Int64"
    assert out.iloc[0] == 0 and out.iloc[1] == 0  # negative equity / no working capital → cash in advance
    assert pd.isna(out.iloc[2]) and out.iloc[3] == 0 and pd.isna(out.iloc[4])
    assert suggested_limit(None, 1, "A") is None


def test_empty_in_empty_out():
    e = np.array([])
    assert len(credit_grade(e)) == 0
    assert len(suggested_limit(e, e, np.array([], dtype=object))) == 0


def test_grades_are_read_as_a_column():
    nw, wc = 1_000_000_00, 600_000_00
    grades = np.array([" a", "b ", "C", "d", "E", None, np.nan, "", "F", 3.0, "AA"], dtype=object)
    out = suggested_limit(np.full(grades.size, nw), np.full(grades.size, wc), grades)
    assert out[:5].tolist() == [100_000_00, 75_000_00, 50_000_00, 25_000_00, 0]
    assert all(pd.isna(v) for v in out[5:])  # blank, or not a grade: no limit can be assessed
    assert normalise_grades(grades).tolist() == ["A", "B", "C", "D", "E", "", "", "", "F", "3.0", "AA"]
    assert normalise_grades(pd.Series(["b"])).tolist() == ["B"] and normalise_grades([]).size == 0
