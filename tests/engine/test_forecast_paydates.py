"""Predicted pay dates: fallbacks named in basis, no look-ahead, recency, disputes, overdue items, and the measured
gain over the customer-median rule on the IBM late-payment sample at later-period cuts."""

import datetime as dt

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from xlfin.engine.forecast_backtest import book_at, score_pay_dates
from xlfin.engine.forecast_paydates import (BASES, PAY_DATE_COLUMNS, PayDateParams, fit_pay_model, predict_pay_dates,
                                            settled_history)
from xlfin.engine.openitems import open_items
from support.ibm_sample import DATA, book_tables, read_sample

D = dt.date


def ledger(rows):
    """rows: (customer, invoice_date, days_late or None for open, disputed) -> open items, net 30."""
    inv, alloc = [], []
    for k, (customer, issued, late, disputed) in enumerate(rows):
        number = f"INV-{k:04d}"
        due = issued + dt.timedelta(days=30)
        inv.append({"invoice_no": number, "customer_id": customer, "invoice_date": issued, "due_date": due,
                    "amount": 10_000 + k, "disputed": "Yes" if disputed else "No"})
        if late is not None:
            alloc.append({"payment_id": f"P{k}", "invoice_no": number, "amount": 10_000 + k,
                          "payment_date": due + dt.timedelta(days=late)})
    return open_items(pd.DataFrame(inv), pd.DataFrame(alloc))


def monthly_history(customer, lates, start=D(2025, 1, 5), disputed=None):
    return [(customer, start + dt.timedelta(days=30 * k), late, bool(disputed and disputed[k]))
            for k, late in enumerate(lates)]


def by_invoice(frame):
    return frame.set_index("invoice_no")


def test_columns_and_every_basis_of_the_fallback_order():
    rows = monthly_history("OLD", [10] * 8) + monthly_history("NEW1", [40]) + monthly_history("FILL", [5] * 12)
    rows += [("OLD", D(2025, 12, 1), None, False), ("NEW1", D(2025, 12, 1), None, False),
             ("NOBODY", D(2025, 12, 1), None, False)]
    out = by_invoice(predict_pay_dates(ledger(rows), D(2025, 12, 10)))
    assert list(out.reset_index().columns) == PAY_DATE_COLUMNS
    basis = out.groupby("customer_id")["basis"].first().to_dict()
    assert basis == {"OLD": "model", "NEW1": "customer_median", "NOBODY": "portfolio_median"}
    assert out.loc[out["customer_id"] == "NEW1", "predicted_days_late"].tolist() == [40]
    empty = predict_pay_dates(ledger([("X", D(2025, 12, 1), None, False)]), D(2025, 12, 10))
    assert empty["basis"].tolist() == ["due_date"] and empty["predicted_days_late"].tolist() == [0]
    assert set(BASES) == {"model", "customer_median", "portfolio_median", "due_date"}


def test_nothing_after_as_of_is_used():
    rows = monthly_history("A", [0, 0, 0, 0, 0, 0]) + [("A", D(2025, 7, 1), None, False)]
    as_of = D(2025, 7, 20)
    # an invoice due 1 July settled only after as_of — 20 or 200 days late: the same book on as_of
    soon, late = (ledger(rows + [("A", D(2025, 6, 1), days, False)]) for days in (20, 200))
    assert_frame_equal(predict_pay_dates(soon, as_of), predict_pay_dates(late, as_of))
    history = settled_history(soon, as_of).set_index("invoice_no")
    assert history.loc["INV-0007", "censored"] and history.loc["INV-0007", "days_late"] == 19  # unpaid 19 days on
    assert not history["censored"].drop("INV-0007").any()
    # a month earlier, the still-open invoices of June were not yet due: no lower bounds then
    assert not settled_history(soon, D(2025, 6, 30))["censored"].any()


def test_nothing_open_is_predicted_before_the_day_after_as_of():
    rows = monthly_history("A", [-10] * 6) + [("A", D(2025, 5, 1), None, False)]  # due 31 May, open on 20 July
    out = predict_pay_dates(ledger(rows), D(2025, 7, 20))
    assert (out["predicted_pay_date"] >= pd.Timestamp(2025, 7, 21)).all()


def test_recent_behaviour_outweighs_old_behaviour():
    """Paid 30 days late for a year, now on time for five months: the plain median says 30, the model follows."""
    rows = monthly_history("A", [30] * 12 + [0] * 5) + monthly_history("B", [5] * 17)
    rows += [("A", D(2026, 6, 1), None, False)]
    items = ledger(rows)
    as_of = D(2026, 6, 5)
    history = settled_history(items, as_of)
    assert history[history["customer_id"] == "A"]["days_late"].median() == 30
    predicted = predict_pay_dates(items, as_of)
    assert predicted["predicted_days_late"].tolist()[0] < 10


def test_disputed_invoices_are_predicted_later():
    disputed = [k % 4 == 0 for k in range(24)]
    lates = [25 if d else 0 for d in disputed]
    rows = monthly_history("A", lates, disputed=disputed) + monthly_history("B", lates, disputed=disputed)
    rows += [("A", D(2027, 1, 1), None, True), ("A", D(2027, 1, 2), None, False)]
    out = predict_pay_dates(ledger(rows), D(2027, 1, 3)).set_index("invoice_no")["predicted_days_late"]
    model = fit_pay_model(settled_history(ledger(rows), D(2027, 1, 3)))
    assert model.dispute_effect == 25
    assert out.iloc[-2:].sort_values().tolist() == [0, 25]


def test_an_invoice_that_outlived_its_prediction_gets_the_typical_late_outcome():
    lates = [0, 0, 0, 0, 2, 0, 0, 30, 0, 0, 40, 0, 1, 0, 0, 50]
    rows = monthly_history("A", lates) + monthly_history("B", [0] * 10) + [("A", D(2026, 6, 1), None, False)]
    out = predict_pay_dates(ledger(rows), D(2026, 7, 20))  # due 1 July, 19 days overdue: past ones that late: 30–50
    assert out["predicted_days_late"].tolist() == [40]
    assert out["basis"].tolist() == ["model"]


def test_book_at_undoes_later_settlements():
    rows = monthly_history("A", [0, 0, 60])
    items = ledger(rows)
    book = book_at(items, D(2025, 4, 1))  # third invoice (5 Mar, due 4 Apr) issued, not yet settled
    assert book["outstanding"].tolist() == [0, 0, 10_002]
    assert book["settled_date"].isna().tolist() == [False, False, True]


@pytest.fixture(scope="module")
def ibm_items():
    if not DATA.exists():
        pytest.skip(f"sample data not found: {DATA}")
    return open_items(*book_tables(read_sample()))


def test_ibm_later_period_cuts_beat_the_customer_median_by_a_fifth(ibm_items):
    """Second half of 2013: the model learns only from what was settled by each month end."""
    cuts = [d.date() for d in pd.date_range("2013-06-30", "2013-11-30", freq="ME")]
    score = score_pay_dates(ibm_items, cuts)
    assert score.items > 400
    assert score.mae_customer_median < score.mae_due_date
    assert score.gain >= 0.20, score


def test_ibm_without_the_dispute_flag_the_model_is_no_worse_than_the_median(ibm_items):
    """Honesty check: most of the gain is the dispute flag; without it the model must still hold its ground."""
    cuts = [d.date() for d in pd.date_range("2013-06-30", "2013-11-30", freq="ME")]
    score = score_pay_dates(ibm_items.drop(columns=["disputed"]), cuts, PayDateParams())
    assert score.mae_model <= score.mae_customer_median * 1.02, score
