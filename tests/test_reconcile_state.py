"""The reconcile state (_Book) under random allocations: every reader's answer equals a brute-force recomputation
from the outstanding amounts alone.

_Book keeps its per-customer amount buckets lazily (a part-paid invoice is added under its new outstanding, a
closed or moved one is never taken out), so these tests drive many reductions — most closing an invoice, some
part-paying it, several to the same amount — and after each one compare what the engine reads (the exact-amount
bucket, the tolerance range, the open count, the all-customer lookup, the FIFO list) with the answer computed
from ``out`` directly.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.engine.reconcile.engine import _Book, _Run, _Settings
from xlfin.engine.reconcile.payers import PayerDirectory


def _random_invoices(rng: random.Random, n: int) -> pd.DataFrame:
    amounts = [rng.choice([100, 250, 999, 1000, 1001, 1005, 5000]) if rng.random() < 0.6
               else rng.randint(1, 6000) for _ in range(n)]
    uniform, one = rng.random() < 0.5, rng.choice(["USD", ""])
    return pd.DataFrame({
        "invoice_no": [f"INV-{i:04d}" for i in rng.sample(range(10_000), n)],
        "customer_id": [rng.choice(["C1", "C2", "C3", "C4"]) for _ in range(n)],
        "amount": amounts,
        "doc_type": [rng.choice(["invoice"] * 9 + ["credit_note"]) for _ in range(n)],
        # half the books: no disputes and one currency per book (open_list's unfiltered way)
        "disputed": [rng.random() < 0.1 and not uniform for _ in range(n)],
        "currency": [rng.choice(["USD", "USD", "EUR", ""]) if not uniform else one for _ in range(n)],
        "due_date": pd.to_datetime([f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}" for _ in range(n)]),
    })


def _target(book: _Book, p: int) -> bool:
    return not book.is_cn[p] and not book.disputed[p] and book.out[p] > 0


def _check_readers(book: _Book, run: _Run, rng: random.Random) -> None:
    out = book.out
    values = sorted({out[p] for p in range(len(out)) if out[p] > 0} | {rng.randint(1, 6000) for _ in range(4)})
    for cust, r in book.slices.items():
        targets = [p for p in r if _target(book, p)]
        assert book.open_count.get(cust, 0) == len(targets)
        assert book.amounts_seen.get(cust, []) == sorted(book.at_amount.get(cust, {}))
        for amount in values:
            assert book.at(cust, amount) == [p for p in targets if out[p] == amount]
            for currency in ("", "USD", "EUR"):
                expected = sorted(
                    (out[p] - amount, p) for p in targets
                    if out[p] > amount and out[p] - amount <= run.s.tolerance(out[p])
                    and (not currency or not book.cur[p] or book.cur[p] == currency)
                )
                # the engine lists by outstanding, then position: the same order as (gap, position)
                assert run._within_tolerance(cust, amount, currency) == expected
        for currency in ("", "USD", "EUR"):
            for include_disputed in (False, True):
                expected = [p for p in r if out[p] > 0 and not book.is_cn[p]
                            and (include_disputed or not book.disputed[p])
                            and (not currency or not book.cur[p] or book.cur[p] == currency)]
                assert book.open_list(cust, currency, include_disputed) == expected
                for most in (1, 3):
                    assert book.open_list(cust, currency, include_disputed, most=most) == expected[:most]
    for amount in values:
        assert sorted(set(book.open_at(amount))) == [p for p in range(len(out)) if _target(book, p)
                                                     and out[p] == amount]


@pytest.mark.parametrize("seed", range(16))
def test_book_readers_match_brute_force_under_random_allocations(seed: int) -> None:
    rng = random.Random(seed)
    book = _Book(_random_invoices(rng, rng.randint(5, 60)))
    settings = _Settings(rng.choice([0, 5, 100]), rng.choice([0.0, 0.005, 0.03]), True, 6, 40, 20_000, 0.01)
    run = _Run(book, PayerDirectory(), settings)
    _check_readers(book, run, rng)
    for _ in range(40):
        open_items = [p for p in range(len(book.out)) if book.out[p] > 0]
        if not open_items:
            break
        p = rng.choice(open_items)
        have = book.out[p]
        # most allocations close the invoice; others leave a part (often one of the common amounts)
        cents = have if rng.random() < 0.6 else rng.randint(1, have)
        if book.is_cn[p]:
            book.out[p] -= cents  # a credit note's credit is spent directly (_allocate_credit), never by reduce
        else:
            book.reduce(p, cents)
        _check_readers(book, run, rng)


def test_part_payment_to_an_amount_another_invoice_had_is_found_in_order() -> None:
    """A bucket that keeps a closed invoice and gains a part-paid older one lists only the open one, oldest first."""
    invoices = pd.DataFrame({
        "invoice_no": ["A", "B", "C"],
        "customer_id": ["C1", "C1", "C1"],
        "amount": [900, 500, 500],
        "due_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
    })
    book = _Book(invoices)
    a, b, c = (book.nos.index(x) for x in "ABC")
    book.reduce(b, 500)  # B closes: a stale entry under 500
    assert book.at("C1", 500) == [c]
    book.reduce(a, 400)  # A moves to 500, ahead of C
    assert book.at("C1", 500) == [a, c]
    assert book.at("C1", 900) == []
    assert book.open_count["C1"] == 2
    book.reduce(a, 100)
    assert book.at("C1", 500) == [c] and book.at("C1", 400) == [a]


# ------------------------------------------------------------------------------------- the invoice index build

_PREFIXES = ["INV-", "INV", "inv ", "INV0", "INVOICE", "INVNO", "INVX", "NO.", "N", "I", "NR", "X-", "", "0", "发票号"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PREFIXES), st.sampled_from(["", "0", "00", "7", "1001", "0042", "12a"]),
                          st.sampled_from(["", "", "-B", "/7"])).map("".join), max_size=25))
def test_index_build_fast_paths_equal_the_reference_index(numbers: list[str]) -> None:
    """Numbers shaped like real ones (mostly "INV-" + digits, where the key batch strips "INV" with one replace and
    the digit and letter-start indexes are skipped), mixed with every other prefix: the index is the reference
    engine's, and the batch is ``_index_keys`` one by one."""
    from support.reconcile_reference.references import InvoiceIndex as ReferenceIndex
    from xlfin.engine.reconcile.references import InvoiceIndex, _index_keys, _index_keys_batch

    for batch in (numbers, [n for n in numbers if n.startswith("INV-")]):
        keys, alnums, digits = _index_keys_batch(batch)
        assert list(zip(keys, alnums, digits)) == [_index_keys(n) for n in batch]
        customers = ["C1"] * len(batch)
        new, old = InvoiceIndex.build(batch, customers), ReferenceIndex.build(batch, customers)
        assert (new.keys, new.alnums, new.by_key, new.by_digits, new.alpha_starts) == (
            old.keys, old.alnums, old.by_key, old.by_digits, old.alpha_starts)


