"""The fast reconcile() gives the same answer as the reference engine (the pre-speed-up engine, frozen in
tests/support/reconcile_reference): same allocation, unapplied and write-off rows, in the same order.

Data: the labelled generator at several seeds and sizes and settings, the same data roughened so that payments
compete for invoices (references copied onto other payments, payers blanked, currencies and disputes changed,
amounts repeated), and hypothesis-generated batches built to hit every rule and tie-break. The rule tests
(test_reconcile.py) and the peer scenarios (test_cash_application_peers.py) also run through
``checked_reconcile``, so every case there is an equality check too.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.reconcile_check import assert_same_result, checked_reconcile
from support.reconcile_reference import reconcile as reference_reconcile
from support.synth import generate
from xlfin.engine.reconcile import reconcile

OPTIONS = [
    {},
    {"fifo": False},
    {"tolerance_abs_cents": 0, "tolerance_pct": 0.03},
    {"tolerance_abs_cents": 5_000, "tolerance_pct": 0.0, "max_combination_size": 3},
    {"combination_max_candidates": 8, "combination_max_nodes": 300},
]


@pytest.mark.parametrize(("seed", "payments", "invoices"), [(0, 1_500, 3_000), (1, 2_500, 2_600), (2, 800, 5_000),
                                                            (3, 3_000, 1_200)])
def test_synthetic_ledgers(seed: int, payments: int, invoices: int) -> None:
    data = generate(payments, invoices, seed)
    checked_reconcile(data.invoices, data.payments, data.customers, **OPTIONS[seed % len(OPTIONS)])


@pytest.mark.parametrize("options", OPTIONS)
def test_synthetic_ledger_under_each_setting(options: dict) -> None:
    data = generate(600, 900, 7)
    checked_reconcile(data.invoices, data.payments, data.customers, **options)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roughened_ledgers_where_payments_compete(seed: int) -> None:
    """References copied onto other payments (the same invoice named twice, earlier or later), payers blanked,
    currencies swapped, invoices disputed, amounts made equal to other invoices: order and state now matter."""
    data = generate(1_200, 1_000, seed)
    rng = random.Random(seed)
    pay = data.payments.copy()
    inv = data.invoices.copy()
    n = len(pay)
    refs, custs, curs, amounts = (pay[c].tolist() for c in ("reference", "customer_id", "currency", "amount"))
    applied = pay["applied_to"].tolist()
    for i in range(n):
        roll = rng.random()
        j = rng.randrange(n)
        if roll < 0.15:
            refs[i], custs[i] = refs[j], custs[j]  # a second payment naming the same invoice
        elif roll < 0.22:
            amounts[i] = amounts[j]
        elif roll < 0.28:
            custs[i] = ""
        elif roll < 0.31:
            curs[i] = "EUR" if curs[i] != "EUR" else ""
        elif roll < 0.34:
            applied[i] = refs[j]
        elif roll < 0.37:
            refs[i] = refs[i] + " " + refs[j]
    pay = pay.assign(reference=refs, customer_id=custs, currency=curs, amount=np.array(amounts, np.int64),
                     applied_to=applied)
    inv_amounts = inv["amount"].to_numpy().copy()
    same = rng.sample(range(len(inv)), len(inv) // 10)
    inv_amounts[same] = inv_amounts[same[0]]  # many invoices with one amount
    disputed = inv["disputed"].to_numpy().copy()
    disputed[rng.sample(range(len(inv)), len(inv) // 20)] = True
    inv = inv.assign(amount=inv_amounts, disputed=disputed)
    for options in OPTIONS[:3]:
        checked_reconcile(inv, pay, data.customers, **options)


# ------------------------------------------------------------------------------------- hypothesis batches

CUSTOMERS = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"],
                          "name": ["Acme Trading Co., Ltd.", "Blue Star Foods Inc.", "上海华信贸易有限公司",
                                   "Archibald Haddock"]})
PAYERS = ["Acme Trading Co., Ltd.", "ACME TRADING LTD", "Blue Star Foods", "上海华信贸易", "Haddock Archibald",
          "J SMITH", ""]
AMOUNTS = st.sampled_from([500, 1_000, 1_000, 1_500, 2_000, 2_500, 3_333, 9_950, 10_000, 10_000])


@st.composite
def batches(draw):
    n_inv = draw(st.integers(0, 14))
    rows = []
    for i in range(n_inv):
        is_cn = draw(st.integers(0, 7)) == 0
        rows.append({
            "invoice_no": draw(st.sampled_from([f"{'CN' if is_cn else 'INV'}-{1001 + i}",
                                                f"{'CN' if is_cn else 'INV'}-{1001 + i:06d}",
                                                f"{1001 + i}"])) if not is_cn else f"CN-{1001 + i}",
            "doc_type": "Credit Note" if is_cn else draw(st.sampled_from(["Invoice", "", "Invoice"])),
            "customer_id": draw(st.sampled_from(["C1", "C1", "C2", "C3"])),
            "invoice_date": pd.Timestamp("2026-01-01") + pd.Timedelta(days=draw(st.integers(0, 9))),
            "due_date": pd.Timestamp("2026-02-01") + pd.Timedelta(days=draw(st.integers(0, 9))),
            "amount": draw(AMOUNTS),
            "currency": draw(st.sampled_from(["USD", "USD", "USD", "EUR", ""])),
            "disputed": draw(st.integers(0, 5)) == 0,
        })
    frame = pd.DataFrame(rows, columns=["invoice_no", "doc_type", "customer_id", "invoice_date", "due_date",
                                        "amount", "currency", "disputed"]).drop_duplicates("invoice_no")
    numbers = frame["invoice_no"].tolist() or ["INV-1001"]
    typo = [n[:-1] + ("7" if n[-1] != "7" else "8") for n in numbers]
    word = st.sampled_from(numbers + typo + ["1002", "inv 1003", "1001-1004", "1001~1003", "#1006", "less",
                                             "PAYMENT", "Haddock Archibald", "2026-03-05", "USD 1,000.00"])
    pays = []
    for j in range(draw(st.integers(0, 12))):
        pays.append({
            "payment_id": f"P{j:02d}",
            "payment_date": pd.Timestamp("2026-03-01") + pd.Timedelta(days=draw(st.integers(0, 3))),
            "customer_id": draw(st.sampled_from(["C1", "C1", "C2", "C3", "", "", "C9"])),
            "payer_name": draw(st.sampled_from(PAYERS)),
            "amount": draw(st.one_of(AMOUNTS, st.integers(1, 25_000))),
            "currency": draw(st.sampled_from(["USD", "USD", "EUR", ""])),
            "reference": " ".join(draw(st.lists(word, max_size=3))),
            "applied_to": ", ".join(draw(st.lists(st.sampled_from(numbers + ["INV-9999"]), max_size=2)))
            if draw(st.integers(0, 3)) == 0 else "",
        })
    pay = pd.DataFrame(pays, columns=["payment_id", "payment_date", "customer_id", "payer_name", "amount",
                                      "currency", "reference", "applied_to"]).astype({"amount": np.int64})
    options = draw(st.sampled_from(OPTIONS))
    return frame.astype({"amount": np.int64, "disputed": bool}), pay, options


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_hypothesis_batches(batch) -> None:
    inv, pay, options = batch
    assert_same_result(reconcile(inv, pay, CUSTOMERS, **options),
                       reference_reconcile(inv, pay, CUSTOMERS, **options))


# ------------------------------------------------------------------------------------- the invoice index

NUMBER_CHARS = st.sampled_from(list("0123456789-/ .#AINVOCSBXnoiv") + ["发票号", "Ｉ", "１", "０", "\n", "ß", "No."])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(NUMBER_CHARS, max_size=8).map("".join), max_size=30))
def test_invoice_index_is_built_as_before(numbers: list[str]) -> None:
    from support.reconcile_reference.references import InvoiceIndex as ReferenceIndex
    from xlfin.engine.reconcile.references import InvoiceIndex

    customers = ["C1"] * len(numbers)
    new, old = InvoiceIndex.build(numbers, customers), ReferenceIndex.build(numbers, customers)
    assert (new.keys, new.alnums, new.by_key, new.by_digits, new.alpha_starts) == (
        old.keys, old.alnums, old.by_key, old.by_digits, old.alpha_starts)


# ------------------------------------------------------------------------------------- the single-reference fast path

INVOICE_NOS = ["INV-001234", "1234", "INV-1235", "PAYMENT12", "NO-7", "SI-2026", "CN-00012", "INV-12345", "USD1234",
               "INV-1236", "A1236", "12"]
TEXT_TOKENS = st.sampled_from(["INV", "inv", "-", " ", "  ", "#", "/", ".", ":", "_", "NO", "No.", "Payment", "thanks",
                               "USD", "amount", "SI", "CN", "A", "PAYMENT", "1234", "001234", "1235", "12", "7",
                               "2026", "12345", "1236", "1,234", "~", "to", "发票", "1２34", "\t", ",", ";", "&",
                               "-1236", "ZZ"])


@settings(max_examples=800, deadline=None)
@given(st.lists(TEXT_TOKENS, min_size=1, max_size=7).map("".join), st.sampled_from(["C1", "C2"]),
       st.lists(st.booleans(), min_size=len(INVOICE_NOS), max_size=len(INVOICE_NOS)))
def test_single_reference_is_what_scan_finds_whatever_is_open(text: str, scope: str, open_flags: list[bool]) -> None:
    """When single_reference (single_explicit) names an invoice, scan (of Applied To) names exactly that one, by
    its exact key, and nothing else; when names_nothing, scan finds nothing — for any state of the open items (so
    the fast path may decide before the loop)."""
    from xlfin.engine.reconcile.references import (InvoiceIndex, names_nothing, scan, single_explicit,
                                                   single_reference)

    customers = ["C1", "C1", "C1", "C1", "C1", "C1", "C1", "C2", "C1", "C2", "C1", "C1"]
    index = InvoiceIndex.build(INVOICE_NOS, customers)
    text = text.strip()
    positions = range(0, len(INVOICE_NOS))
    found = scan(text, index, scope=scope, scope_positions=positions, is_open=lambda q: open_flags[q])
    p = single_reference(text, index, scope)
    if p >= 0:
        assert [(m.position, m.how) for m in found.mentions] == [(p, "exact")]
        assert found.unresolved == [] and found.ambiguous == []
    if names_nothing(text):
        assert found.mentions == [] and found.unresolved == [] and found.ambiguous == []
    q = single_explicit(text, index, scope)
    if q >= 0:
        named = scan(text, index, scope=scope, scope_positions=positions, is_open=lambda r: open_flags[r],
                     explicit=True)
        assert [(m.position, m.how) for m in named.mentions] == [(q, "exact")]


# ------------------------------------------------------------------------------------- many invoices per payment


def _list_ledger(seed: int, customers: int = 12, per_customer: int = 80, payments: int = 260):
    """Payments that name several invoices each, as bank files at scale do ("INV-1, INV-2", "inv 1 inv 2",
    "Payment for invoices 1, 2", Applied To lists), with typos, numbers of other customers, ranges, credit notes,
    partial and over-payments, payers left out, currencies mixed and many equal amounts: states change between
    payments, so the scans that look at the open items and the ones kept for reuse are both exercised."""
    rng = random.Random(seed)
    inv_rows = []
    for c in range(customers):
        for k in range(per_customer):
            no = 20_000 + c * per_customer + k
            is_cn = rng.random() < 0.04
            inv_rows.append({
                "invoice_no": f"CN-{no}" if is_cn else f"INV-{no}",
                "doc_type": "Credit Note" if is_cn else "Invoice",
                "customer_id": f"C{c}",
                "invoice_date": pd.Timestamp("2026-01-01") + pd.Timedelta(days=rng.randrange(30)),
                "due_date": pd.Timestamp("2026-02-01") + pd.Timedelta(days=rng.randrange(30)),
                "amount": rng.choice([10_000, 10_000, 25_000]) if rng.random() < 0.2 else rng.randrange(1_000, 90_000),
                "currency": rng.choice(["USD"] * 8 + ["EUR", ""]),
                "disputed": rng.random() < 0.03,
            })
    inv = pd.DataFrame(inv_rows).astype({"amount": np.int64, "disputed": bool})
    by_cust: dict[str, list[int]] = {}
    for i, c in enumerate(inv["customer_id"]):
        by_cust.setdefault(c, []).append(i)
    nos, amounts = inv["invoice_no"].tolist(), inv["amount"].tolist()

    def digits(no: str) -> str:
        return no.split("-")[1]

    pays = []
    for j in range(payments):
        cust = f"C{rng.randrange(customers)}"
        chosen = rng.sample(by_cust[cust], rng.randint(1, 6))
        if rng.random() < 0.1:  # a number of another customer
            chosen.append(rng.randrange(len(nos)))
        words = [nos[i] for i in chosen]
        shape = rng.random()
        if shape < 0.3:
            ref = ", ".join(words)
        elif shape < 0.5:
            ref = " ".join(f"inv {digits(w)}" for w in words)
        elif shape < 0.65:
            ref = "Payment for invoices " + ", ".join(digits(w) for w in words)
        elif shape < 0.72:
            ref = f"{words[0]}-{int(digits(words[0])) + rng.randint(1, 4)}"  # a range
        elif shape < 0.8:
            w = digits(words[0])
            ref = ", ".join([w[:-1] + str((int(w[-1]) + 1) % 10)] + words[1:])  # a typo first
        else:
            ref = f"{cust} PAYMENT 2 {words[0]}/{digits(words[-1])[-3:]}"
        total = sum(amounts[i] for i in chosen)
        roll = rng.random()
        amount = total if roll < 0.55 else total - rng.randint(1, 150) if roll < 0.7 else total + rng.randint(
            1, 9_000) if roll < 0.85 else rng.randint(500, total)
        pays.append({
            "payment_id": f"P{j:04d}",
            "payment_date": pd.Timestamp("2026-03-01") + pd.Timedelta(days=rng.randrange(20)),
            "customer_id": "" if rng.random() < 0.1 else cust,
            "payer_name": cust if rng.random() < 0.5 else "",
            "amount": max(amount, 1),
            "currency": rng.choice(["USD"] * 8 + ["EUR", ""]),
            "reference": ref,
            "applied_to": ", ".join(words) if rng.random() < 0.35 else (words[0] if rng.random() < 0.1 else ""),
        })
    pay = pd.DataFrame(pays).astype({"amount": np.int64})
    names = pd.DataFrame({"customer_id": [f"C{c}" for c in range(customers)],
                          "name": [f"Customer {c} Trading Ltd" for c in range(customers)]})
    return inv, pay, names


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_payments_naming_many_invoices(seed: int) -> None:
    inv, pay, names = _list_ledger(seed)
    checked_reconcile(inv, pay, names, **OPTIONS[seed % len(OPTIONS)])


def test_an_unidentified_payer_sees_invoices_paid_down_to_its_amount() -> None:
    """The candidates of an unidentified payment include an invoice that an earlier payment paid down to exactly
    that amount (the all-customer amount lookup follows partial payments) and leave out one paid down past it."""
    inv = pd.DataFrame({"invoice_no": ["INV-1", "INV-2", "INV-3", "INV-4"], "customer_id": ["C1", "C1", "C2", "C2"],
                        "invoice_date": pd.to_datetime(["2026-01-01"] * 4), "amount": [10_000, 4_000, 4_000, 9_000],
                        "currency": ["USD"] * 4})
    pay = pd.DataFrame({"payment_id": ["P1", "P2", "P3", "P4"], "customer_id": ["C1", "C2", "", ""],
                        "payment_date": pd.to_datetime(["2026-02-01", "2026-02-01", "2026-02-02", "2026-02-03"]),
                        "payer_name": ["", "", "nobody", "nobody"], "reference": ["INV-1", "INV-4", "", ""],
                        "amount": [6_000, 8_000, 4_000, 1_000], "currency": ["USD"] * 4})
    result = checked_reconcile(inv, pay, CUSTOMERS)
    candidates = dict(zip(result.unapplied["payment_id"], result.unapplied["candidates"]))
    assert candidates["P3"] == "INV-1, INV-2, INV-3"
    assert candidates["P4"] == "INV-4"


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT_TOKENS, min_size=1, max_size=9).map("".join), st.sampled_from(["C1", "C2", None]),
       st.booleans(), st.lists(st.booleans(), min_size=len(INVOICE_NOS), max_size=len(INVOICE_NOS)),
       st.lists(st.booleans(), min_size=len(INVOICE_NOS), max_size=len(INVOICE_NOS)))
def test_a_kept_scan_is_what_a_fresh_scan_finds_later(text: str, scope: str | None, explicit: bool,
                                                      first: list[bool], closed: list[bool]) -> None:
    """scan() keeps an answer that never asked what is open, and makes a payer's typo table from the invoices open
    at the time; later, with some of those invoices settled (invoices never reopen), the same index gives what a
    fresh index gives, and a kept answer is the fresh one."""
    from xlfin.engine.reconcile.references import InvoiceIndex, scan

    customers = ["C1", "C1", "C1", "C1", "C1", "C1", "C1", "C2", "C1", "C2", "C1", "C1"]
    later = [a and not b for a, b in zip(first, closed)]
    positions = {"C1": range(0, len(INVOICE_NOS)), "C2": range(0, len(INVOICE_NOS)), None: None}[scope]

    def run(index: InvoiceIndex, state: list[bool]):
        found = scan(text, index, scope=scope, scope_positions=positions,
                     is_open=(lambda q: state[q]) if scope is not None else None, explicit=explicit)
        return [(m.position, m.how, m.text) for m in found.mentions], found.unresolved, found.ambiguous

    kept = InvoiceIndex.build(INVOICE_NOS, customers)
    assert run(kept, first) == run(InvoiceIndex.build(INVOICE_NOS, customers), first)
    assert run(kept, later) == run(InvoiceIndex.build(INVOICE_NOS, customers), later)


TEXT_PIECES = st.sampled_from(["2026", "1999", "-", "/", ".", "年", "月", "日", "3", "05", "12", "31", " ", "USD", "usd",
                               "$", "¥", "元", "AMT", "amount", "EUR", ",", "1,234", "000", ".56", "至", "到", "~", "～",
                               "to", "TO", "INV", "发票号", "Ｉ", "１", "A", "z"])


@settings(max_examples=600, deadline=None)
@given(st.lists(TEXT_PIECES, max_size=10).map("".join))
def test_normalise_text_is_as_before(text: str) -> None:
    """normalise_text skips the date, money and range patterns when the text holds none of the marks they need;
    the result is the reference engine's."""
    from support.reconcile_reference.references import normalise_text as reference_normalise
    from xlfin.engine.reconcile.references import normalise_text

    assert normalise_text(text) == reference_normalise(text)


