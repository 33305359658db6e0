import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.engine.openitems import (
    CREDIT_NOTE,
    INVOICE,
    OpenItemsError,
    documents_as_of,
    fill_due_dates,
    invoice_payment_dates,
    open_items,
)

D = dt.date


def invoices(*rows):
    """rows: (invoice_no, customer_id, invoice_date, due_date, amount_cents[, doc_type])"""
    return pd.DataFrame({
        "invoice_no": [r[0] for r in rows],
        "doc_type": [r[5] if len(r) > 5 else "Invoice" for r in rows],
        "customer_id": [r[1] for r in rows],
        "invoice_date": [r[2] for r in rows],
        "due_date": [r[3] for r in rows],
        "amount": np.array([r[4] for r in rows], dtype=np.int64),
    })


def allocations(*rows):
    """rows: (payment_id, invoice_no, amount_cents[, payment_date])"""
    frame = pd.DataFrame({
        "payment_id": [r[0] for r in rows],
        "invoice_no": [r[1] for r in rows],
        "customer_id": "C1",
        "amount": np.array([r[2] for r in rows], dtype=np.int64),
    })
    if rows and len(rows[0]) > 3:
        frame["payment_date"] = [r[3] for r in rows]
    return frame


def row(frame, number):
    return frame.set_index("invoice_no").loc[number]


def test_erpnext_partial_payments_leave_110_partly_paid():
    inv = invoices(("SINV-1", "C1", D(2026, 1, 1), D(2026, 1, 31), 20000))
    alloc = allocations(("P1", "SINV-1", 5500, D(2026, 1, 10)), ("P2", "SINV-1", 3500, D(2026, 1, 20)))
    r = row(open_items(inv, alloc), "SINV-1")
    assert r["paid"] == 9000
    assert r["outstanding"] == 11000
    assert r["status"] == "Partly Paid"
    assert pd.isna(r["settled_date"])


def test_full_payment_is_paid_and_settled_on_the_last_payment_date():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 20000))
    alloc = allocations(("P2", "A", 15000, D(2026, 2, 9)), ("P1", "A", 5000, D(2026, 1, 15)))
    r = row(open_items(inv, alloc), "A")
    assert (r["paid"], r["outstanding"], r["status"]) == (20000, 0, "Paid")
    assert r["settled_date"] == pd.Timestamp(2026, 2, 9)


def test_unpaid_invoice_is_open_without_allocations():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 12345))
    for alloc in (None, allocations()):
        r = row(open_items(inv, alloc), "A")
        assert (r["paid"], r["outstanding"], r["status"]) == (0, 12345, "Open")


def test_credit_note_is_negative_until_applied():
    inv = invoices(
        ("INV-1", "C1", D(2026, 1, 1), D(2026, 1, 31), 10000),
        ("CN-1", "C1", D(2026, 1, 5), D(2026, 1, 5), 4000, "Credit Note"),
    )
    items = open_items(inv, None)
    cn = row(items, "CN-1")
    assert (cn["outstanding"], cn["status"], cn["doc_type"]) == (-4000, "Credit", CREDIT_NOTE)

    # the credit note settles part of INV-1: one allocation pays the invoice and uses up the credit note
    applied = open_items(inv, allocations(("CN-1", "INV-1", 1500, D(2026, 1, 5))))
    assert row(applied, "CN-1")["outstanding"] == -2500
    assert row(applied, "CN-1")["status"] == "Credit"
    assert row(applied, "INV-1")["outstanding"] == 8500

    used_up = open_items(inv, allocations(("CN-1", "INV-1", 4000, D(2026, 1, 5))))
    assert row(used_up, "CN-1")["outstanding"] == 0
    assert row(used_up, "CN-1")["status"] == "Paid"
    assert row(used_up, "CN-1")["settled_date"] == pd.Timestamp(2026, 1, 5)


def test_as_of_ignores_later_payments_but_keeps_undated_ones():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 10000))
    alloc = allocations(("P1", "A", 3000, D(2026, 1, 20)), ("P2", "A", 7000, D(2026, 2, 20)))
    assert row(open_items(inv, alloc, as_of=D(2026, 1, 31)), "A")["outstanding"] == 7000
    assert row(open_items(inv, alloc, as_of=D(2026, 2, 20)), "A")["outstanding"] == 0
    undated = allocations(("P1", "A", 3000), ("P2", "A", 7000))
    r = row(open_items(inv, undated, as_of=D(2026, 1, 1)), "A")
    assert r["outstanding"] == 0
    assert pd.isna(r["settled_date"])  # paid, but when is unknown


def test_settled_date_unknown_when_any_payment_date_is_missing():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 10000))
    alloc = allocations(("P1", "A", 3000, D(2026, 1, 20)), ("P2", "A", 7000, None))
    r = row(open_items(inv, alloc), "A")
    assert r["status"] == "Paid"
    assert pd.isna(r["settled_date"])


def test_allocations_to_unknown_invoices_are_ignored():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 10000))
    items = open_items(inv, allocations(("P1", "ZZZ", 3000, D(2026, 1, 20))))
    assert items["outstanding"].tolist() == [10000]


def test_empty_invoices_give_an_empty_frame_with_the_output_columns():
    for frame in (None, pd.DataFrame(), invoices().iloc[0:0]):
        out = open_items(frame, None)
        assert len(out) == 0
        for col in ("invoice_no", "customer_id", "paid", "outstanding", "status", "settled_date"):
            assert col in out.columns


