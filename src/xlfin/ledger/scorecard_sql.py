"""The Scorecard from the posted ledger: per-customer figures in SQL, the scoring in Python (issue #16).

`xlfin.engine.scorecard.build_scorecard` is `score_customers` (b) of `customer_figures` (a). Here (a) is one SQL
query over the posted ledger that returns one row per customer, and (b) is the engine's own `score_customers`:

- revenue_12m and the margin's sums (invoices − credit notes dated in (as_of − 365, as_of]; revenue and cost over
  the documents with a cost): integer sums; the margin by the engine's `gross_margin_of_sums`;
- outstanding, overdue and the most days overdue of an owing item: from the open items table `pushdown.Figures`
  (the Aging stage's) — integer sums;
- the payment index now and six months earlier (`engine.payment_index`): per invoice the settled date on as_of
  (forecast_sql.paid_sql: the last payment's date when paid in full and every allocation's date is known), its
  experiences and their windows as `payment_experiences` / `customer_payment_index` define them, summed per
  customer **exactly**: the index of a whole number of days times SCALE (420) is a whole number (every slope of the
  index curve is a multiple of 1/420), so Σ amount and Σ amount × SCALE × index are integer sums in SQL
  (DECIMAL(38,0): no overflow), and the index is the correctly rounded quotient.

The engine adds the same experiences as floats (pandas sums per customer), so its index can differ from the exact
one in the last bits. Where that cannot change the sheet — the shown index, the credit score, the grade and the
risk flags are equal for every value within the float error bound of the exact index (all of them are monotone in
the index) — the exact value is used. Where it could (an index, a score or a fall of the index that sits on a
rounding or flag boundary to within ~1e-13), the customer is *fragile*: its invoices' states are fetched and the
engine's own `customer_figures` computes the index from the same rows in the same order, as the workbook run does.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine import payment_index as pix
from xlfin.engine.profitability import gross_margin_of_sums
from xlfin.engine.scorecard import INDEX_LOOKBACK_MONTHS, customer_figures, score_customers
from xlfin.schema.settings import Settings

from xlfin.ledger.forecast_sql import paid_sql
from xlfin.ledger.pushdown import CREDIT_NOTE, due_date_sql, open_items_sql, sql_date
from xlfin.ledger.store import Store

__all__ = ["SCALE", "fragile_customers", "newest_financials_sql", "scaled_index", "scaled_index_sql",
           "scorecard_figures_sql", "scorecard_from_ledger"]

_FINANCIALS = ("current_assets", "current_liabilities", "inventory", "cash", "total_assets", "total_liabilities",
               "equity", "retained_earnings", "revenue", "ebit", "interest_expense", "net_income",
               "operating_cash_flow", "market_value_equity")
# The columns `score_customers` reads of a customer, and the ones a payment index can change.
_CUSTOMER_COLUMNS = ("customer_id", "name", "credit_limit", "status")
_INDEX_DEPENDENT = ("payment_index", "credit_score", "grade", "suggested_limit", "risk_flags")
# Float error of the engine's index against the exact one, relative, per experience summed: a product and a sum
# step each (≤ 2^-53 apiece), the index curve's own arithmetic (≤ ~24 × 2^-53 where the tail cancels), the
# division. Eight times that, plus a constant, is the margin within which the sheet must not change.
_MARGIN_PER_TERM = 2.0 ** -50
_MARGIN_TERMS = 64


# ------------------------------------------------------------------------------------------------ the index exactly


def _curve() -> list[tuple[int, Fraction, Fraction]]:
    """The index curve as (start day, index there, points per day) pieces: the knots, then the tail."""
    days = [int(d) for d in pix.INDEX_KNOTS_DAYS]
    values = [Fraction(int(v)) for v in pix.INDEX_KNOTS_VALUE]
    pieces = [(days[i], values[i], (values[i + 1] - values[i]) / (days[i + 1] - days[i]))
              for i in range(len(days) - 1)]
    return pieces + [(days[-1], values[-1], Fraction(-1, pix.INDEX_BEYOND_DAYS_PER_POINT))]


def _scale() -> int:
    """The least whole number that makes every index of a whole number of days whole (420)."""
    return math.lcm(*(f.denominator for _, v, s in _curve() for f in (v, s)))


SCALE = _scale()


def scaled_index(days: int) -> int:
    """SCALE × the payment index of `days` beyond terms, exactly (engine.payment_index.index_from_days)."""
    pieces = _curve()
    if days <= pieces[0][0]:
        return int(pieces[0][1] * SCALE)
    start, value, slope = next(p for p in reversed(pieces) if days > p[0])
    exact = (value + slope * (days - start)) * SCALE
    floor = pix.INDEX_FLOOR * SCALE if start == pieces[-1][0] else exact
    return int(max(exact, floor))


def scaled_index_sql(days: str) -> str:
    """`scaled_index` of the integer SQL expression `days`, in integer arithmetic."""
    pieces = _curve()
    cases = [f"WHEN {days} <= {pieces[0][0]} THEN {int(pieces[0][1] * SCALE)}"]
    for (start, value, slope), (end, _, _) in zip(pieces, pieces[1:]):
        cases.append(f"WHEN {days} <= {end} THEN {int(value * SCALE)} + {int(slope * SCALE)} * ({days} - {start})")
    start, value, slope = pieces[-1]
    tail = f"{int(value * SCALE)} + {int(slope * SCALE)} * ({days} - {start})"
    return f"CASE {' '.join(cases)} ELSE GREATEST({tail}, {pix.INDEX_FLOOR * SCALE}) END"


# ------------------------------------------------------------------------------------------------ SQL


def _months_before(day: dt.date, months: int) -> dt.date:
    """The engine's calendar arithmetic (pd.DateOffset), so the windows start on the same day."""
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def _invoice_states_sql(settings: Settings, as_of: dt.date, where: str = "") -> str:
    """Per invoice (not credit note, amount > 0) of a known customer dated on or before as_of: the open items'
    columns `payment_experiences` reads (outstanding and settled date on as_of)."""
    a = sql_date(as_of)
    return f"""
SELECT i.customer_id, i.invoice_no, i.invoice_date, {due_date_sql(settings)} AS due_date, i.amount,
       i.amount - COALESCE(p.paid, 0) AS outstanding,
       CASE WHEN i.amount - COALESCE(p.paid, 0) = 0 AND COALESCE(p.paid, 0) > 0 AND COALESCE(p.unknown, 0) = 0
            THEN p.last_paid END AS settled_date
FROM invoices i JOIN customers c ON c.customer_id = i.customer_id
LEFT JOIN paid p ON p.invoice_no = i.invoice_no
WHERE i.invoice_date <= {a} AND NOT COALESCE(i.doc_type = '{CREDIT_NOTE}', FALSE) AND i.amount > 0 {where}"""


