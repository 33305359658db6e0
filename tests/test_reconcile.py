"""Cash application rules (SPEC §4 Reconciliation), one behaviour per test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from support.reconcile_check import checked_reconcile as reconcile  # each rule also against the reference engine
from xlfin.engine.reconcile import (ALLOCATION_COLUMNS, UNAPPLIED_COLUMNS, WRITEOFF_COLUMNS, ReconcileInputError,
                             find_combination, invoice_balances, localise_reason, reason_code, summarize)


def inv_frame(*rows: tuple, **extra_cols) -> pd.DataFrame:
    """rows: (invoice_no, customer_id, due 'YYYY-MM-DD', amount_cents[, doc_type[, disputed[, currency]]])."""
    full = [r + ("Invoice", False, "USD")[len(r) - 4 :] for r in rows]
    frame = pd.DataFrame(
        {
            "invoice_no": [r[0] for r in full],
            "doc_type": [r[4] for r in full],
            "customer_id": [r[1] for r in full],
            "invoice_date": pd.to_datetime([r[2] for r in full]) - pd.Timedelta(days=30),
            "due_date": pd.to_datetime([r[2] for r in full]),
            "amount": np.array([r[3] for r in full], dtype=np.int64),
            "currency": [r[6] for r in full],
            "disputed": [r[5] for r in full],
        }
    )
    return frame.assign(**extra_cols)


def pay_frame(*rows: dict) -> pd.DataFrame:
    """rows: dicts with payment_id, amount and any of customer_id, payer_name, reference, applied_to, date."""
    return pd.DataFrame(
        {
            "payment_id": [r["payment_id"] for r in rows],
            "payment_date": pd.to_datetime([r.get("date", "2026-03-01") for r in rows]),
            "customer_id": [r.get("customer_id", "") for r in rows],
            "payer_name": [r.get("payer_name", "") for r in rows],
            "amount": np.array([r["amount"] for r in rows], dtype=np.int64),
            "currency": [r.get("currency", "USD") for r in rows],
            "reference": [r.get("reference", "") for r in rows],
            "applied_to": [r.get("applied_to", "") for r in rows],
        }
    )


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3"],
        "name": ["Acme Trading Co., Ltd.", "Blue Star Foods Inc.", "上海华信贸易有限公司"],
    }
)


def allocs(result) -> list[tuple]:
    a = result.allocations
    return list(zip(a["payment_id"], a["invoice_no"], a["amount"].tolist(), a["rule"], a["confidence"]))


def unapplied(result) -> list[tuple]:
    u = result.unapplied
    return [
        (p, amt, reason_code(r))
        for p, amt, r in zip(u["payment_id"], u["unapplied_amount"].tolist(), u["reason"])
    ]


def outstanding(invoices, result) -> dict[str, int]:
    b = invoice_balances(invoices, result.allocations)
    return dict(zip(b["invoice_no"], b["outstanding"].tolist()))


# ----------------------------------------------------------------------------------------------- explicit


def test_explicit_applies_in_the_order_given_and_leaves_overpayment_unapplied():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000), ("INV-2", "C1", "2026-02-01", 5_000))
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 12_000, "applied_to": "INV-2; INV-1"}
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [
        ("P1", "INV-2", 5_000, "explicit", "high"),
        ("P1", "INV-1", 7_000, "explicit", "high"),
    ]
    assert unapplied(r) == []


def test_explicit_money_left_stays_unapplied_not_fifo():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000), ("INV-2", "C1", "2026-02-01", 5_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 12_000, "applied_to": "INV-1"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1", 10_000, "explicit", "high")]
    assert unapplied(r) == [("P1", 2_000, "overpayment")]
    assert "INV-2" in r.unapplied["candidates"][0]


def test_explicit_unknown_number_is_reported_and_nothing_guessed():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 10_000, "applied_to": "INV-9"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == []
    assert unapplied(r) == [("P1", 10_000, "named_not_found")]
    assert "INV9" in r.unapplied["reason"][0] or "INV-9" in r.unapplied["reason"][0]


def test_explicit_invoice_of_another_customer_is_not_allocated():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000), ("INV-2", "C2", "2026-01-01", 10_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 10_000, "applied_to": "INV-2"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == []
    assert unapplied(r) == [("P1", 10_000, "named_other_customer")]


def test_explicit_settles_disputed_invoice_but_amount_rules_do_not():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000, "Invoice", True))
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 4_000, "applied_to": "INV-1"},
        {"payment_id": "P2", "customer_id": "C1", "amount": 6_000},
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1", 4_000, "explicit", "high")]
    assert unapplied(r) == [("P2", 6_000, "no_match")]


# ---------------------------------------------------------------------------------------------- reference


def test_reference_numbers_are_allocated_in_order_of_appearance():
    invs = inv_frame(
        ("INV-001001", "C1", "2026-01-01", 10_000),
        ("INV-001002", "C1", "2026-01-02", 20_000),
        ("INV-001003", "C1", "2026-01-03", 30_000),
    )
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 45_000, "reference": "inv 1003 & 1001"}
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [
        ("P1", "INV-001003", 30_000, "reference", "high"),
        ("P1", "INV-001001", 10_000, "reference", "high"),
    ]
    assert unapplied(r) == [("P1", 5_000, "overpayment")]


def test_reference_range_names_the_open_invoices_between():
    invs = inv_frame(
        *[(f"INV-{n}", "C1", f"2026-01-{n - 1000:02d}", 1_000 * (n - 1000)) for n in range(1001, 1005)]
    )
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 6_000, "reference": "Payment 1001-1003"}
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert {a[1] for a in allocs(r)} == {"INV-1001", "INV-1002", "INV-1003"}
    assert sum(a[2] for a in allocs(r)) == 6_000


def test_reference_typo_used_only_when_it_leaves_one_open_invoice():
    invs = inv_frame(("INV-104518", "C1", "2026-01-01", 10_000), ("INV-200777", "C1", "2026-01-02", 7_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 10_000, "reference": "INV 104158"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-104518", 10_000, "reference", "medium")]


def test_reference_typo_close_to_two_invoices_is_not_guessed():
    invs = inv_frame(("INV-104518", "C1", "2026-01-01", 10_000), ("INV-104519", "C1", "2026-01-02", 7_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 8_000, "reference": "INV 10451"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == []
    assert unapplied(r) == [("P1", 8_000, "named_ambiguous")]


def test_reference_typo_close_to_two_invoices_is_decided_by_the_amount():
    invs = inv_frame(("INV-104518", "C1", "2026-01-01", 10_000), ("INV-104519", "C1", "2026-01-02", 7_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 7_000, "reference": "INV 10451"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-104519", 7_000, "reference", "medium")]


def test_reference_to_settled_invoice_leaves_payment_unapplied():
    invs = inv_frame(("INV-1001", "C1", "2026-01-01", 10_000), ("INV-1002", "C1", "2026-01-02", 10_000))
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 10_000, "reference": "INV-1001"},
        {
            "payment_id": "P2",
            "customer_id": "C1",
            "amount": 10_000,
            "reference": "INV-1001",
            "date": "2026-03-02",
        },
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1001", 10_000, "reference", "high")]
    assert unapplied(r) == [("P2", 10_000, "named_settled")]


def test_reference_short_payment_within_tolerance_proposes_writeoff():
    invs = inv_frame(("INV-1001", "C1", "2026-01-01", 100_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 99_950, "reference": "INV-1001"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1001", 99_950, "reference", "high")]
    assert r.writeoffs[["payment_id", "invoice_no", "amount"]].values.tolist() == [["P1", "INV-1001", 50]]
    assert outstanding(invs, r)["INV-1001"] == 50  # proposed, never booked


def test_reference_deliberate_partial_payment_gets_no_writeoff():
    invs = inv_frame(("INV-1001", "C1", "2026-01-01", 100_000))
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 40_000, "reference": "partial INV-1001"}
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1001", 40_000, "reference", "high")]
    assert r.writeoffs.empty


def test_credit_note_named_by_payment_settles_the_invoice_it_names():
    invs = inv_frame(
        ("INV-1001", "C1", "2026-01-01", 100_000), ("CN-7", "C1", "2026-01-05", 20_000, "Credit Note")
    )
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 80_000, "reference": "INV-1001 less CN-7"}
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [
        ("CN-7", "INV-1001", 20_000, "credit_note", "high"),
        ("P1", "INV-1001", 80_000, "reference", "high"),
    ]
    bal = outstanding(invs, r)
    assert bal == {"INV-1001": 0, "CN-7": 0}


def test_credit_note_not_named_stays_customer_credit():
    invs = inv_frame(
        ("INV-1001", "C1", "2026-01-01", 100_000), ("CN-7", "C1", "2026-01-05", 20_000, "Credit Note")
    )
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 20_000})
    r = reconcile(invs, pays, CUSTOMERS)
    assert all(rule != "credit_note" for *_, rule, _ in allocs(r))
    assert "CN-7" not in set(r.allocations["invoice_no"])
    assert outstanding(invs, r)["CN-7"] == -20_000


# ------------------------------------------------------------------------------------------------- payer


def test_unknown_payer_identified_by_invoice_number():
    invs = inv_frame(("INV-1001", "C2", "2026-01-01", 10_000))
    pays = pay_frame({"payment_id": "P1", "payer_name": "somebody", "amount": 10_000, "reference": "1001"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1001", 10_000, "reference", "high")]
    assert r.allocations["customer_id"].tolist() == ["C2"]


@pytest.mark.parametrize(
    "payer", ["ACME TRADING CO LTD", "acme trading limited", "Acme Trading", "ACME TRADING C"]
)
def test_unknown_payer_identified_by_normalised_name(payer):
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 12_345), ("INV-2", "C2", "2026-01-01", 12_345))
    pays = pay_frame({"payment_id": "P1", "payer_name": payer, "amount": 12_345})
    r = reconcile(invs, pays, CUSTOMERS)
    # identified by name only: the amount rule is one confidence step lower
    assert allocs(r) == [("P1", "INV-1", 12_345, "exact_amount", "medium")]


def test_unknown_payer_identified_by_chinese_name():
    invs = inv_frame(("FP-0001", "C3", "2026-01-01", 50_000))
    pays = pay_frame({"payment_id": "P1", "payer_name": "上海华信贸易公司", "amount": 50_000})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "FP-0001", 50_000, "exact_amount", "medium")]


def test_payer_not_identified_is_unapplied_with_amount_candidates():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 12_345), ("INV-2", "C2", "2026-01-01", 99_999))
    pays = pay_frame({"payment_id": "P1", "payer_name": "J SMITH", "amount": 12_345, "reference": "GIFT"})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == []
    assert unapplied(r) == [("P1", 12_345, "unknown_payer")]
    assert r.unapplied["candidates"][0] == "INV-1"
    assert r.unapplied["customer_id"][0] == ""


def test_invoice_numbers_of_two_customers_are_decided_by_name_or_left():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 5_000), ("INV-2", "C2", "2026-01-01", 5_000))
    both = "INV-1 INV-2"
    r = reconcile(
        invs,
        pay_frame({"payment_id": "P1", "amount": 5_000, "reference": both, "payer_name": "x"}),
        CUSTOMERS,
    )
    assert unapplied(r) == [("P1", 5_000, "ambiguous_payer")]
    r = reconcile(
        invs,
        pay_frame({"payment_id": "P1", "amount": 5_000, "reference": both, "payer_name": "Blue Star Foods"}),
        CUSTOMERS,
    )
    assert allocs(r) == [("P1", "INV-2", 5_000, "reference", "high")]


# ----------------------------------------------------------------------------------------- amount rules


def test_exact_amount_unique_is_high_and_several_take_oldest_due_medium():
    invs = inv_frame(
        ("INV-1", "C1", "2026-02-01", 7_000),
        ("INV-2", "C1", "2026-01-01", 7_000),
        ("INV-3", "C1", "2026-01-01", 9_000),
    )
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 9_000},
        {"payment_id": "P2", "customer_id": "C1", "amount": 7_000},
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [
        ("P1", "INV-3", 9_000, "exact_amount", "high"),
        ("P2", "INV-2", 7_000, "exact_amount", "medium"),
    ]


def test_exact_amount_sees_outstanding_after_earlier_payments():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000), ("INV-2", "C1", "2026-02-01", 8_000))
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 4_000, "reference": "INV-1"},
        {"payment_id": "P2", "customer_id": "C1", "amount": 6_000, "date": "2026-03-05"},
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r)[1] == ("P2", "INV-1", 6_000, "exact_amount", "high")


def test_combination_fewest_then_oldest():
    invs = inv_frame(
        ("INV-1", "C1", "2026-01-01", 1_111),
        ("INV-2", "C1", "2026-01-02", 2_222),
        ("INV-3", "C1", "2026-01-03", 3_456),
        ("INV-4", "C1", "2026-01-04", 1_123),
        ("INV-5", "C1", "2026-01-05", 3_456),
    )
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 4_579}
    )  # 3456+1123 (pair) or 1111+2222+...
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [
        ("P1", "INV-3", 3_456, "combination", "medium"),
        ("P1", "INV-4", 1_123, "combination", "medium"),
    ]


def test_combination_bound_hit_is_unapplied_with_that_reason():
    invs = inv_frame(*[(f"INV-{i}", "C1", f"2026-01-{i + 1:02d}", 10_000 + 997 * i * i) for i in range(12)])
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 1})
    r = reconcile(invs, pays, CUSTOMERS, combination_max_candidates=3)
    assert allocs(r) == [("P1", "INV-0", 1, "fifo", "low")]  # below every invoice: nothing to search
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 300_001})
    r = reconcile(invs, pays, CUSTOMERS, combination_max_candidates=3)
    assert unapplied(r) == [("P1", 300_001, "combination_limit")]
    assert allocs(r) == []


def test_find_combination_reports_incomplete_when_steps_run_out():
    items = [(i, 1_000 + 13 * i) for i in range(30)]
    combo, complete = find_combination(items, 1, 6, 40, 50)
    assert (combo, complete) == ([], True)  # below every item: nothing to search
    combo, complete = find_combination(items, 6_000 + 13 * 100 + 5, 6, 40, 50, 1e9)  # 6 items, off the grid
    assert combo == [] and complete is False
    target = items[3][1] + items[7][1] + items[9][1]
    combo, complete = find_combination(items, target, 6, 40, 100_000, 1e9)
    assert complete and len(combo) == 3 and sum(a for p, a in items if p in combo) == target
    assert combo == [0, 1, 18]  # i + j + k = 19: the oldest of the many triples with that sum


def test_find_combination_skips_sizes_where_a_chance_hit_is_likely():
    # 30 amounts within 377 cents of each other: thousands of triples share each sum, so a hit proves nothing
    items = [(i, 1_000 + 13 * i) for i in range(30)]
    target = items[3][1] + items[7][1] + items[9][1]
    assert find_combination(items, target, 6, 40, 100_000, max_chance=0.01) == ([], True)
    assert find_combination(items, items[3][1] + items[7][1], 6, 40, 100_000, max_chance=0.01) == ([], True)
    spread_out = [(i, 1_000 + 9_973 * i * i) for i in range(30)]  # the same count, amounts far apart
    pair = spread_out[3][1] + spread_out[7][1]
    assert find_combination(spread_out, pair, 6, 40, 100_000, max_chance=0.01) == ([3, 7], True)


def test_tolerance_short_payment_is_applied_and_gap_proposed():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 100_000), ("INV-2", "C1", "2026-01-02", 300_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 99_920})
    r = reconcile(invs, pays, CUSTOMERS)  # max(1.00, 0.5% of 1000.00 = 5.00) = 5.00 >= 0.80
    assert allocs(r) == [("P1", "INV-1", 99_920, "tolerance", "medium")]
    assert r.writeoffs[["invoice_no", "amount", "rule"]].values.tolist() == [["INV-1", 80, "tolerance"]]


def test_tolerance_needs_exactly_one_invoice_in_reach():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 100_000), ("INV-2", "C1", "2026-01-02", 100_010))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 99_950})
    r = reconcile(invs, pays, CUSTOMERS, fifo=False)
    assert allocs(r) == [] and r.writeoffs.empty
    assert unapplied(r) == [("P1", 99_950, "no_match")]
    assert r.unapplied["candidates"][0].startswith("INV-1, INV-2")


def test_odoo_tolerance_example_percentage_accepts_fixed_rejects():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 100_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 98_000})
    r = reconcile(invs, pays, CUSTOMERS, tolerance_abs_cents=0, tolerance_pct=0.03)
    assert allocs(r) == [("P1", "INV-1", 98_000, "tolerance", "medium")]
    assert r.writeoffs["amount"].tolist() == [2_000]
    r = reconcile(invs, pays, CUSTOMERS, tolerance_abs_cents=1_000, tolerance_pct=0, fifo=False)
    assert allocs(r) == [] and r.writeoffs.empty
    assert unapplied(r) == [("P1", 98_000, "no_match")]


def test_odoo_overpayment_reconciles_and_surplus_stays_open():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 100_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 102_000, "reference": "INV-1"})
    r = reconcile(invs, pays, CUSTOMERS, tolerance_abs_cents=0, tolerance_pct=0.03)
    assert allocs(r) == [("P1", "INV-1", 100_000, "reference", "high")]
    assert unapplied(r) == [("P1", 2_000, "overpayment")]
    assert r.writeoffs.empty


def test_fifo_oldest_due_first_only_when_nothing_else_matched():
    invs = inv_frame(
        ("INV-1", "C1", "2026-03-01", 50_000),
        ("INV-2", "C1", "2026-01-01", 30_000),
        ("INV-3", "C1", "2026-02-01", 40_000),
    )
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 50_001})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-2", 30_000, "fifo", "low"), ("P1", "INV-3", 20_001, "fifo", "low")]
    r = reconcile(invs, pays, CUSTOMERS, fifo=False)
    assert allocs(r) == [] and unapplied(r) == [("P1", 50_001, "no_match")]


def test_fifo_overpayment_and_payment_on_account():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 30_000))
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 45_000},
        {"payment_id": "P2", "customer_id": "C2", "amount": 1_000},
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1", 30_000, "fifo", "low")]
    assert unapplied(r) == [("P1", 15_000, "overpayment"), ("P2", 1_000, "no_open_items")]


def test_other_currency_is_never_allocated():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 30_000, "Invoice", False, "EUR"))
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 30_000},
        {"payment_id": "P2", "customer_id": "C1", "amount": 30_000, "reference": "INV-1"},
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == []
    assert unapplied(r) == [("P1", 30_000, "currency_mismatch"), ("P2", 30_000, "currency_mismatch")]


# ------------------------------------------------------------------------------------- ERPNext scenario


def test_erpnext_payment_against_invoice_and_cancellation():
    invs = inv_frame(("SINV-0001", "C1", "2026-01-01", 20_000))
    p55 = {"payment_id": "PE-1", "customer_id": "C1", "amount": 5_500, "reference": "SINV-0001"}
    p35 = {
        "payment_id": "PE-2",
        "customer_id": "C1",
        "amount": 3_500,
        "reference": "SINV-0001",
        "date": "2026-03-02",
    }
    r = reconcile(invs, pay_frame(p55, p35), CUSTOMERS)
    assert outstanding(invs, r) == {"SINV-0001": 11_000}
    r = reconcile(invs, pay_frame(p35), CUSTOMERS)  # the 55 cancelled: reconcile recomputes from what is left
    assert outstanding(invs, r) == {"SINV-0001": 16_500}


# ------------------------------------------------------------------------------------ frames and summary


def test_empty_inputs_give_empty_frames_with_columns():
    r = reconcile(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    assert list(r.allocations.columns) == ALLOCATION_COLUMNS
    assert list(r.unapplied.columns) == UNAPPLIED_COLUMNS
    assert list(r.writeoffs.columns) == WRITEOFF_COLUMNS
    assert r.allocations["amount"].dtype == np.int64 and r.unapplied["unapplied_amount"].dtype == np.int64
    r = reconcile(None, None, None)
    assert r.allocations.empty and r.unapplied.empty
    s = summarize(r, pay_frame())
    assert s["payments"] == 0 and s["auto_applied_pct"] == 0.0


def test_payments_without_invoices_are_all_unapplied():
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 100})
    r = reconcile(inv_frame(), pays, CUSTOMERS)
    assert unapplied(r) == [("P1", 100, "no_open_items")]


@pytest.mark.parametrize(
    "invs, pays, message",
    [
        (
            inv_frame(("INV-1", "C1", "2026-01-01", 100), ("INV-1", "C1", "2026-01-01", 5)),
            pay_frame(),
            "duplicate",
        ),
        (inv_frame(("INV-1", "C1", "2026-01-01", 0)), pay_frame(), "> 0"),
        (inv_frame(("INV-1", "", "2026-01-01", 10)), pay_frame(), "customer_id"),
        (inv_frame(), pay_frame({"payment_id": "P1", "amount": -5}), "> 0"),
        (
            inv_frame(),
            pay_frame({"payment_id": "P1", "amount": 5}, {"payment_id": "P1", "amount": 6}),
            "duplicate",
        ),
        (inv_frame(("INV-1", "C1", "2026-01-01", 10)).drop(columns="amount"), pay_frame(), "missing column"),
    ],
)
def test_bad_input_raises_a_named_error(invs, pays, message):
    with pytest.raises(ReconcileInputError, match=message):
        reconcile(invs, pays, CUSTOMERS)


def test_float_amounts_must_be_whole_cents():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 100)).astype({"amount": float})
    invs.loc[0, "amount"] = 100.5
    with pytest.raises(ReconcileInputError, match="whole cents"):
        reconcile(invs, pay_frame(), CUSTOMERS)


def test_disputed_yes_no_text_is_read():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 100), ("INV-2", "C1", "2026-01-02", 200))
    invs["disputed"] = ["no", "yes"]
    pays = pay_frame(
        {"payment_id": "P1", "customer_id": "C1", "amount": 200},
        {"payment_id": "P2", "customer_id": "C1", "amount": 100},
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1", 100, "fifo", "low")]  # INV-2 is disputed: amount rules skip it
    assert unapplied(r) == [("P1", 100, "overpayment"), ("P2", 100, "no_match")]


def test_summarize_counts_auto_applied_and_exceptions():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000), ("INV-2", "C1", "2026-01-02", 20_000))
    pays = pay_frame(
        {
            "payment_id": "P1",
            "customer_id": "C1",
            "amount": 10_500,
            "reference": "INV-1",
        },  # overpaid: still auto
        {"payment_id": "P2", "customer_id": "C1", "amount": 20_000},
        {"payment_id": "P3", "payer_name": "nobody", "amount": 7},
    )
    r = reconcile(invs, pays, CUSTOMERS)
    s = summarize(r, pays)
    assert s["payments"] == 3 and s["auto_applied"] == 2 and s["auto_applied_pct"] == 66.7
    assert s["amount_received"] == 30_507 and s["amount_applied"] == 30_000 and s["amount_unapplied"] == 507
    assert s["exceptions_by_reason"] == {"overpayment": 1, "unknown_payer": 1}
    assert s["applied_by_rule"] == {"exact_amount": 20_000, "reference": 10_000}


def test_payments_processed_in_date_order_not_row_order():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000))
    pays = pay_frame(
        {"payment_id": "P-late", "customer_id": "C1", "amount": 10_000, "date": "2026-03-09"},
        {"payment_id": "P-early", "customer_id": "C1", "amount": 10_000, "date": "2026-03-01"},
    )
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P-early", "INV-1", 10_000, "exact_amount", "high")]
    assert unapplied(r) == [("P-late", 10_000, "no_open_items")]


def test_synthetic_ledger_meets_precision_and_auto_rate():
    from support.synth import generate

    data = generate(n_payments=600, n_invoices=1_200, seed=11)
    r = reconcile(data.invoices, data.payments, data.customers)
    cash = r.allocations[r.allocations["rule"] != "credit_note"]
    truth = data.truth.set_index(["payment_id", "invoice_no"])["amount"]
    got = cash.groupby(["payment_id", "invoice_no"])["amount"].sum()
    right = sum(min(int(v), int(truth.get(k, 0))) for k, v in got.items())
    assert right / got.sum() >= 0.995
    with_truth = set(data.truth["payment_id"])
    applied = set(cash["payment_id"]) & with_truth
    assert len(applied) / len(with_truth) >= 0.95


def test_payment_without_date_goes_last_and_rerun_is_identical():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000))
    pays = pay_frame(
        {"payment_id": "A-undated", "customer_id": "C1", "amount": 10_000},
        {"payment_id": "B-dated", "customer_id": "C1", "amount": 10_000},
    )
    pays.loc[0, "payment_date"] = pd.NaT
    first = reconcile(invs, pays, CUSTOMERS)
    assert allocs(first) == [("B-dated", "INV-1", 10_000, "exact_amount", "high")]
    again = reconcile(invs, pays, CUSTOMERS)
    pd.testing.assert_frame_equal(first.allocations, again.allocations)
    pd.testing.assert_frame_equal(first.unapplied, again.unapplied)


def test_blank_due_date_falls_back_to_invoice_date_for_age():
    invs = inv_frame(("INV-1", "C1", "2026-03-01", 10_000), ("INV-2", "C1", "2026-02-01", 10_000))
    invs.loc[0, "due_date"] = pd.NaT  # invoice date 2026-01-30: older than INV-2's due date
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 10_000})
    r = reconcile(invs, pays, CUSTOMERS)
    assert allocs(r) == [("P1", "INV-1", 10_000, "exact_amount", "medium")]


def test_reason_cells_read_in_both_languages():
    invs = inv_frame(("INV-1", "C1", "2026-01-01", 10_000))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C1", "amount": 10_000, "applied_to": "INV-9"})
    reason = reconcile(invs, pays, CUSTOMERS).unapplied["reason"][0]
    assert reason == "named_not_found: Applied To names invoice numbers that do not exist (INV-9)"
    assert localise_reason(reason, "zh-CN") == "named_not_found: 指定核销的发票号不存在 (INV-9)"
    assert localise_reason(reason, "en") == reason
    assert reason_code(localise_reason(reason, "zh-CN")) == "named_not_found"


def test_book_open_counts_and_sorted_outstanding_follow_the_buckets():
    """_Book's open_count and amounts_seen (made from each customer's slice) equal what the buckets say."""
    import pandas as pd

    from xlfin.engine.reconcile.engine import _Book

    invoices = pd.DataFrame({
        "invoice_no": [f"INV-{i}" for i in range(12)],
        "customer_id": ["C2", "C1", "C1", "C2", "C1", "C3", "C1", "C2", "C3", "C1", "C4", "C2"],
        "amount": [500, 300, 300, 700, 100, 900, 300, 500, 200, 50, 80, 10],
        "doc_type": ["invoice"] * 10 + ["credit_note", "invoice"],
        "disputed": [False, False, False, False, False, True, False, False, False, False, False, False],
        "due_date": pd.to_datetime(["2024-01-0%d" % (1 + i % 9) for i in range(12)]),
    })
    book = _Book(invoices)
    assert book.open_count == {c: sum(len(v) for v in d.values()) for c, d in book.at_amount.items()}
    assert book.amounts_seen == {c: sorted(d) for c, d in book.at_amount.items()}
    assert book.open_count == {"C1": 5, "C2": 4, "C3": 1}  # C3's 900 is disputed, C4 has a credit note only
    assert book.amounts_seen["C1"] == [50, 100, 300]