def test_keeps_user_columns_order_and_defaults_doc_type_and_disputed():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 100), ("B", "C1", D(2026, 1, 2), None, 200))
    inv = inv.drop(columns="doc_type")
    inv["project"] = ["x", "y"]
    out = open_items(inv, None)
    assert out["invoice_no"].tolist() == ["A", "B"]
    assert out["project"].tolist() == ["x", "y"]
    assert out["doc_type"].tolist() == [INVOICE, INVOICE]
    assert out["disputed"].tolist() == [False, False]
    assert pd.isna(out.loc[1, "due_date"])
    assert out["amount"].dtype == np.int64 and out["outstanding"].dtype == np.int64


def test_disputed_and_doc_type_text_is_read():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 100), ("B", "C1", D(2026, 1, 2), D(2026, 2, 1), 200))
    inv["doc_type"] = [None, " credit note "]
    inv["disputed"] = ["yes", None]
    out = open_items(inv, None)
    assert out["doc_type"].tolist() == [INVOICE, CREDIT_NOTE]
    assert out["disputed"].tolist() == [True, False]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: f.drop(columns="amount"), "missing column"),
        (lambda f: f.assign(invoice_no=["A", "A"]), "duplicate"),
        (lambda f: f.assign(invoice_no=["A", None]), "blank"),
        (lambda f: f.assign(amount=[100.5, 200.0]), "integer cents"),
        (lambda f: f.assign(amount=[100, None]), "blank amount"),
        (lambda f: f.assign(doc_type=["Invoice", "Receipt"]), "Credit Note"),
        (lambda f: f.assign(customer_id=["C1", None]), "customer_id"),
    ],
)
def test_bad_invoices_raise_a_clear_error(mutate, message):
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 100), ("B", "C1", D(2026, 1, 2), D(2026, 2, 1), 200))
    with pytest.raises(OpenItemsError, match=message):
        open_items(mutate(inv), None)


def test_whole_float_cents_are_accepted():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 100))
    inv["amount"] = [100.0]
    assert open_items(inv, None)["outstanding"].tolist() == [100]


def test_invoice_payment_dates_from_payments_and_credit_notes():
    inv = invoices(
        ("INV-1", "C1", D(2026, 1, 1), D(2026, 1, 31), 10000),
        ("CN-1", "C1", D(2026, 1, 7), D(2026, 1, 7), 1000, "Credit Note"),
    )
    alloc = allocations(("P1", "INV-1", 5000), ("CN-1", "INV-1", 1000), ("P9", "INV-1", 1))
    pay = pd.DataFrame({"payment_id": ["P1"], "payment_date": [D(2026, 1, 20)], "amount": [5000]})
    out = invoice_payment_dates(alloc, pay, inv)
    assert out["payment_date"].tolist()[:2] == [pd.Timestamp(2026, 1, 20), pd.Timestamp(2026, 1, 7)]
    assert pd.isna(out["payment_date"].iloc[2])
    assert out["amount"].tolist() == [5000, 1000, 1]
    assert len(invoice_payment_dates(allocations(), pay)) == 0


def test_fill_due_dates_uses_customer_terms_then_default():
    inv = invoices(
        ("A", "C1", D(2026, 1, 1), None, 100),
        ("B", "C2", D(2026, 1, 1), None, 100),
        ("C", "C1", D(2026, 1, 1), D(2026, 3, 1), 100),
    )
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "payment_terms_days": [45, None]})
    out = fill_due_dates(inv, customers, default_terms_days=30)
    assert out["due_date"].tolist() == [pd.Timestamp(2026, 2, 15), pd.Timestamp(2026, 1, 31), pd.Timestamp(2026, 3, 1)]
    assert fill_due_dates(inv)["due_date"].iloc[0] == pd.Timestamp(2026, 1, 31)


def test_documents_as_of_drops_future_documents():
    inv = invoices(("A", "C1", D(2026, 1, 1), D(2026, 1, 31), 100), ("B", "C1", D(2026, 2, 2), D(2026, 3, 1), 200))
    assert documents_as_of(inv, D(2026, 1, 31))["invoice_no"].tolist() == ["A"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**9), st.integers(0, 4), st.booleans()), min_size=1, max_size=20),
       st.data())
def test_money_is_conserved_to_the_cent(docs, data):
    inv = invoices(*[(f"D{i}", f"C{c}", D(2026, 1, 1), D(2026, 2, 1), amt, "Credit Note" if cn else "Invoice")
                     for i, (amt, c, cn) in enumerate(docs)])
    rows = []
    for i, (amt, _, cn) in enumerate(docs):
        if cn:
            continue
        paid = data.draw(st.integers(0, amt))
        parts = data.draw(st.integers(1, 3))
        for k in range(parts):  # split exactly, last part takes the remainder
            share = paid // parts + (paid % parts if k == parts - 1 else 0)
            if share:
                rows.append((f"P{i}-{k}", f"D{i}", share, D(2026, 1, 15)))
    out = open_items(inv, allocations(*rows) if rows else None)
    is_cn = out["doc_type"] == CREDIT_NOTE
    invoiced = int(out.loc[~is_cn, "amount"].sum())
    credited = int(out.loc[is_cn, "amount"].sum())
    assert int(out["outstanding"].sum()) == invoiced - credited - sum(r[2] for r in rows)
    assert (out.loc[~is_cn, "paid"] + out.loc[~is_cn, "outstanding"] == out.loc[~is_cn, "amount"]).all()
    assert (out.loc[~is_cn, "outstanding"] >= 0).all()
    assert set(out["status"]) <= {"Open", "Partly Paid", "Paid", "Credit"}
