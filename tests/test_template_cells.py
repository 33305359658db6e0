"""No cell that Excel repairs on open, in the template and in a regenerated demo book (issue 15 item 4).

Excel's "We found a problem with some content ... Do you want us to try to recover?" comes, among others, from
these cell constructs, which a scan of every worksheet part finds with lxml (not xlfin's reader):
- an empty inline string (`<c t="inlineStr"/>`, `<is/>`, `<is><t/></is>`): a blank cell must have no type;
- a cell type outside ECMA-376's ST_CellType (b, n, e, s, str, inlineStr) or `t="d"` (ISO dates, which Excel
  2007/2010 repair): xlfin writes dates as serial numbers;
- a value that does not fit its type: `t="n"` that is not a finite number, `t="b"` other than 0/1, `t="s"` that is
  not an index into sharedStrings, `t="e"` that is not one of Excel's error values;
- rows or cells out of order, duplicated, or a cell whose reference is not on its row;
- text longer than 32,767 characters, formulas longer than 8,192.
"""

from __future__ import annotations

import io
import math
import re
import zipfile

import pytest
from test_cli import SMALL, small_workbook

from xlfin.template import build_template

etree = pytest.importorskip("lxml.etree")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS = {"m": MAIN}
CELL_TYPES = {"b", "n", "e", "s", "str", "inlineStr"}
ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}
REF = re.compile(r"([A-Z]{1,3})(\d+)\Z")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def cell_problems(xml: bytes, shared_strings: int) -> list[str]:
    """Every construct in one worksheet part that Excel would repair."""
    problems: list[str] = []
    root = etree.fromstring(xml)
    last_row = 0
    for row in root.iterfind("m:sheetData/m:row", NS):
        r = int(row.get("r", last_row + 1))
        if r <= last_row:
            problems.append(f"row {r} after row {last_row}")
        last_row, last_col = r, 0
        for cell in row.iterfind("m:c", NS):
            ref = cell.get("r", "")
            problems += _one_cell(cell, ref, r, last_col, shared_strings)
            match = REF.match(ref)
            if match:
                last_col = _column_number(match.group(1))
    return problems


def _one_cell(cell, ref: str, row: int, last_col: int, shared_strings: int) -> list[str]:
    out: list[str] = []
    match = REF.match(ref)
    if ref and (not match or int(match.group(2)) != row):
        out.append(f"{ref}: reference not on row {row}")
    elif match and _column_number(match.group(1)) <= last_col:
        out.append(f"{ref}: cell out of order or duplicated")
    kind = cell.get("t", "n")
    value = cell.find("m:v", NS)
    formula = cell.find("m:f", NS)
    text = value.text if value is not None else None
    if kind not in CELL_TYPES:
        out.append(f"{ref}: cell type t={kind!r}")
    if kind == "inlineStr":
        strings = cell.find("m:is", NS)
        content = "".join(strings.itertext()) if strings is not None else ""
        if content == "":
            out.append(f"{ref}: empty inline string")
        elif len(content) > 32767:
            out.append(f"{ref}: text of {len(content)} characters")
    elif kind == "n" and text is not None:
        try:
            if not math.isfinite(float(text)):
                out.append(f"{ref}: number {text!r}")
        except ValueError:
            out.append(f"{ref}: number {text!r}")
    elif kind == "b" and text not in (None, "0", "1"):
        out.append(f"{ref}: boolean {text!r}")
    elif kind == "s" and (text is None or not text.isdigit() or int(text) >= shared_strings):
        out.append(f"{ref}: shared string index {text!r} of {shared_strings}")
    elif kind == "e" and text not in ERRORS:
        out.append(f"{ref}: error value {text!r}")
    elif kind == "str" and formula is None and text is None:
        out.append(f"{ref}: formula string without formula or value")
    if formula is not None and formula.text and len(formula.text) > 8192:
        out.append(f"{ref}: formula of {len(formula.text)} characters")
    return out


def book_problems(data: bytes) -> dict[str, list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        shared = 0
        if "xl/sharedStrings.xml" in names:
            shared = len(etree.fromstring(archive.read("xl/sharedStrings.xml")).findall("m:si", NS))
        sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert sheets, "no worksheet parts"
        found = {name: cell_problems(archive.read(name), shared) for name in sheets}
    return {name: problems for name, problems in found.items() if problems}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_template_has_no_cell_excel_repairs(lang: str) -> None:
    assert book_problems(build_template(lang)) == {}


def test_regenerated_demo_book_has_no_cell_excel_repairs(tmp_path) -> None:
    from xlfin.adapters.file import open_workbook
    from xlfin.app.operations import ACTIONS, execute

    path = small_workbook(tmp_path / "demo.xlsm")
    wb = open_workbook(path)
    try:
        execute(wb, ACTIONS)
    finally:
        wb.close()
    assert SMALL["invoices"] > 0
    assert book_problems(path.read_bytes()) == {}


def test_the_scan_finds_what_excel_repairs() -> None:
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"/><c r="B1" t="d"><v>2026-01-01</v></c><c r="C1" t="b"><v>2</v></c>'
             '<c r="D1"><v>nan</v></c><c r="E1" t="s"><v>9</v></c><c r="E1"><v>1</v></c></row>'
             '<row r="1"><c r="A2"><v>1</v></c></row></sheetData></worksheet>').encode()
    problems = cell_problems(sheet, shared_strings=1)
    for needle in ("A1: empty inline string", "B1: cell type t='d'", "C1: boolean", "D1: number",
                   "E1: shared string index", "E1: cell out of order", "row 1 after row 1", "A2: reference not on row"):
        assert any(p.startswith(needle) for p in problems), (needle, problems)
