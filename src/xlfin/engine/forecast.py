"""Demand forecasts from the ledger: what each customer will buy in the coming months (tblDemandForecast).

Purchases: monthly net invoiced amount (invoices less credit notes, by invoice month) per customer, from the
customer's first invoice month to the last complete month on or before ``as_of``; the months after it are
forecast. Method by the length n of that history:

- n ≥ 6: simple exponential smoothing (a level, no trend), α ∈ {0.05, 0.1, 0.2} picked per customer by the sum of
  squared one-step errors; with n ≥ 24 seasonal-naive (same month last year) replaces it when its one-step error
  over the last 12 months is lower (a yearly pattern beats a level there);
- 1 ≤ n < 6: the mean of the months so far;
- no complete month yet: no forecast for that customer.

Holt's linear trend (``holt_forecast``) was the first choice for n ≥ 6; on the IBM sample and the demo book its
3-month forecasts missed by more than seasonal naive did (customers' monthly invoicing is lumpy, and a trend fitted to
lumps extrapolates them), so the level-only smoothing replaced it: benchmarks/forecast.py and docs/forecast.md.

Forecasts are never negative and are rounded half-up to whole cents.

Payment dates are predicted in :mod:`xlfin.engine.forecast_paydates` (tblPayDates).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .aging import as_of_day, day_numbers
from .forecast_paydates import as_text
from .openitems import OpenItemsError, as_date64, is_credit_note

__all__ = [
    "HOLT_MIN_MONTHS",
    "SMOOTHING_MIN_MONTHS",
    "SEASONAL_MIN_MONTHS",
    "holt_forecast",
    "purchase_forecast",
]

HOLT_MIN_MONTHS = 2
SMOOTHING_MIN_MONTHS = 6
SEASONAL_MIN_MONTHS = 24
_ALPHAS = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
_BETAS = np.array([0.01, 0.05, 0.1, 0.2, 0.3])
_NAT = np.iinfo(np.int64).min


def _holt_grid(y: np.ndarray, start: np.ndarray, horizon: int, recent: int = 12):
    """Holt over every (α, β) on the grid at once for every series (rows of y, each starting at ``start``).

    Returns (forecasts (C, horizon) with the best grid point per series, mean |one-step error| over the last
    ``recent`` months for that grid point).
    """
    c, t_len = y.shape
    alpha = np.repeat(_ALPHAS, _BETAS.size)[None, :]
    beta = np.tile(_BETAS, _ALPHAS.size)[None, :]
    level = np.zeros((c, alpha.size))
    trend = np.zeros_like(level)
    sse = np.zeros_like(level)
    recent_abs = np.zeros_like(level)
    recent_n = np.zeros((c, 1))
    for t in range(t_len):
        obs = y[:, t][:, None]
        first, second, later = (t == start)[:, None], (t == start + 1)[:, None], (t > start + 1)[:, None]
        pred = level + trend
        err = obs - pred
        smoothed = alpha * obs + (1 - alpha) * pred
        new_trend = beta * (smoothed - level) + (1 - beta) * trend
        sse += np.where(later, err**2, 0.0)
        if t >= t_len - recent:
            recent_abs += np.where(later, np.abs(err), 0.0)
            recent_n += later
        trend = np.where(second, obs - level, np.where(later, new_trend, trend))
        level = np.where(first | second, obs, np.where(later, smoothed, level))
    best = np.argmin(sse, axis=1)
    rows = np.arange(c)
    steps = np.arange(1, horizon + 1)[None, :]
    fc = level[rows, best][:, None] + steps * trend[rows, best][:, None]
    return fc, recent_abs[rows, best] / np.maximum(recent_n[:, 0], 1)


_SES_ALPHAS = np.array([0.05, 0.1, 0.2])


def _ses_grid(y: np.ndarray, start: np.ndarray, recent: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Simple exponential smoothing over every α on the grid for every series (rows of y, each from ``start``).

    Returns (flat forecast per series with the α of least squared one-step error, mean |one-step error| over the
    last ``recent`` months for that α)."""
    c, t_len = y.shape
    alpha = _SES_ALPHAS[None, :]
    level = np.zeros((c, alpha.size))
    sse = np.zeros_like(level)
    recent_abs = np.zeros_like(level)
    recent_n = np.zeros((c, 1))
    for t in range(t_len):
        obs = y[:, t][:, None]
        first, later = (t == start)[:, None], (t > start)[:, None]
        err = obs - level
        sse += np.where(later, err**2, 0.0)
        if t >= t_len - recent:
            recent_abs += np.where(later, np.abs(err), 0.0)
            recent_n += later
        level = np.where(first, obs, np.where(later, level + alpha * err, level))
    best = np.argmin(sse, axis=1)
    rows = np.arange(c)
    return level[rows, best], recent_abs[rows, best] / np.maximum(recent_n[:, 0], 1)


def holt_forecast(history: Any, horizon: int = 3) -> np.ndarray:
    """Holt's linear trend on one series (oldest first) -> ``horizon`` forecasts (floats, may be negative).

    Needs at least two points; the grid search uses one-step errors from the third point on.
    """
    y = np.asarray(history, dtype=np.float64).ravel()
    if y.size < 2:
        raise ValueError(f"Holt's method needs at least 2 points, got {y.size}")
    fc, _ = _holt_grid(y[None, :], np.array([0]), horizon)
    return fc[0]