# ------------------------------------------------------------------------------------- the list fast path (third pass)

LIST_NOS = ["INV-001234", "1234", "INV-1235", "PAYMENT12", "20001", "INV-20002", "CN-20003", "20004PAYMENT", "SI-2026",
            "INV-12", "INV-20005", "777", "20001THANKS"]
LIST_CUSTOMERS = ["C1", "C1", "C1", "C1", "C1", "C1", "C1", "C1", "C2", "C1", "C2", "C1", "C1"]
LIST_TOKENS = st.sampled_from(["INV", "inv", "INVOICE", "invoices", "-", " ", "#", ", ", ",", "; ", ";", " & ", "&",
                               "+", " + ", "PAYMENT", "Payment for", "FOR", "TO", "USD", "ACH", "CREDIT", "1234",
                               "001234", "1235", "20001", "20002", "20003", "20004", "20005", "12", "012", "777",
                               "2026", "1,234", "/", "~", "99999", "INV-20001", "20001 PAYMENT", "发票", "NO", "x",
                               "THANKS", " THANKS", "DONE", " DONE"])


LIST_WORDS = st.sampled_from(["Payment", "for", "invoices", "invoice", "INV", "THANKS", "done", "TOTAL", "usd", "NO",
                              "PAYMENT", "ach", "x"] + ["THANKS"] * 4)
