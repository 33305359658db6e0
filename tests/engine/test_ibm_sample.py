"""IBM "Finance Factoring / late payment histories" sample (2,466 settled invoices, net 30), read from the shared
test-data folder: our open items + payment experiences must reproduce the file's own DaysLate column.

In this file DaysLate = max(0, SettledDate − DueDate) for every row (checked below before relying on it); early
payments (up to 30 days early) carry DaysLate 0.
"""

import datetime as dt

import numpy as np
import pytest

from xlfin.engine.collection import average_days_late, average_days_to_pay
from xlfin.engine.openitems import open_items
from xlfin.engine.payment_index import customer_payment_index, index_from_days, payment_experiences
from support.ibm_sample import DATA, book_tables, read_sample

AS_OF = dt.date(2014, 12, 31)


@pytest.fixture(scope="module")
def sample():
    if not DATA.exists():
        pytest.skip(f"sample data not found: {DATA}")
    return read_sample()


@pytest.fixture(scope="module")
def ledger(sample):
    invoices, allocations = book_tables(sample)
    items = open_items(invoices, allocations, AS_OF)
    return invoices, items, payment_experiences(items, AS_OF)


def test_the_file_defines_days_late_as_clipped_settled_minus_due(sample):
    days = (sample["SettledDate"] - sample["DueDate"]).dt.days
    assert (np.maximum(days, 0) == sample["DaysLate"]).all()
    assert (days < 0).any()  # early payers exist, so the clip matters
    assert ((sample["SettledDate"] - sample["InvoiceDate"]).dt.days == sample["DaysToSettle"]).all()


def test_every_invoice_is_paid_and_settled_on_its_settled_date(sample, ledger):
    invoices, items, _ = ledger
    assert len(items) == len(sample) == 2466
    assert (items["status"] == "Paid").all()
    assert (items["outstanding"] == 0).all()
    assert int(items["paid"].sum()) == int(invoices["amount"].sum())
    assert (items["settled_date"].to_numpy() == sample["SettledDate"].to_numpy()).all()


def test_days_beyond_terms_reproduce_days_late(sample, ledger):
    _, _, experiences = ledger
    assert len(experiences) == len(sample)
    assert (experiences["kind"] == "settled").all()
    merged = experiences.merge(sample[["invoiceNumber", "DaysLate"]], left_on="invoice_no",
                               right_on="invoiceNumber", validate="one_to_one")
    assert (np.maximum(merged["days_beyond_terms"], 0) == merged["DaysLate"]).all()


def test_research_baselines(sample, ledger):
    _, items, experiences = ledger
    amounts = items["amount"].to_numpy()
    late = average_days_late(amounts, items["due_date"], items["settled_date"], early_as_zero=True)
    assert round(late, 2) == 3.57  # research note: dollar-weighted days late 3.57
    to_pay = average_days_to_pay(amounts, items["invoice_date"], items["settled_date"])
    weights = sample["InvoiceAmount"].astype(float)
    assert to_pay == pytest.approx((weights * sample["DaysToSettle"]).sum() / weights.sum(), rel=1e-4)
    # research note's index used the lateness clipped at 0 (80 = on time or early): median 78.6, range 62.7–80
    clipped = experiences.assign(days_beyond_terms=np.maximum(experiences["days_beyond_terms"], 0))
    per_customer = customer_payment_index(clipped, AS_OF, window_months=36)
    assert len(per_customer) == 100
    assert round(per_customer.median(), 1) == 78.6
    assert round(per_customer.min(), 1) == 62.7 and round(per_customer.max(), 1) == 80.0
    # our own index rewards early payment, so it can only be higher
    ours = customer_payment_index(experiences, AS_OF, window_months=36)
    assert (ours >= per_customer - 1e-9).all() and ours.max() <= 100
    assert index_from_days(-30) == 100
