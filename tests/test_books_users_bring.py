"""Books a user could type, written cell by cell with openpyxl from SPEC §3 (not from `xlfin new --demo`), through
every verb of the CLI: exit 0 or 1 (never 3), input sheets unchanged, problems named by cell, doubtful rows left out.

Regressions of issue #11: a book without credit notes stopped regenerate/aging/dunning with exit 3 ("Cannot cast
DatetimeArray to dtype float64"); duplicate invoice numbers and zero, negative or sub-cent amounts stopped every
report with exit 3 instead of a Validation row.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from test_cli import table_rows
from xlfin import schema
from xlfin.cli.main import app

D = dt.date
VERBS = ("validate", "reconcile", "aging", "dunning", "scorecard", "dashboard", "regenerate")
INPUT_SHEETS = ("Customers", "Invoices", "Payments", "Config")
CUSTOMERS = [("C1", "John Smith Ltd", 30, 10_000), ("C2", "Acme Trading Co", 30, 5_000)]


def write_book(path: Path, invoices: list[tuple], payments: list[tuple], customers: list[tuple] = CUSTOMERS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["Customer ID", "Customer Name", "Payment Terms (days)", "Credit Limit"])
    for row in customers:
        ws.append(list(row))
    ws = wb.create_sheet("Invoices")
    ws.append(["Invoice No", "Type", "Customer ID", "Invoice Date", "Due Date", "Amount"])
    for row in invoices:
        ws.append(list(row))
    ws = wb.create_sheet("Payments")
    ws.append(["Payment ID", "Payment Date", "Customer ID", "Payer", "Amount", "Reference", "Applied To"])
    for row in payments:
        ws.append(list(row))
    ws = wb.create_sheet("Config")
    ws.append(["Key", "Value"])
    ws.append(["as_of_date", D(2026, 3, 31)])
    wb.save(path)
    return path


def input_cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {name: [tuple(c.value for c in row) for row in wb[name].iter_rows()] for name in INPUT_SHEETS}


def run(verb: str, path: Path):
    result = CliRunner().invoke(app, [verb, str(path), "--json"])
    assert result.exit_code in (0, 1), (verb, result.exit_code, result.stdout, result.stderr)
    return result.exit_code, json.loads(result.stdout)


NO_CREDIT_NOTES = (
    [("INV-1", "Invoice", "C1", D(2026, 1, 5), D(2026, 2, 4), 100.0), ("INV-2", None, "C2", D(2026, 2, 1), None, 250.5)],
    [("P1", D(2026, 3, 1), "C1", None, 100.0, "INV-1", None)],
)


@pytest.mark.parametrize("verb", VERBS)
def test_book_without_credit_notes_runs_every_verb(tmp_path: Path, verb: str) -> None:
    book = write_book(tmp_path / "book.xlsx", *NO_CREDIT_NOTES)
    before = input_cells(book)
    code, summary = run(verb, book)
    assert code == 0 and summary.get("validation", summary)["errors"] == 0  # validate --json: the report itself
    assert input_cells(book) == before
    if verb in ("aging", "regenerate"):
        detail = table_rows(book, schema.AGING_DETAIL)
        assert [(r["invoice_no"], r["outstanding"]) for r in detail] == [("INV-2", 250.5)]  # INV-1 paid in full by P1


HOSTILE = (
    [("INV-1", "Invoice", "C1", D(2026, 1, 5), D(2026, 2, 4), 100.0),
     ("INV-1", None, "C1", D(2026, 2, 1), None, 250.5),  # duplicate number: both rows are ambiguous
     ("INV-3", None, "C2", D(2026, 2, 1), None, 0),
     ("INV-4", None, "C2", D(2026, 2, 1), None, -5),
     ("INV-5", None, "C2", D(2026, 2, 1), None, 0.004),  # rounds to 0.00
     ("INV-6", None, "C9", D(2026, 2, 1), None, 10),  # unknown customer
     ("INV-7", None, "C2", D(2026, 2, 1), D(2026, 1, 1), 10),  # due before invoice date
     ("INV-8", "Credit Nope", "C2", D(2026, 2, 1), None, 10),  # a Type that is neither: not guessed
     ("INV-9", None, "C2", D(2026, 1, 10), None, 75.25)],  # the only good row
    [("P1", D(2026, 3, 1), "C1", None, 100.0, "INV-1", None),
     ("P1", D(2026, 3, 2), "C2", None, 20, None, None),  # duplicate payment id
     ("P3", D(2026, 3, 2), "C2", None, 0, None, None)],
)
LEFT_OUT = {"Invoices!A2", "Invoices!A3", "Invoices!F4", "Invoices!F5", "Invoices!F6", "Invoices!C7", "Invoices!E8",
            "Invoices!B9", "Payments!A2", "Payments!A3", "Payments!E4"}


@pytest.mark.parametrize("verb", ["reconcile", "aging", "dunning", "regenerate"])
def test_hostile_rows_are_reported_by_cell_left_out_and_the_run_completes(tmp_path: Path, verb: str) -> None:
    book = write_book(tmp_path / "book.xlsx", *HOSTILE)
    before = input_cells(book)
    code, summary = run(verb, book)
    assert code == 1
    assert summary["validation"]["rows_left_out"] == 11
    assert summary["validation"]["rows_left_out_by_table"] == {"invoices": 8, "payments": 3}
    assert input_cells(book) == before
    problems = table_rows(book, schema.VALIDATION)
    assert LEFT_OUT <= {p["cell"] for p in problems}
    noted = {p["cell"] for p in problems if p["message"].endswith("(row left out of the calculations)")}
    assert noted == LEFT_OUT
    sub_cent = next(p for p in problems if p["cell"] == "Invoices!F6")
    assert sub_cent["code"] == "not_positive" and "'0.004' (= 0.00)" in sub_cent["message"]
    if verb in ("aging", "regenerate"):
        assert [r["invoice_no"] for r in table_rows(book, schema.AGING_DETAIL)] == ["INV-9"]
    if verb in ("reconcile", "regenerate"):
        assert table_rows(book, schema.ALLOCATIONS) == []  # every payment row was doubtful; INV-9 is not named


@pytest.mark.parametrize("invoices, payments, customers", [
    ([], [], CUSTOMERS),
    ([("INV-1", None, "C1", D(2026, 1, 5), None, 100.0)], [], CUSTOMERS),
    ([], [("P1", D(2026, 3, 1), "C1", None, 100.0, None, None), ("P2", D(2026, 3, 1), None, "Nobody", 5, None, None)],
     CUSTOMERS),
    ([("CN-1", "Credit Note", "C1", D(2026, 1, 5), None, 100.0)], [("P1", D(2026, 3, 1), "C1", None, 50, "CN-1", None)],
     CUSTOMERS),
    ([("INV-1", None, "C1", D(2026, 1, 5), None, 100.0)], [], []),
    ([("INV-1", None, "C1", D(2026, 1, 5), None, 100.0)], [], [("C1", None, None, None)]),  # customer without a name
], ids=["empty", "one-invoice", "payments-only", "credit-note-only", "no-customers", "nameless-customer"])
def test_small_and_empty_books_never_crash(tmp_path: Path, invoices, payments, customers) -> None:
    book = write_book(tmp_path / "book.xlsx", invoices, payments, customers)
    before = input_cells(book)
    run("regenerate", book)
    assert input_cells(book) == before


def test_duplicate_customer_keeps_the_first_row_and_its_invoices(tmp_path: Path) -> None:
    customers = [("C1", "John Smith Ltd", 30, 10_000), ("C1", "Someone Else", 60, 1)]
    book = write_book(tmp_path / "book.xlsx", [("INV-1", None, "C1", D(2026, 1, 5), None, 100.0)], [], customers)
    code, summary = run("aging", book)
    assert code == 1 and summary["validation"]["rows_left_out_by_table"] == {"customers": 1}
    (row,) = table_rows(book, schema.AGING)
    assert (row["customer_id"], row["name"], row["total"]) == ("C1", "John Smith Ltd", 100.0)
    (detail,) = table_rows(book, schema.AGING_DETAIL)
    assert detail["due_date"].date() == D(2026, 2, 4)  # the first row's 30 days, not the duplicate's 60
    cells = {p["cell"]: p["message"] for p in table_rows(book, schema.VALIDATION)}
    assert cells["Customers!A3"].endswith("(row left out of the calculations)")
    assert not cells["Customers!A2"].endswith("(row left out of the calculations)")


def test_customer_whose_payment_was_left_out_is_not_dunned(tmp_path: Path) -> None:
    """A left-out payment may mean the customer has paid: chasing it would be wrong, so it waits for the fix."""
    invoices = [("INV-1", None, "C1", D(2025, 10, 1), None, 500.0), ("INV-2", None, "C2", D(2025, 10, 1), None, 500.0)]
    payments = [("P1", D(2026, 3, 1), "C1", None, 500.0, "INV-1", None),
                ("P1", D(2026, 3, 2), "C1", None, 500.0, "INV-1", None)]  # the same receipt keyed twice
    book = write_book(tmp_path / "book.xlsx", invoices, payments)
    code, summary = run("dunning", book)
    assert code == 1
    assert summary["results"]["dunning"]["excluded"] == {"payment_left_out": 1}
    assert [r["customer_id"] for r in table_rows(book, schema.DUNNING)] == ["C2"]


def test_text_dates_are_read_only_when_day_and_month_cannot_be_swapped(tmp_path: Path) -> None:
    invoices = [("INV-1", None, "C1", "01/03/2026", None, 100.0), ("INV-2", None, "C1", "13/01/2026", None, 200.0),
                ("INV-3", None, "C1", "2026年1月5日", None, "¥1,234.50"), ("INV-4", None, "C1", "2026-01-05", None, "1 234,50")]
    book = write_book(tmp_path / "book.xlsx", invoices, [])
    code, summary = run("aging", book)
    assert code == 1 and summary["validation"]["rows_left_out_by_table"] == {"invoices": 2}
    problems = {p["cell"]: p["code"] for p in table_rows(book, schema.VALIDATION)}
    assert problems == {"Invoices!D2": "ambiguous_date", "Invoices!F5": "bad_amount"}
    detail = {r["invoice_no"]: (r["due_date"].date(), r["outstanding"]) for r in table_rows(book, schema.AGING_DETAIL)}
    assert detail == {"INV-2": (D(2026, 2, 12), 200.0), "INV-3": (D(2026, 2, 4), 1234.5)}


@pytest.mark.parametrize("root_declares_r", [True, False])
def test_new_sheets_bind_the_relationship_prefix_in_scope(tmp_path: Path, root_declares_r: bool) -> None:
    """openpyxl with lxml declares xmlns:r on each <sheet>, not on <workbook>: a sheet xlfin adds must not borrow a
    sibling's declaration (Excel and every parser reject the unbound prefix)."""
    import re
    import zipfile
    from xml.dom.minidom import parseString

    book = write_book(tmp_path / "book.xlsx", [("INV-1", "Invoice", "C1", D(2026, 1, 1), D(2026, 1, 31), 100)], [])
    ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    with zipfile.ZipFile(book) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    xml = members["xl/workbook.xml"].decode()
    xml = xml.replace(" " + ns, "")
    if root_declares_r:
        xml = re.sub(r"<workbook\b", f"<workbook {ns}", xml, count=1)
    else:
        xml = xml.replace("<sheet ", f"<sheet {ns} ")
    members["xl/workbook.xml"] = xml.encode()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    for verb in ("reconcile", "aging", "regenerate"):
        run(verb, book)
    with zipfile.ZipFile(book) as z:
        parseString(z.read("xl/workbook.xml"))  # raises on an unbound prefix
