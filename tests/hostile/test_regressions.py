"""Books the property test (test_every_verb.py) found breaking a verb, kept as fixed examples.

The first five were exit 3 until the finance branch's fixes (issue #11) were merged: a book without credit notes
(aging, dunning, regenerate), duplicate invoice numbers, zero/negative/sub-cent amounts (reconciliation). Each must
now complete with exit 0 or 1, the offending rows reported on the Validation sheet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from . import harness
from .books import Book, Sheet, write_book

D = dt.date
CUSTOMERS = Sheet("customers", ["Customer ID", "Customer Name"], [["C001", "Alpha Ltd"], ["C002", "Beta Ltd"]])
CONFIG = [("as_of_date", D(2026, 11, 20)), ("language", "en")]
INV_HEAD = ["Invoice No", "Customer ID", "Invoice Date", "Amount"]
PAY_HEAD = ["Payment ID", "Payment Date", "Customer ID", "Amount", "Applied To"]

def book(invoices: list[list[object]], payments: list[list[object]], inv_head: list[str] = INV_HEAD) -> Book:
    return Book("en", [CUSTOMERS, Sheet("invoices", inv_head, invoices), Sheet("payments", PAY_HEAD, payments)],
                CONFIG)


NO_CREDIT_NOTES = book([["INV-1", "C001", D(2026, 8, 1), 100.0], ["INV-2", "C002", D(2026, 10, 1), 250.0]],
                       [["P1", D(2026, 9, 1), "C001", 100.0, "INV-1"]])
DUPLICATE_INVOICE_NO = book([["INV-1", "C001", D(2026, 8, 1), 100.0], ["INV-1", "C002", D(2026, 9, 1), 80.0]],
                            [["P1", D(2026, 9, 1), "C001", 100.0, "INV-1"]])
ZERO_PAYMENT = book([["INV-1", "C001", D(2026, 8, 1), 100.0]], [["P1", D(2026, 9, 1), "C001", 0, None]])
NEGATIVE_INVOICE = book([["INV-1", "C001", D(2026, 8, 1), -100.0], ["INV-2", "C001", D(2026, 8, 2), 50.0]],
                        [["P1", D(2026, 9, 1), "C001", 50.0, None]])
SUB_CENT_INVOICE = book([["INV-1", "C001", D(2026, 8, 1), 0.004], ["INV-2", "C001", D(2026, 8, 2), 50.0]],
                        [["P1", D(2026, 9, 1), "C001", 50.0, None]])

CASES = {
    "no credit notes": (NO_CREDIT_NOTES, ("aging", "dunning", "regenerate")),
    "duplicate invoice numbers": (DUPLICATE_INVOICE_NO, ("reconcile", "regenerate")),
    "zero payment amount": (ZERO_PAYMENT, ("reconcile", "aging", "regenerate")),
    "negative invoice amount": (NEGATIVE_INVOICE, ("reconcile", "regenerate")),
    "sub-cent invoice amount": (SUB_CENT_INVOICE, ("reconcile", "regenerate")),
}


@pytest.mark.parametrize("case, verb", [(c, v) for c, (_b, verbs) in CASES.items() for v in verbs])
def test_books_that_crashed_now_complete(tmp_path: Path, monkeypatch, case: str, verb: str) -> None:
    monkeypatch.setattr(harness, "KNOWN_CRASHES", {})  # here a known crash is a failure, not tolerated
    path = write_book(CASES[case][0], tmp_path / "book.xlsx")
    assert harness.check_verb(verb, path) is None
    assert harness.run_verb(verb, path).code in (0, 1)


MISSING_AMOUNT_COLUMN = book([["INV-1", "C001", D(2026, 8, 1)]], [], inv_head=INV_HEAD[:3])
HEADER_TWICE = book([["INV-1", "C001", D(2026, 8, 1), 100.0, 100.0]], [], inv_head=[*INV_HEAD, "金额"])


@pytest.mark.parametrize("refused", [MISSING_AMOUNT_COLUMN, HEADER_TWICE], ids=["missing column", "header twice"])
@pytest.mark.parametrize("verb", ["validate", "aging", "dunning", "regenerate"])
def test_unusable_books_are_refused_without_writing(tmp_path: Path, refused: Book, verb: str) -> None:
    path = write_book(refused, tmp_path / "book.xlsx")
    assert harness.run_verb(verb, path).code == 2
    assert harness.check_verb(verb, path) is None  # one line on stderr, every file in the folder as it was


def test_relationship_prefix_declared_on_each_sheet_element(tmp_path: Path) -> None:
    """openpyxl with lxml installed writes xmlns:r on every <sheet>, not on <workbook>; adding a generated sheet must
    declare the prefix itself (the second run refused the book: "workbook.xml is not well-formed XML")."""
    import re
    import zipfile

    path = write_book(NO_CREDIT_NOTES, tmp_path / "plain.xlsx")
    local = tmp_path / "book.xlsx"
    r_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(local, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                xml = data.decode("utf-8").replace(" " + r_ns, "")
                xml = re.sub(r"<sheet ", f"<sheet {r_ns} ", xml)
                assert xml.count(r_ns) >= 4 and not re.search(r"<workbook[^>]*xmlns:r", xml)
                data = xml.encode("utf-8")
            dst.writestr(info, data)
    path.unlink()
    assert harness.check_verb("regenerate", local) is None
    assert harness.run_verb("regenerate", local).code in (0, 1)
