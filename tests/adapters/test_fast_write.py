"""The file adapter's fast paths give the same workbook as plain openpyxl.

Generated tables are written as XML (`xlsx_tables.SheetXml`) and spliced into the saved sheet; input sheets are read by
the grid scan of `fastread`. Both are compared with the plain paths: cell values and types, number formats, quote
prefixes, header styles, Excel Tables (names, refs, columns) and hyperlinks, read back by openpyxl and by LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import decimal
import shutil
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from xlfin import schema
from xlfin.adapters import file as file_adapter
from xlfin.adapters.fastread import FastXlsx
from xlfin.adapters.file import atomic_save, open_workbook
from xlfin.app.operations import ACTIONS, execute
from xlfin.xlsx_tables import SheetXml, freeze_header, write_table

SMALL = {"customers": 20, "invoices": 200, "payments": 150}  # the seed gives dunning notices


def small_workbook(path: Path) -> Path:
    """The template filled like `xlfin new --demo`, with few rows."""
    from xlfin.app.demo import DEMO_AS_OF, INPUT_KEYS, _demo_config, fill_input_table, set_config
    from xlfin.app.demo_data import generate_demo
    from xlfin.template import package_workbook
    from xlfin.template.builder import build_workbook

    wb = build_workbook("en")
    data = generate_demo(seed=7, as_of=DEMO_AS_OF, lang="en", **SMALL)
    for key in INPUT_KEYS:
        if key in data:
            fill_input_table(wb, schema.TABLES[key], data[key], "en")
    set_config(wb, _demo_config("en"), "en")
    path.write_bytes(package_workbook(wb, "en"))
    return path

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "a & b <c> \"d\"", "  padded  ", "",
           " ", "tab\there", "line\nbreak", "中文 客户", "&amp; literal", "x" * 40_000, "bell\x07gone"]


def _sample_rows(table: schema.Table, n: int) -> list[list[object]]:
    """Every kind of value a generated table may hold, hostile text included, cycling over the rows."""
    by_type: dict[str, list[object]] = {
        "money": [1234.5, -0.01, 0.0, None, 1e15, float("inf"), 12, np.float64(3.25), decimal.Decimal("7.10")],
        "date": [dt.date(2026, 3, 1), dt.date(1900, 2, 28), None, dt.datetime(2026, 1, 2, 13, 30), "2026-01-02"],
        "int": [0, 7, -3, None, True, 2 ** 40, np.int64(5)],
        "float": [0.5, None, float("nan"), 1 / 3, 12],
        "pct": [0.125, None, 1.0, 0],
        "bool": [True, False, None, "yes", "no", " "],
        "link": ["/tmp/letters/C1 level 1.pdf", None, "", "=not a formula.pdf"],
    }
    rows = []
    for i in range(n):
        row: list[object] = []
        for j, column in enumerate(table.columns):
            if column.choices:
                options = [c.value for c in column.choices] + [None, "unknown value", column.choices[0].zh]
            else:
                options = by_type.get(column.type, HOSTILE + [None, 17, 2.5, dt.date(2026, 5, 6), True])
            row.append(options[(i + j) % len(options)])
        rows.append(row)
    rows.append(["=only", None])  # a short row: the rest is blank
    return rows


def _plain_file(tmp_path: Path) -> Path:
    source = tmp_path / "source.xlsx"
    openpyxl.Workbook().save(source)
    return source


def _write_both(tmp_path: Path, blocks: list[tuple[schema.Table, list[list[object]]]]) -> tuple[Path, Path]:
    """The same tables stacked on one sheet, once as openpyxl cells, once as spliced XML."""
    source = _plain_file(tmp_path)
    out = {}
    for mode in ("plain", "xml"):
        wb = openpyxl.load_workbook(source)
        ws = wb.active
        ws.title = "Generated"
        cells = SheetXml() if mode == "xml" else None
        top = 1
        written = []
        for table, rows in blocks:
            written.append(write_table(ws, table, rows, "en", top_left=(top, 1), cells_xml=cells))
            top += len(rows) + 2
        freeze_header(ws, written[0])
        generated = {}
        if cells is not None:
            generated[ws.title] = file_adapter._SheetData(cells.sheet_data(),
                                                          f'<dimension ref="{cells.dimension()}"/>'.encode(), False)
        out[mode] = tmp_path / f"{mode}.xlsx"
        atomic_save(wb, source, out[mode], {}, generated)
    return out["plain"], out["xml"]


def snapshot(path: Path, skip: frozenset[str] = frozenset()) -> dict[str, object]:
    """What a reader sees: per sheet every non-empty or styled cell, the tables, the links, the frozen panes."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, object] = {}
    for ws in wb.worksheets:
        if ws.title in skip:
            continue
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                cells[c.coordinate] = (c.value, c.data_type, c.number_format, bool(c.quotePrefix), c.font.b,
                                       c.fill.fgColor.rgb, c.alignment.wrap_text,
                                       c.hyperlink.target if c.hyperlink is not None else None)
        tables = sorted((t.displayName, t.ref, tuple(col.name for col in t.tableColumns),
                         t.autoFilter.ref if t.autoFilter is not None else None) for t in ws.tables.values())
        widths = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
        out[ws.title] = {"cells": cells, "tables": tables, "freeze": ws.freeze_panes, "widths": widths,
                         "dimensions": ws.dimensions}
    return out


