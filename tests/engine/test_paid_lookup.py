"""tblInvoicePaid, row for row in tblInvoices' order, and the values the Invoices formula columns must show."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from xlfin.engine.paid_lookup import formula_columns, paid_by_row


def test_each_sheet_row_gets_its_own_number_and_the_engines_paid_in_place() -> None:
    # sheet rows: 0 INV-2, 1 blank, 2 INV-1 (left out by validation: not in open items), 3 a number, 4 CN-1
    sheet = pd.Series(["INV-2", None, "INV-1", 1001, "CN-1"], dtype=object)
    items = pd.DataFrame({"invoice_no": ["CN-1", "INV-2", "1001"], "_row": [4, 0, 3],
                          "paid": np.array([1250, 500, 0], dtype=np.int64),
                          "due_date": pd.to_datetime(["2026-01-10", "2026-02-01", None])})
    out = paid_by_row(items, sheet)
    assert out["invoice_no"].tolist() == ["INV-2", None, None, 1001, "CN-1"]
    assert out["paid"].tolist() == [500, pd.NA, pd.NA, 0, 1250]
    assert out["due_date"].tolist()[::4] == [pd.Timestamp("2026-02-01"), pd.Timestamp("2026-01-10")]
    assert out["due_date"].isna().tolist() == [False, True, True, True, False]
    assert len(out) == len(sheet)  # position k of the summary is data row k of tblInvoices


def test_no_documents_gives_blank_rows_and_no_rows_gives_an_empty_frame() -> None:
    empty = pd.DataFrame({"invoice_no": [], "_row": [], "paid": []})
    out = paid_by_row(empty, pd.Series(["INV-1", "INV-2"], dtype=object))
    assert out["invoice_no"].tolist() == [None, None] and out["paid"].isna().all()
    assert list(paid_by_row(empty, pd.Series([], dtype=object)).columns) == ["invoice_no", "paid", "due_date"]


def test_formula_columns_count_days_only_while_something_is_owed() -> None:
    items = pd.DataFrame({
        "invoice_no": ["I1", "I2", "CN1", "I3"],
        "due_date": pd.to_datetime(["2026-03-01", "2026-03-20", "2026-01-01", None]),
        "paid": np.array([100, 0, 20, 0], dtype=np.int64),
        "outstanding": np.array([50, 70, -30, 10], dtype=np.int64),
        "status": ["Partly Paid", "Open", "Credit", "Open"],
    })
    out = formula_columns(items, dt.date(2026, 3, 15))
    assert out["days_overdue"].tolist()[:3] == [14, 0, 0]  # not yet due -> 0; a credit note owes nothing -> 0
    assert np.isnan(out["days_overdue"].iloc[3])  # no due date: the sheet computes it from terms
    assert out[["paid", "outstanding", "status"]].to_dict("list") == {
        "paid": [100, 0, 20, 0], "outstanding": [50, 70, -30, 10], "status": ["Partly Paid", "Open", "Credit", "Open"]}
