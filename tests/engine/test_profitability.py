"""revenue_12m window boundaries, credit notes and gross margin over costed documents."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xlfin.engine.profitability import customer_revenue

AS_OF = dt.date(2026, 3, 31)


def frame(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "invoice_date", "amount", "doc_type", "cost"])
    df["invoice_date"] = pd.to_datetime(df["invoice_date"])
    df["cost"] = pd.array(df["cost"], dtype="Int64")
    return df


def test_window_is_half_open_365_days():
    inv = frame([
        ("A", "2025-03-31", 1_000, "Invoice", None),  # exactly 365 days before: outside
        ("A", "2025-04-01", 2_000, "Invoice", None),  # 364 days before: inside
        ("A", "2026-03-31", 4_000, None, None),  # as_of itself: inside (blank type = invoice)
        ("A", "2026-04-01", 8_000, "Invoice", None),  # after as_of: outside
    ])
    out = customer_revenue(inv, AS_OF).set_index("customer_id")
    assert out.loc["A", "revenue_12m"] == 6_000
    assert out["revenue_12m"].dtype == np.int64


def test_credit_notes_reduce_revenue_and_cost():
    inv = frame([
        ("B", "2026-01-10", 100_000, "Invoice", 60_000),
        ("B", "2026-02-10", 10_000, "Credit Note", 6_000),
        ("B", "2026-02-11", 50_000, "Invoice", None),  # no cost: in revenue, not in the margin
    ])
    out = customer_revenue(inv, AS_OF).set_index("customer_id")
    assert out.loc["B", "revenue_12m"] == 140_000
    assert out.loc["B", "cost_12m"] == 54_000
    assert out.loc["B", "gross_margin"] == pytest.approx((90_000 - 54_000) / 90_000)


def test_no_cost_means_blank_margin_and_customers_outside_window_stay():
    inv = frame([("C", "2026-01-01", 5_000, "Invoice", None), ("D", "2020-01-01", 5_000, "Invoice", 1_000)])
    out = customer_revenue(inv, AS_OF).set_index("customer_id")
    assert pd.isna(out.loc["C", "cost_12m"]) and np.isnan(out.loc["C", "gross_margin"])
    assert out.loc["D", "revenue_12m"] == 0 and np.isnan(out.loc["D", "gross_margin"])


def test_custom_days_and_empty_input():
    inv = frame([("A", "2026-03-01", 1_000, "Invoice", None), ("A", "2026-03-02", 500, "Invoice", None)])
    assert customer_revenue(inv, AS_OF, days=30).iloc[0]["revenue_12m"] == 500
    empty = customer_revenue(inv.iloc[:0], AS_OF)
    assert list(empty.columns) == ["customer_id", "revenue_12m", "cost_12m", "gross_margin"] and empty.empty
