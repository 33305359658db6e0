"""The Dashboard's figures from the posted ledger (issue #16 item 2).

This version reads every document, payment and posted allocation and runs the engine's `build_dashboard` on them,
with the per-customer results the caller already has (ageing summary, scorecard, cash forecast): correct (equal to
the workbook run on a fresh ledger) but not bounded in memory. The memory-bounded SQL version replaces this
module's body with the same signature.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from xlfin.engine.dashboard import DashboardData, build_dashboard
from xlfin.schema.settings import Settings

from xlfin.ledger.reports import ledger_items
from xlfin.ledger.store import Store


def dashboard_from_ledger(store: Store, settings: Settings, as_of: dt.date, *, aging_summary: pd.DataFrame,
                          scorecard: pd.DataFrame, unapplied_total: int, bucket_labels: list[str],
                          cash_forecast: pd.DataFrame | None) -> DashboardData:
    """KPIs and chart series over the posted ledger; unapplied_total is the posted unapplied cash in cents."""
    got = ledger_items(store, settings, as_of, "en", None, ("customers", "invoices", "payments"))
    unapplied = pd.DataFrame({"unapplied_amount": pd.Series([int(unapplied_total)], dtype="int64")})
    return build_dashboard(as_of=as_of, invoices=got.frames["invoices"], payments=got.frames["payments"],
                           allocations=got.allocations, open_items=got.open_items, aging_summary=aging_summary,
                           bucket_labels=bucket_labels, scorecard=scorecard, unapplied=unapplied,
                           cash_forecast=cash_forecast)
