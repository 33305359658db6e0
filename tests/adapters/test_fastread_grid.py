"""The grid scan of `fastread` (one regex pass per chunk, values decoded per distinct text) reads every cell shape as
the cell-by-cell scan and openpyxl do."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.adapters import fastread
from xlfin.adapters.fastread import FastXlsx, sheet_data_body

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES = f"""<styleSheet {NS}><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>
<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164"/>
<xf numFmtId="14"/><xf numFmtId="2"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""
SST = f"""<sst {NS} count="4" uniqueCount="4"><si><t>plain</t></si><si><r><t>rich </t></r><r><rPr><b/><color rgb="FFFF0000"/>
</rPr><t>text</t></r></si><si><t>漢字</t><rPh sb="0" eb="1"><t>かんじ</t></rPh></si><si><t xml:space="preserve"> sp </t></si></sst>"""

# every shape of cell the grid scan has a fast path or a fallback for
CELLS = """
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c>
<c r="E1" t="inlineStr"><is><t>inline &amp; &lt;escaped&gt; &#x41;</t></is></c><c r="F1" t="inlineStr"><is><t xml:space="preserve"> kept </t></is></c>
<c r="G1" t="inlineStr"><is><t/></is></c><c r="H1" t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r></is></c>
<c r="I1" t="inlineStr"></c><c r="J1" t="inlineStr"/></row>
<row r="2"><c r="A2"><v>42</v></c><c r="B2" t="n"><v>-1.5</v></c><c r="C2"><v>1E-3</v></c><c r="D2"><v> 7 </v></c>
<c r="E2" s="1"><v>46000</v></c><c r="F2" s="2"><v>45000.75</v></c><c r="G2" s="3"><v>3.25</v></c>
<c r="H2"><v></v></c><c r="I2"><v/></c><c r="J2"><v /></c><c r="K2" s="1"/></row>
<row r="3"><c r="A3"><f>SUM(A2:D2)</f><v>47.501</v></c><c r="B3" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>
<c r="C3" t="b"><f>TRUE()</f><v>1</v></c><c r="D3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="E3"><f>NOW()</f></c>
<c r="F3"><f t="shared" ref="F3:F4" si="0">A2*2</f><v>84</v></c><c r="G3" t="inlineStr"><f>X()</f></c>
<c r="H3" t="b"><v>0</v></c><c r="I3" t="e"><v>#N/A</v></c><c r="J3" t="d"><v>2026-03-05T00:00:00</v></c></row>
<row r="4"><c r="F4"><f t="shared" si="0"/><v>86</v></c><c r="B4" t="s"><v>0</v></c><c r="A4"><v>1</v></c></row>
<row r="6"><c r="C6" s="1"><v>45352</v></c><c r="C6"><v>9</v></c></row>
<row r="5"><c r="AB5"><v>5</v></c></row>
"""


