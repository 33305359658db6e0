"""The cell-by-cell implementations that the vectorised stages replaced (issue #12 item 3), kept verbatim as the
oracle of tests/test_stage_equality.py: a speed-up must not change any result."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def to_cells(df: pd.DataFrame, table) -> list[list[object]]:
    """xlfin.schema.tables.to_cells before it was vectorised."""
    n = len(df)
    columns: list[list[object]] = []
    for col in table.columns:
        if col.key not in df.columns:
            columns.append([None] * n)
            continue
        s = df[col.key]
        if col.type == "money":
            vals = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
            columns.append([None if np.isnan(v) else round(float(v) / 100.0, 2) for v in vals])
        elif col.type == "date":
            d = pd.to_datetime(s, errors="coerce")
            columns.append([None if pd.isna(v) else dt.date(v.year, v.month, v.day) for v in d])
        elif col.type == "bool":
            columns.append([None if v is None or (not isinstance(v, str) and pd.isna(v)) else ("Yes" if bool(v) else "No")
                            for v in s.tolist()])
        elif col.type in ("int",):
            vals = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
            columns.append([None if np.isnan(v) else int(v) for v in vals])
        elif col.type in ("float", "pct"):
            vals = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
            columns.append([None if not np.isfinite(v) else float(v) for v in vals])
        else:
            columns.append([None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in s.tolist()])
    return [list(r) for r in zip(*columns)] if columns else []


def text_ids(values: pd.Series) -> pd.Series:
    """xlfin.engine.payment_plans.text_ids before the inline fast path."""
    def one(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        text = str(v).strip()
        return text or None
    return values.astype(object).map(one)


def keys(s: pd.Series) -> pd.Series:
    """xlfin.engine.openitems._keys before the inline fast path."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("string", "empty"):
        return s.astype(object).where(s.isna(), s.astype(str).str.strip())
    if kind == "integer":
        return s.astype(object).where(s.isna(), s.astype(str))
    return s.astype(object).where(s.notna(), None).map(
        lambda v: None if v is None else (str(int(v)) if isinstance(v, float) and v == int(v) else str(v).strip()))


def dunning_text(values: pd.Series) -> pd.Series:
    """xlfin.engine.dunning._text before the inline fast path."""
    return values.astype(object).where(values.notna(), "").map(lambda v: str(v).strip())


def blank_mask(s: pd.Series) -> np.ndarray:
    """xlfin.schema.frames.blank_mask before the inline fast path."""
    from xlfin.engine.cellvalues import is_blank

    if len(s) == 0:
        return np.zeros(0, dtype=bool)
    na = s.isna().to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("string", "empty"):
            return np.fromiter((not (isinstance(v, str) and v.strip()) for v in s.to_numpy(dtype=object)),
                               dtype=bool, count=len(s))
        if s.dtype == object and kind not in ("floating", "integer", "mixed-integer-float", "datetime", "date",
                                             "boolean", "decimal"):
            return np.fromiter((is_blank(v) for v in s.to_numpy(dtype=object)), dtype=bool, count=len(s))
    return na


def coerce_text(s: pd.Series) -> tuple[pd.Series, list]:
    """xlfin.schema.frames._coerce_text before the inline fast path."""
    from xlfin.schema.frames import _kind, text_value

    def strip_or_none(v):
        if isinstance(v, str):
            return v.strip() or None
        return None

    values = s.to_numpy(dtype=object)
    if _kind(s) in ("string", "empty"):
        return pd.Series([strip_or_none(v) for v in values], dtype=object), []
    return pd.Series([text_value(v) for v in values], dtype=object), []


def group_wmedian(keys: np.ndarray, values: np.ndarray, weights: np.ndarray) -> pd.Series:
    """xlfin.engine.forecast_paydates._group_wmedian before it grouped integer codes."""
    if keys.size == 0:
        return pd.Series(dtype=np.float64)
    frame = pd.DataFrame({"k": keys.astype(str), "v": values, "w": weights})
    frame = frame.sort_values(["k", "v"], kind="mergesort")
    g = frame.groupby("k", sort=False)["w"]
    reached = frame[g.cumsum() * 2 >= g.transform("sum")]
    return reached.groupby("k", sort=True)["v"].first()


def scorecard_dates(values) -> pd.Series:
    """xlfin.engine.scorecard._dates before the datetime64 short cut."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    return pd.to_datetime(s.astype(object).where(s.notna(), None)).astype("datetime64[s]")


def period_cei(invoices: pd.DataFrame, allocations: pd.DataFrame | None, start: dt.date, end: dt.date) -> float:
    """collection.period_cei before the documents' numbers were matched once for both dates: open items computed
    for each date from scratch."""
    from xlfin.engine.collection import _totals, cei, credit_sales
    from xlfin.engine.openitems import normalise_allocations, normalise_invoices, open_items_normalised

    if invoices is None or len(invoices) == 0:
        return float("nan")
    inv = normalise_invoices(invoices)
    alloc = normalise_allocations(allocations)

    def receivables(as_of: dt.date) -> tuple[int, int]:
        docs = inv[(inv["invoice_date"] <= pd.Timestamp(as_of)).to_numpy()].reset_index(drop=True)
        return _totals(open_items_normalised(docs, alloc, as_of), as_of)

    begin, _ = receivables(start - dt.timedelta(days=1))
    end_total, end_current = receivables(end)
    return float(cei(begin, credit_sales(invoices, start, end), end_total, end_current))


def center_days(model, customer_id: np.ndarray, disputed: np.ndarray, params=None) -> tuple[np.ndarray, np.ndarray]:
    """forecast_paydates.center_days before ids were looked up once per customer."""
    from xlfin.engine.forecast_paydates import BASES, PayDateParams

    p = params or PayDateParams()
    keys = pd.Series(np.asarray(customer_id, dtype=object)).astype(str)
    count = keys.map(model.customer_count).fillna(0).to_numpy(dtype=np.int64)
    use_model = (count >= p.min_customer) & (model.n_history >= p.min_portfolio)
    cust_median = keys.map(model.customer_median).to_numpy(dtype=np.float64)
    model_days = model.level + model.dispute_effect * disputed + keys.map(model.customer_effect).fillna(0.0).to_numpy()
    has_portfolio = not np.isnan(model.portfolio_median)
    conditions = [use_model, count > 0, np.full(count.shape, has_portfolio)]
    days = np.select(conditions, [model_days, cust_median, np.full(count.shape, model.portfolio_median)], 0.0)
    return days, np.select(conditions, list(BASES[:3]), BASES[3]).astype(object)
