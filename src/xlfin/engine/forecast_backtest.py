"""Honest measurement of the pay-date model: rebuild the book as it stood at a past cut, predict, compare.

At each cut t the book holds the invoices issued on or before t; an invoice settled after t was open then. The model
learns only from invoices settled on or before t (``settled_history``) and predicts the open ones; the truth is
their later settlement. Invoices still open today have no truth and are not scored. Three rules are scored on the
same items, with the same floor (nothing open on t is paid before t + 1):

- ``due_date``: paid on the due date;
- ``customer_median``: due date + the customer's median days late (portfolio median for a new customer);
- ``model``: :func:`predict_pay_dates`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .aging import as_of_day, day_numbers
from .forecast_paydates import (PayDateParams, customer_median_days, disputed_flags, fit_pay_model, predict_days_late,
                                predict_pay_dates, settled_history)
from .openitems import is_credit_note

__all__ = ["PayDateScore", "book_at", "score_new_invoices", "score_pay_dates"]


@dataclass(frozen=True)
class PayDateScore:
    """Mean absolute error in days of each rule over all scored items (summed over cuts), and the item count."""

    items: int
    mae_due_date: float
    mae_customer_median: float
    mae_model: float

    @property
    def gain(self) -> float:
        """Share by which the model's MAE is below the customer median's (0.2 = 20% lower)."""
        return 1 - self.mae_model / self.mae_customer_median if self.mae_customer_median else 0.0


def book_at(open_items_df: pd.DataFrame, cut) -> pd.DataFrame:
    """The open items as they stood on ``cut``: later documents dropped, later settlements undone (the whole
    amount counts as outstanding — partial payments before the cut are not known from settled_date alone)."""
    oi = open_items_df
    issued = day_numbers(oi["invoice_date"])
    cut_day = as_of_day(cut)
    book = oi[issued <= cut_day].copy()
    settled = day_numbers(book["settled_date"])
    later = (settled == np.iinfo(np.int64).min) | (settled > cut_day)
    book["settled_date"] = book["settled_date"].where(~later)
    signed = np.where(is_credit_note(book["doc_type"]) if "doc_type" in book.columns else False,
                      -book["amount"].to_numpy(dtype=np.int64), book["amount"].to_numpy(dtype=np.int64))
    book["outstanding"] = np.where(later, np.where(book["outstanding"].to_numpy() != 0,
                                                   book["outstanding"].to_numpy(), signed), 0).astype(np.int64)
    return book.reset_index(drop=True)


def _score_cut(open_items_df: pd.DataFrame, cut, params: PayDateParams | None) -> tuple[int, np.ndarray]:
    book = book_at(open_items_df, cut)
    predicted = predict_pay_dates(book, cut, params)
    truth = pd.Series(day_numbers(open_items_df["settled_date"]), index=open_items_df["invoice_no"].to_numpy())
    actual = predicted["invoice_no"].map(truth).to_numpy(dtype=np.int64)
    known = actual != np.iinfo(np.int64).min
    if not known.any():
        return 0, np.zeros(3)
    p = predicted[known]
    actual = actual[known]
    due = day_numbers(p["due_date"])
    floor = as_of_day(cut) + 1
    cm, pm = customer_median_days(settled_history(book, cut))
    median = p["customer_id"].astype(str).map(cm).fillna(0.0 if np.isnan(pm) else pm).to_numpy()
    rules = np.stack([
        np.maximum(due, floor),
        np.maximum(due + np.floor(median + 0.5).astype(np.int64), floor),
        day_numbers(p["predicted_pay_date"]),
    ])
    return int(known.sum()), np.abs(rules - actual[None, :]).sum(axis=1).astype(np.float64)


def score_pay_dates(open_items_df: pd.DataFrame, cuts, params: PayDateParams | None = None) -> PayDateScore:
    """Score the three rules at every cut; MAE over all (cut, open invoice) pairs with a known settlement."""
    total = np.zeros(3)
    n = 0
    for cut in cuts:
        k, errors = _score_cut(open_items_df, cut, params)
        n += k
        total += errors
    if n == 0:
        return PayDateScore(0, float("nan"), float("nan"), float("nan"))
    mae = total / n
    return PayDateScore(n, float(mae[0]), float(mae[1]), float(mae[2]))


def score_new_invoices(open_items_df: pd.DataFrame, cuts, horizon_days: int = 91,
                       params: PayDateParams | None = None) -> PayDateScore:
    """The plain time split: learn from what was settled by each cut, predict the invoices issued in the
    ``horizon_days`` after it (none of them existed at the cut), score those settled since."""
    total = np.zeros(3)
    n = 0
    issued = day_numbers(open_items_df["invoice_date"])
    truth = day_numbers(open_items_df["settled_date"])
    is_invoice = ~is_credit_note(open_items_df["doc_type"]) if "doc_type" in open_items_df.columns else True
    for cut in cuts:
        cut_day = as_of_day(cut)
        history = settled_history(open_items_df, cut)
        model = fit_pay_model(history, params)
        cm, pm = customer_median_days(history)
        target = open_items_df[is_invoice & (issued > cut_day) & (issued <= cut_day + horizon_days)
                               & (truth != np.iinfo(np.int64).min)]
        if target.empty:
            continue
        due = day_numbers(target["due_date"])
        actual = day_numbers(target["settled_date"]) - due
        disputed = disputed_flags(target["disputed"] if "disputed" in target.columns else None, len(target))
        days, _ = predict_days_late(model, target["customer_id"].to_numpy(dtype=object), disputed,
                                    np.full(len(target), -10**6), params)
        median = target["customer_id"].astype(str).map(cm).fillna(0.0 if np.isnan(pm) else pm).to_numpy()
        rules = np.stack([np.zeros(len(target)), np.floor(median + 0.5), days])
        total += np.abs(rules - actual[None, :]).sum(axis=1)
        n += len(target)
    if n == 0:
        return PayDateScore(0, float("nan"), float("nan"), float("nan"))
    mae = total / n
    return PayDateScore(n, float(mae[0]), float(mae[1]), float(mae[2]))
