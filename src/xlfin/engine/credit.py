"""Credit score, grade and suggested credit limit (SPEC §4).

Score (0–100, one decimal, half-up) = weighted mean of six sub-scores, each a clamped piecewise-linear map:

| sub-score | input | anchors (input → points) |
|---|---|---|
| liquidity | current ratio | 0.5 → 0, 1.0 → 40, 1.5 → 70, 2.0 → 100 |
| leverage | debt ratio (TL ÷ TA) | 0.3 → 100, 0.5 → 70, 0.7 → 30, 0.9 → 0 |
| coverage | interest coverage (EBIT ÷ interest) | 1 → 0, 1.5 → 30, 3 → 70, 5 → 100 (+inf, i.e. no interest and EBIT > 0 → 100) |
| profitability | net margin (fraction) | −0.05 → 0, 0 → 40, 0.05 → 70, 0.10 → 100 |
| payment | payment index (1–100) | as is (clamped to 0–100) |
| arrears | overdue share (overdue ÷ outstanding) | 0 → 100, 0.1 → 70, 0.3 → 30, 0.5 → 0 |

A blank input drops its sub-score; the weights are renormalised over the sub-scores that remain. A sub-score only
counts as present when its weight is positive, and with fewer than two present the score is an error (message per
row), never a number. Default weights (Config ``score_weights``): 0.15, 0.15, 0.10, 0.10, 0.35, 0.15.

Grade: A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, else E (Config ``grade_cutoffs``).

Suggested limit = min(pct_net_worth × net worth, pct_working_capital × working capital) × grade factor
(A 1, B 0.75, C 0.5, D 0.25, E 0), rounded DOWN to ``rounding`` currency units; non-positive net worth or working
capital → 0 (cash in advance). Inputs and output are cents. When the limit cannot be assessed (net worth, working
capital or grade blank) the result is blank (<NA>), which is why the result is pandas' nullable ``Int64``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine.ratios import like_input, to_float_array
from xlfin.engine.money import round_half_up_array

__all__ = [
    "DEFAULT_GRADE_CUTOFFS",
    "DEFAULT_WEIGHTS",
    "GRADES",
    "GRADE_FACTORS",
    "SUBSCORE_CURVES",
    "SUBSCORE_INPUTS",
    "SUBSCORE_NAMES",
    "CreditInputError",
    "credit_grade",
    "credit_score",
    "normalise_grades",
    "subscore",
    "subscores",
    "suggested_limit",
]


class CreditInputError(ValueError):
    """Weights, cut-offs or limit parameters that cannot be used."""


SUBSCORE_NAMES: tuple[str, ...] = ("liquidity", "leverage", "coverage", "profitability", "payment", "arrears")
SUBSCORE_INPUTS: tuple[str, ...] = (
    "current_ratio", "debt_ratio", "interest_coverage", "net_margin", "payment_index", "overdue_share",
)
# (input anchors ascending, points); np.interp clamps beyond the ends and maps ±inf to the end points.
SUBSCORE_CURVES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "liquidity": ((0.5, 1.0, 1.5, 2.0), (0.0, 40.0, 70.0, 100.0)),
    "leverage": ((0.3, 0.5, 0.7, 0.9), (100.0, 70.0, 30.0, 0.0)),
    "coverage": ((1.0, 1.5, 3.0, 5.0), (0.0, 30.0, 70.0, 100.0)),
    "profitability": ((-0.05, 0.0, 0.05, 0.10), (0.0, 40.0, 70.0, 100.0)),
    "payment": ((0.0, 100.0), (0.0, 100.0)),
    "arrears": ((0.0, 0.1, 0.3, 0.5), (100.0, 70.0, 30.0, 0.0)),
}
DEFAULT_WEIGHTS: tuple[float, ...] = (0.15, 0.15, 0.10, 0.10, 0.35, 0.15)
DEFAULT_GRADE_CUTOFFS: tuple[float, ...] = (80.0, 65.0, 50.0, 35.0)
GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")
GRADE_FACTORS: dict[str, float] = {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25, "E": 0.0}


def subscore(name: str, values: Any) -> np.ndarray:
    """One sub-score curve applied to a column (NaN stays NaN)."""
    xs, ys = SUBSCORE_CURVES[name]
    x = to_float_array(values, SUBSCORE_INPUTS[SUBSCORE_NAMES.index(name)])
    return np.interp(x, xs, ys)  # NaN in → NaN out; ±inf → end points


def _broadcast_inputs(inputs: Sequence[Any]) -> tuple[list[np.ndarray], tuple[int, ...]]:
    arrays = [to_float_array(v, n) for v, n in zip(inputs, SUBSCORE_INPUTS)]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError as exc:
        raise CreditInputError("credit score inputs have different lengths") from exc
    return [np.broadcast_to(a, shape) for a in arrays], shape


def subscores(current_ratio: Any, debt_ratio: Any, interest_coverage: Any, net_margin: Any, payment_index: Any,
              overdue_share: Any) -> np.ndarray:
    """Sub-scores as an (n, 6) float array, columns in SUBSCORE_NAMES order; NaN where the input is blank."""
    arrays, shape = _broadcast_inputs(
        (current_ratio, debt_ratio, interest_coverage, net_margin, payment_index, overdue_share))
    n = int(np.prod(shape, dtype=np.int64))
    cols = [subscore(name, a.reshape(n)) for name, a in zip(SUBSCORE_NAMES, arrays)]
    return np.column_stack(cols) if n else np.zeros((0, len(SUBSCORE_NAMES)))


def _check_weights(weights: Sequence[float]) -> np.ndarray:
    w = np.asarray([float(x) for x in weights], dtype=np.float64)
    if w.shape != (len(SUBSCORE_NAMES),):
        raise CreditInputError(
            f"score weights: expected {len(SUBSCORE_NAMES)} numbers ({', '.join(SUBSCORE_NAMES)}), got {len(w)}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise CreditInputError("score weights must be finite, not negative, and not all zero")
    return w


def credit_score(current_ratio: Any, debt_ratio: Any, interest_coverage: Any, net_margin: Any, payment_index: Any,
                 overdue_share: Any, weights: Sequence[float] = DEFAULT_WEIGHTS) -> tuple[np.ndarray, np.ndarray]:
    """(scores, errors) with the broadcast shape of the inputs (0-d arrays for scalars).

    scores: float, one decimal (half-up), NaN where an error is reported; errors: object array, a message or None.
    """
    w = _check_weights(weights)
    inputs = (current_ratio, debt_ratio, interest_coverage, net_margin, payment_index, overdue_share)
    _, shape = _broadcast_inputs(inputs)
    sub = subscores(*inputs)
    present = ~np.isnan(sub) & (w > 0)
    weight_sum = present @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(present, np.nan_to_num(sub), 0.0) @ w / weight_sum
    n_present = present.sum(axis=1)
    ok = n_present >= 2
    scores = np.where(ok, round_half_up_array(raw, 1), np.nan)
    errors = np.full(sub.shape[0], None, dtype=object)
    for i in np.flatnonzero(~ok):  # error rows only: building a message needs the row's own missing inputs
        given = [SUBSCORE_INPUTS[j] for j in np.flatnonzero(present[i])]
        errors[i] = ("credit score needs at least two of " + ", ".join(SUBSCORE_INPUTS)
                     + (f"; only {given[0]} is given" if given else "; none is given"))
    return scores.reshape(shape), errors.reshape(shape)


def _check_cutoffs(cutoffs: Sequence[float]) -> np.ndarray:
    c = np.asarray([float(x) for x in cutoffs], dtype=np.float64)
    if c.shape != (len(GRADES) - 1,) or not np.all(np.isfinite(c)) or np.any(np.diff(c) >= 0):
        raise CreditInputError(
            f"grade cut-offs: expected {len(GRADES) - 1} strictly descending numbers (A, B, C, D), got {list(cutoffs)}")
    return c


def credit_grade(score: Any, cutoffs: Sequence[float] = DEFAULT_GRADE_CUTOFFS) -> Any:
    """'A'..'E' per score (A ≥ cutoffs[0], … , else E); None for a blank score."""
    c = _check_cutoffs(cutoffs)
    s = to_float_array(score, "score")
    grade = np.select([s >= c[0], s >= c[1], s >= c[2], s >= c[3]], list(GRADES[:4]), GRADES[4]).astype(object)
    grade[np.isnan(s)] = None
    return like_input(grade, score)


def _distinct_grades(grade: Any) -> tuple[np.ndarray, list[str]]:
    """(code per cell, the input's shape; stripped upper-case text per code): a column holds a handful of distinct
    grades, so only those are looked at. Blank cells have code -1, which picks the last text, ''."""
    g = np.asarray(grade.to_numpy(dtype=object) if isinstance(grade, pd.Series) else grade, dtype=object)
    codes, uniques = pd.factorize(g.ravel())
    return codes.reshape(g.shape), [str(u).strip().upper() for u in uniques] + [""]


def normalise_grades(grade: Any) -> np.ndarray:
    """Grade cells -> stripped upper-case text of the input's shape; '' for a blank cell. A cell that is not text
    (a number) becomes text that is no grade, so it reads as "not a grade" rather than as blank."""
    codes, texts = _distinct_grades(grade)
    return np.array(texts)[codes]


def _grade_factors(grade: Any) -> np.ndarray:
    """Factor per grade cell (float, the input's shape); NaN where the cell is blank or not a grade."""
    codes, texts = _distinct_grades(grade)
    return np.array([GRADE_FACTORS.get(t, np.nan) for t in texts], dtype=np.float64)[codes]


def suggested_limit(net_worth: Any, working_capital: Any, grade: Any, pct_net_worth: float = 0.10,
                    pct_working_capital: float = 0.20, rounding: float = 1000) -> Any:
    """Suggested credit limit in cents (nullable Int64; <NA> when it cannot be assessed).

    ``rounding`` is in currency units (1000 → multiples of 1,000.00); 0 means whole cents.
    """
    pct_nw, pct_wc, unit = float(pct_net_worth), float(pct_working_capital), float(rounding)
    if not (np.isfinite(pct_nw) and np.isfinite(pct_wc) and pct_nw >= 0 and pct_wc >= 0):
        raise CreditInputError("limit percentages must be finite and not negative")
    if not np.isfinite(unit) or unit < 0:
        raise CreditInputError(f"limit rounding must be ≥ 0 currency units, got {rounding!r}")
    nw = to_float_array(net_worth, "net_worth")
    wc = to_float_array(working_capital, "working_capital")
    factor = _grade_factors(grade)
    try:
        nw, wc, factor = np.broadcast_arrays(nw, wc, factor)
    except ValueError as exc:
        raise CreditInputError("credit limit inputs have different lengths") from exc
    base = np.minimum(pct_nw * nw, pct_wc * wc) * factor
    step = max(unit * 100.0, 1.0)  # cents
    # rounding to 6 decimals first keeps 0.1 × 10,000,000 from flooring to one step less through binary error
    limit = np.floor(np.round(base / step, 6)) * step
    limit = np.where((nw <= 0) | (wc <= 0), 0.0, limit)
    blank = np.isnan(nw) | np.isnan(wc) | np.isnan(factor)
    limit = np.where(blank & ~((nw <= 0) | (wc <= 0)), np.nan, limit)
    result = pd.array(np.where(np.isnan(limit), 0, limit).astype(np.int64).ravel(), dtype="Int64")
    result[np.isnan(limit).ravel()] = pd.NA
    if isinstance(net_worth, pd.Series):
        return pd.Series(result, index=net_worth.index)
    if nw.ndim == 0:
        return None if pd.isna(result[0]) else int(result[0])
    return result if nw.ndim == 1 else result.to_numpy(dtype=object).reshape(nw.shape)
