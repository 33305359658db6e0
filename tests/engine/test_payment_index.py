import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.engine.openitems import open_items
from xlfin.engine.payment_index import (
    customer_payment_index,
    index_from_days,
    payment_experiences,
    weighted_index,
)

D = dt.date
AS_OF = D(2026, 6, 30)


@pytest.mark.parametrize(
    "days, index",
    [(-30, 100), (-20, 90), (0, 80), (15, 70), (22, 60), (30, 50), (60, 40), (90, 30), (120, 20),
     (-365, 100), (-31, 100), (-25, 95), (-10, 85), (7.5, 75), (45, 45), (130, 19), (125, 19.5), (200, 12),
     (310, 1), (311, 1), (10_000, 1)],
)
def test_anchor_table_and_interpolation(days, index):
    assert index_from_days(days) == pytest.approx(index)
    assert index_from_days([days]).tolist() == pytest.approx([index])


def test_blank_in_blank_out():
    out = index_from_days([np.nan, 0, None])
    assert np.isnan(out[0]) and out[1] == 80 and np.isnan(out[2])
    assert index_from_days([]).size == 0
    assert index_from_days(pd.Series([15, 22])).tolist() == [70, 60]


def test_numeric_arrays_keep_their_shape_and_agree_with_lists():
    days = np.array([[-40.0, 0.0], [np.nan, 130.0]])
    out = index_from_days(days)
    assert out.shape == (2, 2) and np.isnan(out[1, 0])
    assert out[[0, 0, 1], [0, 1, 1]].tolist() == [100.0, 80.0, 19.0]
    assert index_from_days(np.array([15, 22], dtype=np.int32)).tolist() == [70.0, 60.0]


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6), st.floats(0, 1e4))
def test_index_is_within_1_100_and_never_rises_with_lateness(days, more):
    a, b = index_from_days([days, days + more])
    assert 1.0 <= a <= 100.0 and 1.0 <= b <= 100.0
    assert b <= a + 1e-12


def test_weighted_index():
    assert weighted_index([0, 30], [300, 100]) == pytest.approx((80 * 300 + 50 * 100) / 400)
    assert weighted_index([0, 30]) == pytest.approx(65)
    assert weighted_index([0, np.nan, 30], [100, 500, 100]) == pytest.approx(65)  # blank days skipped
    assert weighted_index([0, 30], [100, 0]) == pytest.approx(80)  # zero amount carries no weight
    assert math.isnan(weighted_index([]))
    assert math.isnan(weighted_index([5], [0]))
    with pytest.raises(ValueError):
        weighted_index([1, 2], [1, -1])
    with pytest.raises(ValueError):
        weighted_index([1, 2], [1])


def ledger():
    inv = pd.DataFrame({
        "invoice_no": ["EARLY", "LATE", "PART", "NOTDUE", "OPEN", "CN", "OLD"],
        "doc_type": ["Invoice", "Invoice", "Invoice", "Invoice", "Invoice", "Credit Note", "Invoice"],
        "customer_id": ["C1", "C1", "C1", "C1", "C2", "C2", "C3"],
        "invoice_date": [D(2026, 1, 1), D(2026, 2, 1), D(2026, 4, 1), D(2026, 6, 15), D(2026, 3, 1), D(2026, 3, 5),
                         D(2023, 1, 1)],
        "due_date": [D(2026, 1, 31), D(2026, 3, 3), D(2026, 5, 1), D(2026, 7, 15), D(2026, 3, 31), D(2026, 3, 5),
                     D(2023, 1, 31)],
        "amount": np.array([10_000, 20_000, 8_000, 5_000, 7_000, 1_000, 9_000], dtype=np.int64),
    })
    alloc = pd.DataFrame({
        "payment_id": ["P1", "P2", "P3", "P4"],
        "invoice_no": ["EARLY", "LATE", "PART", "OLD"],
        "amount": np.array([10_000, 20_000, 3_000, 9_000], dtype=np.int64),
        "payment_date": [D(2026, 1, 21), D(2026, 4, 2), D(2026, 5, 20), D(2023, 3, 2)],
    })
    return open_items(inv, alloc, AS_OF)


def test_experiences_from_settled_and_open_overdue_items():
    exp = payment_experiences(ledger(), AS_OF).set_index("invoice_no")
    assert sorted(exp.index) == ["EARLY", "LATE", "OLD", "OPEN", "PART"]  # not-due and credit notes say nothing
    assert exp.loc["EARLY", "days_beyond_terms"] == -10
    assert exp.loc["LATE", "days_beyond_terms"] == 30
    assert exp.loc["LATE", "experience_date"] == pd.Timestamp(2026, 4, 2)
    assert exp.loc["LATE", "kind"] == "settled"
    # partly paid, 60 days past due on as_of, weighted by what is still open
    assert (exp.loc["PART", "days_beyond_terms"], exp.loc["PART", "amount"], exp.loc["PART", "kind"]) == (60, 5_000, "open")
    assert exp.loc["OPEN", "experience_date"] == pd.Timestamp(AS_OF)
    assert exp.loc["OPEN", "days_beyond_terms"] == 91
    assert exp["amount"].dtype == np.int64


def test_experiences_at_an_earlier_date_see_later_settlements_as_open():
    exp = payment_experiences(ledger(), D(2026, 3, 31)).set_index("invoice_no")
    assert exp.loc["LATE", "kind"] == "open"
    assert exp.loc["LATE", "days_beyond_terms"] == 28
    assert exp.loc["LATE", "amount"] == 20_000
    assert "PART" not in exp.index  # not yet due on 31 March
    assert "OPEN" not in exp.index  # due that very day


def test_customer_index_uses_the_window():
    exp = payment_experiences(ledger(), AS_OF)
    idx = customer_payment_index(exp, AS_OF, window_months=24)
    c1 = (10_000 * 85 + 20_000 * 50 + 5_000 * 40) / 35_000
    assert idx["C1"] == pytest.approx(c1)
    assert idx["C2"] == pytest.approx(index_from_days(91))
    assert math.isnan(idx["C3"])  # its only experience is older than 24 months: blank
    assert customer_payment_index(exp, AS_OF, window_months=48)["C3"] == pytest.approx(index_from_days(30))
    # a window that ends earlier sees only what happened by then
    assert customer_payment_index(exp, D(2026, 2, 28))["C1"] == pytest.approx(85)


def test_empty_inputs():
    assert payment_experiences(open_items(None, None), AS_OF).empty
    assert customer_payment_index(payment_experiences(None, AS_OF), AS_OF).empty
    with pytest.raises(ValueError):
        customer_payment_index(payment_experiences(ledger(), AS_OF), AS_OF, window_months=0)