def _package(path: Path, sheets: dict[str, str]) -> Path:
    entries = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{R_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(sheets) + 1))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-'
                        f'officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, len(sheets) + 1))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.'
                   'openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml"'
                   ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   f"{overrides}</Types>")
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{R_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook {NS} xmlns:r="{R_NS}"><sheets>{entries}</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   f'relationships">{rels}<Relationship Id="rIdS" Type="{R_NS}/styles" Target="styles.xml"/>'
                   f'<Relationship Id="rIdT" Type="{R_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        z.writestr("xl/styles.xml", STYLES)
        z.writestr("xl/sharedStrings.xml", SST)
        for i, cells in enumerate(sheets.values(), 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", f"<worksheet {NS}><sheetData>{cells}</sheetData></worksheet>")
    return path


def _cell_by_cell(fast: FastXlsx, sheet: str) -> fastread.SheetCells:
    body, _ = sheet_data_body(fast._read(fast.sheets[sheet]))
    return fast._scan_cells(sheet, body, [])


def test_every_cell_shape_reads_as_the_cell_by_cell_scan(tmp_path: Path) -> None:
    path = _package(tmp_path / "shapes.xlsx", {"Shapes": CELLS})
    fast = FastXlsx(path)
    try:
        grid = fast.cells("Shapes")
        assert grid.grid is not None
        slow = _cell_by_cell(fast, "Shapes")
        assert (grid.max_row, grid.max_col) == (slow.max_row, slow.max_col) == (6, 28)
        fast._cells["slow"] = slow
        got = fast.block("Shapes", 1, 1, 7, 30)
        want = fast.block("slow", 1, 1, 7, 30)
        assert got == want
        assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in want]
        assert got[0][:10] == ["plain", "rich text", "漢字", " sp ", "inline & <escaped> A", " kept ", "", "rich", None,
                               None]
        assert got[1][:11] == [42, -1.5, 0.001, 7, dt.datetime(2025, 12, 9), dt.datetime(2023, 3, 15, 18), 3.25,
                               None, None, None, None]
        assert got[2][:10] == [47.501, "ab", True, "#DIV/0!", None, 84, "", False, "#N/A", dt.datetime(2026, 3, 5)]
        assert got[3][:6] == [1, "plain", None, None, None, 86]
        assert got[5][2] == 9  # a repeated address: the later cell
        assert fast.block_array("Shapes", 5, 28, 5, 28).tolist() == [[5]]
    finally:
        fast.close()


def test_the_grid_scan_reads_as_openpyxl(tmp_path: Path) -> None:
    path = _package(tmp_path / "shapes.xlsx", {"Shapes": CELLS})
    reference = openpyxl.load_workbook(path, data_only=True)["Shapes"]
    fast = FastXlsx(path)
    try:
        got = fast.block("Shapes", 1, 1, reference.max_row, reference.max_column)
    finally:
        fast.close()
    want = [list(r) for r in reference.iter_rows(values_only=True)]
    assert (got[2][6], want[2][6]) == ("", None)  # an inline-string cell with only a formula: "" as ever before
    got[2][6] = None
    assert got == want


@pytest.mark.parametrize("cells", [
    '<row r="1"><c s="0" r="A1"><v>1</v></c></row>',  # address not first
    '<row r="1"><c\nr="A1"><v>1</v></c></row>',  # unusual spacing
    '<row r="1"><c r="A1" t="inlineStr"> <is><t>x</t></is></c></row>',  # text between the tags
    '<row r="1"><c r="XFD1048576"><v>1</v></c><c r="A1"><v>2</v></c></row>',  # sparse: not a grid
])
def test_unusual_sheets_fall_back_to_the_cell_by_cell_scan(tmp_path: Path, cells: str) -> None:
    path = _package(tmp_path / "odd.xlsx", {"Odd": cells})
    fast = FastXlsx(path)
    try:
        got = fast.cells("Odd")
        assert got.grid is None and got.rows is not None
        slow = _cell_by_cell(fast, "Odd")
        assert got.rows == slow.rows and (got.max_row, got.max_col) == (slow.max_row, slow.max_col)
    finally:
        fast.close()


def test_large_numeric_columns_parse_as_python_does(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    values = [f"{x:.17g}" for x in rng.uniform(-1e9, 1e9, 700)] + [f"{x:.2f}" for x in rng.uniform(-1e6, 1e6, 700)]
    values += [str(int(x)) for x in rng.integers(-10**15, 10**15, 700)] + ["1E+300", "-0", "2.5e-7", " 12 "]
    row = "".join(f'<row r="{i}"><c r="A{i}"><v>{v}</v></c></row>' for i, v in enumerate(values, 1))
    path = _package(tmp_path / "numbers.xlsx", {"Numbers": row})
    fast = FastXlsx(path)
    try:
        got = [r[0] for r in fast.block("Numbers", 1, 1, len(values), 1)]
    finally:
        fast.close()
    want = [fastread._number(v.encode()) for v in values]
    assert got == want and [type(v) for v in got] == [type(v) for v in want]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(-10**18, 10**18), st.floats(allow_nan=False, allow_infinity=False)),
                min_size=fastread._VECTOR_MIN, max_size=fastread._VECTOR_MIN + 40))
def test_vector_number_parsing_matches_one_at_a_time(numbers: list) -> None:
    raw = np.array([repr(x).encode() for x in numbers], dtype=object)
    got = fastread._numbers(raw)
    want = [fastread._number(r) for r in raw]
    assert got is not None
    assert list(got) == want and [type(v) for v in got] == [type(v) for v in want]
