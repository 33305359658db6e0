"""The Dunning list from the posted ledger: the overdue open items typed straight from SQL, the engine unchanged.

`build_dunning` (xlfin.engine.dunning) reads, per customer with an overdue invoice: the overdue items (doc type,
disputed, due and invoice dates, outstanding, currency), the customer's open credit (negative open items, unapplied
cash), the payment plans and the open items they cover, the customer's name, contact, e-mail, status, hold and
currency, and the dunning log. All of that comes from the open-items table the report already materialised
(`pushdown.Figures`, the same open items the Aging sheet shows) and one query per other table; no row goes back
through the workbook run's validation (the rows were validated when loaded; what the load left out is in
ledger_rejects and counts as a payment left out, as before).

Which open items are read, and why that is the engine's answer on every open item:

- the customers read are those with an invoice overdue (outstanding > 0, at least one day past due): the engine
  looks at no other customer (its `items`), and its exclusions list exactly these, so the exclusions are the
  workbook run's too;
- of those customers: the overdue items (the notice's candidates), every item with a negative outstanding (open
  credit notes and over-applied invoices: `_credit`), and every open item of a customer with a payment plan (a
  plan's coverage and whether it is kept read the outstanding of the invoices it covers, overdue or not). Settled
  documents (outstanding 0) change no sum and cover nothing that is on a notice, so they are not read.

Memory: the rows above are put into a temporary table in one statement, then read a customer range at a time
(`chunk_rows` rows, a customer never split); each range goes through `build_dunning` and the ranges' notices,
lines and exclusions are merged in the engine's own orders (`merged`). With the whole table in one range the run
is `build_dunning` once.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from xlfin.engine.dunning import DunningRun, build_dunning, check_ladder
from xlfin.engine.payment_plans import text_ids
from xlfin.schema.settings import DunningLevel, Settings

from xlfin.ledger.pushdown import CREDIT_NOTE, Figures, sql_date
from xlfin.ledger.store import Store

ITEMS = "xlfin_dunning_items"
CHUNK_ROWS = 5_000_000  # dunning rows per build_dunning call (about 2 GB of engine state at most)
_ITEM_COLUMNS = "invoice_no, customer_id, invoice_date, due_date, outstanding, disputed, doc_type, currency"
_CUSTOMER_COLUMNS = "customer_id, name, contact, email, status, COALESCE(dunning_hold, FALSE) AS dunning_hold, currency"
_PLAN_COLUMNS = "plan_id, customer_id, total, instalments, first_date, frequency, invoices"


def _wanted(items: str) -> str:
    """The condition on open item `o` of `items` that build_dunning reads it (see the module doc)."""
    return f"""o.customer_id IN (SELECT customer_id FROM {items} WHERE days_overdue > 0 AND outstanding > 0)
  AND ((o.days_overdue > 0 AND o.outstanding > 0) OR o.outstanding < 0
       OR o.customer_id IN (SELECT customer_id FROM payment_plans))"""


def dunning_items_sql(items: str) -> str:
    """The open items `build_dunning` reads, in its columns. doc_type: the stored value is canonical (`ledger load`
    stores 'Invoice' or 'Credit Note'), and the engine reads a blank one as an invoice, so the open-items table's
    is_cn says it all; the outstanding as whole cents (a sum of BIGINTs is wider in DuckDB)."""
    return f"""
SELECT o.invoice_no, o.customer_id, o.invoice_date, o.due_date, CAST(o.outstanding AS BIGINT) AS outstanding,
       o.disputed, CASE WHEN o.is_cn THEN '{CREDIT_NOTE}' END AS doc_type, o.currency