LIST_NUMBERS = st.sampled_from(["1234", "001234", "1235", "20001", "20002", "20003", "20004", "20005", "12", "012",
                                "777", "0777", "99999", "2026"] + ["1235", "20001", "20002", "20002", "001234"] * 3)


@st.composite
def list_texts(draw) -> str:
    """Texts near the list shape: words, items (prefix, one soft character, number), separators, and noise."""
    item = st.tuples(st.sampled_from(["", "INV", "inv", "INVOICE", "Inv"]), st.sampled_from(["", "-", " ", "#", "/"]),
                     LIST_NUMBERS).map(lambda t: t[0] + (t[1] if t[0] else "") + t[2])
    sep = st.sampled_from([", ", ",", "; ", ";", " & ", "&", " + ", " ", "-", "~", " to ", "/"] + [", ", "; ", "&"] * 4)
    items = draw(st.lists(item, min_size=1, max_size=4))
    text = items[0]
    for more in items[1:]:
        text += draw(sep) + more
    lead = " ".join(draw(st.lists(LIST_WORDS, max_size=3))) if draw(st.booleans()) else ""
    tail = " ".join(draw(st.lists(LIST_WORDS, max_size=2))) if draw(st.booleans()) else ""
    return " ".join(t for t in (lead, text, tail) if t)


