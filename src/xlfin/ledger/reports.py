"""Per-customer reports from the posted ledger, fetching only the customers they work on (issue #16 item 2).

Dunning: the customers worth a notice come from SQL (`pushdown.dunning_candidates`: undisputed overdue of at
least dunning_min_amount, not on hold — a superset of whom the engine duns); then only those customers' rows are
read (invoices, posted allocations and their payments' dates, unapplied cash posted to them, payment plans,
the dunning log) and the engine (`build_dunning`, unchanged) decides levels, interest, fees and plans on them. The
notices equal the engine's over the whole posted ledger; who was *excluded* is only reported for the candidates
(the others were never near a notice).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Sequence

import pandas as pd

from xlfin.engine import openitems
from xlfin.engine.dunning import DunningRun, build_dunning
from xlfin.schema.settings import DunningLevel, Settings

from xlfin.ledger import pushdown
from xlfin.ledger.chunks import frames_for, temp_frame
from xlfin.ledger.store import Store

_CUSTOMERS = "xlfin_customers"


def dunning_from_ledger(store: Store, settings: Settings, as_of: dt.date, levels: Sequence[DunningLevel],
                        log: pd.DataFrame | None = None, lang: str = "en") -> DunningRun:
    """The dunning run over the posted ledger, reading the candidate customers' rows only."""
    candidates = pushdown.dunning_candidates(store, settings, as_of)
    ids = pd.DataFrame({"k": sorted(candidates["customer_id"].astype(str))})
    inside = f"customer_id IN (SELECT k FROM {_CUSTOMERS})"
    frames = frames_for(store, settings, as_of, lang, f"WHERE {inside}", (_CUSTOMERS, ids),
                         ("customers", "invoices", "payment_plans"))
    allocations = temp_frame(store, _CUSTOMERS, ids, "SELECT payment_id, invoice_no, customer_id, amount, rule, "
                              f"confidence FROM ledger_allocations WHERE {inside}")
    allocations["amount"] = allocations["amount"].astype("int64")
    dates = temp_frame(store, _CUSTOMERS, ids, "SELECT payment_id, payment_date FROM payments WHERE payment_id IN "
                        f"(SELECT payment_id FROM ledger_allocations WHERE {inside})")
    dated = openitems.invoice_payment_dates(allocations, dates, frames["invoices"])
    items = openitems.open_items(frames["invoices"], dated, as_of)
    unapplied = temp_frame(store, _CUSTOMERS, ids, "SELECT customer_id, unapplied AS unapplied_amount "
                            f"FROM ledger_posted WHERE unapplied > 0 AND {inside}")
    unapplied["unapplied_amount"] = unapplied["unapplied_amount"].astype("int64")
    if log is not None and len(log) and "customer_id" in log.columns:
        log = log[log["customer_id"].astype(str).isin(set(ids["k"]))]
    return build_dunning(items, frames["customers"], levels, log, settings, as_of, unapplied=unapplied,
                         plans=frames["payment_plans"], payments_left_out=_payments_left_out(store))


def _payments_left_out(store: Store) -> list[str]:
    """Customers named by payment rows the last load could not type (kept in ledger_rejects): not dunned, as in
    the workbook run (a payment the book holds but xlfin could not read may have settled the debt)."""
    out = set()
    for (text,) in store.rows("SELECT cells FROM ledger_rejects WHERE table_key = 'payments'"):
        for key, _tag, value in json.loads(text):
            if key == "customer_id" and value not in (None, ""):
                out.add(str(value))
    return sorted(out)
