"""The Invoices sheet's formula columns after `reconcile`, recalculated by headless LibreOffice, equal the engine's.

Paid reads tblInvoicePaid at its own row position (engine/paid_lookup.py, docs/excel-recalc.md); a row that moved
finds its number by an exact match, and a number the summary lacks falls back to SUMIFS over tblAllocations. Each
path is held to the engine's Paid / Outstanding / Days Overdue / Status on a small reconciled demo book:

- as reconcile wrote it;
- with tblAllocations' amounts blanked, so a value can only come from the summary (the SUMIFS would give 0);
- the same after the user sorted the invoices (every row moved: the exact match);
- with summary rows blanked and a new invoice typed after the run (the SUMIFS fallback).

Skipped when `soffice` is missing, unless XLFIN_REQUIRE_LIBREOFFICE=1 (then missing LibreOffice fails).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from support.paid_values import COMPARED, engine_values

from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.app.demo import DEMO_AS_OF, INPUT_KEYS, _demo_config, fill_input_table, set_config
from xlfin.app.demo_data import generate_demo
from xlfin.app.operations import execute
from xlfin.template import package_workbook
from xlfin.template.builder import build_workbook

pytestmark = pytest.mark.libreoffice

NUMBER = 90002  # an invoice number typed as a number (the sheet compares it as text with the summary)
KEYS = schema.INVOICES.keys


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple]]:
    """A small demo book after `reconcile`, and the engine's four values per invoice number."""
    data = generate_demo(seed=7, as_of=DEMO_AS_OF, lang="en", customers=8, invoices=40, payments=30)
    invoices, payments = data["invoices"].astype({"invoice_no": object}), data["payments"]
    invoices.loc[invoices["invoice_no"] == "INV-10002", "invoice_no"] = NUMBER
    data["payments"] = payments.assign(applied_to=payments["applied_to"].replace("INV-10002", str(NUMBER)))
    data["invoices"] = invoices
    wb = build_workbook("en")
    for key in INPUT_KEYS:
        if key in data:
            fill_input_table(wb, schema.TABLES[key], data[key], "en")
    set_config(wb, _demo_config("en"), "en")
    path = tmp_path_factory.mktemp("paid") / "book.xlsm"
    path.write_bytes(package_workbook(wb, "en"))
    book = open_workbook(path)
    try:
        execute(book, ["reconcile"])
    finally:
        book.close()
    engine = engine_values(path, "en")
    assert engine[str(NUMBER)][0] > 0 and sum(v[0] > 0 for v in engine.values()) > 10  # paid rows to look up
    return path, engine


def _table_rows(ws, name: str) -> range:
    """Worksheet rows of a table's data (1-based)."""
    first, last = ws.tables[name].ref.split(":")
    top = ws[first].row
    return range(top + 1, ws[last].row + 1)


def _edited(source: Path, target: Path, *edits: Callable[[openpyxl.Workbook], None]) -> Path:
    """A user's edits in a spreadsheet program, saved as .xlsx (LibreOffice needs no macros to recalculate)."""
    wb = openpyxl.load_workbook(source)
    for edit in edits:
        edit(wb)
    wb.save(target)
    return target


def _blank_allocations(wb: openpyxl.Workbook) -> None:
    ws = wb[schema.ALLOCATIONS.sheet("en")]
    column = ws[ws.tables[schema.ALLOCATIONS.name].ref.split(":")[0]].column + schema.ALLOCATIONS.keys.index("amount")
    for row in _table_rows(ws, schema.ALLOCATIONS.name):
        ws.cell(row, column).value = None


def _sort_invoices(wb: openpyxl.Workbook) -> None:
    """The typed columns of tblInvoices in reverse order; the formula columns stay as they are, row for row."""
    ws = wb[schema.INVOICES.sheet("en")]
    rows = list(_table_rows(ws, schema.INVOICES.name))
    typed = [c for c in schema.INVOICES.columns if not c.computed]
    values = [[ws.cell(r, j + 1).value for j in range(len(typed))] for r in rows]
    for r, row in zip(rows, reversed(values)):
        for j, value in enumerate(row):
            ws.cell(r, j + 1).value = value


def _blank_summary_rows(wb: openpyxl.Workbook) -> None:
    """Every third summary row loses its number: those invoices must fall back to the SUMIFS."""
    ws = wb[schema.INVOICE_PAID.sheet("en")]
    column = ws[ws.tables[schema.INVOICE_PAID.name].ref.split(":")[0]].column
    for row in list(_table_rows(ws, schema.INVOICE_PAID.name))[::3]:
        ws.cell(row, column).value = None


NEW = ("INV-NEW", "Invoice", "C1001", dt.date(2026, 1, 5), dt.date(2026, 2, 4), 123.45)


def _type_new_invoice(wb: openpyxl.Workbook) -> None:
    """A row typed under the table after the run; Excel extends the table and its calculated columns."""
    ws = wb[schema.INVOICES.sheet("en")]
    table = ws.tables[schema.INVOICES.name]
    first, last = table.ref.split(":")
    row = ws[last].row + 1
    for j, value in enumerate(NEW):
        ws.cell(row, j + 1).value = value
    for j, column in enumerate(schema.INVOICES.columns):
        if column.computed:
            ws.cell(row, j + 1).value = ws.cell(row - 1, j + 1).value  # the calculated column's formula
    table.ref = f"{first}:{ws[last].column_letter}{row}"


def _values(book: Path) -> dict[str, tuple]:
    """invoice_no -> the four formula columns as LibreOffice computed them (money in cents)."""
    ws = openpyxl.load_workbook(book, data_only=True)[schema.INVOICES.sheet("en")]
    out = {}
    for row in ws.iter_rows(min_row=2, max_col=len(KEYS), values_only=True):
        cells = dict(zip(KEYS, row))
        if cells["invoice_no"] in (None, ""):
            continue
        paid, owed, days, status = (cells[k] for k in COMPARED)
        out[str(cells["invoice_no"])] = (round(paid * 100), round(owed * 100), days if days == "" else int(days), status)
    return out


def test_formula_columns_equal_the_engine_on_every_path(make_libreoffice, reconciled, tmp_path: Path) -> None:
    source, engine = reconciled
    books = {
        "as written": _edited(source, tmp_path / "written.xlsx"),
        "summary only": _edited(source, tmp_path / "summary_only.xlsx", _blank_allocations),
        "sorted": _edited(source, tmp_path / "sorted.xlsx", _blank_allocations, _sort_invoices),
        "fallback": _edited(source, tmp_path / "fallback.xlsx", _blank_summary_rows, _type_new_invoice),
    }
    office = make_libreoffice(recalc=True, timeout=240)
    outputs = office.convert(list(books.values()), "xlsx", tmp_path / "out")
    new_row = {"INV-NEW": (0, 12345, (DEMO_AS_OF - NEW[4]).days, "Open")}
    for case, output in zip(books, outputs):
        got = _values(output)
        want = engine | new_row if case == "fallback" else engine
        wrong = {no: (got.get(no), want[no]) for no in want if got.get(no) != want[no]}
        assert not wrong and got.keys() == want.keys(), (case, dict(list(wrong.items())[:5]))
