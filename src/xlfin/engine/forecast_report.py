"""Everything on the Forecast sheet, computed once from the open items and invoices (SPEC §10)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .forecast_cash import CashForecast, cash_forecast
from .forecast_demand import demand_forecast
from .forecast_paydates import PayDateModel, fit_pay_model, predict_pay_dates, settled_history

__all__ = ["ForecastResult", "compute_forecast"]


@dataclass(frozen=True)
class ForecastResult:
    """tblPayDates, tblCashForecast (+ what was left out) and tblDemandForecast, money in int64 cents."""

    pay_dates: pd.DataFrame
    cash: CashForecast
    demand: pd.DataFrame
    model: PayDateModel


def compute_forecast(open_items_df: pd.DataFrame, invoices_df: pd.DataFrame, as_of: dt.date) -> ForecastResult:
    """One model fit (history settled on or before as_of) serves the pay dates and the cash forecast."""
    model = fit_pay_model(settled_history(open_items_df, as_of))
    pay_dates = predict_pay_dates(open_items_df, as_of, model=model)
    return ForecastResult(
        pay_dates=pay_dates,
        cash=cash_forecast(open_items_df, as_of, model=model, pay_dates=pay_dates),
        demand=demand_forecast(invoices_df, as_of),
        model=model,
    )
