"""Properties of reconcile() over random small ledgers: money is conserved, never over-allocated, and the result
depends on the data only (not on row order or on the run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlfin.engine.reconcile import reconcile
from xlfin.schema import INVOICES, PAYMENTS

CUSTOMER_IDS = ["C1", "C2", "C3"]
NAMES = ["Acme Trading Co., Ltd.", "Blue Star Foods Inc.", "上海华信贸易有限公司"]
PAYER_NAMES = NAMES + ["ACME TRADING LTD", "上海华信贸易", "J SMITH", ""]

# the schema's input columns, less those reconcile does not read
INVOICE_COLUMNS = [c.key for c in INVOICES.input_columns if c.key not in ("cost", "project", "contract_no", "notes")]
PAYMENT_COLUMNS = [c.key for c in PAYMENTS.input_columns if c.key not in ("method", "notes")]

# small amounts from a short list, so that equal outstanding amounts and exact combinations really happen
AMOUNTS = st.sampled_from([500, 1_000, 1_500, 2_000, 2_500, 3_333, 9_990, 10_000])


@st.composite
def ledgers(draw):
    n_inv = draw(st.integers(0, 12))
    invoices = []
    for i in range(n_inv):
        is_cn = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
        invoices.append(
            {
                "invoice_no": f"{'CN' if is_cn else 'INV'}-{1001 + i}",
                "doc_type": "Credit Note" if is_cn else "Invoice",
                "customer_id": draw(st.sampled_from(CUSTOMER_IDS)),
                "invoice_date": pd.Timestamp("2026-01-01") + pd.Timedelta(days=draw(st.integers(0, 60))),
                "due_date": pd.Timestamp("2026-02-01") + pd.Timedelta(days=draw(st.integers(0, 60))),
                "amount": draw(AMOUNTS),
                "currency": draw(st.sampled_from(["USD", "USD", "USD", "EUR"])),
                "disputed": draw(st.booleans()) and draw(st.booleans()),
            }
        )
    numbers = [r["invoice_no"] for r in invoices] or ["INV-1001"]
    word = st.sampled_from(numbers + ["1002", "inv 1003", "1001-1004", "1OO5", "PAYMENT", "#1006", "less"])
    n_pay = draw(st.integers(0, 10))
    payments = []
    for j in range(n_pay):
        payments.append(
            {
                "payment_id": f"P{j:02d}",
                "payment_date": pd.Timestamp("2026-03-01") + pd.Timedelta(days=draw(st.integers(0, 5))),
                "customer_id": draw(st.sampled_from(CUSTOMER_IDS + ["", ""])),
                "payer_name": draw(st.sampled_from(PAYER_NAMES)),
                "amount": draw(st.one_of(AMOUNTS, st.integers(1, 30_000))),
                "currency": draw(st.sampled_from(["USD", "USD", "EUR", ""])),
                "reference": " ".join(draw(st.lists(word, max_size=3))),
                "applied_to": ", ".join(draw(st.lists(st.sampled_from(numbers + ["INV-9999"]), max_size=2)))
                if draw(st.booleans()) and draw(st.booleans())
                else "",
            }
        )
    inv = pd.DataFrame(invoices, columns=INVOICE_COLUMNS).astype({"amount": np.int64, "disputed": bool})
    pay = pd.DataFrame(payments, columns=PAYMENT_COLUMNS).astype({"amount": np.int64})
    cust = pd.DataFrame({"customer_id": CUSTOMER_IDS, "name": NAMES})
    tolerance = draw(st.sampled_from([(100, 0.005), (0, 0.03), (1_000, 0.0)]))
    fifo = draw(st.booleans())
    return inv, pay, cust, {"tolerance_abs_cents": tolerance[0], "tolerance_pct": tolerance[1], "fifo": fifo}


SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_invariants(ledger):
    inv, pay, cust, opts = ledger
    r = reconcile(inv, pay, cust, **opts)
    _money_is_conserved_per_payment(r, pay)
    _nothing_is_allocated_beyond_outstanding_or_credit(r, inv)
    _rules_respect_disputes_and_naming(r, inv, pay, opts)


def _money_is_conserved_per_payment(r, pay):
    cash = r.allocations[r.allocations["rule"] != "credit_note"]
    assert (r.allocations["amount"] > 0).all()
    assert (r.unapplied["unapplied_amount"] > 0).all()
    applied = cash.groupby("payment_id")["amount"].sum()
    left = r.unapplied.groupby("payment_id")["unapplied_amount"].sum()
    for pid, amount in zip(pay["payment_id"], pay["amount"]):
        assert int(applied.get(pid, 0)) + int(left.get(pid, 0)) == int(amount)
    assert set(cash["payment_id"]) <= set(pay["payment_id"])


def _nothing_is_allocated_beyond_outstanding_or_credit(r, inv):
    by_no = inv.set_index("invoice_no")
    received = r.allocations.groupby("invoice_no")["amount"].sum()
    for no, total in received.items():
        assert by_no.loc[no, "doc_type"] == "Invoice"
        assert total <= by_no.loc[no, "amount"]
    credit = r.allocations[r.allocations["rule"] == "credit_note"].groupby("payment_id")["amount"].sum()
    for cn, used in credit.items():
        assert by_no.loc[cn, "doc_type"] == "Credit Note" and used <= by_no.loc[cn, "amount"]
    # allocations stay within the invoice's customer
    for no, customer in zip(r.allocations["invoice_no"], r.allocations["customer_id"]):
        assert customer == by_no.loc[no, "customer_id"]


def _rules_respect_disputes_and_naming(r, inv, pay, opts):
    disputed = set(inv.loc[inv["disputed"], "invoice_no"])
    amount_rules = r.allocations[
        r.allocations["rule"].isin(["exact_amount", "combination", "tolerance", "fifo"])
    ]
    assert not (set(amount_rules["invoice_no"]) & disputed)
    named = set(pay.loc[pay["applied_to"] != "", "payment_id"])
    assert not (set(amount_rules["payment_id"]) & named)
    if not opts["fifo"]:
        assert "fifo" not in set(r.allocations["rule"])
    assert (r.writeoffs["amount"] > 0).all()


@SETTINGS
@given(ledgers(), st.randoms(use_true_random=False))
def test_deterministic_and_independent_of_row_order(ledger, rnd):
    inv, pay, cust, opts = ledger
    first = reconcile(inv, pay, cust, **opts)
    again = reconcile(inv, pay, cust, **opts)

    def shuffled(frame):
        order = list(range(len(frame)))
        rnd.shuffle(order)
        return frame.iloc[order].reset_index(drop=True)

    moved = reconcile(shuffled(inv), shuffled(pay), shuffled(cust), **opts)
    for name in ("allocations", "unapplied", "writeoffs"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
        pd.testing.assert_frame_equal(getattr(first, name), getattr(moved, name))
