"""tblScorecard: one row per customer of tblCustomers, in the customers' order (SPEC §3.2, §4).

Sources and conventions (the docs copy this list):

- revenue_12m, gross_margin: :mod:`xlfin.engine.profitability` (invoices − credit notes dated in
  (as_of − 365, as_of]; margin over the documents whose cost is given).
- outstanding: the sum of the customer's open items (credit notes negative). overdue: the same over the items whose
  due date is before as_of (net of overdue-dated credit notes, as in tblAging with the default due-date basis).
  The open-items frame is taken as given: pass :func:`xlfin.engine.openitems.documents_as_of` output for a strict
  back-dated view.
- dso = outstanding ÷ revenue_12m × 365; best_dso uses current (not yet due) outstanding = outstanding − overdue, so
  that add = dso − best_dso = overdue ÷ revenue_12m × 365. Blank when revenue_12m ≤ 0.
- payment_index: :func:`xlfin.engine.payment_index.customer_payment_index` over Config ``payment_window_months``.
- Ratios, Altman Z and the suggested limit use the customer's newest Financials row (latest period_end). Altman model:
  ``settings.altman_model`` when the settings carry one, else Z″ (book equity); Z uses market_value_equity.
  Net worth = book equity (tblFinancials has no intangibles column).
- credit_score: sub-scores of current ratio, debt ratio, interest coverage, net margin, payment index and overdue
  share (overdue ÷ outstanding; 0 when nothing is outstanding), weights from Config ``score_weights``. When fewer than
  two inputs exist the score and grade are blank (the reason is in :func:`score_errors`).
- utilization = outstanding ÷ credit_limit (blank when the limit is blank or 0); over_limit = outstanding > limit
  (False when no limit is set).
- abc_class: by revenue_12m with Config ``abc_cutoffs``, ties by customer_id.
- clv (cents) = m · r / (1 + i − r) − AC with m = trailing-12-month gross profit (revenue_12m × gross_margin; 0 when
  revenue_12m ≤ 0; blank when no cost is known), r = retention 0.8 (``settings.clv_retention`` overrides; a Closed
  customer has r = 0, so CLV 0), i = 0.10 (``settings.clv_discount_rate``), AC = 0 (``settings.clv_acquisition_cost``,
  cents). One period = one year. A constant retention was chosen over one derived from months with purchases because
  monthly purchase frequency is not a retention rate: a steady quarterly buyer would look 67 % lost.
- risk_flags: :mod:`xlfin.engine.risk`. The overdue_amount threshold is Config ``overdue_flag_amount``
  (``settings.overdue_flag_amount``, default 10,000.00 in the base currency). The payment index "6 months earlier" is
  recomputed as of as_of − 6 months from the same open items: documents dated after that day are left out, and
  :func:`~xlfin.engine.payment_index.payment_experiences` counts documents settled after it as open on that day (at
  their full amount), so their lateness then counts.

Rounding for display (half-up): dso, best_dso, add, ratios, altman_z to 2 decimals; fractions (gross_margin,
debt_ratio, net_margin, utilization) to 4; payment_index and credit_score to 1. Scores use the unrounded inputs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine import aging
from xlfin.engine import payment_index as pix
from xlfin.engine.altman import ALTMAN_MODELS, altman_z, normalise_model
from xlfin.engine.credit import credit_grade, credit_score, suggested_limit
from xlfin.engine.profitability import customer_revenue
from xlfin.engine.ratios import (
    current_ratio,
    debt_ratio,
    interest_coverage,
    net_margin,
    net_worth,
    quick_ratio,
    working_capital,
)
from xlfin.engine.risk import risk_flags
from xlfin.engine.segmentation import abc_class, clv
from xlfin.engine.money import round_half_up_array

__all__ = [
    "DEFAULT_CLV_ACQUISITION_COST",
    "DEFAULT_CLV_DISCOUNT_RATE",
    "DEFAULT_CLV_RETENTION",
    "DEFAULT_OVERDUE_FLAG_AMOUNT",
    "INDEX_LOOKBACK_MONTHS",
    "SCORECARD_COLUMNS",
    "AGGREGATE_COLUMNS",
    "build_scorecard",
    "customer_figures",
    "newest_financials",
    "score_customers",
    "score_errors",
]

SCORECARD_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "revenue_12m", "gross_margin", "outstanding", "overdue", "dso", "best_dso", "add",
    "payment_index", "current_ratio", "quick_ratio", "debt_ratio", "interest_coverage", "net_margin", "altman_z",
    "credit_score", "grade", "credit_limit", "suggested_limit", "utilization", "over_limit", "abc_class", "clv",
    "risk_flags",
)
# What `customer_figures` adds up per customer and `score_customers` scores (one row per customer).
AGGREGATE_COLUMNS: tuple[str, ...] = ("revenue_12m", "gross_margin", "outstanding", "overdue", "max_days_overdue",
                                      "payment_index", "payment_index_before")
DEFAULT_OVERDUE_FLAG_AMOUNT = Decimal(10000)
DEFAULT_CLV_RETENTION = 0.8
DEFAULT_CLV_DISCOUNT_RATE = 0.10
DEFAULT_CLV_ACQUISITION_COST = 0  # cents
INDEX_LOOKBACK_MONTHS = 6
_FINANCIAL_COLUMNS = ("current_assets", "current_liabilities", "inventory", "cash", "total_assets",
                      "total_liabilities", "equity", "retained_earnings", "revenue", "ebit", "interest_expense",
                      "net_income", "operating_cash_flow", "market_value_equity")


def _setting(settings: Any, name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    return default if value is None else value


def _money_setting_cents(settings: Any, name: str, default: Decimal) -> int:
    value = _setting(settings, name, default)
    return int((Decimal(str(value)) * 100).to_integral_value())


def _float_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)


def _dates(values: Any) -> pd.Series:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_datetime64_dtype(s.dtype):  # already dates (open items): no round trip through objects
        return s.astype("datetime64[s]")
    return pd.to_datetime(s.astype(object).where(s.notna(), None)).astype("datetime64[s]")


def newest_financials(financials: pd.DataFrame | None, customer_ids: pd.Index) -> pd.DataFrame:
    """The newest Financials row per customer, aligned to customer_ids (NaN rows where a customer has none)."""
    columns = ["period_end", *_FINANCIAL_COLUMNS]
    if financials is None or len(financials) == 0:
        out = pd.DataFrame(np.nan, index=customer_ids, columns=list(_FINANCIAL_COLUMNS))
        out.insert(0, "period_end", pd.Series(pd.NaT, index=customer_ids, dtype="datetime64[s]"))
        return out
    fin = pd.DataFrame({"customer_id": financials["customer_id"].to_numpy(dtype=object),
                        "period_end": _dates(financials["period_end"]).to_numpy()})
    for col in _FINANCIAL_COLUMNS:
        fin[col] = _float_column(financials, col)
    fin = fin.sort_values(["customer_id", "period_end"], kind="mergesort", na_position="first")
    newest = fin.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    return newest.reindex(customer_ids)[columns]


def _per_customer_sum(ids: pd.Index, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    if len(keys) == 0:
        return np.zeros(len(ids), dtype=np.int64)
    sums = pd.Series(values).groupby(keys).sum()
    return sums.reindex(ids, fill_value=0).to_numpy(dtype=np.int64)


def _prior_open_items(open_items: pd.DataFrame, prior: dt.date) -> pd.DataFrame:
    """The documents that existed on `prior`; payment_experiences treats those settled later as open then."""
    if len(open_items) == 0:
        return open_items
    return open_items[(_dates(open_items["invoice_date"]) <= pd.Timestamp(prior)).to_numpy()].reset_index(drop=True)


def _payment_indexes(ids: pd.Index, open_items: pd.DataFrame, experiences: pd.DataFrame | None, as_of: dt.date,
                     window: int) -> tuple[np.ndarray, np.ndarray]:
    if experiences is None:
        experiences = pix.payment_experiences(open_items, as_of)
    now = pix.customer_payment_index(experiences, as_of, window)
    prior_day = (pd.Timestamp(as_of) - pd.DateOffset(months=INDEX_LOOKBACK_MONTHS)).date()
    prior_items = _prior_open_items(open_items, prior_day)
    before = pix.customer_payment_index(pix.payment_experiences(prior_items, prior_day), prior_day, window)

    def aligned(s: pd.Series) -> np.ndarray:
        return pd.to_numeric(s, errors="coerce").reindex(ids).to_numpy(dtype=np.float64, na_value=np.nan)

    return aligned(now), aligned(before)


def score_errors(scorecard_inputs: pd.DataFrame, settings: Any) -> pd.Series:
    """Why a customer has no credit score (None where it has one), from a built scorecard."""
    overdue_share = _overdue_share(scorecard_inputs["overdue"].to_numpy(dtype=np.float64),
                                   scorecard_inputs["outstanding"].to_numpy(dtype=np.float64))
    _, errors = credit_score(scorecard_inputs["current_ratio"], scorecard_inputs["debt_ratio"],
                             scorecard_inputs["interest_coverage"], scorecard_inputs["net_margin"],
                             scorecard_inputs["payment_index"], overdue_share,
                             weights=tuple(_setting(settings, "score_weights", (0.15, 0.15, 0.10, 0.10, 0.35, 0.15))))
    return pd.Series(errors, index=scorecard_inputs.index, dtype=object)


def _overdue_share(overdue: np.ndarray, outstanding: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(outstanding > 0, overdue / np.where(outstanding > 0, outstanding, 1.0), 0.0)


def _empty_scorecard() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SCORECARD_COLUMNS})


def _nullable_cents(values: np.ndarray) -> pd.arrays.IntegerArray:
    rounded = round_half_up_array(values, 0)
    out = pd.array(np.nan_to_num(rounded, nan=0.0, posinf=0.0, neginf=0.0).astype(np.int64), dtype="Int64")
    out[~np.isfinite(rounded)] = pd.NA
    return out


def customer_figures(ids: pd.Index, invoices: pd.DataFrame | None, open_items: pd.DataFrame | None,
                     experiences: pd.DataFrame | None, settings_like: Any, as_of: dt.date) -> pd.DataFrame:
    """Part (a) of the scorecard: what each customer's rows add up to (AGGREGATE_COLUMNS, indexed by `ids`).

    Everything the scoring needs from invoices and open items, one row per customer: sales and margin, the
    receivables, the oldest debt and the payment index now and six months earlier. A ledger computes the same
    figures where its rows live (xlfin.ledger.scorecard_sql) and scores them with `score_customers`.
    """
    n = len(ids)
    revenue = customer_revenue(invoices, as_of).set_index("customer_id")
    revenue_12m = revenue["revenue_12m"].reindex(ids, fill_value=0).to_numpy(dtype=np.int64)
    gross_margin = revenue["gross_margin"].reindex(ids).to_numpy(dtype=np.float64, na_value=np.nan)

    items = open_items if open_items is not None else pd.DataFrame(columns=["customer_id", "due_date", "outstanding"])
    item_ids = items["customer_id"].to_numpy(dtype=object)
    item_out = items["outstanding"].to_numpy(dtype=np.int64) if len(items) else np.zeros(0, np.int64)
    late_days = aging.days_overdue(items["due_date"], as_of) if len(items) else np.zeros(0)
    is_late = np.nan_to_num(late_days) > 0
    outstanding = _per_customer_sum(ids, item_ids, item_out)
    overdue = _per_customer_sum(ids, item_ids, np.where(is_late, item_out, 0))
    owing_days = np.where(item_out > 0, np.nan_to_num(late_days), 0.0)
    max_days = (pd.Series(owing_days).groupby(item_ids).max().reindex(ids, fill_value=0.0).to_numpy(np.float64)
                if len(items) else np.zeros(n))

    window = int(_setting(settings_like, "payment_window_months", 24))
    index_now, index_before = _payment_indexes(ids, items, experiences, as_of, window)
    return pd.DataFrame({"revenue_12m": revenue_12m, "gross_margin": gross_margin, "outstanding": outstanding,
                         "overdue": overdue, "max_days_overdue": max_days, "payment_index": index_now,
                         "payment_index_before": index_before}, index=ids)[list(AGGREGATE_COLUMNS)]


def build_scorecard(customers: pd.DataFrame, invoices: pd.DataFrame, open_items: pd.DataFrame,
                    experiences: pd.DataFrame | None, financials: pd.DataFrame | None, settings_like: Any,
                    as_of: dt.date) -> pd.DataFrame:
    """tblScorecard (columns exactly SCORECARD_COLUMNS; money in cents; ratios float; grade text):
    `score_customers` of `customer_figures`."""
    if customers is None or len(customers) == 0:
        return _empty_scorecard()
    cust = customers.drop_duplicates("customer_id", keep="first").reset_index(drop=True)
    ids = pd.Index(cust["customer_id"].to_numpy(dtype=object), name="customer_id")
    figures = customer_figures(ids, invoices, open_items, experiences, settings_like, as_of)
    return score_customers(cust, figures, financials, settings_like, as_of)


def score_customers(customers: pd.DataFrame, figures: pd.DataFrame, financials: pd.DataFrame | None,
                    settings_like: Any, as_of: dt.date) -> pd.DataFrame:
    """Part (b) of the scorecard: tblScorecard from one row per customer (`customers`, no repeated ids, in the
    sheet's order), its AGGREGATE_COLUMNS (`figures`, in the same order) and the customers' Financials rows (the
    newest per customer is used): ratios, Altman Z, score, grade, limits, utilisation, ABC, CLV, risk flags.

    abc_class ranks every customer given against the others, so `customers` must be all of them."""
    if customers is None or len(customers) == 0:
        return _empty_scorecard()
    settings = settings_like
    cust = customers.reset_index(drop=True)
    ids = pd.Index(cust["customer_id"].to_numpy(dtype=object), name="customer_id")
    n = len(ids)
    revenue_12m = figures["revenue_12m"].to_numpy(dtype=np.int64)
    gross_margin = figures["gross_margin"].to_numpy(dtype=np.float64)
    outstanding = figures["outstanding"].to_numpy(dtype=np.int64)
    overdue = figures["overdue"].to_numpy(dtype=np.int64)
    max_days = figures["max_days_overdue"].to_numpy(dtype=np.float64)
    index_now = figures["payment_index"].to_numpy(dtype=np.float64)
    index_before = figures["payment_index_before"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_day = np.where(revenue_12m > 0, 365.0 / np.where(revenue_12m > 0, revenue_12m, 1), np.nan)
    dso = outstanding * per_day
    best_dso = (outstanding - overdue) * per_day

    # financial statements
    fin = newest_financials(financials, ids)
    ca, cl = fin["current_assets"].to_numpy(), fin["current_liabilities"].to_numpy()
    ta, tl = fin["total_assets"].to_numpy(), fin["total_liabilities"].to_numpy()
    cr = current_ratio(ca, cl)
    qr = quick_ratio(ca, fin["inventory"].to_numpy(), cl)
    dr = debt_ratio(tl, ta)
    ic = interest_coverage(fin["ebit"].to_numpy(), fin["interest_expense"].to_numpy())
    nm = net_margin(fin["net_income"].to_numpy(), fin["revenue"].to_numpy())
    wc = working_capital(ca, cl)
    model = normalise_model(_setting(settings, "altman_model", "Z''"))
    equity_for_z = fin["market_value_equity" if ALTMAN_MODELS[model].market_equity else "equity"].to_numpy()
    z = altman_z(wc, fin["retained_earnings"].to_numpy(), fin["ebit"].to_numpy(), equity_for_z, ta, tl,
                 sales=fin["revenue"].to_numpy(), model=model)

    # score, grade, limit
    overdue_share = _overdue_share(overdue.astype(np.float64), outstanding.astype(np.float64))
    weights = tuple(_setting(settings, "score_weights", (0.15, 0.15, 0.10, 0.10, 0.35, 0.15)))
    score, _ = credit_score(cr, dr, ic, nm, index_now, overdue_share, weights=weights)
    grade = credit_grade(score, tuple(_setting(settings, "grade_cutoffs", (80, 65, 50, 35))))
    limit_suggested = suggested_limit(
        net_worth(fin["equity"].to_numpy()), wc, grade,
        pct_net_worth=float(_setting(settings, "limit_pct_net_worth", 0.10)),
        pct_working_capital=float(_setting(settings, "limit_pct_working_capital", 0.20)),
        rounding=float(_setting(settings, "limit_rounding", 1000)))

    credit_limit = (pd.to_numeric(cust["credit_limit"], errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
                    if "credit_limit" in cust else np.full(n, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        utilization = np.where(credit_limit > 0, outstanding / np.where(credit_limit > 0, credit_limit, 1), np.nan)
    over_limit = ~np.isnan(credit_limit) & (outstanding > credit_limit)

    # value
    abc = abc_class(revenue_12m, tuple(_setting(settings, "abc_cutoffs", (0.80, 0.95))), keys=ids.to_numpy())
    closed = (cust["status"].astype(object) == "Closed").to_numpy() if "status" in cust else np.zeros(n, bool)
    retention = np.where(closed, 0.0, float(_setting(settings, "clv_retention", DEFAULT_CLV_RETENTION)))
    gross_profit = np.where(revenue_12m <= 0, 0.0, revenue_12m * gross_margin)
    customer_value = clv(gross_profit, retention, float(_setting(settings, "clv_discount_rate",
                                                                DEFAULT_CLV_DISCOUNT_RATE)),
                         float(_money_setting_cents(settings, "clv_acquisition_cost",
                                                    Decimal(DEFAULT_CLV_ACQUISITION_COST))))

    flags = risk_flags(
        ids, outstanding=outstanding, credit_limit=credit_limit, max_days_overdue=max_days, overdue=overdue,
        overdue_threshold=_money_setting_cents(settings, "overdue_flag_amount", DEFAULT_OVERDUE_FLAG_AMOUNT),
        payment_index=index_now, payment_index_before=index_before, latest_period_end=fin["period_end"].to_numpy(),
        as_of=as_of)

    def r(values: np.ndarray, places: int) -> np.ndarray:
        return round_half_up_array(np.asarray(values, dtype=np.float64), places)

    out = pd.DataFrame({
        "customer_id": ids.to_numpy(dtype=object),
        "name": cust["name"].to_numpy(dtype=object) if "name" in cust else np.full(n, None, dtype=object),
        "revenue_12m": revenue_12m,
        "gross_margin": r(gross_margin, 4),
        "outstanding": outstanding,
        "overdue": overdue,
        "dso": r(dso, 2),
        "best_dso": r(best_dso, 2),
        "add": r(dso - best_dso, 2),
        "payment_index": r(index_now, 1),
        "current_ratio": r(cr, 2),
        "quick_ratio": r(qr, 2),
        "debt_ratio": r(dr, 4),
        "interest_coverage": r(ic, 2),
        "net_margin": r(nm, 4),
        "altman_z": r(z, 2),
        "credit_score": np.asarray(score, dtype=np.float64),
        "grade": np.asarray(grade, dtype=object),
        "credit_limit": _nullable_cents(credit_limit),
        "suggested_limit": pd.array(limit_suggested, dtype="Int64"),
        "utilization": r(utilization, 4),
        "over_limit": over_limit.astype(bool),
        "abc_class": np.asarray(abc, dtype=object),
        "clv": _nullable_cents(np.asarray(customer_value, dtype=np.float64)),
        "risk_flags": flags.to_numpy(dtype=object),
    })
    return out[list(SCORECARD_COLUMNS)]