@settings(max_examples=1_500, deadline=None)
@given(st.one_of(list_texts(), st.lists(LIST_TOKENS, min_size=1, max_size=8).map("".join)), st.sampled_from(["C1", "C2"]),
       st.booleans(),
       st.lists(st.booleans(), min_size=len(LIST_NOS), max_size=len(LIST_NOS)))
def test_static_mentions_are_what_scan_finds_whatever_is_open(text: str, scope: str, explicit: bool,
                                                              open_flags: list[bool]) -> None:
    """When static_mentions lists invoices, scan (Reference, or Applied To when explicit) names exactly those, in
    that order, by exact keys, with nothing unresolved or ambiguous — for any state of the open items, so the list
    fast path may decide before the loop. Invoice numbers include keys made of a number and a word
    ("20004PAYMENT", "20001THANKS": a trailing word may join the last item's run), a word that starts an invoice number
    ("PAYMENT12": the word is then no plain word), a credit note, a number of another customer, a short number."""
    from xlfin.engine.reconcile.references import InvoiceIndex, scan, static_mentions

    index = InvoiceIndex.build(LIST_NOS, LIST_CUSTOMERS)
    text = text.strip()
    found = static_mentions(text, index, scope, explicit=explicit)
    named = scan(text, index, scope=scope, scope_positions=range(len(LIST_NOS)), is_open=lambda q: open_flags[q],
                 explicit=explicit)
    if found:
        assert [(m.position, m.how) for m in named.mentions] == [(p, "exact") for p in found]
        assert named.unresolved == [] and named.ambiguous == []


