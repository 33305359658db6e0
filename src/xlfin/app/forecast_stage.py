"""Write the Forecast / 预测 sheet (tblCashForecast, tblPayDates, tblDemandForecast) and summarise it for a run."""

from __future__ import annotations

from xlfin import schema
from xlfin.engine.forecast_report import ForecastResult, compute_forecast
from xlfin.schema.i18n import code_label
from xlfin.schema import Lang

__all__ = ["compute_forecast", "stage_forecast"]


def stage_forecast(wb, result: ForecastResult, lang: Lang) -> dict:
    """Replace the Forecast sheet; return the run summary (money in currency units)."""
    pay_dates, demand = result.pay_dates, result.demand
    if lang != "en":  # codes become the workbook language's labels (i18n catalogue)
        pay_dates = pay_dates.assign(basis=[code_label("basis", b, lang) for b in pay_dates["basis"]])
        demand = demand.assign(method=[code_label("method", m, lang) for m in demand["method"]])
    weeks = result.cash.weeks
    wb.replace_sheet(schema.CASH_FORECAST.sheet_en, [(schema.CASH_FORECAST, weeks), (schema.PAY_DATES, pay_dates),
                                                     (schema.DEMAND_FORECAST, demand)], lang)
    basis = result.pay_dates["basis"].value_counts().sort_index()
    return {
        "pay_dates": int(len(result.pay_dates)),
        "basis": {str(k): int(v) for k, v in basis.items()},
        "expected_13_weeks": int(weeks["expected_receipts"].sum()) / 100,
        "low_13_weeks": int(weeks["low"].sum()) / 100,
        "high_13_weeks": int(weeks["high"].sum()) / 100,
        "not_expected_items": result.cash.excluded_items,
        "not_expected_amount": result.cash.excluded_amount / 100,
        "demand_customers": int(result.demand["customer_id"].nunique()),
        "demand_3_months": int(result.demand["forecast_revenue"].sum()) / 100,
    }
