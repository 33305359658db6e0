"""The template through headless LibreOffice, a reader independent of our own code.

1. LibreOffice's VBA import finds every module of the VBA project, with its kind.
2. A copy filled with customers, invoices and allocations, recalculated by LibreOffice, gives the expected
   Paid / Outstanding / Days Overdue / Status in both languages and no error value in the formula columns.

Skipped when `soffice` is missing, unless XLFIN_REQUIRE_LIBREOFFICE=1 (then missing LibreOffice fails).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlfin import schema
from xlfin.schema import Lang
from xlfin.template import build_template
from xlfin.template.builder import invoice_formulas, table_positions
from xlfin.vba.check import read_vba_project
from xlfin.template.tables import write_table

pytestmark = pytest.mark.libreoffice

@pytest.fixture(scope="module")
def convert(make_libreoffice, tmp_path_factory: pytest.TempPathFactory):
    """convert(files, fmt) -> output paths; one throwaway LibreOffice profile for the module, recalculating on load."""
    office = make_libreoffice(recalc=True, timeout=120)
    outdir = tmp_path_factory.mktemp("lo_out")
    return lambda files, fmt: office.convert(files, fmt, outdir)


_LO_KIND = {"standard": "normal", "class": "class", "document": "document"}


def test_libreoffice_finds_every_vba_module(convert, tmp_path: Path) -> None:
    data = build_template("en")
    source = tmp_path / "template_en.xlsm"
    source.write_bytes(data)
    (ods,) = convert([source], "ods")
    expected = {m.name: _LO_KIND[m.kind] for m in read_vba_project(zipfile.ZipFile(io.BytesIO(data))
                                                                      .read("xl/vbaProject.bin")).modules}
    found: dict[str, str] = {}
    with zipfile.ZipFile(ods) as archive:
        for name in archive.namelist():
            match = re.fullmatch(r"Basic/([^/]+)/([^/]+)\.xml", name)
            if not match or match.group(2) in ("script-lb", "script-lc"):
                continue
            text = archive.read(name).decode("utf-8")
            kind = re.search(r'script:moduleType="(\w+)"', text)
            found[match.group(2)] = kind.group(1) if kind else "normal"
    assert found == expected
    assert len(expected) >= 20  # 17 document modules + ribbon + xlwings + Dictionary


# ------------------------------------------------------------------ recalculation of the Invoices formulas

AS_OF = dt.date(2026, 3, 15)
CUSTOMERS = [  # customer_id, name, ..., payment_terms_days (index 7), credit_limit (8)
    ["C1", "Acme Ltd", None, None, None, None, None, 30, 1000, "USD", "Active", "No", None],
    ["C2", "=Beta+1", None, None, None, None, None, None, 50, "USD", "Active", "No", None],  # blank terms
]
INVOICES = [  # invoice_no, doc_type, customer_id, invoice_date, due_date, amount
    ["I1", "Invoice", "C1", dt.date(2026, 1, 1), dt.date(2026, 1, 31), 100],
    ["I2", "Invoice", "C1", dt.date(2026, 1, 5), None, 200],  # due = +30 days (customer terms) = 2026-02-04
    ["I3", "Invoice", "C2", dt.date(2026, 1, 20), None, 300],  # due = +30 (Config default) = 2026-02-19
    ["CN1", "Credit Note", "C2", dt.date(2026, 1, 10), dt.date(2026, 1, 10), 50],
    ["CN2", "Credit Note", "C2", dt.date(2026, 1, 12), dt.date(2026, 1, 12), 10],
    ["I4", "Invoice", "C2", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 80],
    ["I5", None, "C1", dt.date(2026, 2, 1), dt.date(2026, 2, 10), 40.5],  # blank type = Invoice
]
ALLOCATIONS = [  # payment_id, invoice_no, customer_id, amount, rule, confidence
    ["P1", "I1", "C1", 100, "explicit", "high"],
    ["P2", "I2", "C1", 30, "fifo", "low"],
    ["P3", "I2", "C1", 20.1, "reference", "medium"],
    ["CN1", "I3", "C2", 20, "explicit", "high"],  # a credit note settling an invoice uses up the credit note
    ["CN2", "I4", "C2", 10, "explicit", "high"],
]
EXPECTED = {  # paid, outstanding, days_overdue, status (canonical)
    "I1": (100, 0, 0, "Paid"),
    "I2": (50.1, 149.9, 39, "Partly Paid"),
    "I3": (20, 280, 24, "Partly Paid"),
    "CN1": (20, -30, 0, "Credit"),
    "CN2": (10, 0, 0, "Paid"),
    "I4": (10, 70, 0, "Partly Paid"),
    "I5": (0, 40.5, 33, "Open"),
}


def _translate(rows: list[list], table: schema.Table, lang: Lang) -> list[list]:
    """Closed-list values in the workbook's language, as a user of that language would type them."""
    out = []
    for row in rows:
        new = list(row)
        for j, column in enumerate(table.columns[: len(row)]):
            canonical = column.canonical(row[j]) if column.choices else None
            if canonical is not None:
                new[j] = next(c.label(lang) for c in column.choices if c.value == canonical)
        out.append(new)
    return out


