"""Predicted pay date of each open invoice, learned from the book's own settled history (SPEC §10).

The model is small and explainable — a robust additive model of *days late* (settled date − due date):

    predicted days late = portfolio level + customer effect (shrunk) + dispute effect

- every median is weighted by recency: an invoice settled ``half_life_days`` before as_of counts half as much as one
  settled on as_of, so a customer who has started paying faster (or slower) moves the prediction (trend);
- dispute effect = how much later a disputed invoice is paid than the same customer's undisputed ones (weighted
  median over the book; needs ``min_disputed`` disputed and undisputed settled invoices, else 0);
- customer effect = the customer's weighted median of what is left after level and dispute effect, multiplied by
  n / (n + ``shrink_k``) so that a customer with few invoices stays close to the portfolio; invoices unpaid and past
  due on as_of count in it at their lower bound ("at least this late"), so a customer late right now moves it;
- an invoice already overdue beyond its prediction on as_of has outlived it: its prediction becomes the median of
  past outcomes that were at least that late (conditional median over the model's residuals).

Only what the book knew on as_of is history (no look-ahead): settlements on or before as_of, and the invoices then
unpaid. Fallbacks, named in ``basis``:
``model`` (customer has ≥ ``min_customer`` settled invoices and the portfolio ≥ ``min_portfolio``) →
``customer_median`` (the customer's plain median days late) → ``portfolio_median`` → ``due_date`` (no history).
A predicted date is never before as_of + 1: what is still open on as_of was not paid by then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .aging import as_of_day, day_numbers
from .openitems import is_credit_note
from .ordering import text_codes

__all__ = [
    "BASES",
    "center_days",
    "PAY_DATE_COLUMNS",
    "PayDateModel",
    "PayDateParams",
    "customer_median_days",
    "disputed_flags",
    "empty_pay_dates",
    "fit_pay_model",
    "open_invoices",
    "predict_days_late",
    "predict_pay_dates",
    "settled_history",
]

PAY_DATE_COLUMNS = ["invoice_no", "customer_id", "due_date", "outstanding", "predicted_pay_date",
                    "predicted_days_late", "basis"]
BASES = ("model", "customer_median", "portfolio_median", "due_date")
_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class PayDateParams:
    """Tuning of the pay-date model. The defaults sit on a flat part of the error curve (docs/forecast.md)."""

    half_life_days: float = 120.0
    shrink_k: float = 2.0
    min_customer: int = 3
    min_portfolio: int = 20
    min_disputed: int = 5


@dataclass(frozen=True)
class PayDateModel:
    """What was learned: level, dispute effect, per-customer effect/median/count, sorted residuals (days) of the
    settled history and, for invoices still unpaid on as_of, the lower bounds of theirs (censored)."""

    level: float
    dispute_effect: float
    customer_effect: pd.Series
    customer_median: pd.Series
    customer_count: pd.Series
    portfolio_median: float
    residuals: np.ndarray
    n_history: int
    censored_residuals: np.ndarray = field(default_factory=lambda: np.zeros(0))


def disputed_flags(values: pd.Series | None, n: int) -> np.ndarray:
    """A disputed column (bool, yes/no text, blank) -> bool array; absent -> all False."""
    if values is None:
        return np.zeros(n, bool)
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=bool)
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    return text.isin({"yes", "y", "true", "1", "x", "是", "t"}).to_numpy()


def settled_history(open_items_df: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """What the book knew on as_of about how its customers pay: customer_id, invoice_no, days_late, disputed, age
    (days before as_of), censored.

    - invoices settled on or before as_of: days_late = settled − due, age = as_of − settled;
    - ``censored`` rows: invoices still unpaid and past due on as_of; their days late is only known to be more than
      as_of − due, which is recorded (age 0). A median needs only to know on which side a value lies, so a
      customer who is late *right now* moves its own median without waiting for the money to arrive.
    Nothing after as_of is used."""
    cols = ["customer_id", "invoice_no", "days_late", "disputed", "age", "censored"]
    if open_items_df is None or len(open_items_df) == 0 or "settled_date" not in open_items_df.columns:
        return pd.DataFrame({c: pd.Series(dtype=object if c in cols[:2] else bool if c == "censored" else np.float64)
                             for c in cols})
    oi = open_items_df
    as_day = as_of_day(as_of)
    due = day_numbers(oi["due_date"])
    settled = day_numbers(oi["settled_date"])
    is_invoice = ~is_credit_note(oi["doc_type"]) if "doc_type" in oi.columns else np.ones(len(oi), bool)
    usable = is_invoice & (due != _NAT) & (oi["amount"].to_numpy(dtype=np.int64) > 0)
    if "invoice_date" in oi.columns:
        usable &= day_numbers(oi["invoice_date"]) <= as_day
    paid = usable & (settled != _NAT) & (settled <= as_day)
    unpaid = usable & ~paid & ((settled != _NAT) | (oi["outstanding"].to_numpy(dtype=np.int64) > 0)) & (due < as_day)
    keep = paid | unpaid
    return pd.DataFrame({
        "customer_id": oi["customer_id"].to_numpy(dtype=object)[keep],
        "invoice_no": oi["invoice_no"].to_numpy(dtype=object)[keep],
        "days_late": np.where(paid, settled - due, as_day - due)[keep].astype(np.float64),
        "disputed": disputed_flags(oi["disputed"] if "disputed" in oi.columns else None, len(oi))[keep],
        "age": np.where(paid, as_day - settled, as_day - due)[keep].astype(np.float64),
        "censored": unpaid[keep],
    })


def _wmedian(values: np.ndarray, weights: np.ndarray) -> float:
    """Lower weighted median (nan for no values)."""
    if values.size == 0:
        return float("nan")
    order = np.argsort(values, kind="mergesort")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum * 2, cum[-1], side="left")])


def as_text(keys: np.ndarray) -> np.ndarray:
    """``keys.astype(str)``, without copying a column of plain Python strings into a fixed-width array first (which
    costs more than the grouping). NumPy's fixed-width text drops trailing NULs: such keys keep the conversion."""
    if keys.dtype == object and set(map(type, keys)) == {str} and not any(k.endswith("\x00") for k in set(keys)):
        return keys
    return keys.astype(str)


