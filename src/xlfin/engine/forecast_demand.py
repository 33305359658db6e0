"""Demand forecast per active customer for the next months (tblDemandForecast, SPEC §10).

The monthly figures come from :func:`xlfin.engine.forecast.purchase_forecast` (simple exponential smoothing,
seasonal naive when a yearly pattern beats it, the mean for short histories). Added here:

- only *active* customers: at least one invoice in the ``active_months`` months up to as_of;
- a band: forecast ± 1.2816 × 1.25 × (the method's mean absolute one-step error) × √(months ahead), an 80 % band
  assuming roughly normal errors (1.25 × mean absolute error ≈ one standard deviation) that widens with the horizon;
  the low end is never below 0.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .aging import as_of_day
from .forecast import purchase_forecast

__all__ = ["DEMAND_COLUMNS", "demand_forecast"]

DEMAND_COLUMNS = ["customer_id", "month", "forecast_revenue", "low", "high", "method"]
BAND_Z = 1.2816
MAE_TO_SD = 1.25


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(dtype=object), "month": pd.Series(dtype="datetime64[s]"),
                         "forecast_revenue": pd.Series(dtype=np.int64), "low": pd.Series(dtype=np.int64),
                         "high": pd.Series(dtype=np.int64), "method": pd.Series(dtype=object)})


def demand_forecast(invoices_df: pd.DataFrame, as_of: dt.date, horizon_months: int = 3,
                    active_months: int = 12) -> pd.DataFrame:
    """customer_id, month, forecast_revenue, low, high (int64 cents), method — per active customer and month."""
    fc = purchase_forecast(invoices_df, as_of, horizon_months, with_error=True)
    if fc.empty:
        return _empty()
    as_month = np.array([as_of_day(as_of)]).view("datetime64[D]").astype("datetime64[M]").astype(np.int64)[0]
    fc = fc[fc["last_invoice_month"] > as_month - active_months].reset_index(drop=True)
    if fc.empty:
        return _empty()
    ahead = fc.groupby("customer_id", sort=False).cumcount().to_numpy() + 1
    spread = BAND_Z * MAE_TO_SD * fc["error"].to_numpy(dtype=np.float64) * np.sqrt(ahead)
    value = fc["forecast"].to_numpy(dtype=np.int64)
    return pd.DataFrame({
        "customer_id": fc["customer_id"].to_numpy(dtype=object),
        "month": fc["month"].to_numpy(),
        "forecast_revenue": value,
        "low": np.floor(np.maximum(value - spread, 0.0) + 0.5).astype(np.int64),
        "high": np.floor(value + spread + 0.5).astype(np.int64),
        "method": fc["method"].to_numpy(dtype=object),
    })