@pytest.mark.parametrize(("text", "explicit", "expected"), [
    ("INV-20001, INV-20002", False, [4, 5]),
    ("invoice INV001234", False, None),  # two prefixes: the scan's run "INVOICEINV001234" is ambiguous (hypothesis)
    ("invoice INV001234, INV001234", False, None),
    ("Settlement of invoices 20001, 20002; 1235", False, [4, 5, 2]),
    ("Remittance for invoice 20002", False, [5]),
    ("20001 & 20002 & 20001", False, [4, 5]),  # a duplicate is named once
    ("inv 20001 + INV#20002 DONE", False, [4, 5]),
    ("INV 20002, INV-20001 THANKS", False, []),  # the run "INV-20001 THANKS" names invoice 20001THANKS
    ("Payment 20001", False, None),  # PAYMENT starts invoice PAYMENT12: the scan looks the word up
    ("INV-20001, INV-20002", True, [4, 5]),
    ("INV-20001,20002", False, None),  # "1,200…" reads as an amount: the scan decides
    ("20001 PAYMENT", False, None),  # PAYMENT is no plain word here (invoice PAYMENT12)
    ("INV-20001, 99999", False, []),
    ("INV-20001, INV-20005", False, []),  # INV-20005 is another customer's  # 99999 names nothing: the scan decides (typos, other customers)
    ("PAYMENT 20001", True, None),  # Applied To: every word counts
    ("INV-20001 INV-20002", False, None),  # soft separators: runs may span two numbers
])
def test_static_mentions_examples(text: str, explicit: bool, expected: list[int] | None) -> None:
    from xlfin.engine.reconcile.references import InvoiceIndex, static_mentions

    index = InvoiceIndex.build(LIST_NOS, LIST_CUSTOMERS)
    assert static_mentions(text, index, "C1", explicit=explicit) == expected


