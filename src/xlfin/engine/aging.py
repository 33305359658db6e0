"""Receivables ageing (SPEC §4): age = as_of − basis date, bucketed by configurable upper bounds.

- age ≤ 0 → ``Current`` (age 0, due today, is not yet overdue: Odoo's convention, not ERPNext's);
- otherwise the first bucket whose upper bound ≥ age (``age ≤ bound``, as ERPNext): with edges 30,60,90,120 the
  labels are Current, 1-30, 31-60, 61-90, 91-120, 120+; the last label follows the last edge (edges 30,60 → 60+);
- a blank date has no age and no bucket (NaN / None).

Only open items (outstanding ≠ 0) are aged. Credit notes are aged too, by their own date, and reduce the bucket
they fall in (unapplied credit is money the customer is owed back; hiding it would overstate the ledger).
Everything is numpy over day numbers: a million dates bucket in a few tens of milliseconds.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from .ordering import sorted_frame

__all__ = [
    "CURRENT",
    "DEFAULT_EDGES",
    "AgingError",
    "age_days",
    "aging_bucket",
    "aging_detail",
    "aging_summary",
    "as_of_day",
    "bucket_labels",
    "day_numbers",
    "days_overdue",
    "parse_edges",
]

DEFAULT_EDGES = (30, 60, 90, 120)
CURRENT = "Current"
DETAIL_COLUMNS = ["invoice_no", "customer_id", "due_date", "days_overdue", "bucket", "outstanding"]
_NAT = np.iinfo(np.int64).min


class AgingError(ValueError):
    """Bad ageing parameters (edges, basis) or an unusable open-items frame."""


def parse_edges(edges: Any = DEFAULT_EDGES) -> tuple[int, ...]:
    """Edges as given in Config (``"30,60,90,120"``, ``"30;60"``) or as numbers -> strictly increasing positive ints."""
    if edges is None:
        return DEFAULT_EDGES
    if isinstance(edges, str):
        parts = [p for p in edges.replace("，", ",").replace(";", ",").replace(" ", ",").split(",") if p]
    else:
        parts = list(np.asarray(edges, dtype=object).ravel())
    try:
        values = [float(p) for p in parts]
    except (TypeError, ValueError) as exc:
        raise AgingError(f"aging edges must be numbers, got {edges!r}") from exc
    if not values:
        raise AgingError("aging edges: at least one bound is needed")
    if any(not np.isfinite(v) or v != int(v) or v < 1 for v in values):
        raise AgingError(f"aging edges must be whole days ≥ 1, got {edges!r}")
    ints = tuple(int(v) for v in values)
    if any(b <= a for a, b in pairwise(ints)):
        raise AgingError(f"aging edges must increase strictly, got {edges!r}")
    return ints


def bucket_labels(edges: Any = DEFAULT_EDGES) -> list[str]:
    """['Current', '1-30', '31-60', '61-90', '91-120', '120+'] for the default edges."""
    e = parse_edges(edges)
    lows = (0, *e[:-1])
    return [CURRENT, *(f"{lo + 1}-{hi}" for lo, hi in zip(lows, e)), f"{e[-1]}+"]


def as_of_day(as_of: Any) -> np.int64:
    """A date-like as_of (date, datetime, Timestamp, datetime64, ISO text) -> int64 days since 1970."""
    if isinstance(as_of, np.ndarray) and as_of.ndim == 0:
        as_of = as_of[()]
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        return np.datetime64(as_of, "D").astype(np.int64)
    try:
        ts = pd.Timestamp(as_of) if as_of is not None else pd.NaT
    except (TypeError, ValueError) as exc:
        raise AgingError(f"as_of is not a date: {as_of!r}") from exc
    if ts is pd.NaT:
        raise AgingError("as_of date is required")
    return np.datetime64(ts.date(), "D").astype(np.int64)


def day_numbers(dates: Any) -> np.ndarray:
    """Dates (scalar, list, numpy datetime64 of any unit, Series, DatetimeIndex) -> int64 days since 1970, NaT as
    the int64 minimum. Day precision: a time of day is dropped."""
    if isinstance(dates, (pd.Series, pd.Index)):
        if pd.api.types.is_datetime64_any_dtype(dates.dtype):
            arr = dates.to_numpy()
        else:
            arr = pd.to_datetime(pd.Series(np.asarray(dates, dtype=object))).to_numpy()
    else:
        arr = np.asarray(dates)
        if arr.dtype.kind != "M":
            flat = pd.to_datetime(pd.Series(arr.ravel().astype(object))).to_numpy()
            arr = flat.reshape(arr.shape)
    days = arr.astype("datetime64[D]")
    return days.view(np.int64)


def age_days(basis_dates: Any, as_of: Any) -> np.ndarray:
    """Signed age in days (as_of − date) as float; NaN for blank dates.

    ``as_of`` is one date, or dates that broadcast against ``basis_dates`` (each item ages to its own date, e.g. its
    payment date); a blank among those gives NaN there, while a blank single as_of is an error.
    """
    d = day_numbers(basis_dates)
    if np.ndim(as_of) == 0:
        return np.where(d == _NAT, np.nan, (as_of_day(as_of) - d).astype(np.float64))
    a = day_numbers(as_of)
    try:
        d, a = np.broadcast_arrays(d, a)
    except ValueError as exc:
        raise AgingError(f"as_of: {a.shape} dates do not match {d.shape} basis dates") from exc
    return np.where((d == _NAT) | (a == _NAT), np.nan, (a - d).astype(np.float64))


def days_overdue(due: Any, as_of: Any) -> np.ndarray:
    """Whole days past due as float, ≥ 0 (not yet due → 0); NaN for a blank due date. ``as_of`` as in
    :func:`age_days`."""
    return np.maximum(age_days(due, as_of), 0.0)


def _bucket_index(age: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    """0 = Current, i = the i-th bound bucket, len(edges)+1 = beyond the last edge; -1 for NaN."""
    idx = np.searchsorted(np.asarray(edges, dtype=np.float64), age, side="left") + 1
    idx = np.where(age <= 0, 0, idx)
    return np.where(np.isnan(age), -1, idx)


def aging_bucket(basis_dates: Any, as_of: Any, edges: Any = DEFAULT_EDGES) -> np.ndarray:
    """Bucket label per date (object array, the broadcast shape of the dates and ``as_of``); None for blank dates.
    ``as_of`` as in :func:`age_days`."""
    e = parse_edges(edges)
    age = age_days(basis_dates, as_of)
    labels = np.array([*bucket_labels(e), None], dtype=object)  # index -1 picks the None
    return labels[_bucket_index(age, e)]


def aging_detail(open_items_df: pd.DataFrame, as_of: Any, edges: Any = DEFAULT_EDGES,
                 basis: str = "due") -> pd.DataFrame:
    """tblAgingDetail: one row per open item (outstanding ≠ 0), sorted by customer, due date, invoice number.

    ``basis='due'`` ages from the due date (the invoice date when the due date is blank); ``basis='invoice'`` ages
    from the invoice date. ``days_overdue`` is always counted from the due date.
    """
    e = parse_edges(edges)
    if basis not in ("due", "invoice"):
        raise AgingError(f"aging basis must be 'due' or 'invoice', got {basis!r}")
    as_of_day(as_of)
    if open_items_df is None or len(open_items_df) == 0:
        return _empty_detail()
    missing = [c for c in ("invoice_no", "customer_id", "due_date", "outstanding") if c not in open_items_df.columns]
    if basis == "invoice" and "invoice_date" not in open_items_df.columns:
        missing.append("invoice_date")
    if missing:
        raise AgingError(f"open items: missing column(s) {', '.join(missing)}")
    items = open_items_df[open_items_df["outstanding"].to_numpy() != 0]
    if items.empty:
        return _empty_detail()
    due = day_numbers(items["due_date"])
    if basis == "due":
        basis_days = due.copy()
        if "invoice_date" in items.columns:
            fallback = day_numbers(items["invoice_date"])
            basis_days = np.where(due == _NAT, fallback, due)
    else:
        basis_days = day_numbers(items["invoice_date"])
    basis_dates = basis_days.view("datetime64[D]")
    out = pd.DataFrame({
        "invoice_no": items["invoice_no"].to_numpy(),
        "customer_id": items["customer_id"].to_numpy(),
        "due_date": pd.Series(due.view("datetime64[D]")).astype("datetime64[s]"),
        "days_overdue": days_overdue(due.view("datetime64[D]"), as_of),
        "bucket": aging_bucket(basis_dates, as_of, e),
        "outstanding": items["outstanding"].to_numpy(dtype=np.int64),
    })
    return sorted_frame(out, ["customer_id", "due_date", "invoice_no"])


def _empty_detail() -> pd.DataFrame:
    return pd.DataFrame({
        "invoice_no": pd.Series(dtype=object),
        "customer_id": pd.Series(dtype=object),
        "due_date": pd.Series(dtype="datetime64[s]"),
        "days_overdue": pd.Series(dtype=np.float64),
        "bucket": pd.Series(dtype=object),
        "outstanding": pd.Series(dtype=np.int64),
    })


def aging_summary(detail_df: pd.DataFrame, customers_df: pd.DataFrame | None,
                  edges: Any = DEFAULT_EDGES) -> pd.DataFrame:
    """tblAging: one row per customer with open items, sorted by customer_id.

    Bucket columns, ``total`` and ``overdue`` (every bucket but Current, net of credit notes in them) are int64 cents;
    ``overdue_pct`` = overdue ÷ total clipped to 0..1, and 0 when the customer owes nothing net (total ≤ 0).
    Items without a bucket (blank basis date) count in ``total`` only.
    """
    labels = bucket_labels(edges)
    columns = ["customer_id", "name", *labels, "total", "overdue", "overdue_pct"]
    if detail_df is None or len(detail_df) == 0:
        out = pd.DataFrame({c: pd.Series(dtype=np.int64) for c in columns})
        out["customer_id"] = pd.Series(dtype=object)
        out["name"] = pd.Series(dtype=object)
        out["overdue_pct"] = pd.Series(dtype=np.float64)
        return out
    unknown = set(detail_df["bucket"].dropna().unique()) - set(labels)
    if unknown:
        raise AgingError(f"aging detail has bucket(s) {sorted(unknown)} that edges {parse_edges(edges)} do not make")
    amounts = detail_df["outstanding"].to_numpy(dtype=np.int64)
    code, customers = pd.factorize(detail_df["customer_id"].astype(object).to_numpy())
    if (code < 0).any():
        raise AgingError("aging detail: blank customer_id")
    order = np.argsort(np.asarray(customers, dtype=object).astype(str), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    customers, code = np.asarray(customers, dtype=object)[order], rank[code]
    bucket_pos = pd.Categorical(detail_df["bucket"], categories=labels).codes  # -1 = no bucket
    grid = np.zeros((len(customers), len(labels) + 1), dtype=np.int64)
    np.add.at(grid, (code, np.where(bucket_pos < 0, len(labels), bucket_pos)), amounts)
    total = grid.sum(axis=1)
    overdue = grid[:, 1:len(labels)].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(total > 0, np.clip(overdue / np.where(total > 0, total, 1), 0.0, 1.0), 0.0)
    out = pd.DataFrame({"customer_id": customers.astype(object)})
    out["name"] = _names(out["customer_id"], customers_df)
    for i, label in enumerate(labels):
        out[label] = grid[:, i]
    out["total"] = total
    out["overdue"] = overdue
    out["overdue_pct"] = pct.astype(np.float64)
    return out[columns]


def _names(ids: pd.Series, customers_df: pd.DataFrame | None) -> pd.Series:
    if customers_df is None or len(customers_df) == 0 or "name" not in customers_df.columns:
        return pd.Series([None] * len(ids), index=ids.index, dtype=object)
    names = pd.Series(customers_df["name"].to_numpy(dtype=object), index=customers_df["customer_id"].to_numpy())
    names = names[~names.index.duplicated(keep="first")]
    return ids.map(names).astype(object)