TABLES = [schema.ALLOCATIONS, schema.UNAPPLIED, schema.SCORECARD, schema.DUNNING, schema.DUNNING_LOG,
          schema.VALIDATION, schema.AGING_DETAIL]


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_xml_cells_read_back_as_the_openpyxl_cells(tmp_path: Path, table: schema.Table) -> None:
    plain, xml = _write_both(tmp_path, [(table, _sample_rows(table, 60)), (schema.WRITEOFFS, [])])
    assert snapshot(xml) == snapshot(plain)
    with zipfile.ZipFile(xml) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet  # no text became a formula


def test_links_are_hyperlinks_and_text_is_never_a_formula(tmp_path: Path) -> None:
    rows = _sample_rows(schema.DUNNING, 8)
    plain, xml = _write_both(tmp_path, [(schema.DUNNING, rows)])
    ws = openpyxl.load_workbook(xml).active
    letter = schema.DUNNING.keys.index("letter") + 1
    links = {c.row: c.hyperlink.target for c in ws.iter_cols(min_col=letter, max_col=letter, min_row=2).__next__()
             if c.hyperlink is not None}
    assert links and all(t.endswith(".pdf") for t in links.values())
    assert ws.cell(links and min(links), letter).value == links[min(links)]
    hostile = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert hostile and all(c.data_type == "s" and c.quotePrefix for c in hostile)


def test_a_replaced_sheet_keeps_only_its_last_cells(tmp_path: Path) -> None:
    """Replacing a generated sheet twice in one run (append after replace) writes the second version only."""
    source = small_workbook(tmp_path / "book.xlsm")
    out = {}
    for flag in (True, False):
        target = tmp_path / f"out_{flag}.xlsm"
        shutil.copy(source, target)
        wb = open_workbook(target)
        try:
            import pandas as pd

            first = pd.DataFrame({"severity": ["error"] * 3, "sheet": ["Invoices"] * 3, "cell": ["A1", "A2", "A3"]})
            second = pd.DataFrame({"severity": ["warning"], "sheet": ["Payments"], "cell": ["B9"]})
            file_adapter.CELLS_AS_XML, saved = flag, file_adapter.CELLS_AS_XML
            try:
                wb.replace_sheet(schema.VALIDATION.sheet_en, [(schema.VALIDATION, first)], "en")
                wb.replace_sheet(schema.VALIDATION.sheet_en, [(schema.VALIDATION, second)], "en")
                wb.commit()
            finally:
                file_adapter.CELLS_AS_XML = saved
        finally:
            wb.close()
        out[flag] = snapshot(target)[schema.VALIDATION.sheet_en]
    assert out[True] == out[False]
    assert out[True]["tables"][0][1] == "A1:G2"


