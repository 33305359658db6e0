"""The per-row paid summary that the Invoices sheet's Paid column reads (issue 12 item 3).

Paid as a SUMIFS over tblAllocations for every invoice makes a spreadsheet's recalculation O(invoices ×
allocations): 10¹⁰ comparisons at 100k rows. xlfin instead writes tblInvoicePaid with one row per data row of
tblInvoices, in the same order: row k holds the number typed in the k-th invoice row and the engine's paid amount
for it. The Paid formula reads row k of the summary directly (INDEX by its own position, O(1)) and checks that the
number there is its own; only a row that moved or was added since the last run (the user sorted, inserted or
typed rows) looks further — an exact match in the summary, then the SUMIFS — so a value is slower, never wrong.
Recalculation then grows linearly with the rows (docs/excel-recalc.md).

The positional layout replaced a sorted summary looked up by binary search (MATCH type 1): LibreOffice searched
it linearly in the full workbook (3 ms per lookup at 10k rows), and no sort order is the same in Excel and
LibreOffice for every document number.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from xlfin.engine.aging import day_numbers, days_overdue


def paid_by_row(open_items: pd.DataFrame, sheet_numbers: pd.Series) -> pd.DataFrame:
    """invoice_no, paid (cents), due_date: one row per data row of tblInvoices, in sheet order.

    due_date is the engine's (a blank due date filled from the customer's terms), so that Days Overdue need not
    look the terms up in tblCustomers for every open invoice without one.

    open_items: the engine's documents, with `_row` (the 0-based data row each came from) and `paid` in cents.
    sheet_numbers: tblInvoices' invoice numbers as the cells hold them, one per data row (the formula compares
    its cell as text, so a number typed as a number matches the text written here). A row the engine did not
    use (left out by validation, dated after as-of, blank) gets a blank number, so the formula falls back for it.
    """
    rows = len(sheet_numbers)
    keys = np.full(rows, None, dtype=object)
    paid = pd.array([pd.NA] * rows, dtype="Int64")
    due = np.full(rows, np.datetime64("NaT"), dtype="datetime64[ns]")
    if open_items is not None and len(open_items) and rows:
        at = open_items["_row"].to_numpy(dtype=np.int64)
        inside = (at >= 0) & (at < rows)  # defensive: _row always indexes the table read
        at = at[inside]
        keys[at] = sheet_numbers.to_numpy(dtype=object)[at]
        paid[at] = open_items["paid"].to_numpy(dtype=np.int64)[inside]
        if "due_date" in open_items.columns:
            due[at] = pd.to_datetime(open_items["due_date"]).to_numpy(dtype="datetime64[ns]")[inside]
    return pd.DataFrame({"invoice_no": keys, "paid": paid, "due_date": due})


def formula_columns(open_items: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """What the Invoices sheet's four formula columns must show for each document, as the engine computes it:
    invoice_no, paid and outstanding (cents), days_overdue (0 once nothing is owed, credit notes included; NaN
    without a due date) and status (canonical). The benchmark and the LibreOffice test hold the formulas to it."""
    owed = open_items["outstanding"].to_numpy(dtype=np.int64) > 0
    late = days_overdue(day_numbers(open_items["due_date"]).view("datetime64[D]"), np.datetime64(as_of, "D"))
    return pd.DataFrame({
        "invoice_no": open_items["invoice_no"].astype(str).to_numpy(),
        "paid": open_items["paid"].to_numpy(dtype=np.int64),
        "outstanding": open_items["outstanding"].to_numpy(dtype=np.int64),
        "days_overdue": np.where(owed, late, 0.0),
        "status": open_items["status"].to_numpy(dtype=object),
    })
