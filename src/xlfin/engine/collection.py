"""Collection metrics (SPEC §4, research ar_anchors §5): DSO, countback DSO, best possible DSO, ADD, CEI,
AR turnover, average days to pay and average days late.

Inputs are amounts in any one unit (cents or currency units: every metric is a ratio, so the unit cancels),
as scalars, lists, numpy arrays or Series; a scalar in gives a float out, an array in gives a float array out.
Undefined results (no sales, zero denominator, blank input) are NaN, never an exception.

Definitions pinned here (vendors differ, research §6.10):

- DSO (standard) = receivables ÷ credit sales × days; ``days`` is the length of the sales period (365 for a year).
- Countback: walk back from the newest period, subtracting each period's sales while the receivables cover them and
  adding that period's days; the last, partly covered period adds its fraction. A period with sales ≤ 0 stops the
  walk (Oracle's exhaustion rule). When history runs out first, the days counted so far are returned (a lower
  bound). Receivables ≤ 0 → 0; receivables > 0 with no usable period → NaN.
- Best possible DSO = current (not yet due) receivables ÷ credit sales × days; ADD = DSO − best possible DSO.
- CEI = (begin AR + credit sales − end AR) ÷ (begin AR + credit sales − end current AR) × 100, "current" meaning
  not yet past due (not Gaviti's ≤ 60 days).
- AR turnover = credit sales ÷ ((begin AR + end AR) ÷ 2).
- Average days to pay = Σ amount × (paid − invoice date) ÷ Σ amount; average days late = the same from the due date,
  signed (early payment counts negative) unless ``early_as_zero``. Only rows with both dates and amount > 0 count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .aging import as_of_day, day_numbers
from .ratios import coerce_float_array

__all__ = [
    "add",
    "ar_turnover",
    "average_days_late",
    "average_days_to_pay",
    "best_dso",
    "cei",
    "credit_sales_normalised",
    "dso",
    "dso_countback",
    "dso_countback_many",
    "period_cei",
    "period_cei_normalised",
    "receivables_at",
]

_NAT = np.iinfo(np.int64).min


def _result(values: np.ndarray, *inputs: Any):
    """Scalar out when every input was a scalar, else a float array."""
    if all(np.ndim(i) == 0 for i in inputs):
        return float(values)
    return np.asarray(values, dtype=np.float64)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def dso(receivables: Any, credit_sales: Any, days: Any = 365):
    """Standard DSO = receivables ÷ credit sales × days (150,000 / 1,800,000 × 365 = 30.4). NaN where sales are 0."""
    r, s, d = coerce_float_array(receivables), coerce_float_array(credit_sales), coerce_float_array(days)
    return _result(_ratio(r, s) * d, receivables, credit_sales, days)


def best_dso(current_receivables: Any, credit_sales: Any, days: Any = 365):
    """Best possible DSO: DSO on the not-yet-due receivables only."""
    return dso(current_receivables, credit_sales, days)


def add(dso_value: Any, best: Any):
    """Average days delinquent = DSO − best possible DSO."""
    return _result(coerce_float_array(dso_value) - coerce_float_array(best), dso_value, best)


def dso_countback(receivables: float, sales_newest_first: Sequence[float],
                  days_per_period: float | Sequence[float] = 30) -> float:
    """Countback DSO (AR 212,000; sales 100,000 / 80,000 / 70,000 newest first; 30-day periods → 73.7)."""
    sales = coerce_float_array(list(sales_newest_first) if not isinstance(sales_newest_first, np.ndarray)
                    else sales_newest_first).ravel()
    return float(dso_countback_many(np.array([receivables], dtype=object), sales[np.newaxis, :],
                                    days_per_period)[0])


def dso_countback_many(receivables: Any, sales_newest_first: Any,
                       days_per_period: float | Sequence[float] = 30) -> np.ndarray:
    """Vectorised countback: receivables shape (n,), sales shape (n, periods) newest first -> (n,) days.

    ``days_per_period`` is one number or one per period (e.g. calendar month lengths, newest first).
    """
    ar = coerce_float_array(receivables).ravel()
    sales = coerce_float_array(sales_newest_first)
    if sales.ndim == 1:
        sales = sales[np.newaxis, :]
    n, periods = sales.shape
    if n != ar.size:
        raise ValueError(f"countback: {ar.size} receivables but {n} rows of sales")
    per = coerce_float_array(days_per_period).ravel()
    if per.size == 1:
        days = np.full(periods, per[0])
    elif per.size >= periods:
        days = per[:periods]
    else:
        raise ValueError(f"countback: {per.size} period lengths for {periods} periods of sales")
    if periods == 0:
        return np.where(ar <= 0, 0.0, np.nan)
    usable = np.cumprod(np.nan_to_num(sales, nan=0.0) > 0, axis=1).astype(bool)  # false from the first sales ≤ 0 on
    s = np.where(usable, sales, 0.0)
    cum = np.cumsum(s, axis=1)
    covered = usable & (cum <= ar[:, None])  # whole periods the receivables exhaust
    whole_days = (covered * days).sum(axis=1)
    k = covered.sum(axis=1)  # index of the first period not wholly covered
    has_next = (k < periods) & usable[np.arange(n), np.minimum(k, periods - 1)]
    kk = np.minimum(k, periods - 1)
    before = np.where(k > 0, cum[np.arange(n), np.maximum(k - 1, 0)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(has_next, (ar - before) / np.where(has_next, s[np.arange(n), kk], 1.0) * days[kk], 0.0)
    out = whole_days + frac
    out = np.where((k == 0) & ~has_next & (ar > 0), np.nan, out)
    out = np.where(ar <= 0, 0.0, out)
    return np.where(np.isnan(ar), np.nan, out)


def cei(begin_ar: Any, credit_sales: Any, end_ar: Any, end_current_ar: Any):
    """Collection effectiveness index in percent (BR 100k, CS 1,000k, ETR 120k, ECR 100k → 98.0)."""
    b, s, e, c = (coerce_float_array(v) for v in (begin_ar, credit_sales, end_ar, end_current_ar))
    return _result(_ratio(b + s - e, b + s - c) * 100.0, begin_ar, credit_sales, end_ar, end_current_ar)


def ar_turnover(credit_sales: Any, begin_ar: Any, end_ar: Any):
    """Credit sales ÷ average receivables. NaN when the average is 0."""
    s, b, e = coerce_float_array(credit_sales), coerce_float_array(begin_ar), coerce_float_array(end_ar)
    return _result(_ratio(s, (b + e) / 2.0), credit_sales, begin_ar, end_ar)


def _weighted_days(amounts: Any, start: Any, end: Any, early_as_zero: bool = False) -> float:
    w = coerce_float_array(amounts).ravel()
    a, b = day_numbers(start).ravel(), day_numbers(end).ravel()
    if not (w.size == a.size == b.size):
        raise ValueError(f"amounts and dates differ in length ({w.size}, {a.size}, {b.size})")
    ok = (a != _NAT) & (b != _NAT) & (w > 0)
    if not ok.any():
        return float("nan")
    days = (b[ok] - a[ok]).astype(np.float64)
    if early_as_zero:
        days = np.maximum(days, 0.0)
    return float(np.dot(w[ok], days) / w[ok].sum())


def average_days_to_pay(amounts: Any, invoice_dates: Any, paid_dates: Any) -> float:
    """Amount-weighted mean of (paid − invoice date), in days; NaN when nothing was paid."""
    return _weighted_days(amounts, invoice_dates, paid_dates)


def average_days_late(amounts: Any, due_dates: Any, paid_dates: Any, early_as_zero: bool = False) -> float:
    """Amount-weighted mean of (paid − due date), in days; early payment negative unless ``early_as_zero``."""
    return _weighted_days(amounts, due_dates, paid_dates, early_as_zero)


def receivables_at(invoices: pd.DataFrame, allocations: pd.DataFrame | None, as_of: dt.date) -> tuple[int, int]:
    """(total, current) receivables in cents on ``as_of``: documents dated up to then, allocations paid up to then
    (allocations need ``payment_date``). Current = not yet due on ``as_of``."""
    from .openitems import documents_as_of, open_items

    docs = documents_as_of(invoices, as_of) if invoices is not None and len(invoices) else invoices
    return _totals(open_items(docs, allocations, as_of), as_of)


def _totals(items: pd.DataFrame, as_of: dt.date) -> tuple[int, int]:
    if len(items) == 0:
        return 0, 0
    out = items["outstanding"].to_numpy(dtype=np.int64)
    due = day_numbers(items["due_date"])
    not_due = (due != _NAT) & (due >= as_of_day(as_of))
    return int(out.sum()), int(out[not_due].sum())


def credit_sales(invoices: pd.DataFrame, start: dt.date, end: dt.date) -> int:
    """Credit sales in cents: invoices less credit notes dated in [start, end] (0 for no documents)."""
    from .openitems import normalise_invoices

    if invoices is None or len(invoices) == 0:
        return 0
    return credit_sales_normalised(normalise_invoices(invoices), start, end)


def credit_sales_normalised(inv: pd.DataFrame, start: dt.date, end: dt.date) -> int:
    """`credit_sales` on invoices already checked by `normalise_invoices`."""
    from .profitability import document_sign

    in_period = (inv["invoice_date"] >= pd.Timestamp(start)) & (inv["invoice_date"] <= pd.Timestamp(end))
    signed = inv["amount"].to_numpy(dtype=np.int64) * document_sign(inv["doc_type"])
    return int(signed[in_period.to_numpy()].sum())


def period_cei(invoices: pd.DataFrame, allocations: pd.DataFrame | None, start: dt.date, end: dt.date) -> float:
    """CEI over [start, end]: begin AR on the day before ``start``, credit sales = invoices less credit notes dated in
    the period, end AR and end current AR on ``end``. NaN when undefined."""
    from .openitems import normalise_invoices

    if invoices is None or len(invoices) == 0:
        return float("nan")
    return period_cei_normalised(normalise_invoices(invoices), allocations, start, end)


def period_cei_normalised(inv: pd.DataFrame, allocations: pd.DataFrame | None, start: dt.date,
                          end: dt.date) -> float:
    """`period_cei` on invoices already checked by `normalise_invoices` (not empty)."""
    from .openitems import normalise_allocations, outstanding_on_dates

    alloc = normalise_allocations(allocations)
    sales = credit_sales_normalised(inv, start, end)
    before = start - dt.timedelta(days=1)
    due = day_numbers(inv["due_date"])
    (begin_docs, begin_out), (end_docs, end_out) = outstanding_on_dates(inv, alloc, [before, end])
    begin = int(begin_out[begin_docs].sum())
    not_due = end_docs & (due != _NAT) & (due >= as_of_day(end))
    end_total, end_current = int(end_out[end_docs].sum()), int(end_out[not_due].sum())
    return float(cei(begin, sales, end_total, end_current))
