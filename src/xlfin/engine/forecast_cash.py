"""13-week cash forecast: expected receipts per week from the open invoices (SPEC §10).

Each open invoice's days late L is its model centre (``center_days``) plus an error. The distribution of errors is
the Kaplan–Meier curve over the book's history: settled invoices are events at their error, invoices still unpaid on
as_of are censored at their lower bound — so invoices that were never paid keep part of every open item out of the
13 weeks instead of being forgotten (survivorship). Knowing the item is still open on as_of (L > days overdue now),
the chance it is paid in week w is P(L in week w | L > overdue); its expected contribution is outstanding × that
chance. Weeks run as_of + 1 … as_of + 7, and so on for 13 weeks.

- Overdue items that history says will not be paid within the 13 weeks — chance below 50 %, or more than
  ``GRACE_DAYS`` later than any past outcome — are not counted as cash (``excluded`` in the summary). An item later
  than every past outcome but within the grace is counted in week 1 (history cannot tell; dunning is chasing it).
- Band: expected ± 1.2816 standard deviations (an 80 % band), the spread of a week's total when each invoice is paid
  in that week or not independently with its chance; never below 0.
- ``open_items`` counts the invoices whose predicted pay date (tblPayDates) falls in the week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .aging import as_of_day, day_numbers
from .forecast_paydates import (PayDateModel, PayDateParams, disputed_flags, open_invoices, center_days, fit_pay_model,
                                predict_pay_dates, settled_history)

__all__ = ["CASH_COLUMNS", "WEEKS", "CashForecast", "CashParts", "cash_forecast", "cash_from_parts", "cash_parts",
           "empty_cash", "survival", "week_probabilities"]

WEEKS = 13
CASH_COLUMNS = ["week_start", "week_end", "expected_receipts", "low", "high", "from_overdue", "from_not_due",
                "open_items"]
BAND_Z = 1.2816  # two-sided 80 %
MIN_CHANCE = 0.5
GRACE_DAYS = 30


@dataclass(frozen=True)
class CashForecast:
    """tblCashForecast plus what was left out (overdue items not expected within the 13 weeks)."""

    weeks: pd.DataFrame
    excluded_items: int
    excluded_amount: int


def survival(residuals: np.ndarray, censored: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Kaplan–Meier share of invoices not yet paid at error ``x``: settled errors are events, invoices still unpaid
    are censored at their lower bound (known to be paid, if ever, later). Without censored ones it is the plain
    share of past errors above x. Never-paid invoices keep the curve above 0 far out."""
    events = residuals if residuals.size else np.zeros(1)
    times, deaths = np.unique(events, return_counts=True)
    at_risk = (events.size - np.searchsorted(events, times, side="left")
               + censored.size - np.searchsorted(censored, times, side="left"))
    curve = np.cumprod(1 - deaths / at_risk)
    idx = np.searchsorted(times, x, side="right") - 1
    return np.where(idx >= 0, curve[np.maximum(idx, 0)], 1.0)