FROM {items} o
WHERE {_wanted(items)}"""


@dataclass(frozen=True)
class Range:
    lo: str  # first customer id (inclusive, in the database's order)
    hi: str  # last customer id (inclusive)
    members: frozenset[str]  # the customers of the range (for the frames read once: plans, unapplied, log)


def ranges(store: Store, items: str, chunk_rows: int) -> list[Range]:
    """Customer ranges of the dunning rows, each about `chunk_rows` rows (one row per customer read)."""
    counts = store.rows(f"SELECT o.customer_id, COUNT(*) FROM {items} o WHERE {_wanted(items)} "
                        "GROUP BY o.customer_id ORDER BY o.customer_id")
    out: list[Range] = []
    members: list[str] = []
    size = 0
    for cid, n in counts:
        if members and size + int(n) > chunk_rows:
            out.append(Range(members[0], members[-1], frozenset(members)))
            members, size = [], 0
        members.append(str(cid))
        size += int(n)
    if members:
        out.append(Range(members[0], members[-1], frozenset(members)))
    return out


@dataclass
class _Shared:
    """What is read once for every range: small tables, one row per plan / per customer with cash unapplied."""

    plans: pd.DataFrame
    unapplied: pd.DataFrame
    log: pd.DataFrame | None
    log_ids: pd.Series | None  # the log's customer ids as the engine reads them (text_ids)
    left_out: list[str]


def dunning_from_ledger(store: Store, settings: Settings, as_of: dt.date, levels: Sequence[DunningLevel],
                        log: pd.DataFrame | None = None, items: str | None = None,
                        chunk_rows: int = CHUNK_ROWS) -> DunningRun:
    """`build_dunning` over the posted ledger: equal to the workbook run's notices, lines and exclusions.

    `items`: the open-items table (`pushdown.Figures.TABLE`) when the caller has made it (ledger report's Aging
    did); otherwise it is made here."""
    table = items or Figures(store, settings, as_of).TABLE
    parts = ranges(store, table, max(int(chunk_rows), 1))
    runs: list[DunningRun] = []
    if len(parts) == 1:  # one statement reads them all
        runs = [_run(store, settings, as_of, levels, _shared(store, table, log), dunning_items_sql(table), parts[0])]
    elif parts:  # the rows once into a temporary table, then a customer range at a time
        store.execute(f"DROP TABLE IF EXISTS {ITEMS}")
        store.execute(f"CREATE TEMP TABLE {ITEMS} AS {dunning_items_sql(table)}")
        try:
            shared = _shared(store, table, log)
            runs = [_run(store, settings, as_of, levels, shared,
                         f"SELECT {_ITEM_COLUMNS} FROM {ITEMS} WHERE customer_id BETWEEN %s AND %s", r) for r in parts]
        finally:
            store.execute(f"DROP TABLE IF EXISTS {ITEMS}")
    if not runs:
        if _has_documents(store, as_of):  # the workbook run checks the ladder whenever it has open items
            check_ladder(levels)
        return build_dunning(pd.DataFrame(), pd.DataFrame(), levels, None, settings, as_of)
    return merged(runs)


def _has_documents(store: Store, as_of: dt.date) -> bool:
    return bool(store.rows(f"SELECT COUNT(*) FROM invoices WHERE invoice_date <= {sql_date(as_of)}")[0][0])


def _shared(store: Store, items: str, log: pd.DataFrame | None) -> _Shared:
    owing = f"SELECT customer_id FROM {items} WHERE days_overdue > 0 AND outstanding > 0"
    plans = store.frame(f"SELECT {_PLAN_COLUMNS} FROM payment_plans WHERE customer_id IN ({owing}) "
                        "ORDER BY _seq, plan_id")
    # one row per customer: the engine sums a customer's unapplied cash (whole cents), so a sum in SQL is that sum
    unapplied = store.frame("SELECT customer_id, SUM(unapplied) AS unapplied_amount FROM ledger_posted "
                            f"WHERE unapplied > 0 AND customer_id IN ({owing}) GROUP BY customer_id")
    unapplied["unapplied_amount"] = unapplied["unapplied_amount"].astype("int64")
    usable_log = log if log is not None and len(log) and "customer_id" in log.columns else None
    log_ids = text_ids(usable_log["customer_id"].reset_index(drop=True)) if usable_log is not None else None
    return _Shared(plans, unapplied, usable_log, log_ids, payments_left_out(store))


def _run(store: Store, settings: Settings, as_of: dt.date, levels: Sequence[DunningLevel], shared: _Shared,
         sql: str, r: Range) -> DunningRun:
    """build_dunning on one customer range: its dunning rows (`sql`, with the range's bounds as parameters when
    it has any), customers, and its share of the shared frames."""
    bounds = (r.lo, r.hi)
    open_items = store.frame(sql, bounds if "%s" in sql else None)
    open_items["outstanding"] = open_items["outstanding"].astype("int64")
    customers = store.frame(f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE customer_id BETWEEN %s AND %s "
                            "ORDER BY _seq, customer_id", bounds)
    ids = list(r.members)
    plans = shared.plans[shared.plans["customer_id"].isin(ids)].reset_index(drop=True)
    unapplied = shared.unapplied[shared.unapplied["customer_id"].isin(ids)].reset_index(drop=True)
    log = None
    if shared.log is not None:
        # a log row names one customer; the engine reads a customer's rows only for that customer's level
        log = shared.log.reset_index(drop=True)[shared.log_ids.isin(ids).to_numpy()]
    return build_dunning(open_items, customers, levels, log, settings, as_of, unapplied=unapplied, plans=plans,
                         payments_left_out=shared.left_out)


def merged(runs: list[DunningRun]) -> DunningRun:
    """Ranges' runs as one, in build_dunning's orders: notices by level, overdue amount (both descending),
    customer; each notice's lines after one another in that order; exclusions by customer."""
    if len(runs) == 1:
        return runs[0]

    def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
        full = [f for f in frames if len(f)]
        return pd.concat(full, ignore_index=True) if full else frames[0]

    notices = concat([r.notices for r in runs]).sort_values(
        ["level", "overdue_amount", "customer_id"], ascending=[False, False, True], kind="stable")
    notices = notices.reset_index(drop=True)
    items = concat([r.items for r in runs])
    items = items.iloc[_blocks_in_order(items["customer_id"].to_numpy(dtype=object),
                                        notices["customer_id"].tolist())].reset_index(drop=True)
    excluded = concat([r.excluded for r in runs])
    ids = excluded["customer_id"].tolist()
    excluded = excluded.iloc[sorted(range(len(ids)), key=ids.__getitem__)]  # Python's order, as sorted() ids
    return DunningRun(notices, items, excluded.reset_index(drop=True), runs[0].levels)


