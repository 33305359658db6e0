"""13-week cash forecast (weeks, parts, band, overdue items left out) and the demand forecast's band."""

import datetime as dt

import numpy as np
import pandas as pd

from xlfin.engine.forecast_cash import CASH_COLUMNS, WEEKS, cash_forecast, week_probabilities
from xlfin.engine.forecast_demand import DEMAND_COLUMNS, demand_forecast
from xlfin.engine.openitems import open_items

D = dt.date


def book(history_lates, open_dues, customer="A"):
    """Settled history (days late, net 30, monthly from Jan 2025) + open invoices with the given due dates."""
    inv, alloc = [], []
    for k, late in enumerate(history_lates):
        issued = D(2025, 1, 5) + dt.timedelta(days=20 * k)
        due = issued + dt.timedelta(days=30)
        inv.append({"invoice_no": f"H{k}", "customer_id": customer, "invoice_date": issued, "due_date": due,
                    "amount": 100_00})
        alloc.append({"payment_id": f"P{k}", "invoice_no": f"H{k}", "amount": 100_00,
                      "payment_date": due + dt.timedelta(days=late)})
    for k, (due, cents) in enumerate(open_dues):
        inv.append({"invoice_no": f"O{k}", "customer_id": customer, "invoice_date": due - dt.timedelta(days=30),
                    "due_date": due, "amount": cents})
    return open_items(pd.DataFrame(inv), pd.DataFrame(alloc))


AS_OF = D(2026, 6, 30)


def test_thirteen_weeks_from_the_day_after_as_of_and_parts_add_up():
    items = book([0, 2, 5, 1, 0, 3] * 5, [(D(2026, 7, 10), 500_00), (D(2026, 6, 20), 300_00), (D(2026, 8, 15), 200_00)])
    weeks = cash_forecast(items, AS_OF).weeks
    assert list(weeks.columns) == CASH_COLUMNS and len(weeks) == WEEKS
    assert weeks["week_start"].iloc[0] == pd.Timestamp(2026, 7, 1)
    assert weeks["week_end"].iloc[-1] == pd.Timestamp(2026, 7, 1) + pd.Timedelta(days=7 * WEEKS - 1)
    assert (weeks["expected_receipts"] == weeks["from_overdue"] + weeks["from_not_due"]).all()
    assert (weeks["low"] <= weeks["expected_receipts"]).all() and (weeks["expected_receipts"] <= weeks["high"]).all()
    assert (weeks["low"] >= 0).all()
    # a punctual customer: the weeks hold nearly all of it (the invoice unpaid 10 days past due, later than any
    # before, is a hint that some money may not come: Kaplan–Meier keeps a few % back)
    assert 950_00 <= int(weeks["expected_receipts"].sum()) <= 1000_00
    assert int(weeks["from_overdue"].sum()) == 300_00 and int(weeks["open_items"].sum()) == 3
    # the invoice due 10 July from a customer who pays 0-5 days late lands in the week of 8-14 July
    assert int(weeks["from_not_due"].iloc[1]) >= 400_00


def test_overdue_items_history_says_will_not_be_paid_are_not_cash():
    items = book([0, 2, 5, 1, 0, 3] * 5, [(D(2026, 7, 10), 500_00), (D(2025, 12, 1), 900_00)])  # 211 days overdue
    result = cash_forecast(items, AS_OF)
    assert result.excluded_items == 1 and result.excluded_amount == 900_00
    assert int(result.weeks["from_overdue"].sum()) == 0
    # the long-unpaid invoice also tells that not every invoice gets paid: a little of the other is held back
    assert 450_00 <= int(result.weeks["expected_receipts"].sum()) <= 500_00


def test_probabilities_are_conditional_on_still_being_open():
    residuals = np.sort(np.array([-5.0, 0, 0, 3, 10, 20, 40, 80]))
    prob = week_probabilities(residuals, center=np.array([0.0, 0.0]), overdue_days=np.array([-20.0, 15.0]))
    assert prob.shape == (2, WEEKS)
    assert np.isclose(prob[0].sum(), 7 / 8)  # due in 20 days: the 80-days-late outcome falls after week 13
    # 15 days overdue: only the outcomes 20, 40, 80 are still possible, 1/3 each (week 1, 4, 10)
    assert np.allclose(prob[1][[0, 3, 9]], 1 / 3) and np.isclose(prob[1].sum(), 1.0)


def test_unpaid_invoices_in_history_lower_the_chance_of_payment():
    """Survivorship: with only settled history every open invoice looks payable; the unpaid ones say otherwise."""
    from xlfin.engine.forecast_cash import survival

    settled = np.array([0.0, 0.0, 10.0, 10.0])
    assert survival(settled, np.zeros(0), np.array([-1.0, 0.0, 5.0, 10.0])).tolist() == [1.0, 0.5, 0.5, 0.0]
    # two more invoices unpaid at 5 (a lower bound): they leave the count before 10, like those paid at 10 would
    assert np.allclose(survival(settled, np.array([5.0, 5.0]), np.array([0.0, 10.0])), [4 / 6, 0.0])
    # ... but unpaid at 20, later than anything ever paid: of 4 still at risk at 10 only 2 paid, 1/3 never is
    assert np.allclose(survival(settled, np.array([20.0, 20.0]), np.array([0.0, 10.0, 30.0])), [4 / 6, 1 / 3, 1 / 3])


def test_no_history_puts_each_invoice_on_its_due_date():
    items = book([], [(D(2026, 7, 10), 500_00)])
    weeks = cash_forecast(items, AS_OF).weeks
    assert weeks["expected_receipts"].tolist()[1] == 500_00 and int(weeks["expected_receipts"].sum()) == 500_00
    empty = cash_forecast(items.iloc[0:0], AS_OF).weeks
    assert len(empty) == WEEKS and int(empty["expected_receipts"].sum()) == 0


def monthly(customer, first, amounts):
    return [{"invoice_no": f"{customer}{k}", "customer_id": customer, "doc_type": "Invoice",
             "invoice_date": (pd.Timestamp(first) + pd.DateOffset(months=k)).date(), "amount": a}
            for k, a in enumerate(amounts)]


def test_demand_forecast_band_and_active_customers_only():
    rows = monthly("FLAT", "2025-01-10", [50_000] * 18) + monthly("NOISY", "2025-01-10",
                                                                  [40_000, 60_000] * 9)
    rows += monthly("GONE", "2023-01-10", [10_000] * 6)  # last invoice mid-2023: not active
    out = demand_forecast(pd.DataFrame(rows), D(2026, 6, 30))
    assert list(out.columns) == DEMAND_COLUMNS
    assert set(out["customer_id"]) == {"FLAT", "NOISY"}
    flat = out[out["customer_id"] == "FLAT"]
    assert (flat["forecast_revenue"] == 50_000).all() and (flat["low"] == flat["high"]).all()
    noisy = out[out["customer_id"] == "NOISY"]
    width = (noisy["high"] - noisy["low"]).to_numpy()
    assert (noisy["low"] <= noisy["forecast_revenue"]).all() and (noisy["forecast_revenue"] <= noisy["high"]).all()
    assert (np.diff(width) > 0).all()  # wider further ahead
    assert (out["low"] >= 0).all() and out["forecast_revenue"].dtype == np.int64
