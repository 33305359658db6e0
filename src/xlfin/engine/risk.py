"""Risk flags per customer (SPEC §4), as '; '-joined codes in this fixed order (empty text when none applies):

- ``over_limit`` — outstanding > credit limit (a blank limit means "no limit set" and never flags; a limit of 0
  flags any positive balance, which is what "cash in advance" means);
- ``overdue_90`` — an open item more than 90 days past due;
- ``overdue_amount`` — overdue total ≥ the threshold (Config ``overdue_flag_amount``, in cents here) and > 0;
- ``payment_index_falling`` — payment index now at least 10 points below the index six months earlier
  (both must exist);
- ``stale_financials`` — no Financials row whose period_end is after as_of − 18 months (exactly 18 months old is
  stale), including customers without any Financials row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine.ratios import to_float_array

__all__ = ["FLAG_CODES", "INDEX_DROP_POINTS", "OVERDUE_DAYS_FLAG", "STALE_MONTHS", "risk_flags"]

FLAG_CODES = ("over_limit", "overdue_90", "overdue_amount", "payment_index_falling", "stale_financials")
OVERDUE_DAYS_FLAG = 90
INDEX_DROP_POINTS = 10.0
STALE_MONTHS = 18


def _column(values: Any, n: int, name: str) -> np.ndarray:
    x = to_float_array(values, name)
    return np.broadcast_to(x, (n,)) if x.ndim == 0 else x.ravel()


def risk_flags(customer_id: Any, *, outstanding: Any, credit_limit: Any, max_days_overdue: Any, overdue: Any,
               overdue_threshold: int, payment_index: Any, payment_index_before: Any, latest_period_end: Any,
               as_of: dt.date) -> pd.Series:
    """Flags per customer: a str Series indexed by customer_id (money arguments in cents)."""
    ids = pd.Index(np.asarray(customer_id, dtype=object).ravel(), name="customer_id")
    n = len(ids)
    if n == 0:
        return pd.Series([], index=ids, dtype=object, name="risk_flags")
    outstanding_ = _column(outstanding, n, "outstanding")
    limit = _column(credit_limit, n, "credit_limit")
    days = _column(max_days_overdue, n, "max_days_overdue")
    overdue_ = _column(overdue, n, "overdue")
    index_now = _column(payment_index, n, "payment_index")
    index_before = _column(payment_index_before, n, "payment_index_before")
    period_end = pd.to_datetime(pd.Series(np.asarray(latest_period_end, dtype=object).ravel()
                                          if np.ndim(latest_period_end) else [latest_period_end] * n))
    cutoff = pd.Timestamp(as_of) - pd.DateOffset(months=STALE_MONTHS)
    conditions = {
        "over_limit": ~np.isnan(limit) & (outstanding_ > limit),
        "overdue_90": days > OVERDUE_DAYS_FLAG,
        "overdue_amount": (overdue_ > 0) & (overdue_ >= float(overdue_threshold)),
        "payment_index_falling": (index_before - index_now) >= INDEX_DROP_POINTS,
        "stale_financials": ~(period_end > cutoff).to_numpy(dtype=bool),
    }
    codes = pd.Series([""] * n, index=ids, dtype=object)
    for code in FLAG_CODES:  # five columns, each vectorised
        hit = np.asarray(conditions[code], dtype=bool)
        codes = codes.where(~hit, codes.where(codes == "", codes + "; ") + code)
    return codes.rename("risk_flags")