def _blocks_in_order(customers: np.ndarray, order: list[str]) -> np.ndarray:
    """Row positions putting the lines' customer blocks (each customer's lines are together, in one range) in the
    notices' `order`, keeping each block's own order."""
    if not len(customers):
        return np.zeros(0, dtype=np.int64)
    place = {c: i for i, c in enumerate(order)}
    starts = np.flatnonzero(np.r_[True, customers[1:] != customers[:-1]])
    lengths = np.diff(np.r_[starts, len(customers)])
    blocks = np.argsort(np.array([place[c] for c in customers[starts]], dtype=np.int64), kind="stable")
    first = np.repeat(starts[blocks] - np.r_[0, np.cumsum(lengths[blocks])[:-1]], lengths[blocks])
    return first + np.arange(len(customers), dtype=np.int64)


def payments_left_out(store: Store) -> list[str]:
    """Customers named by payment rows the last load could not type (kept in ledger_rejects): not dunned, as in
    the workbook run (a payment the book holds but xlfin could not read may have settled the debt)."""
    out = set()
    for (text,) in store.rows("SELECT cells FROM ledger_rejects WHERE table_key = 'payments'"):
        for key, _tag, value in json.loads(text):
            if key == "customer_id" and value not in (None, ""):
                out.add(str(value))
    return sorted(out)