def _month_number(days: np.ndarray) -> np.ndarray:
    """int64 day numbers -> months since 1970-01."""
    return days.view("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _empty_forecast() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.Series(dtype=object),
        "month": pd.Series(dtype="datetime64[s]"),
        "forecast": pd.Series(dtype=np.int64),
        "method": pd.Series(dtype=object),
    })


def purchase_forecast(invoices_df: pd.DataFrame, as_of: dt.date, horizon_months: int = 3,
                      with_error: bool = False) -> pd.DataFrame:
    """Per customer and forecast month: customer_id, month (first day), forecast (int64 cents), method
    (``exponential_smoothing`` / ``seasonal_naive`` / ``mean``), sorted by customer and month. ``with_error`` adds ``error``: the
    method's mean absolute one-step error in cents over the last 12 months (spread around the mean for ``mean``),
    and ``last_invoice_month``."""
    if horizon_months < 1:
        raise ValueError(f"forecast horizon must be at least one month, got {horizon_months}")
    as_day = as_of_day(as_of)
    if invoices_df is None or len(invoices_df) == 0:
        return _empty_forecast()
    missing = [c for c in ("customer_id", "invoice_date", "amount") if c not in invoices_df.columns]
    if missing:
        raise OpenItemsError(f"invoices: missing column(s) {', '.join(missing)}")
    days = day_numbers(as_date64(invoices_df["invoice_date"]))
    amount = pd.to_numeric(invoices_df["amount"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(amount).any():
        raise OpenItemsError("invoices.amount: blank or non-numeric amount")
    is_cn = (is_credit_note(invoices_df["doc_type"]) if "doc_type" in invoices_df.columns
             else np.zeros(len(invoices_df), bool))
    signed = np.where(is_cn, -amount, amount)
    keep = (days != _NAT) & (days <= as_day)
    if not keep.any():
        return _empty_forecast()

    as_of_month = _month_number(np.array([as_day]))[0]
    month_complete = _month_number(np.array([as_day + 1]))[0] != as_of_month
    last_month = as_of_month if month_complete else as_of_month - 1
    months = _month_number(days[keep])
    ids = invoices_df["customer_id"].to_numpy(dtype=object)[keep]
    text = as_text(ids)
    if text is ids:  # plain strings: grouped as they are, in the same sorted order np.unique gives their text
        code, customers = pd.factorize(ids, sort=True)
    else:
        customers, code = np.unique(text, return_inverse=True)
    original_ids = pd.Series(ids).groupby(code).first().to_numpy(dtype=object)
    first_month = pd.Series(months).groupby(code).min().to_numpy()
    has_history = first_month <= last_month
    if not has_history.any():
        return _empty_forecast()
    grid_start = int(first_month[has_history].min())
    t_len = int(last_month - grid_start + 1)
    y = np.zeros((customers.size, t_len))
    in_grid = months <= last_month
    np.add.at(y, (code[in_grid], (months[in_grid] - grid_start).astype(np.int64)), signed[keep][in_grid])
    start = (first_month - grid_start).astype(np.int64)
    n = t_len - start

    level, ses_mae = _ses_grid(y, start)
    col = np.arange(t_len)[None, :]
    valid = col >= start[:, None]
    mean = np.where(valid, y, 0.0).sum(axis=1) / np.maximum(n, 1)
    method = np.where(n >= SMOOTHING_MIN_MONTHS, "exponential_smoothing", "mean").astype(object)
    result = np.where((n >= SMOOTHING_MIN_MONTHS)[:, None], level[:, None], mean[:, None]) * np.ones(horizon_months)
    spread = np.where(valid, np.abs(y - mean[:, None]), 0.0).sum(axis=1) / np.maximum(n, 1)
    error = np.where(n >= SMOOTHING_MIN_MONTHS, ses_mae, spread)
    if t_len >= SEASONAL_MIN_MONTHS:
        seasonal_err = np.abs(y[:, t_len - 12:] - y[:, t_len - 24:t_len - 12]).mean(axis=1)
        seasonal_fc = y[:, t_len - 12 + (np.arange(horizon_months) % 12)]
        use_seasonal = (n >= SEASONAL_MIN_MONTHS) & (seasonal_err < ses_mae)
        result = np.where(use_seasonal[:, None], seasonal_fc, result)
        method = np.where(use_seasonal, "seasonal_naive", method).astype(object)
        error = np.where(use_seasonal, seasonal_err, error)

    cents = np.floor(np.maximum(result, 0.0) + 0.5).astype(np.int64)
    chosen = np.flatnonzero(has_history)
    forecast_months = (last_month + 1 + np.arange(horizon_months)).astype("datetime64[M]").astype("datetime64[s]")
    out = pd.DataFrame({
        "customer_id": np.repeat(original_ids[chosen], horizon_months),
        "month": np.tile(forecast_months, chosen.size),
        "forecast": cents[chosen].ravel(),
        "method": np.repeat(method[chosen], horizon_months),
    })
    if with_error:
        last_seen = pd.Series(months).groupby(code).max().to_numpy()
        out["error"] = np.repeat(error[chosen], horizon_months)
        out["last_invoice_month"] = np.repeat(last_seen[chosen], horizon_months)
    return out.reset_index(drop=True)