# ---------------------------------------------------------------- a whole run, fast paths against plain openpyxl


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The small demo workbook regenerated (with letters, so Dunning has links) by the fast and the plain paths."""
    tmp = tmp_path_factory.mktemp("fast_write")
    source = small_workbook(tmp / "book.xlsm")
    letters = tmp / "letters"
    out = {}
    saved = file_adapter.CELLS_AS_XML, file_adapter.SPLICE_MIN_BYTES
    try:
        for mode, (xml, splice) in {"fast": (True, 0), "plain": (False, 1 << 40)}.items():
            file_adapter.CELLS_AS_XML, file_adapter.SPLICE_MIN_BYTES = xml, splice
            target = tmp / f"{mode}.xlsm"
            wb = open_workbook(source)
            try:
                execute(wb, ACTIONS, letters_dir=letters, output=target, as_of=dt.date(2026, 11, 20))
            finally:
                wb.close()
            out[mode] = target
    finally:
        file_adapter.CELLS_AS_XML, file_adapter.SPLICE_MIN_BYTES = saved
    return out


def test_regenerated_workbook_is_the_same_through_openpyxl(runs: dict[str, Path]) -> None:
    skip = frozenset({schema.AUDIT.sheet_en})  # run times and durations
    fast, plain = snapshot(runs["fast"], skip), snapshot(runs["plain"], skip)
    assert fast == plain
    dunning = fast[schema.DUNNING.sheet_en]["cells"]
    assert any(v[-1] for v in dunning.values()), "the Dunning letter column should hold hyperlinks"
    with zipfile.ZipFile(runs["fast"]) as z:
        names = z.namelist()
    assert "xl/vbaProject.bin" in names and "customUI/customUI14.xml" in names


def test_fast_reader_reads_the_regenerated_workbook_as_openpyxl(runs: dict[str, Path]) -> None:
    reference = openpyxl.load_workbook(runs["fast"], data_only=True)
    fast = FastXlsx(runs["fast"])
    try:
        for ws in reference.worksheets:
            cells = fast.cells(ws.title)
            assert cells.grid is not None, ws.title  # the grid scan took every sheet
            want = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column,
                                                  values_only=True)]
            assert fast.block(ws.title, 1, 1, ws.max_row, ws.max_column) == want, ws.title
    finally:
        fast.close()


# ---------------------------------------------------------------- LibreOffice as an independent reader


@pytest.mark.libreoffice
def test_regenerated_workbook_is_the_same_through_libreoffice(runs: dict[str, Path], make_libreoffice,
                                                              tmp_path: Path) -> None:
    files = [runs["fast"], runs["plain"]]
    office = make_libreoffice()
    office.convert(files, "xlsx", tmp_path)
    # every sheet as CSV (the last filter option, -1, exports each sheet to <name>-<sheet>.csv)
    office.convert(files, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", tmp_path,
                   one_output_each=False)
    skip = frozenset({schema.AUDIT.sheet_en})
    fast, plain = snapshot(tmp_path / "fast.xlsx", skip), snapshot(tmp_path / "plain.xlsx", skip)
    assert fast == plain
    assert fast[schema.DUNNING.sheet_en]["tables"] and any(v[-1] for v in fast[schema.DUNNING.sheet_en]["cells"].values())
    csv_fast = sorted(p.name for p in tmp_path.glob("fast-*.csv"))
    assert len(csv_fast) >= 10
    for name in csv_fast:
        if schema.AUDIT.sheet_en in name:
            continue
        twin = tmp_path / name.replace("fast-", "plain-", 1)
        assert (tmp_path / name).read_bytes() == twin.read_bytes(), name