# ------------------------------------------------------------------------------------- column conversions


def test_text_fast_path_and_cell_path_agree() -> None:
    """All-text columns go through one C loop; a column with a blank or a number takes the per-cell way. Both
    strip, and a number Excel sent as a double reads as its digits."""
    import numpy as np

    from xlfin.engine.reconcile.engine import _text

    assert _text(pd.Series([" INV-1 ", "INV-2", "\tC3\u3000", ""])) == ["INV-1", "INV-2", "C3", ""]
    assert _text(pd.Series(["INV-1 ", None, 1001.0, 12.5, np.nan, 7])) == ["INV-1", "", "1001", "12.5", "", "7"]
    assert _text(pd.Series([" a", pd.NA, "b "], dtype="string")) == ["a", "", "b"]
    assert _text(pd.Series([], dtype=object)) == []


def test_duplicate_and_blank_ids_are_still_reported() -> None:
    from xlfin.engine.reconcile.engine import ReconcileInputError, _unique

    _unique(["A", "B"], "invoices", "invoice_no")
    with pytest.raises(ReconcileInputError, match="duplicate invoice_no A, C"):
        _unique(["C", "A", "B", "A", "C"], "invoices", "invoice_no")
    with pytest.raises(ReconcileInputError, match="1 row\\(s\\) without invoice_no"):
        _unique(["A", "", "B"], "invoices", "invoice_no")