def _grammar_ledger(seed: int, customers: int = 10, per_customer: int = 40, payments: int = 400):
    """Payments whose texts are lists of their customer's invoice numbers ("INV-1, INV-2", "Payment for invoices 1,
    2", "1 & 2 & 3", "inv 1; inv 2 PAYMENT", Applied To lists with or without a Reference), mostly paying the exact
    sum so that the list fast path settles them, but also: a named invoice paid down or closed by an earlier
    payment (duplicated references), short and over-payments, gaps within tolerance, a credit note in the list, a
    number of another customer, a typo, a payer left out, another currency, INV9/9-style shorthand and ranges."""
    rng = random.Random(seed)
    inv_rows = []
    for c in range(customers):
        for k in range(per_customer):
            no = 30_000 + c * per_customer + k
            is_cn = rng.random() < 0.04
            inv_rows.append({
                "invoice_no": f"CN-{no}" if is_cn else rng.choice([f"INV-{no}", f"INV-{no:07d}", f"{no}"]),
                "doc_type": "Credit Note" if is_cn else "Invoice",
                "customer_id": f"C{c}",
                "invoice_date": pd.Timestamp("2026-01-01") + pd.Timedelta(days=rng.randrange(30)),
                "due_date": pd.Timestamp("2026-02-01") + pd.Timedelta(days=rng.randrange(30)),
                "amount": rng.choice([10_000, 25_000]) if rng.random() < 0.2 else rng.randrange(1_000, 90_000),
                "currency": rng.choice(["USD"] * 9 + ["EUR"]),
                "disputed": rng.random() < 0.03,
            })
    inv = pd.DataFrame(inv_rows).astype({"amount": np.int64, "disputed": bool})
    by_cust: dict[str, list[int]] = {}
    for i, c in enumerate(inv["customer_id"]):
        by_cust.setdefault(c, []).append(i)
    nos, amounts = inv["invoice_no"].tolist(), inv["amount"].tolist()

    def digits(i: int) -> str:
        return nos[i].split("-")[-1]

    pays, earlier = [], []
    for j in range(payments):
        cust = f"C{rng.randrange(customers)}"
        chosen = rng.sample(by_cust[cust], rng.randint(1, 4))
        if earlier and rng.random() < 0.15:  # the same invoices as an earlier payment
            cust, chosen = rng.choice(earlier)
        earlier.append((cust, chosen))
        roll = rng.random()
        if roll < 0.05:
            chosen = chosen + [rng.randrange(len(nos))]  # another customer's number (or a credit note)
        shape = rng.random()
        if shape < 0.25:
            ref = ", ".join(f"INV-{digits(i)}" for i in chosen)
        elif shape < 0.4:
            ref = "Payment for invoices " + ", ".join(digits(i) for i in chosen)
        elif shape < 0.5:
            ref = " & ".join(digits(i) for i in chosen)
        elif shape < 0.6:
            ref = "; ".join(f"inv {digits(i)}" for i in chosen) + " PAYMENT"
        elif shape < 0.65:
            ref = f"INV{digits(chosen[0])}/{digits(chosen[-1])[-3:]}"
        elif shape < 0.7:
            ref = f"INV-{digits(chosen[0])}-{int(digits(chosen[0])) + 2}"
        elif shape < 0.75:
            w = digits(chosen[0])
            ref = ", ".join([w[:-1] + str((int(w[-1]) + 1) % 10)] + [digits(i) for i in chosen[1:]])
        else:
            ref = ", ".join(nos[i] for i in chosen)
        applied = ""
        if rng.random() < 0.25:
            applied = ", ".join(nos[i] for i in chosen)
            ref = rng.choice([ref, "", "REMITTANCE ADVICE", ", ".join(nos[i] for i in reversed(chosen))])
        total = sum(amounts[i] for i in chosen)
        roll = rng.random()
        amount = (total if roll < 0.6 else total - rng.randint(1, 120) if roll < 0.7
                  else total + rng.randint(1, 5_000) if roll < 0.8 else rng.randint(500, total))
        pays.append({
            "payment_id": f"P{j:04d}",
            "payment_date": pd.Timestamp("2026-03-01") + pd.Timedelta(days=rng.randrange(15)),
            "customer_id": "" if rng.random() < 0.05 else cust,
            "payer_name": cust if rng.random() < 0.5 else "",
            "amount": max(amount, 1),
            "currency": rng.choice(["USD"] * 9 + ["EUR", ""]),
            "reference": ref,
            "applied_to": applied,
        })
    pay = pd.DataFrame(pays).astype({"amount": np.int64})
    names = pd.DataFrame({"customer_id": [f"C{c}" for c in range(customers)],
                          "name": [f"Customer {c} Trading Ltd" for c in range(customers)]})
    return inv, pay, names


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_payments_listing_invoices_through_the_fast_path(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlfin.engine.reconcile import engine

    settled = {"several": 0}
    original = engine._Run.settle_named

    def counted(self, pid, named, amount):
        done = original(self, pid, named, amount)
        settled["several"] += bool(done) and len(named) > 1
        return done

    monkeypatch.setattr(engine._Run, "settle_named", counted)
    inv, pay, names = _grammar_ledger(seed)
    checked_reconcile(inv, pay, names, **OPTIONS[seed % len(OPTIONS)])
    assert settled["several"] > 20  # the data reaches the list fast path, not only the general one


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.one_of(list_texts(), st.lists(LIST_TOKENS, min_size=1, max_size=4).map("".join),
                                    st.sampled_from(["INV-20001", "inv 1235", "INVOICE#001234", "20002", "012", "INV12",
                                                     "INV-12", "INV-20005", "a\\nb", "INV-20001\\n", "２0001", ""])),
                          st.sampled_from(["C1", "C2"])), max_size=12))
def test_one_item_references_are_static_mentions(rows: list[tuple[str, str]]) -> None:
    """The one-pass reading of one-number texts gives, for every text it answers, what static_mentions gives
    (-1 for []), and answers every text that is one number and nothing else."""
    from xlfin.engine.reconcile.references import InvoiceIndex, one_item_references, static_mentions

    index = InvoiceIndex.build(LIST_NOS, LIST_CUSTOMERS)
    texts = [text.strip().replace("\\n", "\n") for text, _ in rows]
    scopes = [scope for _, scope in rows]
    found = one_item_references(texts, scopes, index)
    for k, (text, scope) in enumerate(zip(texts, scopes)):
        if k in found:
            expected = static_mentions(text, index, scope)
            assert expected is not None and len(expected) <= 1
            assert found[k] == (expected[0] if expected else -1)
        else:
            assert re.fullmatch(r"(?:(?:INVOICE|INV)[ \-#]?)?[0-9]+", text.upper()) is None or not text.isascii()
