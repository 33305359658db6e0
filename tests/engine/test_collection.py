import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.engine.collection import (
    add,
    ar_turnover,
    average_days_late,
    average_days_to_pay,
    best_dso,
    cei,
    dso,
    dso_countback,
    dso_countback_many,
    period_cei,
    receivables_at,
)
from xlfin.engine.ratios import coerce_float_array

D = dt.date


def test_standard_dso_worked_examples():
    assert round(dso(150_000, 1_800_000), 1) == 30.4
    assert round(dso(200_000, 2_000_000, 365), 1) == 36.5
    assert dso(150_000, 450_000, 90) == pytest.approx(30.0)
    assert isinstance(dso(1, 2), float)


def test_dso_is_vectorised_and_nan_on_zero_or_blank_sales():
    out = dso(np.array([150_000, 10, 5, np.nan]), pd.Series([1_800_000, 0, None, 10]))
    assert out.shape == (4,)
    assert round(out[0], 1) == 30.4
    assert np.isnan(out[1:]).all()
    assert math.isnan(dso(100, 0))
    assert dso([], []).size == 0


def test_countback_worked_example():
    assert round(dso_countback(212_000, [100_000, 80_000, 70_000], 30), 1) == 73.7
    # the simple 90-day DSO of the same figures, for contrast (research note: 76.3)
    assert round(dso(212_000, 250_000, 90), 1) == 76.3


def test_countback_edges():
    assert dso_countback(0, [100, 100]) == 0.0
    assert dso_countback(-50, [100]) == 0.0
    assert dso_countback(200, [100, 100, 100]) == 60.0  # exactly two periods
    assert dso_countback(500, [100, 100]) == 60.0  # history runs out: days counted so far
    assert dso_countback(150, [100, 0, 100]) == 30.0  # stops at a period with no sales
    assert dso_countback(150, [100, -20, 100]) == 30.0
    assert math.isnan(dso_countback(150, [0, 100]))  # nothing usable
    assert math.isnan(dso_countback(150, []))
    assert dso_countback(0, []) == 0.0
    assert math.isnan(dso_countback(float("nan"), [100]))


def test_countback_with_calendar_month_lengths():
    # newest first: March 31 days, February 28, January 31
    assert dso_countback(212_000, [100_000, 80_000, 70_000], [31, 28, 31]) == pytest.approx(31 + 28 + 32 / 70 * 31)
    with pytest.raises(ValueError):
        dso_countback(1, [1, 1, 1], [30, 30])


def test_countback_many_matches_one_by_one():
    ar = [212_000, 0, 150, 500]
    sales = [[100_000, 80_000, 70_000], [1, 1, 1], [100, 0, 50], [100, 100, 100]]
    many = dso_countback_many(ar, sales, 30)
    one = [dso_countback(a, s, 30) for a, s in zip(ar, sales)]
    assert many.tolist() == pytest.approx(one)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 1e9), st.lists(st.floats(0.01, 1e8), min_size=1, max_size=12))
def test_countback_is_bounded_and_monotone_in_receivables(ar, sales):
    out = dso_countback(ar, sales, 30)
    assert 0.0 <= out <= 30 * len(sales) + 1e-9
    assert dso_countback(ar * 1.5, sales, 30) >= out - 1e-9


def test_best_possible_dso_and_add():
    total = dso(150_000, 1_800_000)
    best = best_dso(100_000, 1_800_000)
    assert best == pytest.approx(100_000 / 1_800_000 * 365)
    assert add(total, best) == pytest.approx(50_000 / 1_800_000 * 365)
    assert add(np.array([40.0, np.nan]), np.array([30.0, 1.0])).tolist()[0] == 10.0


def test_cei_worked_example_and_undefined():
    assert round(cei(100_000, 1_000_000, 120_000, 100_000), 1) == 98.0
    assert math.isnan(cei(0, 0, 0, 0))
    out = cei([100_000, 50], [1_000_000, 0], [120_000, 50], [100_000, 0])
    assert round(out[0], 1) == 98.0 and out[1] == 0.0


def test_ar_turnover_relates_to_dso():
    turnover = ar_turnover(1_800_000, 140_000, 160_000)
    assert turnover == pytest.approx(12.0)
    assert 365 / turnover == pytest.approx(dso(150_000, 1_800_000))
    assert math.isnan(ar_turnover(100, 0, 0))


