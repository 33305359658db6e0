"""A D&B-style payment index (1–100) from the customer's own ledger (SPEC §4; research credit.md §2.1).

Not PAYDEX: same anchor table (D&B's 15 and 22 days for 70 and 60), computed from our invoices only.

Per payment experience, days beyond terms d map piecewise-linearly through
d = −30 → 100, −20 → 90, 0 → 80, 15 → 70, 22 → 60, 30 → 50, 60 → 40, 90 → 30, 120 → 20, then one point less per
10 further days (continuously: 130 → 19, 125 → 19.5), never below 1; earlier than −30 → 100.

Experiences (:func:`payment_experiences`): each invoice settled by ``as_of`` counts at (settled − due), weighted by
its amount; each invoice still unpaid on ``as_of`` and past due counts at its days overdue, weighted by what is
open. Not-yet-due open invoices and credit notes say nothing about payment behaviour and are left out. Disputed
invoices count (their lateness is real; filter them out before if policy says otherwise).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .aging import as_of_day, day_numbers
from .openitems import is_credit_note
from .ordering import sorted_frame, text_codes
from .ratios import coerce_float_array

__all__ = [
    "INDEX_BEYOND_DAYS_PER_POINT",
    "INDEX_FLOOR",
    "INDEX_KNOTS_DAYS",
    "INDEX_KNOTS_VALUE",
    "customer_payment_index",
    "index_from_days",
    "payment_experiences",
    "weighted_index",
]

INDEX_KNOTS_DAYS = np.array([-30, -20, 0, 15, 22, 30, 60, 90, 120], dtype=np.float64)
INDEX_KNOTS_VALUE = np.array([100, 90, 80, 70, 60, 50, 40, 30, 20], dtype=np.float64)
INDEX_BEYOND_DAYS_PER_POINT = 10  # past the last knot: one point less per this many days
INDEX_FLOOR = 1  # never below
_NAT = np.iinfo(np.int64).min
EXPERIENCE_COLUMNS = ["customer_id", "invoice_no", "amount", "days_beyond_terms", "experience_date", "kind"]


def index_from_days(days_beyond_terms: Any) -> np.ndarray:
    """Days beyond terms -> index in [1, 100] (float array of the input's shape; NaN stays NaN)."""
    d = coerce_float_array(days_beyond_terms)
    last_day, last_value = INDEX_KNOTS_DAYS[-1], INDEX_KNOTS_VALUE[-1]
    inside = np.interp(d, INDEX_KNOTS_DAYS, INDEX_KNOTS_VALUE)  # clamps to 100 before −30
    beyond = np.maximum(last_value - (d - last_day) / float(INDEX_BEYOND_DAYS_PER_POINT), float(INDEX_FLOOR))
    return np.where(np.isnan(d), np.nan, np.where(d > last_day, beyond, inside))


def weighted_index(days: Any, amounts: Any = None) -> float:
    """Amount-weighted mean index over experiences (plain mean without amounts); NaN when there is no experience.

    Experiences with a blank day count or a blank/zero amount are ignored; a negative amount is an error.
    """
    idx = index_from_days(days).ravel()
    if amounts is None:
        w = np.ones_like(idx)
    else:
        w = coerce_float_array(amounts).ravel()
        if w.size != idx.size:
            raise ValueError(f"payment index: {idx.size} day counts but {w.size} amounts")
        if np.any(w < 0):
            raise ValueError("payment index: amounts must not be negative")
    ok = ~np.isnan(idx) & ~np.isnan(w) & (w > 0)
    if not ok.any():
        return float("nan")
    return float(np.dot(idx[ok], w[ok]) / w[ok].sum())


def _empty_experiences() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": pd.Series(dtype=object),
        "invoice_no": pd.Series(dtype=object),
        "amount": pd.Series(dtype=np.int64),
        "days_beyond_terms": pd.Series(dtype=np.int64),
        "experience_date": pd.Series(dtype="datetime64[s]"),
        "kind": pd.Series(dtype=object),
    })


