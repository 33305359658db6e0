"""Open items, ageing and per-customer figures computed in SQL where the ledger lives (DuckDB or PostgreSQL).

These follow the engine's definitions exactly (xlfin.engine.openitems / aging), so that a ledger too large for a
workbook can still be aged and ranked without moving its rows: only one row per customer comes back.

- Open item: a document dated on or before as_of; outstanding = amount − cash posted to it by payments dated on or
  before as_of (invoices), or −(amount − credit applied from it) (credit notes); only items with outstanding ≠ 0.
- Due date: the invoice's, else invoice date + the customer's terms, else + Config default_terms_days.
- Age: as_of − due date (basis `due`; the invoice date when there is no due date) or − invoice date (basis
  `invoice`); bucket 0 = Current (age ≤ 0), then (0, e1], (e1, e2], ..., beyond the last edge.
- Days overdue: as_of − due date, at least 0.
Allocations are those posted by `xlfin ledger reconcile` (table ledger_allocations).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from xlfin.schema.settings import Settings

from xlfin.ledger.store import Store

CREDIT_NOTE = "Credit Note"


def sql_date(d: dt.date) -> str:
    return f"DATE '{d.isoformat()}'"


def due_date_sql(settings: Settings, invoice: str = "i", customer: str = "c") -> str:
    """The due date of invoice row `invoice` joined to its customer row `customer`: its own, else invoice date +
    the customer's terms, else + Config default_terms_days (schema.frames.apply_defaults)."""
    terms = int(settings.default_terms_days)
    return (f"COALESCE({invoice}.due_date, {invoice}.invoice_date + "
            f"CAST(COALESCE({customer}.payment_terms_days, {terms}) AS INTEGER))")


def open_items_sql(settings: Settings, as_of: dt.date) -> str:
    """One row per open document: invoice_no, customer_id, due_date, days_overdue, bucket (0..n+1), outstanding;
    disputed, on_hold, invoice_date, is_cn, currency (what the dunning run reads of an item besides).

    Sums are cast to BIGINT before COALESCE meets them: DuckDB 2.0.1 was seen comparing COALESCE over a HUGEINT SUM
    wrongly (tests/hostile/test_ledger_verbs.py), and cents fit in 64 bits."""
    a = sql_date(as_of)
    edges = tuple(int(e) for e in settings.aging_edges)
    basis = "COALESCE(due_date, invoice_date)" if settings.aging_basis == "due" else "invoice_date"
    cases = " ".join(f"WHEN age <= {e} THEN {i + 1}" for i, e in enumerate(edges))
    return f"""
WITH docs AS (
  SELECT i.invoice_no, i.customer_id, i.invoice_date, i.amount, i.currency,
         COALESCE(i.doc_type = '{CREDIT_NOTE}', FALSE) AS is_cn,
         COALESCE(i.disputed, FALSE) AS disputed, COALESCE(c.dunning_hold, FALSE) AS on_hold,
         {due_date_sql(settings)} AS due_date
  FROM invoices i LEFT JOIN customers c ON c.customer_id = i.customer_id
  WHERE i.invoice_date <= {a}
),
cash AS (
  SELECT al.invoice_no AS doc, CAST(SUM(al.amount) AS BIGINT) AS applied
  FROM ledger_allocations al JOIN payments p ON p.payment_id = al.payment_id
  WHERE p.payment_date <= {a} AND al.rule <> 'credit_note'
  GROUP BY al.invoice_no
),
credit AS (
  SELECT al.payment_id AS doc, CAST(SUM(al.amount) AS BIGINT) AS applied
  FROM ledger_allocations al WHERE al.rule = 'credit_note' GROUP BY al.payment_id
),
credited AS (
  SELECT al.invoice_no AS doc, CAST(SUM(al.amount) AS BIGINT) AS applied
  FROM ledger_allocations al WHERE al.rule = 'credit_note' GROUP BY al.invoice_no
),
items AS (
  SELECT d.invoice_no, d.customer_id, d.due_date, d.invoice_date, d.disputed, d.on_hold, d.is_cn, d.currency,
         CASE WHEN d.is_cn THEN -(d.amount - COALESCE(cr.applied, 0))
              ELSE d.amount - COALESCE(ca.applied, 0) - COALESCE(cd.applied, 0) END AS outstanding
  FROM docs d
  LEFT JOIN cash ca ON ca.doc = d.invoice_no AND NOT d.is_cn
  LEFT JOIN credited cd ON cd.doc = d.invoice_no AND NOT d.is_cn
  LEFT JOIN credit cr ON cr.doc = d.invoice_no AND d.is_cn
),
aged AS (
  SELECT invoice_no, customer_id, due_date, outstanding, disputed, on_hold, invoice_date, is_cn, currency,
         GREATEST({a} - due_date, 0) AS days_overdue,
         {a} - {basis} AS age
  FROM items WHERE outstanding <> 0
)
SELECT invoice_no, customer_id, due_date, days_overdue, outstanding, disputed, on_hold, invoice_date, is_cn, currency,
       CASE WHEN age IS NULL THEN NULL WHEN age <= 0 THEN 0 {cases} ELSE {len(edges) + 1} END AS bucket
FROM aged"""


