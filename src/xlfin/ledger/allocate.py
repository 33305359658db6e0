"""Cash application posted to the ledger: several users, one ledger, no payment allocated twice.

A posting run is ONE transaction: it takes the ledger's reconcile lock (PostgreSQL: a transaction-scoped advisory
lock; DuckDB: the database file admits one writing process, `connect` waits for it), reads what earlier runs
posted, reconciles only the payments no run has handled against what is still open, writes the new allocation rows,
one `ledger_posted` row per payment handled (allocated or left unapplied: a person deals with unapplied cash, a
later run does not guess at it again) and a `ledger_runs` row, and commits. A second run started meanwhile waits for the lock and then sees the first run's
rows, so it cannot allocate those payments again; a run killed half-way never commits, so none of its rows exist.

The engine is unchanged: it receives invoices whose amount is what is still open after posted allocations (an
invoice net of cash and credit applied to it, a credit note net of the credit it gave) and the payments not yet
posted, customer chunk by customer chunk (`chunks`). On a fresh ledger that is exactly the workbook's own
reconciliation. Tolerance write-offs stay proposals (the Reconciliation sheet), as in the workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlfin.schema.settings import Settings

from xlfin.ledger.chunks import CHUNK_ROWS, chunk_results
from xlfin.ledger.store import Store

LOCK_KEY = 716_000_016  # pg_advisory_xact_lock key of "xlfin reconcile" (any constant shared by all xlfin runs)
CHUNK = 5_000  # rows per INSERT: bounded statements however large the run
# Seconds to sleep between chunks: a test hook only, so a test can kill a run in the middle of its write.
_DELAY_ENV = "XLFIN_LEDGER_WRITE_DELAY"


@dataclass
class PostingResult:
    run_id: str
    payments_considered: int
    allocations: int
    amount: int  # cents posted by this run
    already_posted: int  # payments earlier runs posted (in the ledger before this run)


def handled(payments: pd.DataFrame, rec, run_id: str) -> pd.DataFrame:
    """One row per payment of this run: cents allocated, cents left unapplied and why."""
    ids = payments["payment_id"].astype(str)
    cash = rec.allocations[rec.allocations["rule"] != "credit_note"]
    allocated = ids.map(cash.groupby(cash["payment_id"].astype(str))["amount"].sum()).fillna(0).astype("int64")
    un = rec.unapplied.assign(payment_id=rec.unapplied["payment_id"].astype(str)).drop_duplicates("payment_id")
    un = un.set_index("payment_id")
    unapplied = ids.map(un["unapplied_amount"]).fillna(0).astype("int64")
    reason = ids.map(un["reason"]).where(lambda r: r.notna(), None)
    # the customer the unapplied cash belongs to (identified by the engine when the payment named none)
    customer = ids.map(un["customer_id"]).where(lambda c: c.notna() & (c != ""), None)
    return pd.DataFrame({"payment_id": ids, "run_id": run_id, "allocated": allocated, "unapplied": unapplied,
                         "reason": reason, "customer_id": customer})


def _lock(store: Store) -> None:
    if store.kind == "postgresql":
        store.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))


def _insert(store: Store, table: str, rows: pd.DataFrame, cols: list[str]) -> None:
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
    delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
    records = [tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else
                     (int(v) if isinstance(v, (np.integer,)) else v) for v in r)
               for r in rows[cols].itertuples(index=False, name=None)]
    for start in range(0, len(records), CHUNK):
        batch = records[start:start + CHUNK]
        if store.kind == "duckdb":
            store.conn.executemany(sql.replace("%s", "?"), batch)
        else:
            with store.conn.cursor() as cur:
                cur.executemany(sql, batch)
        if delay:  # test hook: say a chunk is written (uncommitted), then give the test time to kill the process
            print(f"xlfin ledger: {table} chunk written", file=sys.stderr, flush=True)
            time.sleep(delay)


def post_reconciliation(store: Store, settings: Settings, as_of: dt.date, *, chunk_rows: int = CHUNK_ROWS,
                        lang: str = "en") -> PostingResult:
    """Reconcile the payments no earlier run posted and post the allocations, all in one locked transaction.

    The payments are reconciled in customer chunks (`xlfin.ledger.chunks`): each chunk's rows are written as soon
    as it is done, so memory holds one chunk, however large the ledger."""
    run_id = uuid.uuid4().hex
    considered = allocations = amount = 0
    with store.transaction():
        _lock(store)
        already = int(store.rows("SELECT COUNT(*) FROM ledger_posted")[0][0])
        for part in chunk_results(store, settings, as_of, chunk_rows, lang):
            rows = part.result.allocations.assign(run_id=run_id)
            _insert(store, "ledger_allocations", rows,
                    ["payment_id", "invoice_no", "customer_id", "amount", "rule", "confidence", "run_id"])
            _insert(store, "ledger_posted", handled(part.payments, part.result, run_id),
                    ["payment_id", "run_id", "allocated", "unapplied", "reason", "customer_id"])
            considered += len(part.payments)
            allocations += len(rows)
            amount += int(rows["amount"].sum()) if len(rows) else 0
        store.execute("INSERT INTO ledger_runs (run_id, started, payments, allocations) "
                      "VALUES (%s, CURRENT_TIMESTAMP, %s, %s)", (run_id, considered, allocations))
    return PostingResult(run_id, considered, allocations, amount, already)
