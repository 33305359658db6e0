"""Financial-statement ratios, vectorised: scalars, numpy arrays or pandas Series in, the same shape out.

Money inputs are cents (any numeric dtype; nullable ``Int64`` and ``None``/``pd.NA`` count as blank). Ratios are
unit-free floats; ``working_capital`` and ``net_worth`` stay in cents (as float so that a blank can be NaN — exact
up to 2**53 cents, i.e. 90 trillion currency units).

Conventions where a ratio is undefined (documented so the scorecard and the UDFs agree):

- a blank input gives NaN;
- ``interest_coverage``: no interest expense (0 or blank) and EBIT > 0 → ``+inf`` (scores 100, SPEC §4); no interest
  and EBIT ≤ 0 → NaN. Interest expense is taken by magnitude, because ledgers book it with either sign;
- ``current_ratio`` / ``quick_ratio``: no current liabilities and positive (quick) assets → ``+inf`` (scores 100);
  otherwise a zero denominator gives NaN;
- ``debt_ratio``: total assets ≤ 0 → NaN; ``net_margin``: revenue ≤ 0 → NaN (a margin on nothing means nothing).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "coerce_float_array",
    "current_ratio",
    "debt_ratio",
    "interest_coverage",
    "like_input",
    "net_margin",
    "net_worth",
    "quick_ratio",
    "to_float_array",
    "working_capital",
]


class RatioInputError(ValueError):
    """An input that is not a number (or blank)."""


def coerce_float_array(values: Any) -> np.ndarray:
    """Any scalar / list / array / Series -> float64 ndarray of the input's shape; whatever is not a number
    (blank, text) becomes NaN, without an error (the metrics that use it call such a value undefined).

    Numeric numpy input and plain numbers take a fast path: no object round trip, no copy of a float64 array.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(np.float64, copy=False)
    if isinstance(values, (int, float, np.integer, np.floating)) and not isinstance(values, (bool, np.bool_)):
        return np.asarray(values, dtype=np.float64)
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    flat = pd.Series(np.ravel(np.asarray(values, dtype=object)))
    return (pd.to_numeric(flat, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            .reshape(np.shape(values)))


def to_float_array(values: Any, name: str = "value") -> np.ndarray:
    """Any scalar / list / array / Series -> float64 ndarray with NaN for blanks (None, NA, NaN, '').

    Text that is not a number raises RatioInputError naming the argument, instead of turning silently into NaN.
    """
    if values is None:
        return np.array(np.nan)
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.asarray(values, dtype=object)
    arr = np.asarray(values)
    if arr.dtype.kind in "fiu":
        return arr.astype(np.float64)
    if arr.dtype.kind == "b":
        raise RatioInputError(f"{name}: expected a number, got a yes/no value")
    flat = arr.ravel()
    out = np.empty(flat.shape, dtype=np.float64)
    for i, v in enumerate(flat):  # object columns only (mixed blanks); numeric columns took the fast path
        if v is None or v is pd.NA or (isinstance(v, str) and v.strip() == ""):
            out[i] = np.nan
            continue
        if isinstance(v, (bool, np.bool_)):
            raise RatioInputError(f"{name}: expected a number, got {v!r}")
        try:
            out[i] = float(v)
        except (TypeError, ValueError) as exc:
            raise RatioInputError(f"{name}: expected a number, got {v!r}") from exc
    return out.reshape(arr.shape)


def like_input(result: np.ndarray, *inputs: Any) -> Any:
    """Give the result the container of the inputs: the first Series' index, else an ndarray, else a scalar."""
    for x in inputs:
        if isinstance(x, pd.Series):
            return pd.Series(np.broadcast_to(result, (len(x),)) if np.ndim(result) == 0 else result, index=x.index)
    if all(np.ndim(x) == 0 for x in inputs if x is not None):
        return result.item() if isinstance(result, np.ndarray) else result
    return result


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def _liquidity(assets: np.ndarray, cl: np.ndarray) -> np.ndarray:
    ratio = _divide(assets, cl)
    no_liabilities = (cl == 0) & (assets > 0)
    ratio = np.where(no_liabilities, np.inf, ratio)
    return np.where(cl < 0, np.nan, ratio)  # negative liabilities are a data error, not a ratio


def current_ratio(ca: Any, cl: Any) -> Any:
    """Current assets ÷ current liabilities."""
    return like_input(_liquidity(to_float_array(ca, "current_assets"), to_float_array(cl, "current_liabilities")), ca, cl)


def quick_ratio(ca: Any, inventory: Any, cl: Any) -> Any:
    """(Current assets − inventory) ÷ current liabilities; a blank inventory counts as none."""
    a = to_float_array(ca, "current_assets")
    inv = np.nan_to_num(to_float_array(inventory, "inventory"), nan=0.0)
    return like_input(_liquidity(a - inv, to_float_array(cl, "current_liabilities")), ca, inventory, cl)


def debt_ratio(tl: Any, ta: Any) -> Any:
    """Total liabilities ÷ total assets (NaN when assets ≤ 0)."""
    liab, assets = to_float_array(tl, "total_liabilities"), to_float_array(ta, "total_assets")
    return like_input(np.where(assets > 0, _divide(liab, assets), np.nan), tl, ta)


def interest_coverage(ebit: Any, interest: Any) -> Any:
    """EBIT ÷ |interest expense|; no interest and EBIT > 0 → +inf."""
    e = to_float_array(ebit, "ebit")
    i = np.abs(to_float_array(interest, "interest_expense"))
    no_interest = np.isnan(i) | (i == 0)
    ratio = np.where(no_interest, np.where(e > 0, np.inf, np.nan), _divide(e, i))
    return like_input(ratio, ebit, interest)


def net_margin(net_income: Any, revenue: Any) -> Any:
    """Net income ÷ revenue, as a fraction (0.05 = 5 %); NaN when revenue ≤ 0."""
    ni, rev = to_float_array(net_income, "net_income"), to_float_array(revenue, "revenue")
    return like_input(np.where(rev > 0, _divide(ni, rev), np.nan), net_income, revenue)


def working_capital(ca: Any, cl: Any) -> Any:
    """Current assets − current liabilities (cents in, cents out)."""
    return like_input(to_float_array(ca, "current_assets") - to_float_array(cl, "current_liabilities"), ca, cl)


def net_worth(equity: Any, intangibles: Any = None) -> Any:
    """Tangible net worth = book equity − intangibles when known (blank intangibles count as none)."""
    eq = to_float_array(equity, "equity")
    if intangibles is None:
        return like_input(eq, equity)
    intang = np.nan_to_num(to_float_array(intangibles, "intangibles"), nan=0.0)
    return like_input(eq - intang, equity, intangibles)