def _items(settings: Settings, as_of: dt.date, items: str | None) -> str:
    """The open items relation: a materialised table (see `Figures`) or the open-items query inline."""
    return items or f"({open_items_sql(settings, as_of)}) o"


def aging_summary_sql(settings: Settings, as_of: dt.date, items: str | None = None) -> str:
    """Per customer: one column per bucket (b0 = Current ...), total, overdue, open items, max days overdue."""
    n = len(settings.aging_edges) + 2
    buckets = ", ".join(f"SUM(CASE WHEN bucket = {i} THEN outstanding ELSE 0 END) AS b{i}" for i in range(n))
    overdue = " + ".join(f"SUM(CASE WHEN bucket = {i} THEN outstanding ELSE 0 END)" for i in range(1, n))
    return f"""
SELECT customer_id, {buckets}, SUM(outstanding) AS total, {overdue} AS overdue, COUNT(*) AS open_items,
       MAX(days_overdue) AS max_days_overdue
FROM {_items(settings, as_of, items)}
GROUP BY customer_id
ORDER BY customer_id"""


def dunning_candidates_sql(settings: Settings, as_of: dt.date, items: str | None = None) -> str:
    """Customers a dunning run must look at: overdue undisputed invoices worth at least dunning_min_amount, not on
    hold. The engine then decides level, interest, fees, plans and unapplied cash on just these customers' rows."""
    return f"""
SELECT customer_id, SUM(outstanding) AS overdue_amount, MAX(days_overdue) AS max_days_overdue,
       COUNT(*) AS invoices
FROM {_items(settings, as_of, items)}
WHERE days_overdue > 0 AND outstanding > 0 AND NOT disputed AND NOT on_hold
GROUP BY customer_id
HAVING SUM(outstanding) >= {settings.dunning_min_amount_cents}
ORDER BY customer_id"""


def customer_figures_sql(settings: Settings, as_of: dt.date, items: str | None = None) -> str:
    """The Scorecard's receivables figures per customer (xlfin.engine.scorecard): revenue_12m (invoices − credit
    notes dated in (as_of − 365, as_of]), outstanding, overdue (items past due), dso = outstanding ÷ revenue_12m ×
    365 and add = overdue ÷ revenue_12m × 365 (blank when revenue_12m ≤ 0). Every customer gets a row."""
    a = sql_date(as_of)
    return f"""
WITH rev AS (
  SELECT customer_id,
         SUM(CASE WHEN COALESCE(doc_type = '{CREDIT_NOTE}', FALSE) THEN -amount ELSE amount END) AS revenue_12m
  FROM invoices WHERE invoice_date > {a} - 365 AND invoice_date <= {a} GROUP BY customer_id
),
recv AS (
  SELECT customer_id, SUM(outstanding) AS outstanding,
         SUM(CASE WHEN days_overdue > 0 THEN outstanding ELSE 0 END) AS overdue
  FROM {_items(settings, as_of, items)} GROUP BY customer_id
)
SELECT c.customer_id, COALESCE(r.revenue_12m, 0) AS revenue_12m, COALESCE(o.outstanding, 0) AS outstanding,
       COALESCE(o.overdue, 0) AS overdue,
       CASE WHEN r.revenue_12m > 0 THEN COALESCE(o.outstanding, 0) * 365.0 / r.revenue_12m END AS dso,
       CASE WHEN r.revenue_12m > 0 THEN COALESCE(o.overdue, 0) * 365.0 / r.revenue_12m END AS add
FROM customers c LEFT JOIN rev r ON r.customer_id = c.customer_id LEFT JOIN recv o ON o.customer_id = c.customer_id
ORDER BY c.customer_id"""


def customer_figures(store: Store, settings: Settings, as_of: dt.date, items: str | None = None) -> pd.DataFrame:
    return store.frame(customer_figures_sql(settings, as_of, items))


def aging_summary(store: Store, settings: Settings, as_of: dt.date, items: str | None = None) -> pd.DataFrame:
    return store.frame(aging_summary_sql(settings, as_of, items))


def open_items(store: Store, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    sql = open_items_sql(settings, as_of)
    return store.frame(f"SELECT invoice_no, customer_id, due_date, days_overdue, outstanding, bucket FROM ({sql}) o "
                       "ORDER BY customer_id, due_date, invoice_no")


def dunning_candidates(store: Store, settings: Settings, as_of: dt.date, items: str | None = None) -> pd.DataFrame:
    return store.frame(dunning_candidates_sql(settings, as_of, items))


class Figures:
    """The open items computed ONCE into a temporary table, then ageing, scorecard figures and dunning candidates
    from it: the expensive part (joining documents with posted cash) is not repeated per report."""

    TABLE = "xlfin_open_items"

    def __init__(self, store: Store, settings: Settings, as_of: dt.date):
        self.store, self.settings, self.as_of = store, settings, as_of
        store.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        store.execute(f"CREATE TEMP TABLE {self.TABLE} AS {open_items_sql(settings, as_of)}")

    def aging_summary(self) -> pd.DataFrame:
        return aging_summary(self.store, self.settings, self.as_of, self.TABLE)

    def customer_figures(self) -> pd.DataFrame:
        return customer_figures(self.store, self.settings, self.as_of, self.TABLE)

    def dunning_candidates(self) -> pd.DataFrame:
        return dunning_candidates(self.store, self.settings, self.as_of, self.TABLE)