# ------------------------------------------------------------------------------------- result frames


@pytest.mark.parametrize("rows", [0, 1, 7])
def test_result_frames_have_the_types_a_frame_from_lists_had(rows: int) -> None:
    """_frame builds each column with its final type; the frame equals the one the lists made, converted after."""
    import numpy as np

    from xlfin.engine.reconcile.engine import ALLOCATION_COLUMNS, UNAPPLIED_COLUMNS, _columns, _frame

    alloc = [(f"P{i}", f"INV-{i}", "C1", 100 * i + 1, "fifo", "low") for i in range(rows)]
    data = _columns(alloc, ALLOCATION_COLUMNS)
    old = pd.DataFrame(data, columns=ALLOCATION_COLUMNS).astype(
        {c: (np.int64 if c == "amount" else "str") for c in ALLOCATION_COLUMNS})
    pd.testing.assert_frame_equal(_frame(data, ALLOCATION_COLUMNS, ("amount",)), old)
    assert list(_frame(data, ALLOCATION_COLUMNS, ("amount",)).dtypes) == list(old.dtypes)
    left = {c: [] for c in UNAPPLIED_COLUMNS}
    for i in range(rows):
        for c, v in zip(UNAPPLIED_COLUMNS, (f"P{i}", "", 5 + i, "no_match: x", "INV-1, INV-2" if i else "")):
            left[c].append(v)
    old = pd.DataFrame(left, columns=UNAPPLIED_COLUMNS).astype(
        {c: (np.int64 if c == "unapplied_amount" else "str") for c in UNAPPLIED_COLUMNS})
    new = _frame(left, UNAPPLIED_COLUMNS, ("unapplied_amount",))
    pd.testing.assert_frame_equal(new, old)
    assert list(new.dtypes) == list(old.dtypes)


# ------------------------------------------------------------------------------------- payer directory

_NAME_PARTS = ["The", "ACME", "Acme", "Trading", "Co.", "Co.,Ltd.", "Ltd", "S.A.", "B.V.", "s.a", "John", "Smith",
               "GmbH", "上海", "华信贸易", "有限公司", "（上海）", "股份", "公司", "Ｌｔｄ", "-", ".", "A.", "b.", "  ",
               "Haddock", "Archibald", "123", "Σ", "ß", "Ltd."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_NAME_PARTS), max_size=6).map(" ".join), max_size=12))
def test_payer_directory_is_built_as_before(names: list[str]) -> None:
    """The directory (precompiled patterns, ASCII names skip the Chinese legal forms, the dot patterns only run on
    names with a dot) is the frozen reference engine's, and so are the keys."""
    from support.reconcile_reference import payers as old_payers
    from xlfin.engine.reconcile import payers

    ids = [f"C{i % 7}" for i in range(len(names))]
    new, old = payers.PayerDirectory.build(ids, names), old_payers.PayerDirectory.build(ids, names)
    fields = ("by_name", "sorted_names", "by_words", "distinct", "by_word", "cjk_keys")
    assert [getattr(new, f) for f in fields] == [getattr(old, f) for f in fields]
    for name in names + ["".join(names)]:
        assert payers.normalise_name(name) == old_payers.normalise_name(name)
        assert new.find(name, " ".join(names[:2])) == old.find(name, " ".join(names[:2]))


