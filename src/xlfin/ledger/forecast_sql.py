"""The Forecast sheet from the posted ledger, its inputs computed in SQL and its open invoices taken in chunks.

Equal to xlfin.engine.forecast_report.compute_forecast(open_items, invoices, as_of) of the workbook-only run:

- **Invoice states in SQL**: per invoice dated on or before as_of, outstanding net of cash dated on or before as_of
  (a credit note's allocation is dated by the credit note) and the settled date (the last payment's date, when the
  invoice is paid in full and every allocation's date is known) — xlfin.engine.openitems on the posted allocations.
  Materialised once in a temporary table.
- **Payment history**: the rows of xlfin.engine.forecast_paydates.settled_history (days late, age, disputed,
  censored) are computed in SQL and fetched as integers with a customer code (one text per customer, not per
  row), in the book's row order, then the engine's fit_pay_model learns the model. Not compressed further on
  purpose: the model's weighted medians add float weights in row order and a tie at exactly half the weight is
  decided by those sums, so a histogram would be exact in arithmetic but could pick the neighbouring value where
  the floats round differently.
- **Open invoices in customer chunks** (`chunk_rows` invoices at most, a customer never split): each chunk's pay
  dates are predicted by the engine (predict_pay_dates) and its cash-forecast sums (engine forecast_cash.cash_parts)
  are added up; tblPayDates is the chunks' rows in the engine's order. One chunk gives bit-for-bit the engine's
  floats; several chunks add the week sums in another order (differences in the last bits before the cents are
  rounded).
- **Demand**: net invoiced amount per customer and calendar month in SQL; one row per (customer, month) is all the
  engine's demand_forecast reads (it sums per customer and month itself, exactly, in whole cents).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from xlfin.engine.forecast_cash import CashParts, cash_from_parts, cash_parts, empty_cash
from xlfin.engine.forecast_demand import demand_forecast
from xlfin.engine.forecast_paydates import empty_pay_dates, fit_pay_model, open_invoices, predict_pay_dates
from xlfin.engine.forecast_report import ForecastResult
from xlfin.schema.settings import Settings

from xlfin.ledger.pushdown import CREDIT_NOTE, due_date_sql, sql_date
from xlfin.ledger.store import Store

__all__ = ["CHUNK_ROWS", "forecast_from_ledger", "invoice_states_sql", "history_sql", "demand_sql"]

CHUNK_ROWS = 500_000
STATES = "xlfin_fc_invoices"
CODES = "xlfin_fc_customers"
_PAY_DATE_ORDER = ["predicted_pay_date", "customer_id", "invoice_no"]  # tblPayDates' order (engine)


def customer_codes_sql(as_of: dt.date) -> str:
    """One integer per customer with an invoice dated on or before as_of (rows carry the code, not the text)."""
    return f"""
