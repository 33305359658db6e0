"""Customer value segmentation: ABC classes and a simple customer lifetime value (SPEC §4; credit.md §6).

ABC: customers are ranked by value (trailing-12-month revenue in the scorecard) descending, ties broken by key
ascending (customer_id; the position when no keys are given). A customer is A while the cumulative share of the total
*before* it is < cutoffs[0] (0.80), B while < cutoffs[1] (0.95), else C — so the customer that crosses 80 % is still
A, and a single customer holding more than 80 % is A rather than leaving A empty. Values ≤ 0 are C and do not count
in the total; a blank value gets no class (None).

CLV (Gupta & Lehmann): m · r / (1 + i − r) − AC, margin received at the end of each period, constant retention r and
discount rate i per period, infinite horizon (m 100, r 0.8, i 0.1 → 266.67). Where 1 + i − r ≤ 0 the sum diverges:
NaN. A retention outside 0..1 is an input error: NaN for that element of an array (:func:`bad_retention` tells
which, :data:`RETENTION_ERROR` why); a single retention given for every element raises instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine.ratios import like_input, to_float_array

__all__ = ["DEFAULT_ABC_CUTOFFS", "RETENTION_ERROR", "SegmentationInputError", "abc_class", "bad_retention", "clv"]

DEFAULT_ABC_CUTOFFS: tuple[float, float] = (0.80, 0.95)
RETENTION_ERROR = "retention must be a share between 0 and 1"


class SegmentationInputError(ValueError):
    """Cut-offs or CLV parameters that cannot be used."""


def abc_class(values: Any, cutoffs: Sequence[float] = DEFAULT_ABC_CUTOFFS, keys: Any = None) -> Any:
    """'A' / 'B' / 'C' per value (None for blank); same container as `values`."""
    a_cut, b_cut = (float(c) for c in cutoffs) if len(cutoffs) == 2 else (np.nan, np.nan)
    if not (0 < a_cut <= b_cut <= 1):
        raise SegmentationInputError(f"ABC cut-offs: expected two shares 0 < A ≤ B ≤ 1, got {list(cutoffs)}")
    v_shaped = to_float_array(values, "value")
    v = v_shaped.ravel()
    n = v.size
    if n == 0:
        return like_input(np.empty(v_shaped.shape, dtype=object), values)
    if keys is None:
        k = np.arange(n)
    else:
        k = np.asarray(keys.to_numpy(dtype=object) if isinstance(keys, pd.Series) else keys, dtype=object).ravel()
        if k.size != n:
            raise SegmentationInputError(f"ABC: {k.size} keys for {n} values")
        k = np.asarray([str(x) for x in k], dtype=object)
    positive = np.where(v > 0, v, 0.0)
    order = pd.DataFrame({"v": positive, "k": k}).sort_values(["v", "k"], ascending=[False, True],
                                                              kind="mergesort").index.to_numpy()
    total = positive.sum()
    before = np.empty(n)
    before[order] = np.concatenate(([0.0], np.cumsum(positive[order])[:-1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        share_before = before / total if total > 0 else np.full(n, np.inf)
    out = np.select([share_before < a_cut, share_before < b_cut], ["A", "B"], "C").astype(object)
    out[~(v > 0)] = "C"
    out[np.isnan(v)] = None
    return like_input(out.reshape(v_shaped.shape), values)


def clv(margin: Any, retention: Any, discount_rate: Any, acquisition_cost: Any = 0) -> Any:
    """Customer lifetime value in the unit of `margin` (unrounded float; round for display)."""
    m = to_float_array(margin, "margin")
    r = to_float_array(retention, "retention")
    i = to_float_array(discount_rate, "discount_rate")
    ac = np.nan_to_num(to_float_array(acquisition_cost, "acquisition_cost"), nan=0.0)
    bad_r = bad_retention(r)
    if bad_r.ndim == 0 and bad_r:  # bad for every element, so there is nothing to save: say why instead of NaN
        raise SegmentationInputError(f"CLV: {RETENTION_ERROR}")
    denom = 1.0 + i - r
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where((denom > 0) & ~bad_r, m * r / np.where(denom > 0, denom, 1.0) - ac, np.nan)
    return like_input(value, margin, retention, discount_rate, acquisition_cost)


def bad_retention(retention: Any) -> np.ndarray:
    """True where a retention is outside 0..1 (blank is not bad: it is blank); the shape of the input."""
    r = to_float_array(retention, "retention")
    return (r < 0) | (r > 1)
