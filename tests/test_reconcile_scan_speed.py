"""The reference scanner's kept answers and its two ways of finding typos give what a fresh scan gives.

- ``InvoiceIndex.typo_near`` (open or not, kept per key and payer) is found either by probing the payer's keys with
  every string one edit away or by the payer's deletion-variant table; both must be exactly the brute-force set.
- ``scan`` keeps an answer that never asked ``is_open`` (a typo search that found nothing near asks nothing): the
  kept answer must be what a fresh index finds for *any* state of the open items, in any order of states.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from support.reconcile_check import checked_reconcile
from xlfin.engine.reconcile import references
from xlfin.engine.reconcile.references import MIN_TYPO_KEY, InvoiceIndex, scan, within_one_edit

# a small alphabet so that keys one edit apart are common
NUMBER = st.text(alphabet="0127AB", min_size=1, max_size=7)
PREFIX = st.sampled_from(["", "INV-", "CN-", "NO.", "A"])


def _brute_near(index: InvoiceIndex, key: str, positions: range) -> list[int]:
    return [p for p in positions
            if len(index.keys[p]) >= MIN_TYPO_KEY - 1 and within_one_edit(key, index.keys[p])]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(PREFIX, NUMBER, st.sampled_from(["C1", "C2"])), min_size=1, max_size=30),
       st.lists(NUMBER, min_size=1, max_size=8))
def test_typo_probes_and_tables_find_the_same_invoices(invoices: list[tuple[str, str, str]], queries: list[str]) -> None:
    """Probing (the payer's first queries when its table would cost more) and the deletion-variant table give the
    brute-force set: every invoice of the payer, open or not, whose key is within one edit and long enough."""
    invoices = sorted(invoices, key=lambda t: t[2])  # a payer's invoices are one slice, as in the engine
    nos = [f"{prefix}{number}-{k}" if k % 5 == 4 else prefix + number  # some duplicate keys, some longer ones
           for k, (prefix, number, _) in enumerate(invoices)]
    customers = [c for _, _, c in invoices]
    slices = {c: range(customers.index(c), len(customers) - customers[::-1].index(c)) for c in set(customers)}
    probing, tables = InvoiceIndex.build(nos, customers), InvoiceIndex.build(nos, customers)
    probing.payments_of = dict.fromkeys(slices, 0)  # no payments expected: probe (until the probes cost a table)
    tables.payments_of = dict.fromkeys(slices, 10**6)  # many: the table at once
    for query in queries:
        key = references.key_of_alnum(query)
        for scope, positions in slices.items():
            expected = _brute_near(probing, key, positions)
            assert probing.typo_near(key, scope, positions) == expected
            assert tables.typo_near(key, scope, positions) == expected
            assert references._probe_near(key, probing._typo_scope[scope].ready_to_probe()) == expected
    assert all(not probing._typo_cache.get(scope) or probing._typo_scope[scope].probes for scope in slices)


TOKENS = st.sampled_from(["INV", "inv", "-", " ", "#", "/", ",", "&", "Payment", "ACH CREDIT", "1234", "1243", "12345",
                          "2134", "01234", "1235", "1236", "1237", "99999", "10146", "10149", "10164", "~", "to", "A"])
NOS = ["INV-1234", "INV-1235", "INV-1236", "INV-12346", "INV-10149", "10146", "INV-1237", "A1236", "INV-99998"]
CUSTOMERS = ["C1", "C1", "C1", "C1", "C1", "C2", "C1", "C1", "C2"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(TOKENS, min_size=1, max_size=7).map("".join), min_size=1, max_size=4),
       st.sampled_from(["C1", "C2"]), st.booleans(),
       st.lists(st.lists(st.booleans(), min_size=len(NOS), max_size=len(NOS)), min_size=2, max_size=4))
def test_a_kept_scan_is_a_fresh_scan_whatever_is_open(texts: list[str], scope: str, probe: bool,
                                                       states: list[list[bool]]) -> None:
    """One index scans the texts under a series of open states (not only shrinking ones: a kept answer must not
    depend on the state at all); each answer equals a fresh index's. Probing or tables, as chosen."""
    positions = range(0, 8) if scope == "C1" else range(5, 9)  # the engine passes the payer's slice
    kept = InvoiceIndex.build(NOS, CUSTOMERS)
    kept.payments_of = {scope: 0 if probe else 10**6}

    def run(index: InvoiceIndex, text: str, state: list[bool]):
        found = scan(text, index, scope=scope, scope_positions=positions, is_open=lambda q: state[q])
        return [(m.position, m.how, m.text) for m in found.mentions], found.unresolved, found.ambiguous

    for state in states:
        for text in texts:
            assert run(kept, text, state) == run(InvoiceIndex.build(NOS, CUSTOMERS), text, state)


def test_a_typo_search_that_finds_nothing_near_is_kept() -> None:
    """"ACH CREDIT 417531"-style texts name no invoice of the payer and none is one edit away: the scan asks nothing
    about the open items and is kept; a text with an invoice one edit away asks (and is not kept)."""
    index = InvoiceIndex.build(NOS, CUSTOMERS)
    asked: list[int] = []

    def is_open(p: int) -> bool:
        asked.append(p)
        return True

    first = scan("ACH CREDIT 417531", index, scope="C1", scope_positions=range(0, 8), is_open=is_open)
    assert first.mentions == [] and asked == []
    assert scan("ACH CREDIT 417531", index, scope="C1", scope_positions=range(0, 8), is_open=is_open) is first
    typo = scan("INV-1243", index, scope="C1", scope_positions=range(0, 8), is_open=is_open)
    assert [(m.position, m.how) for m in typo.mentions] == [(0, "typo")] and asked == [0]


def test_payers_with_many_invoices_probe_and_reconcile_as_before() -> None:
    """A ledger whose payers have many invoices and few payments (the 1M book's shape: typo searches by probing)
    with typos, other customers' numbers and bank references, against the frozen reference engine."""
    rows, pays = [], []
    for c in range(3):
        for k in range(120):
            rows.append({"invoice_no": f"INV-{10000 + c * 1000 + k}", "customer_id": f"C{c}",
                         "invoice_date": pd.Timestamp("2026-01-01") + pd.Timedelta(days=k % 40),
                         "amount": 1000 + 7 * k, "currency": "USD"})
    texts = ["INV-10010", "INV-10001", "INV-1010", "INV-100011", "ACH CREDIT 417531", "INV-11005", "INV-10110",
             "INV-01010", "inv 10020 inv 10021", "INV-10102/103", "10015", "INV-20030", "INV-1003"]
    for i in range(60):
        c = i % 3
        pays.append({"payment_id": f"P{i:03d}", "customer_id": f"C{c}",
                     "payment_date": pd.Timestamp("2026-02-01") + pd.Timedelta(days=i // 6),
                     "payer_name": "", "reference": texts[i % len(texts)].replace("100", f"1{c}0", 1),
                     "amount": 1000 + 7 * (i * 5 % 120), "currency": "USD"})
    inv, pay = pd.DataFrame(rows), pd.DataFrame(pays)
    names = pd.DataFrame({"customer_id": ["C0", "C1", "C2"], "name": ["Alpha", "Beta", "Gamma"]})
    result = checked_reconcile(inv, pay, names)
    assert (result.allocations["rule"] == "reference").any()