def _experiences_sql(on: dt.date, first: dt.date, at: str) -> str:
    """The weight and days beyond terms of each invoice's payment experience on day `on` (payment_experiences),
    NULL outside the window (first, on] (customer_payment_index). `at` names the columns (now / then)."""
    d = sql_date(on)
    settled_by = f"settled_date <= {d}"
    open_then = f"(settled_date > {d} OR outstanding > 0) AND due_date < {d}"
    weight = (f"CASE WHEN due_date IS NULL OR invoice_date > {d} THEN NULL WHEN {settled_by} THEN amount "
              f"WHEN settled_date > {d} AND due_date < {d} THEN amount "
              f"WHEN outstanding > 0 AND due_date < {d} THEN outstanding END")
    days = (f"CASE WHEN {settled_by} THEN settled_date - due_date WHEN {open_then} THEN {d} - due_date END")
    dated = f"CASE WHEN {settled_by} THEN settled_date ELSE {d} END"
    inside = f"{dated} > {sql_date(first)}"
    return f"CASE WHEN {inside} THEN {weight} END AS w_{at}, CASE WHEN {inside} THEN {days} END AS d_{at}"


_SUMS = ("r.revenue_12m", "r.revenue_costed", "r.cost_12m", "r.n_costed", "o.outstanding", "o.overdue",
         "o.max_days_overdue", "x.n_now", "x.n_then")


