"""Cash application cases that peer systems handle, written from the expectations their own test suites state.

- ERPNext, ``erpnext/accounts/doctype/payment_reconciliation/test_payment_reconciliation.py``
  (``test_reconcile_advance_payment_entries``, "Full allocation"): a payment allocated in full leaves an unallocated
  amount of 0 — one receipt for a customer's whole balance settles every open invoice, nothing is left on account.
- Odoo, ``addons/account/tests/test_reconciliation_matching_rules.py`` (``test_partner_name_in_communication``,
  ``test_partner_name_with_regexp_chars``): a bank line without a partner whose communication is
  ``'1234//HADDOCK-Archibald'`` is matched to the invoice of partner "Archibald Haddock"; a line whose communication
  does not contain the name matches nothing.
"""

from __future__ import annotations

import pandas as pd
import pytest

from support.reconcile_check import checked_reconcile as reconcile  # each case also against the reference engine
from test_reconcile import allocs, inv_frame, pay_frame, unapplied
from xlfin.engine.reconcile import find_combination
from xlfin.engine.reconcile.payers import PayerDirectory

PEOPLE = pd.DataFrame({
    "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7"],
    "name": ["Archibald Haddock", "John Smith Ltd", "Smith", "Star Trading Co., Ltd.", "上海华信贸易有限公司",
             "Archibald + Haddock Shipping", "Blue Star Foods Inc."],
})


# ------------------------------------------------------------------ combination: the whole balance, unique subsets


@pytest.mark.parametrize("fifo", [True, False])
def test_payment_of_the_whole_balance_settles_every_open_invoice(fifo: bool) -> None:
    """ERPNext "Full allocation": the receipt equals the customer's three open invoices; all settled, 0 left."""
    invs = inv_frame(("INV-1", "C2", "2026-01-10", 100_00), ("INV-2", "C2", "2026-01-20", 200_00),
                     ("INV-3", "C2", "2026-02-10", 300_00))
    pays = pay_frame({"payment_id": "P1", "customer_id": "C2", "amount": 600_00})
    r = reconcile(invs, pays, PEOPLE, fifo=fifo)
    assert allocs(r) == [("P1", "INV-1", 100_00, "combination", "high"), ("P1", "INV-2", 200_00, "combination", "high"),
                         ("P1", "INV-3", 300_00, "combination", "high")]
    assert unapplied(r) == []


def test_whole_balance_of_more_invoices_than_the_combination_size() -> None:
    """Nine open invoices (more than the 6 a combination may hold): their total is still the only exact subset."""
    invs = inv_frame(*[(f"INV-{i}", "C2", f"2026-01-{i + 1:02d}", 1_000_00 + 17 * i) for i in range(9)])
    total = sum(1_000_00 + 17 * i for i in range(9))
    r = reconcile(invs, pay_frame({"payment_id": "P1", "customer_id": "C2", "amount": total}), PEOPLE, fifo=False)
    assert [a[1] for a in allocs(r)] == [f"INV-{i}" for i in range(9)]
    assert {a[3] for a in allocs(r)} == {"combination"} and unapplied(r) == []


def test_whole_balance_leaves_a_disputed_invoice_alone() -> None:
    invs = inv_frame(("INV-1", "C2", "2026-01-10", 100_00), ("INV-2", "C2", "2026-01-20", 200_00, "Invoice", True),
                     ("INV-3", "C2", "2026-02-10", 300_00))
    r = reconcile(invs, pay_frame({"payment_id": "P1", "customer_id": "C2", "amount": 600_00}), PEOPLE, fifo=False)
    assert allocs(r) == []  # 100 + 300 ≠ 600; the disputed 200 is only settled when named
    assert unapplied(r) == [("P1", 600_00, "no_match")]


def test_equal_instalments_three_of_four_paid_oldest_first() -> None:
    """Four equal monthly invoices, three paid at once: the old guard counted C(4,3) subsets in a spread of 1 cent
    as certain luck; the three oldest are the answer (fewest, then oldest)."""
    invs = inv_frame(*[(f"INV-{m}", "C2", f"2026-0{m}-28", 500_00) for m in range(1, 5)])
    r = reconcile(invs, pay_frame({"payment_id": "P1", "customer_id": "C2", "amount": 1_500_00}), PEOPLE, fifo=False)
    assert [(a[1], a[3], a[4]) for a in allocs(r)] == [(f"INV-{m}", "combination", "medium") for m in (1, 2, 3)]


def test_unique_exact_subset_is_found_among_spread_out_invoices() -> None:
    items = [(0, 120_00), (1, 75_50), (2, 310_25), (3, 48_10), (4, 999_99)]
    assert find_combination(items, 75_50 + 310_25 + 48_10, 6, 40, 20_000, 0.01) == ([1, 2, 3], True)
    assert find_combination(items, sum(a for _, a in items), 3, 40, 20_000, 0.01) == ([0, 1, 2, 3, 4], True)