def _filled_copy(lang: Lang, path: Path) -> None:
    """The template with the test rows and no tblInvoicePaid rows (as before a first reconcile), so every Paid value
    comes from the SUMIFS fallback; tests/test_paid_recalc_libreoffice.py covers the summary itself."""
    source = path.with_suffix(".xlsm")
    source.write_bytes(build_template(lang))
    wb = openpyxl.load_workbook(source)
    positions = table_positions()
    for table, rows, formulas in ((schema.CUSTOMERS, CUSTOMERS, None),
                                  (schema.INVOICES, INVOICES, invoice_formulas(lang)),
                                  (schema.ALLOCATIONS, ALLOCATIONS, None)):
        ws = wb[table.sheet(lang)]
        del ws.tables[table.name]
        write_table(ws, table, _translate(rows, table, lang), lang, positions[table.key], formulas=formulas)
    (sheet, coordinate), = wb.defined_names["AsOfDate"].destinations
    wb[sheet][coordinate.replace("$", "")] = AS_OF
    wb.save(path)


def test_libreoffice_recalculates_invoice_columns(convert, tmp_path: Path) -> None:
    inputs = {lang: tmp_path / f"filled_{lang}.xlsx" for lang in ("en", "zh-CN")}
    for lang, path in inputs.items():
        _filled_copy(lang, path)
    outputs = convert(list(inputs.values()), "xlsx")
    computed = [c.key for c in schema.INVOICES.columns if c.computed]
    for lang, output in zip(inputs, outputs):
        wb = openpyxl.load_workbook(output, data_only=True)
        ws = wb[schema.INVOICES.sheet(lang)]
        keys = schema.INVOICES.keys
        status_label = {c.value: c.label(lang) for c in schema.INVOICE_STATUS}
        got = {}
        for row in ws.iter_rows(min_row=2, max_row=1 + len(INVOICES), values_only=True):
            values = dict(zip(keys, row))
            errors = [k for k in computed if isinstance(values[k], str) and (values[k].startswith("#")
                                                                            or values[k].startswith("Err:"))]
            assert not errors, (lang, values["invoice_no"], {k: values[k] for k in errors})
            got[values["invoice_no"]] = (values["paid"], values["outstanding"], values["days_overdue"],
                                         values["status"])
        want = {no: (p, o, d, status_label[s]) for no, (p, o, d, s) in EXPECTED.items()}
        assert got == want, (lang, got)
        # text that looks like a formula stayed text through LibreOffice too
        assert wb[schema.CUSTOMERS.sheet(lang)]["B3"].value == "=Beta+1"
