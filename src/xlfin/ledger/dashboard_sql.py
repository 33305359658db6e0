"""The Dashboard from the posted ledger: its totals and the 24-month series computed in SQL where the data lives.

Only a handful of numbers and 24 months leave the database; the per-customer frames (ageing summary, scorecard) are
the ones the caller already has (one row per customer). The figures follow the engine's definitions
(xlfin.engine.dashboard / collection / openitems) on the workbook-only run's data: documents and payments dated
after as_of do not exist yet, an allocation counts from its payment's date (a credit note's: its own date), a blank
due date is the invoice date + the customer's terms (else Config default_terms_days).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from xlfin.engine import collection
from xlfin.engine.dashboard import DashboardData, dashboard_data, monthly_series
from xlfin.schema.settings import Settings

from xlfin.ledger.pushdown import CREDIT_NOTE, due_date_sql, sql_date
from xlfin.ledger.store import Store

__all__ = ["dashboard_from_ledger", "receivables_sql", "monthly_sql"]

MONTHS = 24


def receivables_sql(settings: Settings, on: dt.date) -> str:
    """One row: total receivables, the part not yet due (due date on or after `on`) and the customers with an item
    open, on date `on` (xlfin.engine.collection.receivables_at over the posted allocations)."""
    d = sql_date(on)
    return f"""
WITH alloc AS (
  SELECT al.payment_id, al.invoice_no, al.amount
  FROM ledger_allocations al
  LEFT JOIN payments p ON p.payment_id = al.payment_id
  LEFT JOIN invoices cn ON cn.invoice_no = al.payment_id AND cn.doc_type = '{CREDIT_NOTE}'
  WHERE COALESCE(p.payment_date, cn.invoice_date) IS NULL OR COALESCE(p.payment_date, cn.invoice_date) <= {d}
),
docs AS (
  SELECT i.invoice_no, i.customer_id, i.amount, COALESCE(i.doc_type = '{CREDIT_NOTE}', FALSE) AS is_cn,
         {due_date_sql(settings)} AS due_date
  FROM invoices i LEFT JOIN customers c ON c.customer_id = i.customer_id
  WHERE i.invoice_date <= {d}
),
applied AS (
  SELECT invoice_no AS doc, amount FROM alloc
  UNION ALL
  SELECT a.payment_id AS doc, a.amount FROM alloc a JOIN docs ON docs.invoice_no = a.payment_id AND docs.is_cn
),
paid AS (SELECT doc, CAST(SUM(amount) AS BIGINT) AS paid FROM applied GROUP BY doc),
items AS (
  SELECT d.customer_id, d.due_date,
         CASE WHEN d.is_cn THEN -(d.amount - COALESCE(p.paid, 0)) ELSE d.amount - COALESCE(p.paid, 0) END AS outstanding
  FROM docs d LEFT JOIN paid p ON p.doc = d.invoice_no
)
SELECT CAST(COALESCE(SUM(outstanding), 0) AS BIGINT),
       CAST(COALESCE(SUM(CASE WHEN due_date >= {d} THEN outstanding ELSE 0 END), 0) AS BIGINT),
       COUNT(DISTINCT CASE WHEN outstanding <> 0 THEN customer_id END)
FROM items"""


def credit_sales_sql(start: dt.date, end: dt.date) -> str:
    """Invoices less credit notes dated in [start, end] (xlfin.engine.collection.credit_sales)."""
    return f"""
SELECT CAST(COALESCE(SUM(CASE WHEN COALESCE(doc_type = '{CREDIT_NOTE}', FALSE) THEN -amount ELSE amount END), 0)
            AS BIGINT)
FROM invoices WHERE invoice_date >= {sql_date(start)} AND invoice_date <= {sql_date(end)}"""


def monthly_sql(as_of: dt.date, months: int = MONTHS) -> str:
    """Per calendar month of the chart's window: invoiced (net of credit notes) and collected (every payment,
    applied or not), as (source, month number year × 12 + month − 1, cents)."""
    first = sql_date(_first_month(as_of, months))
    a = sql_date(as_of)
    month = "CAST(EXTRACT(YEAR FROM {0}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {0}) AS INTEGER) - 1"
    return f"""
SELECT 'i' AS source, {month.format('invoice_date')} AS m,
       CAST(SUM(CASE WHEN COALESCE(doc_type = '{CREDIT_NOTE}', FALSE) THEN -amount ELSE amount END) AS BIGINT) AS cents
FROM invoices WHERE invoice_date >= {first} AND invoice_date <= {a} GROUP BY 2
UNION ALL
SELECT 'p', {month.format('payment_date')}, CAST(SUM(amount) AS BIGINT)
FROM payments WHERE payment_date >= {first} AND payment_date <= {a} GROUP BY 2"""


def _first_month(as_of: dt.date, months: int) -> dt.date:
    n = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return dt.date(n // 12, n % 12 + 1, 1)


def _scalars(store: Store, sql: str) -> tuple[int, ...]:
    return tuple(int(v) for v in store.rows(sql)[0])


def monthly_from_ledger(store: Store, as_of: dt.date, months: int = MONTHS) -> pd.DataFrame:
    rows = store.rows(monthly_sql(as_of, months))
    series = {}
    for source in ("i", "p"):
        mine = [(int(m), int(c)) for s, m, c in rows if s == source]
        index = pd.PeriodIndex([pd.Period(year=m // 12, month=m % 12 + 1, freq="M") for m, _ in mine], freq="M")
        series[source] = pd.Series([c for _, c in mine], index=index, dtype="int64")
    return monthly_series(series["i"], series["p"], as_of, months)


def dashboard_from_ledger(store: Store, settings: Settings, as_of: dt.date, *, aging_summary: pd.DataFrame,
                          scorecard: pd.DataFrame, unapplied_total: int, bucket_labels: list[str],
                          cash_forecast: pd.DataFrame | None) -> DashboardData:
    """DashboardData equal to xlfin.engine.dashboard.build_dashboard on the workbook-only run of the same data.

    `aging_summary` and `scorecard`: the engine-shaped frames, one row per customer (the Aging sheet's summary with
    its bucket-label columns, name and overdue; the Scorecard with over_limit, abc_class, revenue_12m)."""
    start = as_of - dt.timedelta(days=364)  # 365 days including as_of, as the engine
    total_ar, end_current, with_open = _scalars(store, receivables_sql(settings, as_of))
    (sales,) = _scalars(store, credit_sales_sql(start, as_of))
    cei = None
    if sales:
        begin, _current, _customers = _scalars(store, receivables_sql(settings, start - dt.timedelta(days=1)))
        cei = float(collection.cei(begin, sales, total_ar, end_current))
    return dashboard_data(as_of=as_of, total_ar=total_ar, credit_sales=sales, cei=cei, customers_with_open=with_open,
                          unapplied_total=int(unapplied_total), aging_summary=aging_summary,
                          bucket_labels=bucket_labels, scorecard=scorecard,
                          monthly=monthly_from_ledger(store, as_of), cash_forecast=cash_forecast)