def payment_experiences(open_items_df: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Payment experiences: customer_id, invoice_no, amount (cents), days_beyond_terms, experience_date, kind.

    ``kind`` is ``settled`` (settled on or before as_of: settled − due, dated settled_date, weighted by the invoice
    amount) or ``open`` (unpaid and past due on as_of: as_of − due, dated as_of, weighted by what is open — or the
    whole amount when the invoice was settled only after as_of, i.e. an earlier as_of than the open items).
    """
    if open_items_df is None or len(open_items_df) == 0:
        return _empty_experiences()
    oi = open_items_df
    as_day = as_of_day(as_of)
    is_invoice = ~is_credit_note(oi["doc_type"]) if "doc_type" in oi.columns else np.ones(len(oi), bool)
    due = day_numbers(oi["due_date"])
    settled = day_numbers(oi["settled_date"]) if "settled_date" in oi.columns else np.full(len(oi), _NAT)
    outstanding = oi["outstanding"].to_numpy(dtype=np.int64)
    amount = oi["amount"].to_numpy(dtype=np.int64)
    has_due = due != _NAT

    settled_by = is_invoice & has_due & (settled != _NAT) & (settled <= as_day)
    settled_later = (settled != _NAT) & (settled > as_day)
    open_then = is_invoice & has_due & ~settled_by & (settled_later | (outstanding > 0)) & (due < as_day)
    open_amount = np.where(settled_later, amount, outstanding)

    def frame(mask: np.ndarray, amounts: np.ndarray, days: np.ndarray, when: np.ndarray, kind: str) -> pd.DataFrame:
        return pd.DataFrame({
            "customer_id": oi["customer_id"].to_numpy()[mask],
            "invoice_no": oi["invoice_no"].to_numpy()[mask],
            "amount": amounts[mask].astype(np.int64),
            "days_beyond_terms": days[mask].astype(np.int64),
            "experience_date": pd.Series(when[mask].view("datetime64[D]")).astype("datetime64[s]").to_numpy(),
            "kind": kind,
        })

    out = pd.concat([
        frame(settled_by, amount, settled - due, settled, "settled"),
        frame(open_then, open_amount, as_day - due, np.full(len(oi), as_day), "open"),
    ], ignore_index=True)
    out = out[out["amount"] > 0]
    if out.empty:
        return _empty_experiences()
    return sorted_frame(out, ["customer_id", "experience_date", "invoice_no"])


def _sums_by_customer(ids: np.ndarray, wi: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    """Per customer id (ascending): the sums of wi and w, as a group-by of the ids gives them.

    Plain text ids are grouped by their integer ranks (`ordering.text_codes`): the same groups in the same order, so
    pandas sums the same rows in the same order (bit for bit), without hashing the texts again; the index is
    the ids as the group-by over them made it."""
    coded = text_codes(ids) if ids.dtype == object else None
    if coded is None:
        frame = pd.DataFrame({"customer_id": ids, "wi": wi, "w": w})
        return frame.groupby("customer_id", sort=True)[["wi", "w"]].sum()
    codes, ordered = coded
    sums = pd.DataFrame({"wi": wi, "w": w}).groupby(codes, sort=True)[["wi", "w"]].sum()
    sums.index = pd.Index(pd.DataFrame({"customer_id": ordered})["customer_id"], name="customer_id")
    return sums


def customer_payment_index(experiences: pd.DataFrame, as_of: dt.date, window_months: int = 24) -> pd.Series:
    """Payment index per customer_id over experiences dated in (as_of − window_months, as_of].

    Every customer that appears in ``experiences`` is in the result; NaN when none of its experiences falls in
    the window (SPEC: no experience → blank).
    """
    if experiences is None or len(experiences) == 0:
        return pd.Series(dtype=np.float64, name="payment_index")
    if window_months < 1:
        raise ValueError(f"payment window must be at least one month, got {window_months}")
    end = pd.Timestamp(as_of)
    start = end - pd.DateOffset(months=int(window_months))
    when = experiences["experience_date"]
    in_window = ((when > start) & (when <= end)).to_numpy()
    w = experiences["amount"].to_numpy(dtype=np.float64)
    idx = index_from_days(experiences["days_beyond_terms"].to_numpy(dtype=np.float64))
    use = in_window & ~np.isnan(idx) & (w > 0)
    ids = experiences["customer_id"].to_numpy()
    sums = _sums_by_customer(ids, np.where(use, idx * w, 0.0), np.where(use, w, 0.0))
    result = (sums["wi"] / sums["w"].where(sums["w"] > 0)).astype(np.float64)
    result.name = "payment_index"
    return result