def scorecard_figures_sql(settings: Settings, as_of: dt.date, items: str | None = None, kind: str = "duckdb") -> str:
    """One row per customer, in the customers' order: the customer's own columns, then the integer
    sums of part (a) (revenue, margin sums, receivables, and per payment index — now, then — Σ weight,
    Σ weight × scaled index and the number of experiences)."""
    a = sql_date(as_of)
    window = int(settings.payment_window_months)
    prior = _months_before(as_of, INDEX_LOOKBACK_MONTHS)
    items = items or f"({open_items_sql(settings, as_of)}) o"
    sign = f"CASE WHEN COALESCE(doc_type = '{CREDIT_NOTE}', FALSE) THEN -1 ELSE 1 END"
    # Σ weight × scaled index may pass 64 bits: summed in 128-bit integers (DuckDB) or numeric (PostgreSQL), and
    # handed over as text (a frame would make floats of it). Every other sum is cast to BIGINT before COALESCE:
    # DuckDB 2.0.1 mis-evaluated COALESCE over a HUGEINT SUM on some ledgers (forecast_sql.paid_sql)
    exact, collate = ("HUGEINT", "") if kind == "duckdb" else ("NUMERIC", ' COLLATE "C"')
    sums = ", ".join(
        f"CAST(SUM(w_{at}) AS BIGINT) AS w_{at}, "
        f"CAST(SUM(CAST(w_{at} AS {exact}) * ({scaled_index_sql(f'd_{at}')})) AS TEXT) AS a_{at}, "
        f"COUNT(w_{at}) AS n_{at}" for at in ("now", "then"))
    return f"""
WITH {paid_sql(as_of)},
states AS ({_invoice_states_sql(settings, as_of)}),
experiences AS (
  SELECT customer_id, {_experiences_sql(as_of, _months_before(as_of, window), "now")},
         {_experiences_sql(prior, _months_before(prior, window), "then")}
  FROM states
),
pix AS (SELECT customer_id, {sums} FROM experiences GROUP BY customer_id),
rev AS (
  SELECT customer_id, CAST(SUM({sign} * amount) AS BIGINT) AS revenue_12m,
         CAST(SUM(CASE WHEN cost IS NOT NULL THEN {sign} * amount ELSE 0 END) AS BIGINT) AS revenue_costed,
         CAST(SUM(CASE WHEN cost IS NOT NULL THEN {sign} * cost ELSE 0 END) AS BIGINT) AS cost_12m,
         COUNT(cost) AS n_costed
  FROM invoices WHERE invoice_date > {a} - 365 AND invoice_date <= {a} GROUP BY customer_id
),
recv AS (
  SELECT customer_id, CAST(SUM(outstanding) AS BIGINT) AS outstanding,
         CAST(SUM(CASE WHEN days_overdue > 0 THEN outstanding ELSE 0 END) AS BIGINT) AS overdue,
         MAX(CASE WHEN outstanding > 0 THEN days_overdue ELSE 0 END) AS max_days_overdue
  FROM {items} GROUP BY customer_id
)
SELECT c.customer_id, c.name, c.credit_limit, c.status,
       {", ".join(f"CAST(COALESCE({c}, 0) AS BIGINT) AS {c.split('.')[1]}" for c in _SUMS)},
       COALESCE(x.w_now, 0) AS w_now, x.a_now, COALESCE(x.w_then, 0) AS w_then, x.a_then
FROM customers c
LEFT JOIN rev r ON r.customer_id = c.customer_id
LEFT JOIN recv o ON o.customer_id = c.customer_id
LEFT JOIN pix x ON x.customer_id = c.customer_id
ORDER BY c._seq, c.customer_id{collate}"""


def newest_financials_sql() -> str:
    """Each known customer's newest Financials row (the one `newest_financials` keeps)."""
    cols = ", ".join(f"f.{c}" for c in _FINANCIALS)
    return f"""
SELECT f.customer_id, f.period_end, {cols}
FROM financials f
JOIN (SELECT customer_id, MAX(period_end) AS newest FROM financials GROUP BY customer_id) m
  ON m.customer_id = f.customer_id AND m.newest = f.period_end
JOIN customers c ON c.customer_id = f.customer_id"""


# ------------------------------------------------------------------------------------------------ Python


def _exact_index(weights: np.ndarray, scaled: pd.Series) -> np.ndarray:
    """Σ weight × SCALE × index ÷ (SCALE × Σ weight) per customer, correctly rounded (NaN without a weight)."""
    out = np.full(len(weights), np.nan)
    given = np.flatnonzero(weights > 0)
    texts = scaled.to_numpy(dtype=object)[given].tolist()
    for i, w, a in zip(given.tolist(), weights[given].tolist(), texts):
        out[i] = int(a) / (SCALE * w)  # Python's int division rounds correctly
    return out


def _ints(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column]).to_numpy(dtype=np.int64)