def test_average_days_to_pay_and_late_are_amount_weighted():
    amounts = [100, 300, 50]
    invoiced = [D(2026, 1, 1), D(2026, 1, 1), D(2026, 1, 1)]
    due = [D(2026, 1, 31), D(2026, 1, 31), D(2026, 1, 31)]
    paid = [D(2026, 1, 21), D(2026, 2, 10), None]  # the unpaid one does not count
    assert average_days_to_pay(amounts, invoiced, paid) == pytest.approx((100 * 20 + 300 * 40) / 400)
    assert average_days_late(amounts, due, paid) == pytest.approx((100 * -10 + 300 * 10) / 400)
    assert average_days_late(amounts, due, paid, early_as_zero=True) == pytest.approx(300 * 10 / 400)
    assert math.isnan(average_days_to_pay([], [], []))
    assert math.isnan(average_days_late([100], [None], [D(2026, 1, 1)]))
    with pytest.raises(ValueError):
        average_days_to_pay([1, 2], [D(2026, 1, 1)], [D(2026, 1, 1)])


def ledger():
    inv = pd.DataFrame({
        "invoice_no": ["A", "B", "C", "CN"],
        "doc_type": ["Invoice", "Invoice", "Invoice", "Credit Note"],
        "customer_id": ["C1", "C1", "C2", "C2"],
        "invoice_date": [D(2025, 12, 1), D(2026, 1, 10), D(2026, 1, 20), D(2026, 1, 25)],
        "due_date": [D(2025, 12, 31), D(2026, 2, 9), D(2026, 2, 19), D(2026, 1, 25)],
        "amount": np.array([100_000, 50_000, 30_000, 5_000], dtype=np.int64),
    })
    alloc = pd.DataFrame({
        "payment_id": ["P1", "P2"],
        "invoice_no": ["A", "C"],
        "amount": np.array([100_000, 10_000], dtype=np.int64),
        "payment_date": [D(2026, 1, 15), D(2026, 3, 1)],
    })
    return inv, alloc


def test_receivables_at_a_date():
    inv, alloc = ledger()
    assert receivables_at(inv, alloc, D(2025, 12, 31)) == (100_000, 100_000)  # due today is still current
    assert receivables_at(inv, alloc, D(2026, 1, 1)) == (100_000, 0)
    assert receivables_at(inv, alloc, D(2025, 11, 30)) == (0, 0)  # nothing invoiced yet
    # 31 Jan: A paid; B 50,000 and C 30,000 not yet due; credit note -5,000 (due its own date, so not current)
    assert receivables_at(inv, alloc, D(2026, 1, 31)) == (75_000, 80_000)
    assert receivables_at(inv.iloc[0:0], None, D(2026, 1, 31)) == (0, 0)


def test_period_cei_for_january():
    inv, alloc = ledger()
    # begin AR 100,000; January sales 50,000 + 30,000 - 5,000 = 75,000; end AR 75,000; end current AR 80,000
    expected = (100_000 + 75_000 - 75_000) / (100_000 + 75_000 - 80_000) * 100
    assert period_cei(inv, alloc, D(2026, 1, 1), D(2026, 1, 31)) == pytest.approx(expected)
    assert math.isnan(period_cei(inv.iloc[0:0], None, D(2026, 1, 1), D(2026, 1, 31)))


def test_numeric_arrays_take_the_fast_path_and_agree_with_any_other_form():
    receivables = np.array([150_000.0, 10.0, np.nan, 7.0])
    sales = np.array([1_800_000, 0, 10, 7], dtype=np.int64)
    fast = dso(receivables, sales)
    slow = dso(receivables.astype(object).tolist(), pd.Series(sales.astype(object)))
    np.testing.assert_array_equal(fast, slow)
    assert coerce_float_array(receivables) is receivables  # a float64 column is used as it is, not copied
    assert coerce_float_array(sales).dtype == np.float64
    assert coerce_float_array(np.int64(5)).shape == () and coerce_float_array(2.5) == 2.5
    text = coerce_float_array(np.array(["1.5", "late", None], dtype=object))
    assert text[0] == 1.5 and np.isnan(text[1:]).all()  # not a number: undefined, not an error
    assert coerce_float_array(np.array([True, False])).tolist() == [1.0, 0.0]
