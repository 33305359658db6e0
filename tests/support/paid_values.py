"""The four formula columns of the Invoices sheet as the Python engine computes them: the oracle that headless
LibreOffice's recalculation is compared with (tests/test_paid_recalc_libreoffice.py, benchmarks/excel_recalc.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.app.operations import Run
from xlfin.engine.paid_lookup import formula_columns

COMPARED = ("paid", "outstanding", "days_overdue", "status")


def engine_values(book: Path, lang: str) -> dict[str, tuple]:
    """invoice_no -> (paid, outstanding in cents, days overdue, status label): the Python engine on the reconciled
    book, as the four formula columns must show it."""
    wb = open_workbook(book, read_only=True)
    try:
        run = Run(wb)
        expected = formula_columns(run.open_items, run.as_of)
    finally:
        wb.close()
    label = {c.value: c.label(lang) for c in schema.INVOICE_STATUS}
    return {no: (int(p), int(o), "" if np.isnan(d) else int(d), label[s]) for no, p, o, d, s in
            expected[["invoice_no", *COMPARED]].itertuples(index=False)}