def _figures(got: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(customers, AGGREGATE_COLUMNS, experiences counted now and then) from the figures query's frame."""
    ids = got["customer_id"].astype(str).to_numpy(dtype=object)
    customers = pd.DataFrame({
        "customer_id": ids,
        "name": got["name"].astype(object).where(got["name"].notna(), None).to_numpy(dtype=object),
        "credit_limit": pd.to_numeric(got["credit_limit"]).to_numpy(dtype=np.float64, na_value=np.nan),
        "status": got["status"].astype(object).where(got["status"].notna(), None).to_numpy(dtype=object),
    })
    figures = pd.DataFrame({
        "revenue_12m": _ints(got, "revenue_12m"),
        "gross_margin": gross_margin_of_sums(_ints(got, "revenue_costed"), _ints(got, "cost_12m"),
                                             _ints(got, "n_costed") > 0),
        "outstanding": _ints(got, "outstanding"),
        "overdue": _ints(got, "overdue"),
        "max_days_overdue": _ints(got, "max_days_overdue").astype(np.float64),
        "payment_index": _exact_index(_ints(got, "w_now"), got["a_now"]),
        "payment_index_before": _exact_index(_ints(got, "w_then"), got["a_then"]),
    }, index=pd.Index(ids, name="customer_id"))
    counts = np.column_stack([_ints(got, "n_now"), _ints(got, "n_then")]).astype(np.float64)
    return customers, figures, counts


def _financials(store: Store) -> pd.DataFrame:
    got = store.frame(newest_financials_sql())
    out = pd.DataFrame({"customer_id": got["customer_id"].astype(str).to_numpy(dtype=object),
                        "period_end": pd.to_datetime(got["period_end"])})
    for c in _FINANCIALS:
        out[c] = pd.to_numeric(got[c]).astype("float64")
    return out


def _same(x: pd.Series, y: pd.Series) -> np.ndarray:
    """Cell by cell: both blank, or both given and equal."""
    x_blank, y_blank = pd.isna(x).to_numpy(), pd.isna(y).to_numpy()
    same = x_blank & y_blank
    given = ~x_blank & ~y_blank
    same[given] = x.to_numpy(dtype=object)[given] == y.to_numpy(dtype=object)[given]
    return same


def fragile_customers(customers: pd.DataFrame, figures: pd.DataFrame, counts: np.ndarray,
                      financials: pd.DataFrame, settings: Any, as_of: dt.date) -> np.ndarray:
    """True where a payment index within the engine's float error of the exact one could change the sheet.

    Every column an index reaches is monotone in it (the shown index and the score are rounded monotone
    functions, the grade follows the score; the "falling" flag compares before − now with a threshold), so two
    cards suffice: now at its lowest and before at its highest, and the reverse. Where both agree, any pair of
    values in between — the engine's — gives the same row."""
    margin = (counts + _MARGIN_TERMS) * _MARGIN_PER_TERM
    now, before = figures["payment_index"].to_numpy(), figures["payment_index_before"].to_numpy()
    low = figures.assign(payment_index=now * (1 - margin[:, 0]), payment_index_before=before * (1 + margin[:, 1]))
    high = figures.assign(payment_index=now * (1 + margin[:, 0]), payment_index_before=before * (1 - margin[:, 1]))
    cards = [score_customers(customers, f, financials, settings, as_of) for f in (low, high)]
    same = np.ones(len(customers), dtype=bool)
    for column in _INDEX_DEPENDENT:
        same &= _same(cards[0][column], cards[1][column])
    return ~same


def _engine_indexes(store: Store, settings: Settings, as_of: dt.date, ids: list[str]) -> pd.DataFrame:
    """The engine's payment indexes of the customers `ids`, from their invoices' states (every experience row the
    workbook run has for them, in its order)."""
    from xlfin.ledger.chunks import temp_frame

    keys = pd.DataFrame({"k": ids})
    sql = (f"WITH {paid_sql(as_of)} {_invoice_states_sql(settings, as_of, 'AND i.customer_id IN (SELECT k FROM xlfin_fragile)')}")
    states = temp_frame(store, "xlfin_fragile", keys, sql)
    items = pd.DataFrame({
        "customer_id": states["customer_id"].astype(str).to_numpy(dtype=object),
        "invoice_no": states["invoice_no"].astype(str).to_numpy(dtype=object),
        "invoice_date": pd.to_datetime(states["invoice_date"]).astype("datetime64[s]"),
        "due_date": pd.to_datetime(states["due_date"]).astype("datetime64[s]"),
        "amount": states["amount"].astype("int64").to_numpy(),
        "outstanding": states["outstanding"].astype("int64").to_numpy(),
        "settled_date": pd.to_datetime(states["settled_date"]).astype("datetime64[s]"),
    })
    index = pd.Index(np.array(ids, dtype=object), name="customer_id")
    return customer_figures(index, None, items, None, settings, as_of)


def scorecard_from_ledger(store: Store, settings: Settings, as_of: dt.date, items: str | None = None
                          ) -> pd.DataFrame:
    """tblScorecard of the posted ledger, equal to the workbook run's `build_scorecard`: part (a) in one SQL query
    (one row per customer fetched), part (b) by the engine. `items`: the open items table (`pushdown.Figures`),
    else the open items are computed inline."""
    got = store.frame(scorecard_figures_sql(settings, as_of, items, store.kind))
    if not len(got):
        return score_customers(None, None, None, settings, as_of)
    customers, figures, counts = _figures(got)
    financials = _financials(store)
    fragile = fragile_customers(customers, figures, counts, financials, settings, as_of)
    if fragile.any():
        ids = customers["customer_id"].to_numpy(dtype=object)[fragile].tolist()
        engine = _engine_indexes(store, settings, as_of, ids)
        for column in ("payment_index", "payment_index_before"):
            figures.loc[fragile, column] = engine[column].to_numpy()
    return score_customers(customers, figures, financials, settings, as_of)