# ------------------------------------------------------------------------------------- the book's order


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["C1", "C1\x00", "c1", "C2", "C10", "客户", "C2 "]),
                          st.integers(0, 4), st.sampled_from([None, 0, 1, 2]),
                          st.sampled_from(["usd", "USD", " eur", "", None, "Usd"]),
                          st.booleans(), st.integers(1, 5)), max_size=25),
       st.randoms(use_true_random=False))
def test_book_order_is_a_plain_sort(rows, rng) -> None:
    """_Book gathers its lists through customer and currency codes; they equal a plain stable sort by (customer,
    due, invoice date, number) in numpy's text order (trailing NULs ignored, as np.array(..., dtype=str) does)."""
    numbers = rng.sample(["INV-1", "INV-1\x00", "inv-2", "10", "9", "A", "B\x00\x00", "Z9", "发票3", "INV-01",
                          "INV-10", "X", "Y", "INV-7", "77", "78", "INV-8", "INV-9", "Q1", "Q2", "Q3", "Q4", "Q5",
                          "Q6", "Q7"], len(rows))
    days = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2025-12-31", None])
    frame = pd.DataFrame({
        "invoice_no": numbers,
        "customer_id": [r[0] for r in rows],
        "due_date": pd.Series([days[r[1]] for r in rows], dtype="datetime64[ns]"),
        "invoice_date": pd.Series([days[r[2]] if r[2] is not None else pd.NaT for r in rows], dtype="datetime64[ns]"),
        "currency": pd.Series([r[3] for r in rows], dtype=object),
        "disputed": [r[4] for r in rows],
        "amount": [r[5] * 100 for r in rows],
    })
    book = _Book(frame)
    ids = [n.strip() for n in numbers]
    custs = [r[0].strip() for r in rows]
    from xlfin.engine.reconcile.engine import _BIG, _days

    inv_date = _days(frame["invoice_date"]).tolist()
    due = [d if d != _BIG else i for d, i in zip(_days(frame["due_date"]).tolist(), inv_date)]
    order = sorted(range(len(rows)), key=lambda i: (custs[i].rstrip("\x00"), due[i], inv_date[i], ids[i].rstrip("\x00")))
    assert book.nos == [ids[i] for i in order]
    assert book.cust == [custs[i] for i in order]
    assert book.due == [due[i] for i in order]
    assert book.cur == [(rows[i][3] or "").strip().upper() for i in order]
    assert book.disputed == [rows[i][4] for i in order]
    assert book.out == [rows[i][5] * 100 for i in order]
    cuts = [0, *(k for k in range(1, len(order)) if book.cust[k] != book.cust[k - 1]), len(order)]
    assert book.slices == {book.cust[a]: range(a, b) for a, b in zip(cuts, cuts[1:]) if b > a}


def test_index_build_takes_numbers_that_are_not_texts() -> None:
    from support.reconcile_reference.references import InvoiceIndex as ReferenceIndex
    from xlfin.engine.reconcile.references import InvoiceIndex

    numbers = [1001, "INV-2", 7.0]
    new, old = InvoiceIndex.build(numbers, ["C1"] * 3), ReferenceIndex.build(numbers, ["C1"] * 3)
    assert (new.keys, new.alnums, new.by_key, new.by_digits) == (old.keys, old.alnums, old.by_key, old.by_digits)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.text(alphabet="P0a\x00 é", max_size=4)), max_size=30,
                unique_by=lambda t: t[1]))
def test_payment_order_is_the_sort_by_date_and_id(rows) -> None:
    import numpy as np

    from xlfin.engine.reconcile.engine import _payment_order

    days, pids = [d for d, _ in rows], [p for _, p in rows]
    assert _payment_order(np.array(days, dtype=np.int64), pids) == sorted(range(len(rows)),
                                                                          key=lambda i: (days[i], pids[i]))
