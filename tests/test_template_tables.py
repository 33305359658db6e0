"""xlfin.template.tables: schema tables as Excel Tables, text never a formula, empty tables still valid."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from xlfin import schema
from xlfin.template.tables import clear_sheet, freeze_header, side_by_side, write_table


def _roundtrip(wb: openpyxl.Workbook) -> tuple[openpyxl.Workbook, bytes]:
    buffer = io.BytesIO()
    wb.save(buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue())), buffer.getvalue()


def test_text_that_looks_like_a_formula_stays_text() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Reconciliation"
    hostile = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]
    rows = [[f"P{i}", text, "C1", 1.0, "explicit", "high"] for i, text in enumerate(hostile)]
    write_table(ws, schema.ALLOCATIONS, rows, "en")
    back, raw = _roundtrip(wb)
    sheet_xml = zipfile.ZipFile(io.BytesIO(raw)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml
    for i, text in enumerate(hostile):
        cell = back.active.cell(row=2 + i, column=2)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_header_types_and_language() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [["P1", "I-1", "C1", 1234.5, "explicit", "high"], ["P2", "I-2", "C2", 3, "fifo", None]]
    xl = write_table(ws, schema.ALLOCATIONS, rows, "zh-CN", top_left=(3, 2))
    assert xl.displayName == "tblAllocations" and xl.ref == "B3:G5"
    assert xl.tableStyleInfo.name == "TableStyleMedium2" and xl.autoFilter.ref == "B3:G5"
    assert [c.value for c in ws[3][1:7]] == schema.ALLOCATIONS.headers("zh-CN")
    assert ws["B3"].font.b and ws["B3"].fill.fgColor.rgb == "FF1F4E78"
    assert ws["E4"].number_format == "#,##0.00"
    assert ws["G4"].value == "高"  # closed-list value shown in the workbook's language
    assert ws.column_dimensions["B"].width == 14


def test_number_formats_by_type_and_choice_labels() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    row = ["C1", "Acme", 1_000_000.0, 0.25, 0.123, 12.0, 3.5, 4.5, 1.2, 5.0, 1.1, 0.7, 0.1, 0.05, 1.9, 1.8,
           66.6, "B", 5000.0, 4000.0, 0.9, True, "A", 10.0, "over limit"]
    write_table(ws, schema.SCORECARD, [row], "en")
    formats = {c.key: ws.cell(row=2, column=i + 1).number_format for i, c in enumerate(schema.SCORECARD.columns)}
    assert formats["revenue_12m"] == "#,##0.00"
    assert formats["gross_margin"] == "0.0%"
    assert formats["dso"] == "0.0"
    assert ws.cell(row=2, column=schema.SCORECARD.keys.index("over_limit") + 1).value == "Yes"
    wb2 = openpyxl.Workbook()
    write_table(wb2.active, schema.DUNNING_LOG, [[dt.date(2026, 3, 1), "C1", 2, "I1", 10.0, "x.html"]], "en")
    assert wb2.active["A2"].number_format == "yyyy-mm-dd"
    assert wb2.active["C2"].number_format == "0"


def test_empty_table_is_valid_with_one_blank_row() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    xl = write_table(ws, schema.UNAPPLIED, [], "en")
    assert xl.ref == "A1:E2"
    back, _ = _roundtrip(wb)
    assert back.active.tables["tblUnapplied"].ref == "A1:E2"
    assert all(c.value is None for c in back.active[2])


def test_too_long_rows_and_unknown_formula_columns_are_errors() -> None:
    ws = openpyxl.Workbook().active
    with pytest.raises(ValueError, match="7 values for 6 columns"):
        write_table(ws, schema.ALLOCATIONS, [[1, 2, 3, 4, 5, 6, 7]], "en")
    with pytest.raises(KeyError, match="nope"):
        write_table(ws, schema.ALLOCATIONS, [], "en", formulas={"nope": "=1"})


def test_illegal_control_characters_are_dropped_not_fatal() -> None:
    ws = openpyxl.Workbook().active
    write_table(ws, schema.VALIDATION, [["error", "Payments", "Payments!H2", "reference", "P1", "x", "bad\x0bref"]],
                "en")
    assert ws["G2"].value == "badref"


def test_clear_sheet_then_rewrite_and_freeze() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    positions = side_by_side([schema.ALLOCATIONS, schema.UNAPPLIED])
    assert positions == [(1, 1), (1, 8)]
    write_table(ws, schema.ALLOCATIONS, [["P1", "I1", "C1", 1, "explicit", "high"]], "en", positions[0])
    xl = write_table(ws, schema.UNAPPLIED, [], "en", positions[1])
    freeze_header(ws, xl)
    assert ws.freeze_panes == "A2"
    clear_sheet(ws)
    assert not ws.tables and ws.max_row == 1 and ws["A1"].value is None and ws.freeze_panes is None
    write_table(ws, schema.ALLOCATIONS, [], "en")  # the same table name can be written again
    back, _ = _roundtrip(wb)
    assert list(back.active.tables) == ["tblAllocations"]
