"""Trailing revenue and gross margin per customer (SPEC §4, "Per customer").

revenue_12m = invoices − credit notes whose invoice_date lies in the window (as_of − days, as_of] (365 days by
default: a document dated exactly one year before as_of is outside, one dated on as_of is inside).

cost_12m and gross_margin use only the documents in the window whose cost is given (a credit note's cost is a
reversal and counts negative, like its amount): gross_margin = (revenue − cost) ÷ revenue over those documents, so
documents without cost neither dilute nor inflate the margin. No document with cost, or a non-positive revenue over
them → blank (cost_12m <NA>, gross_margin NaN).

Input frame (engine form of tblInvoices): customer_id, invoice_date (datetime64), amount (int cents, > 0),
doc_type ('Invoice' / 'Credit Note'; blank = Invoice) and optionally cost (cents, blank = not given).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .openitems import CREDIT_NOTE, is_credit_note

__all__ = ["CREDIT_NOTE", "customer_revenue", "document_sign", "gross_margin_of_sums"]

_COLUMNS = ["customer_id", "revenue_12m", "cost_12m", "gross_margin"]


def document_sign(doc_type: pd.Series) -> np.ndarray:
    """+1 for invoices (and blank type), −1 for credit notes (any spelling the schema accepts)."""
    return np.where(is_credit_note(doc_type), -1, 1).astype(np.int64)


def _cents(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(int64 cents with 0 for blank, mask of given values)."""
    given = col.notna().to_numpy(dtype=bool)
    values = pd.to_numeric(col, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(given, np.nan_to_num(values), 0).astype(np.int64), given


def gross_margin_of_sums(revenue_costed: np.ndarray, cost: np.ndarray, has_cost: np.ndarray) -> np.ndarray:
    """gross_margin from a customer's sums over the documents with a cost (int cents): (revenue − cost) ÷ revenue;
    NaN without such a document or with a non-positive revenue over them. Shared with the ledger's SQL sums."""
    rev_c = np.asarray(revenue_costed).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(has_cost & (rev_c > 0), (rev_c - np.asarray(cost, dtype=np.int64)) / rev_c, np.nan)


def customer_revenue(invoices: pd.DataFrame, as_of: dt.date, days: int = 365) -> pd.DataFrame:
    """One row per customer that has any document: customer_id, revenue_12m, cost_12m, gross_margin."""
    if invoices is None or len(invoices) == 0:
        return pd.DataFrame({"customer_id": pd.Series(dtype=object), "revenue_12m": pd.Series(dtype=np.int64),
                             "cost_12m": pd.Series(dtype="Int64"), "gross_margin": pd.Series(dtype=np.float64)})
    end = np.datetime64(as_of, "D")
    start = end - np.timedelta64(int(days), "D")
    dates = pd.to_datetime(invoices["invoice_date"]).to_numpy().astype("datetime64[D]")
    in_window = (dates > start) & (dates <= end)
    sign = document_sign(invoices["doc_type"]) if "doc_type" in invoices else np.ones(len(invoices), np.int64)
    amount, _ = _cents(invoices["amount"])
    if "cost" in invoices:
        cost, cost_given = _cents(invoices["cost"])
    else:
        cost, cost_given = np.zeros(len(invoices), np.int64), np.zeros(len(invoices), bool)
    with_cost = in_window & cost_given
    frame = pd.DataFrame({
        "customer_id": invoices["customer_id"].to_numpy(dtype=object),
        "revenue_12m": np.where(in_window, sign * amount, 0),
        "cost_12m": np.where(with_cost, sign * cost, 0),
        "revenue_costed": np.where(with_cost, sign * amount, 0),
        "n_costed": with_cost.astype(np.int64),
    })
    g = frame.groupby("customer_id", sort=True, dropna=True).sum()
    has_cost = g["n_costed"].to_numpy() > 0
    margin = gross_margin_of_sums(g["revenue_costed"].to_numpy(), g["cost_12m"].to_numpy(), has_cost)
    cost_12m = pd.array(g["cost_12m"].to_numpy(dtype=np.int64), dtype="Int64")
    cost_12m[~has_cost] = pd.NA
    return pd.DataFrame({
        "customer_id": g.index.to_numpy(dtype=object),
        "revenue_12m": g["revenue_12m"].to_numpy(dtype=np.int64),
        "cost_12m": cost_12m,
        "gross_margin": margin,
    })[_COLUMNS].reset_index(drop=True)