SELECT customer_id, ROW_NUMBER() OVER (ORDER BY customer_id) - 1 AS code
FROM (SELECT DISTINCT customer_id FROM invoices WHERE invoice_date <= {sql_date(as_of)}) d"""


def paid_sql(as_of: dt.date) -> str:
    """Two CTEs, `alloc` and `paid`: per invoice number the cash counted on as_of (openitems.open_items: allocations
    dated on or before as_of, or of unknown date), the last date among them and how many have no date. An
    allocation is dated by its payment, else (invoice_payment_dates) by the credit note it comes from, when that
    credit note is dated on or before as_of (a later one is not in the run's invoices: its date is unknown)."""
    a = sql_date(as_of)
    return f"""alloc AS (
  SELECT al.invoice_no, al.amount, COALESCE(p.payment_date, cn.invoice_date) AS paid_on
  FROM ledger_allocations al
  LEFT JOIN payments p ON p.payment_id = al.payment_id
  LEFT JOIN invoices cn ON cn.invoice_no = al.payment_id AND cn.doc_type = '{CREDIT_NOTE}' AND cn.invoice_date <= {a}
),
paid AS (
  -- BIGINT, not DuckDB's HUGEINT of SUM: DuckDB 2.0.1 evaluated COALESCE(p.paid, 0) > 0 as false on some ledgers
  -- (a hostile book on DuckDB lost every settled date; PostgreSQL was right): tests/hostile/test_ledger_verbs.py
  SELECT invoice_no, CAST(SUM(amount) AS BIGINT) AS paid, MAX(paid_on) AS last_paid,
         CAST(COUNT(*) - COUNT(paid_on) AS BIGINT) AS unknown
  FROM alloc WHERE paid_on IS NULL OR paid_on <= {a} GROUP BY invoice_no
)"""


def invoice_states_sql(settings: Settings, as_of: dt.date) -> str:
    """Per invoice (not credit note) dated on or before as_of: row order, code, due date, amount, disputed,
    outstanding and settled date on as_of (xlfin.engine.openitems)."""
    a = sql_date(as_of)
    return f"""
WITH {paid_sql(as_of)}
SELECT ROW_NUMBER() OVER (ORDER BY i._seq, i.invoice_no) AS rn, i.invoice_no, k.code,
       {due_date_sql(settings)} AS due_date, i.amount, COALESCE(i.disputed, FALSE) AS disputed,
       i.amount - COALESCE(p.paid, 0) AS outstanding,
       CASE WHEN i.amount - COALESCE(p.paid, 0) = 0 AND COALESCE(p.paid, 0) > 0 AND COALESCE(p.unknown, 0) = 0
            THEN p.last_paid END AS settled_date
FROM invoices i
JOIN {CODES} k ON k.customer_id = i.customer_id
LEFT JOIN customers c ON c.customer_id = i.customer_id
LEFT JOIN paid p ON p.invoice_no = i.invoice_no
WHERE i.invoice_date <= {a} AND NOT COALESCE(i.doc_type = '{CREDIT_NOTE}', FALSE)"""


def history_sql(as_of: dt.date) -> str:
    """settled_history's rows: settled invoices (days late = settled − due, age = as_of − settled) and invoices
    unpaid and past due on as_of (censored: days late at least as_of − due, age as_of − due), in row order."""
    a = sql_date(as_of)
    return f"""
SELECT code,
       CASE WHEN settled_date IS NOT NULL THEN settled_date - due_date ELSE {a} - due_date END AS days_late,
       disputed,
       CASE WHEN settled_date IS NOT NULL THEN {a} - settled_date ELSE {a} - due_date END AS age,
       settled_date IS NULL AS censored
FROM {STATES}
WHERE amount > 0 AND due_date IS NOT NULL
  AND (settled_date IS NOT NULL OR (outstanding > 0 AND due_date < {a}))
ORDER BY rn"""


def demand_sql(as_of: dt.date) -> str:
    """Net invoiced cents per customer and calendar month, documents dated on or before as_of."""
    return f"""
SELECT customer_id, CAST(EXTRACT(YEAR FROM invoice_date) AS INTEGER) AS y,
       CAST(EXTRACT(MONTH FROM invoice_date) AS INTEGER) AS m,
       CAST(SUM(CASE WHEN COALESCE(doc_type = '{CREDIT_NOTE}', FALSE) THEN -amount ELSE amount END) AS BIGINT) AS cents
FROM invoices WHERE invoice_date <= {sql_date(as_of)}
GROUP BY customer_id, CAST(EXTRACT(YEAR FROM invoice_date) AS INTEGER), CAST(EXTRACT(MONTH FROM invoice_date) AS INTEGER)
ORDER BY 1, 2, 3"""


def _materialise(store: Store, settings: Settings, as_of: dt.date) -> np.ndarray:
    """The customer codes and invoice states as temporary tables; returns the customer ids by code."""
    for table, sql in ((CODES, customer_codes_sql(as_of)), (STATES, invoice_states_sql(settings, as_of))):
        store.execute(f"DROP TABLE IF EXISTS {table}")
        store.execute(f"CREATE TEMP TABLE {table} AS {sql}")
    if store.kind == "postgresql":  # chunks read by customer code
        store.execute(f"CREATE INDEX ON {STATES} (code)")
        store.execute(f"ANALYZE {STATES}")
    codes = store.rows(f"SELECT code, customer_id FROM {CODES} ORDER BY code")
    names = np.empty(len(codes), dtype=object)
    for code, customer in codes:
        names[int(code)] = customer
    return names


def _history(store: Store, as_of: dt.date, names: np.ndarray) -> pd.DataFrame:
    h = store.frame(history_sql(as_of))
    return pd.DataFrame({
        "customer_id": names[h["code"].to_numpy(dtype=np.int64)],
        "days_late": h["days_late"].to_numpy(dtype=np.float64),
        "disputed": h["disputed"].to_numpy(dtype=bool),
        "age": h["age"].to_numpy(dtype=np.float64),
        "censored": h["censored"].to_numpy(dtype=bool),
    })


def _chunks(store: Store, chunk_rows: int) -> list[tuple[int, int]]:
    """Customer code ranges [lo, hi] holding at most chunk_rows open invoices (a customer is never split)."""
    counts = store.rows(f"SELECT code, COUNT(*) FROM {STATES} WHERE outstanding > 0 AND due_date IS NOT NULL "
                        "GROUP BY code ORDER BY code")
    out: list[tuple[int, int]] = []
    rows = 0
    for code, n in counts:
        if out and rows + int(n) <= chunk_rows:
            out[-1] = (out[-1][0], int(code))
            rows += int(n)
        else:
            out.append((int(code), int(code)))
            rows = int(n)
    return out


def _open_chunk(store: Store, names: np.ndarray, lo: int, hi: int) -> pd.DataFrame:
    # dates as day numbers: any date a cell holds (to 9999-12-31) without the nanosecond range of pandas' default
    o = store.frame(f"SELECT invoice_no, code, due_date - DATE '1970-01-01' AS due_day, outstanding, disputed "
                    f"FROM {STATES} "
                    f"WHERE code BETWEEN {lo} AND {hi} AND outstanding > 0 AND due_date IS NOT NULL ORDER BY rn")
    return pd.DataFrame({
        "invoice_no": o["invoice_no"].to_numpy(dtype=object),
        "customer_id": names[o["code"].to_numpy(dtype=np.int64)],
        "due_date": o["due_day"].to_numpy(dtype=np.int64).astype("datetime64[D]").astype("datetime64[s]"),
        "outstanding": o["outstanding"].to_numpy(dtype=np.int64),
        "disputed": o["disputed"].to_numpy(dtype=bool),
    })


def _demand(store: Store, as_of: dt.date) -> pd.DataFrame:
    """The engine's demand forecast from monthly sums: one invoice per customer and month, dated the 1st."""
    d = store.frame(demand_sql(as_of))
    months = (d["y"].to_numpy(dtype=np.int64) - 1970) * 12 + d["m"].to_numpy(dtype=np.int64) - 1
    invoices = pd.DataFrame({
        "customer_id": d["customer_id"].to_numpy(dtype=object),
        "invoice_date": months.astype("datetime64[M]").astype("datetime64[s]"),
        "amount": d["cents"].to_numpy(dtype=np.int64),
    })
    return demand_forecast(invoices, as_of)


def forecast_from_ledger(store: Store, settings: Settings, as_of: dt.date, *,
                         chunk_rows: int = CHUNK_ROWS) -> ForecastResult:
    """ForecastResult equal to the engine's compute_forecast on the workbook-only run of the same data; memory holds
    the payment history as numbers, one chunk of open invoices, and tblPayDates (one row per open invoice: the sheet,
    or report_pay_dates beyond it)."""
    names = _materialise(store, settings, as_of)
    try:
        model = fit_pay_model(_history(store, as_of, names))
        pay_parts: list[pd.DataFrame] = []
        parts: CashParts | None = None
        for lo, hi in _chunks(store, chunk_rows):
            items = open_invoices(_open_chunk(store, names, lo, hi))
            pay_parts.append(predict_pay_dates(items, as_of, model=model))
            mine = cash_parts(items, as_of, model)
            parts = mine if parts is None else parts.add(mine)
    finally:
        for table in (STATES, CODES):
            store.execute(f"DROP TABLE IF EXISTS {table}")
    if parts is None:
        pay_dates, cash = empty_pay_dates(), empty_cash(as_of)
    else:
        pay_dates = pay_parts[0] if len(pay_parts) == 1 else pd.concat(pay_parts, ignore_index=True).sort_values(
            _PAY_DATE_ORDER, kind="mergesort").reset_index(drop=True)
        cash = cash_from_parts(parts, pay_dates, as_of)
    return ForecastResult(pay_dates=pay_dates, cash=cash, demand=_demand(store, as_of), model=model)
