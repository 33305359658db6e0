"""Payment plans: schedules in exact cents, which invoices a plan covers, and whether it is kept to."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlfin.engine.payment_plans import (
    PaymentPlanError,
    add_months,
    instalment_schedule,
    normalise_plans,
    parse_invoice_list,
    plan_coverage,
    plan_status,
    schedule_frame,
)

D = dt.date


def items(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """Open items from (invoice_no, customer_id, due_date, outstanding cents)."""
    return pd.DataFrame({
        "invoice_no": [r[0] for r in rows],
        "doc_type": ["Invoice"] * len(rows),
        "customer_id": [r[1] for r in rows],
        "invoice_date": pd.to_datetime([r[2] for r in rows]) - pd.Timedelta(days=30),
        "due_date": pd.to_datetime([r[2] for r in rows]),
        "amount": [max(r[3], 1) for r in rows],
        "outstanding": np.array([r[3] for r in rows], dtype=np.int64),
        "disputed": [False] * len(rows),
        "currency": ["USD"] * len(rows),
    })


FIRST = D(2026, 1, 31)


def plan(plan_id="P1", customer_id="C1", total=90000, instalments=3, first_date=FIRST,
         frequency="Monthly", invoices="") -> dict:
    return {"plan_id": plan_id, "customer_id": customer_id, "total": total, "instalments": instalments,
            "first_date": first_date, "frequency": frequency, "invoices": invoices}


def test_schedule_splits_exactly_with_the_remainder_last() -> None:
    schedule = instalment_schedule(100000, 3, D(2026, 1, 31), "Monthly")
    assert [a for _, a in schedule] == [33333, 33333, 33334]
    assert [d for d, _ in schedule] == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)]


@pytest.mark.parametrize(
    ("frequency", "dates"),
    [
        ("Weekly", [D(2026, 1, 31), D(2026, 2, 7), D(2026, 2, 14)]),
        ("Fortnightly", [D(2026, 1, 31), D(2026, 2, 14), D(2026, 2, 28)]),
        ("Quarterly", [D(2026, 1, 31), D(2026, 4, 30), D(2026, 7, 31)]),
    ],
)
def test_schedule_frequencies(frequency: str, dates: list[dt.date]) -> None:
    assert [d for d, _ in instalment_schedule(300, 3, D(2026, 1, 31), frequency)] == dates


def test_add_months_clamps_to_month_end_and_crosses_years() -> None:
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert add_months(D(2026, 5, 15), -6) == D(2025, 11, 15)


@given(st.integers(1, 10**12), st.integers(1, 60))
def test_schedule_amounts_always_sum_to_the_total(total: int, n: int) -> None:
    amounts = [a for _, a in instalment_schedule(total, n, D(2026, 1, 1), "Weekly")]
    assert sum(amounts) == total
    assert max(amounts) - min(amounts) < n or n == 1


def test_parse_invoice_list_accepts_usual_separators() -> None:
    assert parse_invoice_list("INV-1, INV-2;INV-3  INV-4，INV-5；INV-1") == ["INV-1", "INV-2", "INV-3", "INV-4", "INV-5"]
    assert parse_invoice_list(None) == [] == parse_invoice_list(float("nan")) == parse_invoice_list("  ")


def test_normalise_rejects_what_it_cannot_schedule() -> None:
    with pytest.raises(PaymentPlanError, match="P9.*frequency"):
        normalise_plans(pd.DataFrame([plan(plan_id="P9", frequency="Yearly")]))
    with pytest.raises(PaymentPlanError, match="P8.*instalments"):
        normalise_plans(pd.DataFrame([plan(plan_id="P8", instalments=0)]))
    with pytest.raises(PaymentPlanError, match="P7.*first_date"):
        normalise_plans(pd.DataFrame([plan(plan_id="P7", first_date="soon")]))


def test_normalise_defaults_frequency_and_reads_chinese_labels() -> None:
    typed = normalise_plans(pd.DataFrame([plan(plan_id="A", frequency=None), plan(plan_id="B", frequency="每周")]))
    assert list(typed["frequency"]) == ["Monthly", "Weekly"]
    assert normalise_plans(None).empty


def test_schedule_frame_rows() -> None:
    frame = schedule_frame(pd.DataFrame([plan(total=1000, instalments=2)]))
    assert list(frame["amount"]) == [500, 500]
    assert list(frame["instalment"]) == [1, 2]
    assert frame["due_date"].dt.date.tolist() == [D(2026, 1, 31), D(2026, 2, 28)]


def test_coverage_named_invoices_only_of_that_customer() -> None:
    open_items = items([("I1", "C1", "2025-12-01", 100), ("I2", "C1", "2025-12-05", 100),
                        ("X1", "C2", "2025-12-01", 100)])
    coverage = plan_coverage(pd.DataFrame([plan(invoices="I2, X1")]), open_items)
    assert coverage[["plan_id", "invoice_no"]].values.tolist() == [["P1", "I2"]]


def test_coverage_blank_means_invoices_due_before_the_first_instalment() -> None:
    open_items = items([("I1", "C1", "2025-12-01", 100), ("I2", "C1", "2026-01-30", 100),
                        ("I3", "C1", "2026-01-31", 100)])
    coverage = plan_coverage(pd.DataFrame([plan(invoices="")]), open_items)
    assert sorted(coverage["invoice_no"]) == ["I1", "I2"]


def test_status_kept_when_balance_follows_the_schedule() -> None:
    plans = pd.DataFrame([plan(total=90000, instalments=3, invoices="I1")])
    # Two instalments (31 Jan, 28 Feb) have fallen due before 15 Mar: 60,000 paid, 30,000 may remain.
    status = plan_status(plans, items([("I1", "C1", "2025-12-01", 30000)]), D(2026, 3, 15)).iloc[0]
    assert status["due_to_date"] == 60000 and status["paid_to_date"] == 60000
    assert bool(status["kept"]) and status["behind"] == 0
    assert status["next_date"].date() == D(2026, 3, 31) and status["next_amount"] == 30000


def test_status_broken_when_a_cent_behind() -> None:
    plans = pd.DataFrame([plan(total=90000, instalments=3, invoices="I1")])
    status = plan_status(plans, items([("I1", "C1", "2025-12-01", 30001)]), D(2026, 3, 15)).iloc[0]
    assert not bool(status["kept"]) and status["behind"] == 1


def test_instalment_due_on_the_as_of_day_is_not_yet_late() -> None:
    plans = pd.DataFrame([plan(total=90000, instalments=3, invoices="I1")])
    open_items = items([("I1", "C1", "2025-12-01", 90000)])
    assert bool(plan_status(plans, open_items, D(2026, 1, 31)).iloc[0]["kept"])
    assert not bool(plan_status(plans, open_items, D(2026, 2, 1)).iloc[0]["kept"])


def test_fully_paid_invoices_count_as_paid() -> None:
    plans = pd.DataFrame([plan(total=90000, instalments=3, invoices="I1 I2")])
    status = plan_status(plans, items([("I1", "C1", "2025-12-01", 0), ("I2", "C1", "2025-12-01", 30000)]),
                         D(2026, 3, 15)).iloc[0]
    assert bool(status["kept"]) and status["remaining"] == 30000


def test_status_of_no_plans_is_empty() -> None:
    assert plan_status(None, None, D(2026, 1, 1)).empty
