"""The figures behind the Dashboard sheet: KPIs and the four chart series, computed from engine outputs.

Pure: frames in, frames and numbers out. Rendering (cells and native charts) belongs to the adapters' side.
Definitions (also in docs/finance-rules.md): DSO is the standard method over the trailing 365 days
(receivables ÷ credit sales × 365); CEI uses the same 365-day period, with receivables at its start and end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlfin.engine import collection
from xlfin.engine.openitems import normalise_invoices
from xlfin.engine.profitability import document_sign


@dataclass(frozen=True)
class DashboardData:
    as_of: dt.date
    kpis: dict[str, float | int | None]  # money KPIs in cents; ratios as floats
    aging: pd.DataFrame  # bucket, amount (cents)
    top_overdue: pd.DataFrame  # customer, overdue (cents)
    abc: pd.DataFrame  # class, customers, revenue (cents)
    monthly: pd.DataFrame  # month (date), invoiced, collected (cents)
    cash_forecast: pd.DataFrame | None = None  # tblCashForecast: week_start, expected_receipts, low, high (cents)


def build_dashboard(
    *,
    as_of: dt.date,
    invoices: pd.DataFrame,
    payments: pd.DataFrame,
    allocations: pd.DataFrame,
    open_items: pd.DataFrame,
    aging_summary: pd.DataFrame,
    bucket_labels: list[str],
    scorecard: pd.DataFrame,
    unapplied: pd.DataFrame,
    cash_forecast: pd.DataFrame | None = None,
    normalised_invoices: pd.DataFrame | None = None,
) -> DashboardData:
    """``normalised_invoices``: ``invoices`` as `normalise_invoices` returns them, when the caller has them already
    (DSO's sales and CEI need them; normalising a million rows again costs seconds)."""
    total_ar = int(open_items["outstanding"].sum()) if len(open_items) else 0
    start = as_of - dt.timedelta(days=364)  # 365 days including as_of
    inv = None
    if len(invoices):
        inv = normalised_invoices if normalised_invoices is not None else normalise_invoices(invoices)
    sales = collection.credit_sales_normalised(inv, start, as_of) if inv is not None else 0
    cei = collection.period_cei_normalised(inv, allocations, start, as_of) if sales else None
    with_open = int(open_items.loc[open_items["outstanding"] != 0, "customer_id"].nunique()) if len(open_items) else 0
    unapplied_total = int(unapplied["unapplied_amount"].sum()) if len(unapplied) else 0
    return dashboard_data(as_of=as_of, total_ar=total_ar, credit_sales=sales, cei=cei, customers_with_open=with_open,
                          unapplied_total=unapplied_total, aging_summary=aging_summary, bucket_labels=bucket_labels,
                          scorecard=scorecard, monthly=_monthly(invoices, payments, as_of),
                          cash_forecast=cash_forecast)


def dashboard_data(*, as_of: dt.date, total_ar: int, credit_sales: int, cei: float | None, customers_with_open: int,
                   unapplied_total: int, aging_summary: pd.DataFrame, bucket_labels: list[str],
                   scorecard: pd.DataFrame, monthly: pd.DataFrame,
                   cash_forecast: pd.DataFrame | None = None) -> DashboardData:
    """The Dashboard from its figures: the totals over documents (receivables, credit sales of the 365 days to as_of,
    CEI, customers with open items, unapplied cash, the monthly series) and the per-customer frames. The totals come
    from the engine's frames (`build_dashboard`) or from SQL over a ledger (xlfin.ledger.dashboard_sql)."""
    overdue = int(aging_summary["overdue"].sum()) if len(aging_summary) else 0
    dso = (float(collection.dso(np.array([total_ar], dtype=float), np.array([credit_sales], dtype=float), 365)[0])
           if credit_sales else None)
    over_limit = int(scorecard["over_limit"].fillna(False).astype(bool).sum()) if len(scorecard) else 0
    kpis: dict[str, float | int | None] = {
        "kpi_total_ar": total_ar,
        "kpi_overdue": overdue,
        "kpi_overdue_pct": (overdue / total_ar) if total_ar else None,
        "kpi_dso": None if dso is None or not np.isfinite(dso) else dso,
        "kpi_cei": None if cei is None or not np.isfinite(cei) else cei,
        "kpi_over_limit": over_limit,
        "kpi_customers": customers_with_open,
        "kpi_unapplied": unapplied_total,
    }
    aging = pd.DataFrame({
        "bucket": bucket_labels,
        "amount": [int(aging_summary[b].sum()) if b in aging_summary else 0 for b in bucket_labels],
    })
    top = aging_summary.loc[aging_summary["overdue"] > 0, ["name", "customer_id", "overdue"]] if len(aging_summary) else \
        pd.DataFrame(columns=["name", "customer_id", "overdue"])
    top = top.sort_values(["overdue", "customer_id"], ascending=[False, True]).head(10)
    top_overdue = pd.DataFrame({
        "customer": [n if isinstance(n, str) and n else c for n, c in zip(top["name"], top["customer_id"])],
        "overdue": top["overdue"].astype(np.int64).to_numpy(),
    })
    abc = _abc_split(scorecard)
    return DashboardData(as_of, kpis, aging, top_overdue, abc, monthly, cash_forecast)


def _abc_split(scorecard: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for cls in ("A", "B", "C"):
        part = scorecard[scorecard["abc_class"] == cls] if len(scorecard) else scorecard
        revenue = pd.to_numeric(part["revenue_12m"], errors="coerce").fillna(0).astype(np.int64).sum() if len(part) else 0
        rows.append({"class": cls, "customers": int(len(part)), "revenue": int(revenue)})
    return pd.DataFrame(rows)


def _monthly(invoices: pd.DataFrame, payments: pd.DataFrame, as_of: dt.date, months: int = 24) -> pd.DataFrame:
    """Invoiced (net of credit notes) and collected per calendar month, the last `months` months up to as_of."""
    invoiced = collected = pd.Series(dtype=np.int64)
    if len(invoices):
        sign = document_sign(invoices["doc_type"])
        amounts = pd.Series(invoices["amount"].to_numpy(dtype=np.int64) * sign,
                            index=pd.to_datetime(invoices["invoice_date"]).dt.to_period("M"))
        invoiced = amounts.groupby(level=0).sum()
    if len(payments):
        p = pd.Series(payments["amount"].to_numpy(dtype=np.int64),
                      index=pd.to_datetime(payments["payment_date"]).dt.to_period("M"))
        collected = p.groupby(level=0).sum()
    return monthly_series(invoiced, collected, as_of, months)


def monthly_series(invoiced_by_month: pd.Series, collected_by_month: pd.Series, as_of: dt.date,
                   months: int = 24) -> pd.DataFrame:
    """The chart's frame from sums per calendar month (Series indexed by monthly Periods, any months): the last
    `months` months up to as_of, months without documents 0."""
    end = pd.Period(as_of, freq="M")
    periods = pd.period_range(end - (months - 1), end, freq="M")
    invoiced = pd.Series(0, index=periods, dtype=np.int64)
    collected = pd.Series(0, index=periods, dtype=np.int64)
    if len(invoiced_by_month):
        invoiced = invoiced.add(invoiced_by_month, fill_value=0).reindex(periods, fill_value=0)
    if len(collected_by_month):
        collected = collected.add(collected_by_month, fill_value=0).reindex(periods, fill_value=0)
    return pd.DataFrame({
        "month": [p.to_timestamp().date() for p in periods],
        "invoiced": invoiced.astype(np.int64).to_numpy(),
        "collected": collected.astype(np.int64).to_numpy(),
    })
