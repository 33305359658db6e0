"""The paid summary the Invoices sheet looks up: one row per document, every document, in spreadsheet order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlfin.engine.paid_lookup import lookup_order_key, paid_summary


def test_one_row_per_document_with_its_paid_cents_and_unpaid_ones_too() -> None:
    items = pd.DataFrame({"invoice_no": ["INV-2", "INV-1", "INV-2", None, " ", "CN-1"],
                          "paid": np.array([500, 0, 500, 7, 7, 1250], dtype=np.int64)})
    out = paid_summary(items)
    assert out.to_dict("list") == {"invoice_no": ["CN-1", "INV-1", "INV-2"], "paid": [1250, 0, 500]}
    assert out["paid"].dtype == np.int64


def test_order_is_the_spreadsheets_case_blind_punctuation_digits_letters() -> None:
    values = pd.Series(["b", "A", "10", "9", "a-1", "a_1", "a1", "Z", "#3", " x"])
    ordered = sorted(values, key=lambda v: lookup_order_key(pd.Series([v]))[0])
    # punctuation < digits < letters, case ignored; digits compare as text ("10" < "9"), as MATCH does
    assert ordered == [" x", "#3", "10", "9", "A", "a_1", "a-1", "a1", "b", "Z"]
    assert list(paid_summary(pd.DataFrame({"invoice_no": values, "paid": 0}))["invoice_no"]) == ordered


def test_empty_input_gives_an_empty_typed_frame() -> None:
    out = paid_summary(pd.DataFrame({"invoice_no": [], "paid": []}))
    assert list(out.columns) == ["invoice_no", "paid"] and len(out) == 0