def sorted_key_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(as_text(keys), sort=True)``. Plain text keys are ranked by `ordering.text_codes` (one hashing
    of the keys, the distinct ones sorted by Python's `<`, which is the order numpy's sort gives them), so that the
    keys are not looked at twice more to decide whether they are plain text; keys ending in NUL (which fixed-width
    text would cut) and any other keys take `as_text`."""
    coded = text_codes(keys) if keys.dtype == object else None
    if coded is not None and not any(t.endswith("\x00") for t in coded[1]):
        return coded
    return pd.factorize(as_text(keys), sort=True)


def _group_wmedian(keys: np.ndarray, values: np.ndarray, weights: np.ndarray) -> pd.Series:
    """Lower weighted median of ``values`` per key, vectorised (one sort, no Python loop over groups)."""
    if keys.size == 0:
        return pd.Series(dtype=np.float64)
    # The keys as integer codes in the order of the sorted key texts: sorting and grouping integers is much faster
    # than sorting strings, and gives the same groups in the same order (so the same sums and medians).
    codes, texts = sorted_key_codes(keys)
    frame = pd.DataFrame({"k": codes, "v": values, "w": weights})
    frame = frame.sort_values(["k", "v"], kind="mergesort")
    g = frame.groupby("k", sort=False)["w"]
    reached = frame[g.cumsum() * 2 >= g.transform("sum")]
    first = reached.groupby("k", sort=True)["v"].first()
    return pd.Series(first.to_numpy(), index=pd.Index(np.asarray(texts)[first.index.to_numpy()], name="k"), name="v")


def customer_median_days(history: pd.DataFrame) -> tuple[pd.Series, float]:
    """The customer-median rule: each customer's plain median days late over settled invoices, and the portfolio's
    (nan when there is none)."""
    if "censored" in history.columns:
        history = history[~history["censored"].to_numpy(dtype=bool)]
    if len(history) == 0:
        return pd.Series(dtype=np.float64), float("nan")
    keys = history["customer_id"].astype(str)
    return history["days_late"].groupby(keys).median(), float(history["days_late"].median())


def fit_pay_model(history: pd.DataFrame, params: PayDateParams | None = None) -> PayDateModel:
    """Learn level, dispute effect and shrunk customer effects from ``settled_history`` output."""
    p = params or PayDateParams()
    censored = history["censored"].to_numpy(dtype=bool) if "censored" in history.columns \
        else np.zeros(len(history), bool)
    all_y = history["days_late"].to_numpy(dtype=np.float64)
    all_disputed = history["disputed"].to_numpy(dtype=bool)
    # the keys as a text Series once: building one from a million strings checks every one of them again
    all_key_series = history["customer_id"].astype(str).reset_index(drop=True)
    all_keys = all_key_series.to_numpy()
    all_weight = 0.5 ** (history["age"].to_numpy(dtype=np.float64) / p.half_life_days)
    done = ~censored
    y, disputed, keys, weight = all_y[done], all_disputed[done], all_keys[done], all_weight[done]
    cm, pm = customer_median_days(history)
    counts = all_key_series[done].value_counts().sort_index().astype(np.int64)
    effect = 0.0
    if disputed.sum() >= p.min_disputed and (~disputed).sum() >= p.min_disputed:
        # within customers: how much later a disputed invoice is paid than the same customer's undisputed ones
        calm = _group_wmedian(keys[~disputed], y[~disputed], weight[~disputed])
        base = pd.Series(keys[disputed]).map(calm).to_numpy(dtype=np.float64)
        known = ~np.isnan(base)
        if known.sum() >= p.min_disputed:
            effect = _wmedian((y[disputed] - base)[known], weight[disputed][known])
        else:
            effect = _wmedian(y[disputed], weight[disputed]) - _wmedian(y[~disputed], weight[~disputed])
    level = _wmedian(y - effect * disputed, weight) if y.size else float("nan")
    # customer effect: settled and still-unpaid overdue invoices (lower bounds) alike
    raw = _group_wmedian(all_keys, all_y - effect * all_disputed - level, all_weight)
    n = all_key_series.value_counts().reindex(raw.index)
    shrunk = raw * n / (n + p.shrink_k)
    fitted_all = level + effect * all_disputed + all_key_series.map(shrunk).to_numpy(dtype=np.float64)
    return PayDateModel(level=level, dispute_effect=effect, customer_effect=shrunk, customer_median=cm,
                        customer_count=counts, portfolio_median=pm, residuals=np.sort((all_y - fitted_all)[done]),
                        n_history=y.size, censored_residuals=np.sort((all_y - fitted_all)[censored]))


def _conditional_median(residuals: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Per item, the lower median of residuals strictly above ``floor``; nan where none is."""
    n = residuals.size
    start = np.searchsorted(residuals, floor, side="right")
    left = n - start
    idx = np.minimum(start + (left - 1) // 2, max(n - 1, 0))
    out = residuals[idx] if n else np.full(floor.shape, np.nan)
    return np.where(left > 0, out, np.nan)


def _per_customer(ids: np.ndarray, *per_customer: pd.Series) -> list[np.ndarray] | None:
    """For ids that are all plain strings: per item, what each per-customer Series holds for its customer (NaN where
    none), looked up once per distinct customer instead of once per item. None for any other ids."""
    if not (len(ids) and set(map(type, ids)) == {str}):
        return None
    codes, uniques = pd.factorize(ids)
    distinct = pd.Series(uniques, dtype=object).astype(str)
    return [distinct.map(s).to_numpy(dtype=np.float64, na_value=np.nan)[codes] for s in per_customer]


def center_days(model: PayDateModel, customer_id: np.ndarray, disputed: np.ndarray,
                params: PayDateParams | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unconditional predicted days late (before knowing whether the item is still open) and its basis."""
    p = params or PayDateParams()
    ids = np.asarray(customer_id, dtype=object)
    known = _per_customer(ids, model.customer_count, model.customer_median, model.customer_effect)
    if known is not None:
        count = np.where(np.isnan(known[0]), 0.0, known[0]).astype(np.int64)
        cust_median = known[1]
        effect = np.where(np.isnan(known[2]), 0.0, known[2])
    else:
        keys = pd.Series(ids).astype(str)
        count = keys.map(model.customer_count).fillna(0).to_numpy(dtype=np.int64)
        cust_median = keys.map(model.customer_median).to_numpy(dtype=np.float64)
        effect = keys.map(model.customer_effect).fillna(0.0).to_numpy()
    use_model = (count >= p.min_customer) & (model.n_history >= p.min_portfolio)
    model_days = model.level + model.dispute_effect * disputed + effect
    has_portfolio = not np.isnan(model.portfolio_median)
    conditions = [use_model, count > 0, np.full(count.shape, has_portfolio)]
    days = np.select(conditions, [model_days, cust_median, np.full(count.shape, model.portfolio_median)], 0.0)
    return days, np.select(conditions, list(BASES[:3]), BASES[3]).astype(object)


def predict_days_late(model: PayDateModel, customer_id: np.ndarray, disputed: np.ndarray, overdue_days: np.ndarray,
                      params: PayDateParams | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Predicted days late and basis per item. ``overdue_days`` = as_of − due (negative while not yet due): the
    result is at least overdue_days + 1 (still open on as_of)."""
    center, basis = center_days(model, customer_id, disputed, params)
    use_model = basis == BASES[0]
    # Outlived its prediction: the typical outcome among past invoices that were at least as late.
    outlived = use_model & (overdue_days >= center)
    tail = _conditional_median(model.residuals, overdue_days - center)
    days = np.where(outlived & ~np.isnan(tail), center + tail, center)
    days = np.maximum(np.floor(days + 0.5), overdue_days + 1)
    return days.astype(np.int64), basis


def open_invoices(open_items_df: pd.DataFrame) -> pd.DataFrame:
    oi = open_items_df
    is_invoice = ~is_credit_note(oi["doc_type"]) if "doc_type" in oi.columns else np.ones(len(oi), bool)
    due = day_numbers(oi["due_date"])
    mask = is_invoice & (oi["outstanding"].to_numpy(dtype=np.int64) > 0) & (due != _NAT)
    return oi[mask].reset_index(drop=True)


def empty_pay_dates() -> pd.DataFrame:
    return pd.DataFrame({
        "invoice_no": pd.Series(dtype=object), "customer_id": pd.Series(dtype=object),
        "due_date": pd.Series(dtype="datetime64[s]"), "outstanding": pd.Series(dtype=np.int64),
        "predicted_pay_date": pd.Series(dtype="datetime64[s]"), "predicted_days_late": pd.Series(dtype=np.int64),
        "basis": pd.Series(dtype=object),
    })


def predict_pay_dates(open_items_df: pd.DataFrame, as_of: dt.date, params: PayDateParams | None = None,
                      model: PayDateModel | None = None) -> pd.DataFrame:
    """tblPayDates: one row per open invoice (outstanding > 0, due date known), ordered by predicted date."""
    if open_items_df is None or len(open_items_df) == 0:
        return empty_pay_dates()
    model = model or fit_pay_model(settled_history(open_items_df, as_of), params)
    items = open_invoices(open_items_df)
    if items.empty:
        return empty_pay_dates()
    due = day_numbers(items["due_date"])
    disputed = disputed_flags(items["disputed"] if "disputed" in items.columns else None, len(items))
    days, basis = predict_days_late(model, items["customer_id"].to_numpy(dtype=object), disputed,
                                    as_of_day(as_of) - due, params)
    out = pd.DataFrame({
        "invoice_no": items["invoice_no"].to_numpy(dtype=object),
        "customer_id": items["customer_id"].to_numpy(dtype=object),
        "due_date": pd.Series(due.view("datetime64[D]")).astype("datetime64[s]").to_numpy(),
        "outstanding": items["outstanding"].to_numpy(dtype=np.int64),
        "predicted_pay_date": pd.Series((due + days).view("datetime64[D]")).astype("datetime64[s]").to_numpy(),
        "predicted_days_late": days,
        "basis": basis,
    })
    return out.sort_values(["predicted_pay_date", "customer_id", "invoice_no"], kind="mergesort").reset_index(drop=True)
