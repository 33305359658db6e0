"""Cash application posted to the ledger: several users, one ledger, no payment allocated twice.

A posting run is ONE transaction: it takes the ledger's reconcile lock (PostgreSQL: a transaction-scoped advisory
lock; DuckDB: the database file admits one writing process, `connect` waits for it), reads what earlier runs
posted, reconciles only the payments no run has handled against what is still open, writes the new allocation rows,
one `ledger_posted` row per payment handled (allocated or left unapplied: a person deals with unapplied cash, a
later run does not guess at it again) and a `ledger_runs` row, and commits. A second run started meanwhile waits for the lock and then sees the first run's
rows, so it cannot allocate those payments again; a run killed half-way never commits, so none of its rows exist.

The engine is unchanged: it receives invoices whose amount is what is still open after posted allocations (a
credit note: its unused credit) and the payments not yet posted. On a fresh ledger that is exactly the workbook's
own reconciliation. Tolerance write-offs stay proposals (the Reconciliation sheet), as in the workbook.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlfin.engine.openitems import is_credit_note
from xlfin.engine.reconcile import reconcile
from xlfin.schema.settings import Settings

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
    already_posted: int  # payments skipped because an earlier run posted them


def still_open(invoices: pd.DataFrame, posted: pd.DataFrame) -> pd.DataFrame:
    """Invoices with `amount` = what is left after posted allocations; fully settled ones dropped."""
    if not len(invoices):
        return invoices
    amounts = invoices["amount"].astype("int64").to_numpy()
    nos = invoices["invoice_no"].astype(str)
    cash = posted[posted["rule"] != "credit_note"].groupby("invoice_no")["amount"].sum()
    credit = posted[posted["rule"] == "credit_note"].groupby("payment_id")["amount"].sum()
    cn = is_credit_note(invoices["doc_type"]) if "doc_type" in invoices else np.zeros(len(invoices), bool)
    used = np.where(cn, nos.map(credit).fillna(0).to_numpy(dtype="int64"),
                    nos.map(cash).fillna(0).to_numpy(dtype="int64"))
    left = amounts - used
    out = invoices.assign(amount=left)
    return out[left > 0].reset_index(drop=True)


def handled(payments: pd.DataFrame, rec, run_id: str) -> pd.DataFrame:
    """One row per payment of this run: cents allocated, cents left unapplied and why."""
    ids = payments["payment_id"].astype(str)
    cash = rec.allocations[rec.allocations["rule"] != "credit_note"]
    allocated = ids.map(cash.groupby(cash["payment_id"].astype(str))["amount"].sum()).fillna(0).astype("int64")
    un = rec.unapplied.assign(payment_id=rec.unapplied["payment_id"].astype(str)).drop_duplicates("payment_id")
    un = un.set_index("payment_id")
    unapplied = ids.map(un["unapplied_amount"]).fillna(0).astype("int64")
    reason = ids.map(un["reason"]).where(lambda r: r.notna(), None)
    return pd.DataFrame({"payment_id": ids, "run_id": run_id, "allocated": allocated, "unapplied": unapplied,
                         "reason": reason})


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


def post_reconciliation(store: Store, frames: dict[str, pd.DataFrame], settings: Settings) -> PostingResult:
    """Reconcile the payments no earlier run posted and post the allocations, all in one locked transaction."""
    run_id = uuid.uuid4().hex
    with store.transaction():
        _lock(store)
        posted = store.frame("SELECT payment_id, invoice_no, amount, rule FROM ledger_allocations")
        posted["amount"] = posted["amount"].astype("int64")
        payments = frames["payments"]
        done = {str(r[0]) for r in store.rows("SELECT payment_id FROM ledger_posted")}
        fresh = payments[~payments["payment_id"].astype(str).isin(done)].reset_index(drop=True)
        invoices = still_open(frames["invoices"], posted)
        rec = reconcile(invoices, fresh, frames["customers"],
                        tolerance_abs_cents=settings.reconcile_tolerance_abs_cents,
                        tolerance_pct=settings.reconcile_tolerance_pct, fifo=settings.reconcile_fifo)
        rows = rec.allocations.assign(run_id=run_id)
        _insert(store, "ledger_allocations", rows,
                ["payment_id", "invoice_no", "customer_id", "amount", "rule", "confidence", "run_id"])
        _insert(store, "ledger_posted", handled(fresh, rec, run_id),
                ["payment_id", "run_id", "allocated", "unapplied", "reason"])
        store.execute("INSERT INTO ledger_runs (run_id, started, payments, allocations) "
                      "VALUES (%s, CURRENT_TIMESTAMP, %s, %s)", (run_id, int(len(fresh)), int(len(rows))))
    return PostingResult(run_id, int(len(fresh)), int(len(rows)), int(rows["amount"].sum()) if len(rows) else 0,
                         int(len(payments) - len(fresh)))
