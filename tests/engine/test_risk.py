"""Each risk flag, triggered and not."""

import datetime as dt

import numpy as np
import pandas as pd

from xlfin.engine.risk import FLAG_CODES, risk_flags

AS_OF = dt.date(2026, 3, 31)
FRESH = np.datetime64("2025-12-31")


def flags(**overrides):
    base = {"outstanding": [50_000], "credit_limit": [100_000], "max_days_overdue": [10], "overdue": [1_000],
            "overdue_threshold": 10_000_00, "payment_index": [80.0], "payment_index_before": [82.0],
            "latest_period_end": np.array([FRESH]), "as_of": AS_OF}
    base.update(overrides)
    return risk_flags(["C1"], **base).iloc[0]


def test_clean_customer_has_no_flags():
    assert flags() == ""


def test_over_limit():
    assert flags(outstanding=[100_001]) == "over_limit"
    assert flags(outstanding=[100_000]) == ""  # at the limit is not over it
    assert flags(outstanding=[100_001], credit_limit=[np.nan]) == ""  # no limit set
    assert flags(outstanding=[1], credit_limit=[0]) == "over_limit"


def test_overdue_90():
    assert flags(max_days_overdue=[91]) == "overdue_90"
    assert flags(max_days_overdue=[90]) == ""


def test_overdue_amount():
    assert flags(overdue=[10_000_00]) == "overdue_amount"
    assert flags(overdue=[9_999_99]) == ""


def test_payment_index_falling():
    assert flags(payment_index=[70.0], payment_index_before=[80.0]) == "payment_index_falling"
    assert flags(payment_index=[70.1], payment_index_before=[80.0]) == ""
    assert flags(payment_index=[50.0], payment_index_before=[np.nan]) == ""


def test_stale_financials():
    assert flags(latest_period_end=np.array([np.datetime64("2024-09-30")])) == "stale_financials"  # exactly 18 months
    assert flags(latest_period_end=np.array([np.datetime64("2024-10-01")])) == ""
    assert flags(latest_period_end=np.array([np.datetime64("NaT")])) == "stale_financials"


def test_all_flags_in_fixed_order_and_vectorised():
    out = risk_flags(["A", "B"], outstanding=[200, 0], credit_limit=[100, 100], max_days_overdue=[120, 0],
                     overdue=[200, 0], overdue_threshold=100, payment_index=[50.0, 90.0],
                     payment_index_before=[70.0, 90.0], latest_period_end=[None, FRESH], as_of=AS_OF)
    assert out["A"] == "; ".join(FLAG_CODES)
    assert out["B"] == ""
    assert risk_flags([], outstanding=[], credit_limit=[], max_days_overdue=[], overdue=[], overdue_threshold=1,
                      payment_index=[], payment_index_before=[], latest_period_end=[], as_of=AS_OF).empty
    assert isinstance(out, pd.Series) and out.name == "risk_flags"
