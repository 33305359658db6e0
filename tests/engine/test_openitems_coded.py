"""openitems._applied_by_code (integer codes) gives what the group-by over text keys gave (issue #12 item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.engine import openitems

NUMBERS = ["I1", " I1", "I2", "CN1", "CN1 ", "CN2", "X", "1001"]
DAYS = st.one_of(st.none(), st.integers(19_000, 19_100))


def _day(d: int | None) -> np.datetime64:
    return np.datetime64("NaT") if d is None else np.datetime64(d, "D")


@st.composite
def books(draw):
    docs = draw(st.lists(st.tuples(st.sampled_from(NUMBERS), st.booleans(), st.integers(1, 10**6)),
                         min_size=1, max_size=8, unique_by=lambda t: t[0]))
    invoices = pd.DataFrame({
        "invoice_no": [d[0] for d in docs], "customer_id": "C1",
        "invoice_date": np.datetime64("2022-01-01"), "due_date": np.datetime64("2022-02-01"),
        "amount": [d[2] for d in docs], "doc_type": ["Credit Note" if d[1] else "Invoice" for d in docs]})
    rows = draw(st.lists(st.tuples(st.sampled_from(NUMBERS + [None, "P9"]), st.sampled_from(NUMBERS + [None]),
                                   st.integers(-10**6, 10**6), DAYS), max_size=12))
    alloc = pd.DataFrame({"payment_id": pd.Series([r[0] for r in rows], dtype=object),
                          "invoice_no": pd.Series([r[1] for r in rows], dtype=object),
                          "amount": np.array([r[2] for r in rows], dtype=np.int64),
                          "payment_date": np.array([_day(r[3]) for r in rows], dtype="datetime64[D]")})
    return invoices, alloc, draw(st.one_of(st.none(), st.integers(19_000, 19_100)))


@settings(max_examples=150, deadline=None)
@given(books())
def test_coded_open_items_are_the_grouped_ones(book) -> None:
    invoices, alloc, as_of = book
    inv = openitems.normalise_invoices(invoices)
    al = openitems.normalise_allocations(alloc)
    day = None if as_of is None else pd.Timestamp(np.datetime64(as_of, "D")).date()
    got = openitems.open_items_normalised(inv, al, day)
    original = openitems._applied_by_code
    try:
        openitems._applied_by_code = lambda _inv, _alloc: None  # the group-by over text keys
        expected = openitems.open_items_normalised(inv, al, day)
    finally:
        openitems._applied_by_code = original
    pd.testing.assert_frame_equal(got, expected)


def test_huge_sums_beside_an_unpaid_document_take_the_text_route() -> None:
    invoices = pd.DataFrame({"invoice_no": ["A", "B"], "customer_id": "C", "invoice_date": np.datetime64("2022-01-01"),
                             "due_date": np.datetime64("2022-02-01"), "amount": [2**60, 5]})
    alloc = pd.DataFrame({"payment_id": ["P"], "invoice_no": ["A"], "amount": [2**53 + 1],
                          "payment_date": [np.datetime64("2022-01-05")]})
    inv = openitems.normalise_invoices(invoices)
    assert openitems._applied_by_code(inv, openitems.normalise_allocations(alloc)) is None
    assert openitems._applied_by_code(inv.iloc[:1], openitems.normalise_allocations(alloc)) is not None
