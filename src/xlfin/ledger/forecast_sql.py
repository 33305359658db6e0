"""The Forecast sheet's results from the posted ledger (issue #16 item 2).

This version reads every document and posted allocation and runs the engine's `compute_forecast` on them: correct
(equal to the workbook run on a fresh ledger) but not bounded in memory. The memory-bounded SQL version replaces
this module's body with the same signature.
"""

from __future__ import annotations

import datetime as dt

from xlfin.engine.forecast_report import ForecastResult, compute_forecast
from xlfin.schema.settings import Settings

from xlfin.ledger.reports import ledger_items
from xlfin.ledger.store import Store


def forecast_from_ledger(store: Store, settings: Settings, as_of: dt.date) -> ForecastResult:
    """Pay dates, 13-week cash and demand forecasts over the posted ledger."""
    got = ledger_items(store, settings, as_of, "en", None)
    return compute_forecast(got.open_items, got.frames["invoices"], as_of)