def week_probabilities(residuals: np.ndarray, center: np.ndarray, overdue_days: np.ndarray,
                       weeks: int = WEEKS, censored: np.ndarray | None = None) -> np.ndarray:
    """(items, weeks) chance of payment in each week after as_of, given the item is still open on as_of."""
    unpaid = censored if censored is not None else np.zeros(0)
    # Week w holds days late overdue + 7(w-1) + 1 … overdue + 7w; errors are whole days, centres need not be.
    edges = overdue_days[:, None] + 7 * np.arange(weeks + 1)[None, :] - np.floor(center + 0.5)[:, None]
    left = survival(residuals, unpaid, edges)
    mass = -np.diff(left, axis=1)
    alive = left[:, :1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(alive > 0, mass / np.where(alive > 0, alive, 1), 0.0)


def _week_frame(as_day: int, weeks: int) -> tuple[np.ndarray, np.ndarray]:
    start = as_day + 1 + 7 * np.arange(weeks)
    return start, start + 6


def _dates(days: np.ndarray) -> np.ndarray:
    return pd.Series(days.astype(np.int64).view("datetime64[D]")).astype("datetime64[s]").to_numpy()


def _cents(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5).astype(np.int64)


def cash_forecast(open_items_df: pd.DataFrame, as_of: dt.date, params: PayDateParams | None = None,
                  model: PayDateModel | None = None, weeks: int = WEEKS,
                  pay_dates: pd.DataFrame | None = None) -> CashForecast:
    """tblCashForecast for the open invoices on as_of (money columns int64 cents).

    `pay_dates`: `predict_pay_dates` of the same open items, as_of, params and model, when the caller has it
    already (it is not computed a second time)."""
    if open_items_df is None or len(open_items_df) == 0:
        return empty_cash(as_of, weeks)
    model = model or fit_pay_model(settled_history(open_items_df, as_of), params)
    items = open_invoices(open_items_df)
    if items.empty:
        return empty_cash(as_of, weeks)
    parts = cash_parts(items, as_of, model, params, weeks)
    if pay_dates is None:
        pay_dates = predict_pay_dates(open_items_df, as_of, params, model)
    return cash_from_parts(parts, pay_dates, as_of, weeks)


def empty_cash(as_of: dt.date, weeks: int = WEEKS) -> CashForecast:
    """The 13 weeks with nothing expected (no open invoices)."""
    start, end = _week_frame(int(as_of_day(as_of)), weeks)
    zeros = np.zeros(weeks, dtype=np.int64)
    return CashForecast(pd.DataFrame({"week_start": _dates(start), "week_end": _dates(end),
                                      **{c: zeros for c in CASH_COLUMNS[2:]}}), 0, 0)


@dataclass(frozen=True)
class CashParts:
    """Per week, the float sums over some open invoices before rounding: expected receipts from overdue and from
    not-yet-due items, the variance of the week's total, and the overdue items not expected (count, cents). Sums over
    disjoint sets of items add up (`add`), so a ledger too large for memory is forecast chunk by chunk."""

    from_overdue: np.ndarray
    from_not_due: np.ndarray
    variance: np.ndarray
    lost_items: int
    lost_amount: int

    def add(self, other: CashParts) -> CashParts:
        return CashParts(self.from_overdue + other.from_overdue, self.from_not_due + other.from_not_due,
                         self.variance + other.variance, self.lost_items + other.lost_items,
                         self.lost_amount + other.lost_amount)


def cash_parts(items: pd.DataFrame, as_of: dt.date, model: PayDateModel, params: PayDateParams | None = None,
               weeks: int = WEEKS) -> CashParts:
    """The week sums over `items` (`open_invoices` rows: customer_id, due_date, outstanding, disputed)."""
    as_day = int(as_of_day(as_of))
    due = day_numbers(items["due_date"])
    overdue_days = (as_day - due).astype(np.float64)
    disputed = disputed_flags(items["disputed"] if "disputed" in items.columns else None, len(items))
    center, _basis = center_days(model, items["customer_id"].to_numpy(dtype=object), disputed, params)
    prob = week_probabilities(model.residuals, center, overdue_days, weeks, model.censored_residuals)
    # Later than every past outcome, but by less than GRACE_DAYS: history cannot say; count it in week 1, as its
    # predicted date (as_of + 1) does. Further out than that, history says it is not coming.
    latest = center + (model.residuals[-1] if model.residuals.size else 0.0)
    unseen = (prob.sum(axis=1) == 0) & (overdue_days <= latest + GRACE_DAYS)
    prob[unseen, 0] = 1.0
    overdue = overdue_days > 0
    lost = overdue & (prob.sum(axis=1) < MIN_CHANCE)
    prob[lost] = 0.0
    amount = items["outstanding"].to_numpy(dtype=np.float64)
    return CashParts(amount[overdue] @ prob[overdue], amount[~overdue] @ prob[~overdue],
                     (amount**2) @ (prob * (1 - prob)), int(lost.sum()),
                     int(items["outstanding"].to_numpy(dtype=np.int64)[lost].sum()))


def cash_from_parts(parts: CashParts, pay_dates: pd.DataFrame, as_of: dt.date, weeks: int = WEEKS) -> CashForecast:
    """tblCashForecast from the week sums of all open invoices and their predicted pay dates (tblPayDates)."""
    as_day = int(as_of_day(as_of))
    start, end = _week_frame(as_day, weeks)
    from_overdue = _cents(parts.from_overdue)
    from_not_due = _cents(parts.from_not_due)
    expected = from_overdue + from_not_due  # the parts add up to the cent
    spread = BAND_Z * np.sqrt(parts.variance)
    week_of = (day_numbers(pay_dates["predicted_pay_date"]) - as_day - 1) // 7
    counted = np.bincount(week_of[(week_of >= 0) & (week_of < weeks)], minlength=weeks)[:weeks]
    frame = pd.DataFrame({
        "week_start": _dates(start),
        "week_end": _dates(end),
        "expected_receipts": expected,
        "low": _cents(np.maximum(expected - spread, 0.0)),
        "high": _cents(expected + spread),
        "from_overdue": from_overdue,
        "from_not_due": from_not_due,
        "open_items": counted.astype(np.int64),
    })
    return CashForecast(frame, parts.lost_items, parts.lost_amount)