def test_crowded_small_amounts_are_still_not_matched_by_chance() -> None:
    items = [(i, 1_000 + 13 * i) for i in range(30)]  # 30 invoices within 3.77 of each other
    assert find_combination(items, items[3][1] + items[7][1] + items[9][1], 6, 40, 100_000, 0.01) == ([], True)


# ------------------------------------------------------------------ payer identification


@pytest.mark.parametrize("payer, reference", [
    ("", "1234//HADDOCK-Archibald"),  # Odoo test_partner_name_in_communication
    ("", "HADDOCK+Archibald"),  # Odoo test_partner_name_with_regexp_chars
    ("BANK TRANSFER", "payment from haddock archibald, thanks"),
    ("Haddock Archibald", ""),  # surname first, no text
])
def test_payer_found_by_name_in_the_text_or_in_another_word_order(payer: str, reference: str) -> None:
    invs = inv_frame(("INV-1", "C1", "2026-02-01", 345_67))
    r = reconcile(invs, pay_frame({"payment_id": "P1", "payer_name": payer, "reference": reference,
                                   "amount": 345_67}), PEOPLE)
    assert [a[:4] for a in allocs(r)] == [("P1", "INV-1", 345_67, "exact_amount")]


def test_word_order_is_a_name_match_and_text_is_one_step_lower() -> None:
    invs = inv_frame(("INV-1", "C2", "2026-02-01", 100_00), ("INV-2", "C1", "2026-02-01", 200_00))
    pays = pay_frame({"payment_id": "P1", "payer_name": "SMITH JOHN", "amount": 100_00},
                     {"payment_id": "P2", "reference": "HADDOCK ARCHIBALD 2026-02", "amount": 200_00})
    r = reconcile(invs, pays, PEOPLE)
    assert allocs(r) == [("P1", "INV-1", 100_00, "exact_amount", "medium"),
                         ("P2", "INV-2", 200_00, "exact_amount", "low")]


def test_chinese_name_inside_the_remittance_text() -> None:
    invs = inv_frame(("INV-1", "C5", "2026-02-01", 50_000_00))
    r = reconcile(invs, pay_frame({"payment_id": "P1", "reference": "上海华信贸易有限公司货款", "amount": 50_000_00}),
                  PEOPLE)
    assert [a[:2] for a in allocs(r)] == [("P1", "INV-1")]


@pytest.mark.parametrize("payer, reference", [
    ("", "smith payment"),  # a short, common surname alone names nobody (C3 "Smith")
    ("", "star trading invoice"),  # generic words only (C4 "Star Trading")
    ("", "blue star"),  # one short distinctive word (C7 "Blue Star Foods")
    ("", "HADDOCKS"),  # a longer word is not the name
    ("J SMITH", "GIFT"),
    ("", "Archibald"),  # half of a two-word name
])
def test_no_payer_is_guessed_from_short_common_or_partial_words(payer: str, reference: str) -> None:
    invs = inv_frame(("INV-1", "C3", "2026-02-01", 10_00), ("INV-2", "C4", "2026-02-01", 10_00),
                     ("INV-3", "C7", "2026-02-01", 10_00), ("INV-4", "C1", "2026-02-01", 10_00))
    r = reconcile(invs, pay_frame({"payment_id": "P1", "payer_name": payer, "reference": reference,
                                   "amount": 10_00}), PEOPLE)
    assert allocs(r) == [] and [u[2] for u in unapplied(r)] == ["unknown_payer"]


def test_two_customers_in_the_text_are_not_guessed_unless_one_name_contains_the_other() -> None:
    directory = PayerDirectory.build(list(PEOPLE["customer_id"]), list(PEOPLE["name"]))
    assert directory.named_in_text("archibald haddock shipping") == ["C6"]  # C6's words include all of C1's
    assert directory.named_in_text("archibald haddock") == ["C1"]
    both = PayerDirectory.build(["A", "B"], ["Johnson Matthey", "Matthey Johnson Holdings"])
    assert both.named_in_text("JOHNSON MATTHEY") == ["A", "B"]  # same words: ambiguous, left to a person
    invs = inv_frame(("INV-1", "A", "2026-02-01", 10_00), ("INV-2", "B", "2026-02-01", 10_00))
    customers = pd.DataFrame({"customer_id": ["A", "B"], "name": ["Johnson Matthey", "Matthey Johnson Holdings"]})
    r = reconcile(invs, pay_frame({"payment_id": "P1", "reference": "JOHNSON MATTHEY", "amount": 10_00}), customers)
    assert [u[2] for u in unapplied(r)] == ["ambiguous_payer"]
