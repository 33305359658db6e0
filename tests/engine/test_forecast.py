import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xlfin.engine.forecast import holt_forecast, purchase_forecast

D = dt.date


def monthly(customer, first_year, first_month, amounts, doc_type="Invoice", day=10):
    rows = []
    for k, amount in enumerate(amounts):
        y, m = divmod(first_month - 1 + k, 12)
        rows.append({"invoice_no": f"{customer}-{doc_type[0]}{k}", "doc_type": doc_type, "customer_id": customer,
                     "invoice_date": D(first_year + y, m + 1, day), "amount": int(amount)})
    return pd.DataFrame(rows)


def test_holt_reproduces_a_straight_line():
    assert holt_forecast([100, 110, 120, 130, 140, 150], 3) == pytest.approx([160, 170, 180])
    with pytest.raises(ValueError):
        holt_forecast([1], 3)


def test_constant_history_forecasts_the_constant_with_exponential_smoothing():
    inv = monthly("C1", 2025, 1, [50_000] * 12)
    out = purchase_forecast(inv, D(2025, 12, 31), horizon_months=3)
    assert list(out.columns) == ["customer_id", "month", "forecast", "method"]
    assert out["month"].tolist() == [pd.Timestamp(2026, 1, 1), pd.Timestamp(2026, 2, 1), pd.Timestamp(2026, 3, 1)]
    assert out["forecast"].tolist() == [50_000] * 3
    assert set(out["method"]) == {"exponential_smoothing"}
    assert out["forecast"].dtype == np.int64


def test_smoothing_is_a_level_that_lags_a_trend_and_never_goes_negative():
    """A level, not a trend: lumpy monthly invoicing made fitted trends overshoot (docs/forecast.md)."""
    up = purchase_forecast(monthly("UP", 2025, 1, [10_000 * (k + 1) for k in range(8)]), D(2025, 8, 31), 2)
    first, second = up["forecast"].tolist()
    assert first == second and 45_000 < first < 80_000  # above the mean, below the last month
    sinking = pd.concat([monthly("DN", 2025, 1, [10_000] * 8),
                         monthly("DN", 2025, 7, [200_000] * 2, doc_type="Credit Note")], ignore_index=True)
    assert purchase_forecast(sinking, D(2025, 8, 31), 3)["forecast"].tolist() == [0, 0, 0]


def test_short_history_uses_the_mean_and_the_month_in_progress_is_not_history():
    inv = monthly("C1", 2026, 1, [30_000, 10_000, 20_000, 99_999])  # April is incomplete on 15 April
    out = purchase_forecast(inv, D(2026, 4, 15), horizon_months=2)
    assert out["month"].tolist() == [pd.Timestamp(2026, 4, 1), pd.Timestamp(2026, 5, 1)]
    assert out["forecast"].tolist() == [20_000, 20_000]
    assert set(out["method"]) == {"mean"}


def test_credit_notes_reduce_and_future_invoices_are_ignored():
    inv = pd.concat([
        monthly("C1", 2026, 1, [30_000, 30_000, 30_000]),
        monthly("C1", 2026, 2, [6_000], doc_type="Credit Note"),
        monthly("C1", 2026, 5, [1_000_000]),
    ], ignore_index=True)
    out = purchase_forecast(inv, D(2026, 3, 31), horizon_months=1)
    assert out["forecast"].tolist() == [28_000]  # (30,000 + 24,000 + 30,000) / 3


def test_a_yearly_pattern_is_caught_by_seasonal_naive():
    season = [10_000, 10_000, 80_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 120_000]
    out = purchase_forecast(monthly("S", 2023, 1, season * 3), D(2025, 12, 31), horizon_months=3)
    assert set(out["method"]) == {"seasonal_naive"}
    assert out["forecast"].tolist() == [10_000, 10_000, 80_000]


def test_several_customers_and_gaps():
    inv = pd.concat([
        monthly("A", 2025, 1, [10_000] * 6),
        monthly("B", 2025, 5, [7_000, 9_000]),
        monthly("C", 2025, 7, [5_000]),  # only in the month in progress: no forecast
    ], ignore_index=True)
    out = purchase_forecast(inv, D(2025, 7, 20), horizon_months=1)
    assert out.set_index("customer_id")["forecast"].to_dict() == {"A": 10_000, "B": 8_000}
    assert out.set_index("customer_id")["method"].to_dict() == {"A": "exponential_smoothing", "B": "mean"}


def test_empty_and_bad_inputs():
    assert purchase_forecast(pd.DataFrame(), D(2026, 1, 1)).empty
    assert purchase_forecast(monthly("A", 2030, 1, [1]), D(2026, 1, 1)).empty
    with pytest.raises(ValueError):
        purchase_forecast(monthly("A", 2025, 1, [1]), D(2026, 1, 1), horizon_months=0)
    with pytest.raises(ValueError, match="missing"):
        purchase_forecast(pd.DataFrame({"customer_id": ["A"]}), D(2026, 1, 1))
