"""The fast file stages (issue #12 item 3) give the same results as the per-value definitions they replace.

- generated cells: the column-at-a-time encoder writes exactly what `_Encoder.tail`, applied value by value with the
  first-seen cache of the old encoder, writes;
- the limits pass inflates each member once and keeps it: reads, the workbook hash and a stored (uncompressed) zip
  give what zipfile gives;
- the Dashboard's print area and A4 landscape fit-to-width page setup; docProps/app.xml's worksheet list follows
  the sheets xlfin adds.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli import small_workbook

from xlfin.adapters import open_workbook
from xlfin.app.operations import execute
from xlfin.xlsx.digest import zip_digest
from xlfin.xlsx.opc import REL_STYLES, Package
from xlfin.xlsx.read import PackageReader
from xlfin.xlsx.sheet import (
    DATE_FORMAT,
    GeneratedSheet,
    _Encoder,
    _float_tails,
    _plain,
    column_letter,
)
from xlfin.xlsx.styles import CellStyle, StyleBook
from xlfin.xlsx.write import PackageWriter, app_titles

MIXED = [
    -0.0, 0.0, 1.0, 2.5, float("nan"), float("inf"), 1e16, 123456789012345.0, -7.0, 0.1 + 0.2, 1e-7,
    3, -4, 10 ** 20, True, False, np.float64(2.0), np.int64(9), Decimal("1.50"), Decimal("1.5"),
    dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 13, 30), dt.time(6, 0),
    "plain", "", "  padded", "trail ", "=SUM(A1)", "+1", "-x", "@me", "a & <b>", "line\nbreak", "bell\x07",
    "中文客户", "x" * 40_000, None, "plain", 2.5, dt.date(2024, 2, 29),
]


def reference_rows(columns: list[tuple[int, list[object], CellStyle, object]], styles: StyleBook) -> dict[int, str]:
    """Row -> its cells' XML, value by value through `_Encoder.tail` with a (class, value) first-seen cache: the
    old encoder's definition."""
    enc = _Encoder(styles, False)
    rows: dict[int, list[str]] = {}
    for col, values, style, convert in columns:
        cache: dict[tuple, str | None] = {}
        for i, value in enumerate(values):
            try:
                key = (value.__class__, value)
                if key not in cache:
                    shown = convert(value) if convert is not None else value
                    cache[key] = enc.tail(shown, style)
                tail = cache[key]
            except TypeError:
                tail = enc.tail(value, style)
            if tail is not None:
                rows.setdefault(2 + i, []).append(f'<c r="{column_letter(col)}{2 + i}"{tail}')
    return {r: "".join(cells) for r, cells in rows.items()}


def _styles() -> StyleBook:
    package = Package(small_workbook_package())
    reader = PackageReader(package)
    part = next(iter(package.related(reader.workbook_part, REL_STYLES)))
    return StyleBook(package, part)


_BOOK: bytes | None = None


def small_workbook_package() -> bytes:
    global _BOOK
    if _BOOK is None:
        from test_cli import small_workbook_bytes
        _BOOK = small_workbook_bytes()
    return _BOOK


@pytest.mark.parametrize("order", ["as-listed", "reversed"])
def test_column_encoder_writes_what_the_per_value_encoder_writes(order: str) -> None:
    values = MIXED if order == "as-listed" else MIXED[::-1]
    columns = [
        (1, values, CellStyle(), None),
        (2, values, CellStyle("#,##0.00"), _plain),
        (3, [v for v in values if isinstance(v, str)] * 3, CellStyle(), _plain),
        (4, [v if isinstance(v, float) else None for v in values], CellStyle("0.0%"), _plain),
        (5, [dt.date(2020, 1, 1) + dt.timedelta(days=i % 40) for i in range(len(values))], CellStyle(DATE_FORMAT),
         _plain),
    ]
    sheet = GeneratedSheet()
    n = len(values)
    for col, vals, style, convert in columns:
        vals = list(vals)[:n] + [None] * (n - len(vals))
        sheet.column(2, col, vals, style, convert=convert)
    styles = _styles()
    expected = reference_rows([(c, (list(v)[:n] + [None] * (n - len(v))), s, f) for c, v, s, f in columns], styles)
    chunks, dimension = sheet.encode(styles)
    body = b"".join(chunks).decode("utf-8")
    got = dict(re.findall(r'<row r="(\d+)">(.*?)</row>', body, re.S))
    assert {int(r): cells for r, cells in got.items()} == expected
    assert dimension == f"A{min(expected)}:E{max(expected)}"


def test_single_cells_inside_a_block_are_merged_in_column_order() -> None:
    sheet = GeneratedSheet()
    sheet.column(2, 2, [1, 2, 3])
    sheet.column(2, 4, ["a", "b", "c"])
    sheet.cell(3, 1, "left")
    sheet.cell(3, 3, "middle")
    sheet.cell(1, 2, "head")
    body = b"".join(sheet.encode(_styles())[0]).decode()
    row3 = re.search(r'<row r="3">(.*?)</row>', body).group(1)
    assert re.findall(r'<c r="([A-Z]+)3"', row3) == ["A", "B", "C", "D"]
    assert body.index('<row r="1">') < body.index('<row r="2">') < body.index('<row r="3">')


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(-10 ** 17, 10 ** 17).map(float),
                          st.sampled_from([-0.0, 0.0, 1e16, -1e16, 9007199254740993.0, 0.5])), min_size=1))
def test_floats_are_written_as_repr_without_a_trailing_dot_zero(floats: list[float]) -> None:
    tails, ok = _float_tails(np.array(floats, dtype=object), "")
    first: dict[float, str] = {}
    for value, tail, made in zip(floats, tails.tolist(), ok.tolist()):
        assert made == math.isfinite(value)
        if not made:
            continue
        text = first.setdefault(value, repr(value)[:-2] if repr(value).endswith(".0") else repr(value))
        assert tail == f'"><v>{text}</v></c>'


def test_one_inflate_serves_reads_and_the_hash_and_a_stored_zip_reads_the_same(tmp_path: Path) -> None:
    book = small_workbook(tmp_path / "book.xlsm")
    stored = tmp_path / "stored.xlsm"
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as out:
        for info in zin.infolist():
            out.writestr(info, zin.read(info.filename), compress_type=zipfile.ZIP_STORED)
    package = Package(book.read_bytes())
    PackageReader(package)
    with zipfile.ZipFile(book) as zf:
        assert all(package.read(n) == zf.read(n) for n in zf.namelist())
    with open_workbook(book, read_only=True) as a, open_workbook(stored, read_only=True) as b:
        assert a.hash_before() == zip_digest(book) == b.hash_before() == zip_digest(stored)
        from xlfin import schema
        assert a.read_table(schema.INVOICES).frame.equals(b.read_table(schema.INVOICES).frame)


def test_a_member_that_inflates_beyond_its_declared_size_is_damaged(tmp_path: Path) -> None:
    book = small_workbook(tmp_path / "book.xlsm")
    data = bytearray(book.read_bytes())
    with zipfile.ZipFile(book) as zf:
        info = zf.getinfo("xl/styles.xml")
    # the central directory's uncompressed size, one byte short (offset 24 of the central header)
    central = [m.start() for m in re.finditer(rb"PK\x01\x02", bytes(data))]
    for at in central:
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        if bytes(data[at + 46:at + 46 + name_len]) == b"xl/styles.xml":
            data[at + 24:at + 28] = (info.file_size - 1).to_bytes(4, "little")
    damaged = tmp_path / "damaged.xlsm"
    damaged.write_bytes(bytes(data))
    from xlfin.schema.tables import WorkbookError
    with pytest.raises(WorkbookError, match="damaged"):
        open_workbook(damaged, read_only=True)


def test_the_dashboard_prints_on_a4_landscape_one_page_wide_with_its_print_area(tmp_path: Path) -> None:
    book = small_workbook(tmp_path / "book.xlsm")
    for _ in range(2):  # a replaced Dashboard keeps one print area, not two
        with open_workbook(book) as wb:
            execute(wb, ["dashboard"])
    with zipfile.ZipFile(book) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet [^>]*name="([^"]+)"', workbook)
        areas = re.findall(r'<definedName name="_xlnm.Print_Area" localSheetId="(\d+)">([^<]+)</definedName>',
                           workbook)
        assert areas == [(str(sheets.index("Dashboard")), "Dashboard!$A$1:$U$55")]
        reader = PackageReader(Package(book.read_bytes()))
        xml = zf.read(reader.sheet("Dashboard").part).decode()
    assert '<pageSetUpPr fitToPage="1"/>' in xml
    assert '<pageSetup paperSize="9" fitToWidth="1" fitToHeight="0" orientation="landscape"/>' in xml


EXCEL_APP = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
             'openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.'
             'org/officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel</Application><HeadingPairs>'
             '<vt:vector size="4" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>'
             '<vt:variant><vt:i4>{n}</vt:i4></vt:variant><vt:variant><vt:lpstr>Named Ranges</vt:lpstr></vt:variant>'
             '<vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector '
             'size="{m}" baseType="lpstr">{titles}<vt:lpstr>AsOfDate</vt:lpstr></vt:vector></TitlesOfParts>'
             '<AppVersion>16.0300</AppVersion></Properties>')


def test_app_xml_lists_a_sheet_xlfin_adds_and_keeps_everything_else(tmp_path: Path) -> None:
    source = Package(small_workbook_package())
    names = [s.name for s in PackageReader(source).sheets if s.part]
    titles = "".join(f"<vt:lpstr>{n}</vt:lpstr>" for n in names)
    app = EXCEL_APP.format(n=len(names), m=len(names) + 1, titles=titles).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(small_workbook_package())) as zin, zipfile.ZipFile(buffer, "w") as out:
        for info in zin.infolist():
            out.writestr(info, app if info.filename == "docProps/app.xml" else zin.read(info.filename))
    package = Package(buffer.getvalue())
    writer = PackageWriter(package, PackageReader(package))
    sheet = GeneratedSheet()
    sheet.cell(1, 1, "x")
    writer.replace_sheet(["Notes & <Co>"], "Notes & <Co>", sheet)
    after = zipfile.ZipFile(io.BytesIO(writer.finish())).read("docProps/app.xml")
    expected = EXCEL_APP.format(n=len(names) + 1, m=len(names) + 2,
                                titles=titles + "<vt:lpstr>Notes &amp; &lt;Co&gt;</vt:lpstr>").encode()
    assert after == expected


def test_app_xml_without_the_lists_or_with_other_names_is_left_alone() -> None:
    openpyxl_app = b'<Properties xmlns="x"><Application>Openpyxl</Application></Properties>'
    assert app_titles(openpyxl_app, ["A"], ["A", "B"]) is None
    stale = EXCEL_APP.format(n=1, m=2, titles="<vt:lpstr>Old</vt:lpstr>").encode()
    assert app_titles(stale, ["A"], ["A", "B"]) is None
    renamed = app_titles(EXCEL_APP.format(n=2, m=3, titles="<vt:lpstr>A</vt:lpstr><vt:lpstr>Aging</vt:lpstr>")
                         .encode(), ["A", "Aging"], ["A", "账龄"])
    assert renamed == EXCEL_APP.format(n=2, m=3, titles="<vt:lpstr>A</vt:lpstr><vt:lpstr>账龄</vt:lpstr>").encode()


def test_tables_that_would_run_past_the_last_row_stand_side_by_side(tmp_path: Path, monkeypatch) -> None:
    """At Excel's row limit the Reconciliation sheet's tables cannot be stacked (the per-invoice summary alone has
    a row per invoice): they are laid out side by side from row 1, and read back by table name."""
    import xlfin.adapters.file as file_adapter
    from xlfin import schema

    book = small_workbook(tmp_path / "book.xlsm")
    with open_workbook(book) as wb:
        execute(wb, ["reconcile"])
    with open_workbook(book, read_only=True) as wb:
        stacked = {t: wb.read_table(t).frame for t in (schema.ALLOCATIONS, schema.UNAPPLIED)}
    monkeypatch.setattr(file_adapter, "MAX_SHEET_ROWS", 20)
    with open_workbook(book) as wb:
        execute(wb, ["reconcile"])
    with open_workbook(book, read_only=True) as wb:
        los = {lo.name: lo for lo in wb._list_objects()}
        side = {t: wb.read_table(t).frame for t in (schema.ALLOCATIONS, schema.UNAPPLIED)}
    allocations, unapplied = los[schema.ALLOCATIONS.name], los[schema.UNAPPLIED.name]
    assert allocations.first_row == unapplied.first_row == 1
    assert unapplied.first_col == allocations.last_col + 2
    for table, frame in stacked.items():
        assert side[table].equals(frame)


def test_sheets_read_together_equal_sheets_read_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """prefetch (one calamine workbook per thread) keeps exactly what grid() alone reads, merged ranges included."""
    names = ["Invoices", "Payments", "Customers", "Financials", "Config"]
    alone = PackageReader(Package(small_workbook_package()))
    together = PackageReader(Package(small_workbook_package()))
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    together.prefetch(names)
    assert set(together._grids) == set(names)
    for name in names:
        a, b = alone.grid(name), together.grid(name)
        assert a.shape == b.shape and all(type(x) is type(y) and x == y for x, y in zip(a.flat, b.flat)), name
        assert alone.merged(name) == together.merged(name)


def test_a_sheet_that_fails_in_prefetch_is_read_again_in_its_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    from python_calamine import CalamineError

    reader = PackageReader(Package(small_workbook_package()))
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    real = PackageReader._read_alone

    def flaky(self: PackageReader, name: str):
        if name == "Payments":
            raise CalamineError("simulated")
        return real(self, name)

    monkeypatch.setattr(PackageReader, "_read_alone", flaky)
    reader.prefetch(["Invoices", "Payments"])
    assert "Invoices" in reader._grids and "Payments" not in reader._grids
    assert reader.grid("Payments").shape[0] > 1  # grid() reads it itself


def test_the_file_adapter_reads_the_input_sheets_together_once(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from xlfin import schema

    calls: list[list[str]] = []
    real = PackageReader.prefetch
    monkeypatch.setattr(PackageReader, "prefetch", lambda self, names: calls.append(list(names)) or real(self, names))
    book = small_workbook(tmp_path / "book.xlsm")
    with open_workbook(book, read_only=True) as wb:
        wb.read_table(schema.INVOICES)
        wb.read_table(schema.PAYMENTS)
    assert len(calls) == 1 and {"Invoices", "Payments", "Customers"} <= set(calls[0])


def reference_sheet_data(sheet: GeneratedSheet, styles: StyleBook) -> tuple[str, str | None]:
    """<sheetData> by the per-row definition: every cell of every row, from single cells and columns alike, sorted
    by column (a single before a column's cell in the same column, columns by their first row, length and the
    order they were given), each row joined on its own."""
    enc = _Encoder(styles, False)
    cells: dict[int, list[tuple[tuple, str]]] = {}
    for order, (row, col, value, style) in enumerate(sheet._cells):
        tail = enc.tail(value, style)
        if tail is not None:
            cells.setdefault(row, []).append(((col, 0, order, 0, 0), f'<c r="{column_letter(col)}{row}"{tail}'))
    last = 0
    for order, (first_row, col, values, style, link, convert) in enumerate(sheet._columns):
        pieces, has = sheet._column_tails(enc, first_row, col, values, style, link, convert)
        tails = ["".join(p if isinstance(p, str) else p[i] for p in pieces) for i in range(len(has))]
        if not has.any():
            continue
        last = max(last, first_row + len(values) - 1)
        for i in np.flatnonzero(has).tolist():
            key = (col, 1, first_row, first_row + len(values), order)
            cells.setdefault(first_row + i, []).append((key, f'<c r="{column_letter(col)}{first_row + i}{tails[i]}'))
    if not cells:
        return "<sheetData/>", None
    rows = "".join(f'<row r="{r}">' + "".join(p for _, p in sorted(cells[r], key=lambda c: c[0])) + "</row>"
                   for r in sorted(cells))
    used = [k[0] for r in cells for k, _ in cells[r]]
    last = max(last, *cells)
    return f"<sheetData>{rows}</sheetData>", f"{column_letter(min(used))}{min(cells)}:{column_letter(max(used))}{last}"


_CELL_VALUES = st.one_of(st.none(), st.integers(-5, 5), st.sampled_from(["a", "b & c", "", " x", "=1", "中"]),
                         st.floats(-3, 3).map(lambda f: round(f, 1)), st.dates(dt.date(2020, 1, 1), dt.date(2020, 3, 1)))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 12), st.lists(_CELL_VALUES, min_size=0, max_size=30)),
                min_size=0, max_size=7),
       st.lists(st.tuples(st.integers(1, 70), st.integers(1, 12), _CELL_VALUES), max_size=12))
def test_rows_are_assembled_as_the_per_row_merge_writes_them(columns, singles) -> None:
    """Columns side by side, overlapping, of different lengths, with gaps and single cells anywhere (inside a block,
    between its columns, on a column a block also writes): the interval assembly writes what merging each row's
    cells one by one writes, and the same dimension."""
    styles = _styles()
    sheet = GeneratedSheet()
    for first_row, col, values in columns:
        sheet.column(first_row, col, values, CellStyle("0.00") if col % 2 else CellStyle(), convert=_plain)
    for row, col, value in singles:
        sheet.cell(row, col, value)
    chunks, dimension = sheet.encode(styles)
    assert (b"".join(chunks).decode("utf-8"), dimension) == reference_sheet_data(sheet, styles)


def test_row_assembly_crosses_chunks_and_keeps_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """A block longer than one chunk of rows, a second block beside it ending mid-chunk, blank rows inside."""
    import xlfin.xlsx.sheet as sheet_module

    monkeypatch.setattr(sheet_module, "_ROWS_PER_CHUNK", 7)
    styles = _styles()
    sheet = GeneratedSheet()
    sheet.cell(1, 1, "head")
    sheet.column(2, 1, [None if i % 5 == 0 else i for i in range(40)])
    sheet.column(2, 3, [f"t{i}" for i in range(23)])
    sheet.column(2, 2, [None] * 12 + [1.5] * 3)
    chunks, dimension = sheet.encode(styles)
    assert len(chunks) > 6
    assert (b"".join(chunks).decode("utf-8"), dimension) == reference_sheet_data(sheet, styles)


_MONEYISH = st.one_of(st.integers(-10 ** 15, 10 ** 15).map(lambda c: c / 100),
                      st.integers(-10 ** 6, 10 ** 6).map(lambda c: c / 100),
                      st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([-0.0, 0.0, 0.005, 1e13, 1e-5]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), _MONEYISH), min_size=1, max_size=60),
       st.lists(st.one_of(st.none(), st.integers(-10 ** 20, 10 ** 20)), min_size=1, max_size=60),
       st.lists(st.one_of(st.none(), st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1))), min_size=1, max_size=60),
       st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["=x", " a", "b ", "a&<>", "\x07z"])),
                min_size=1, max_size=60))
def test_columns_of_one_class_write_what_the_per_value_encoder_writes(floats, ints, dates, texts) -> None:
    """A column of one class (blanks among it) keeps its cells' pieces apart; joined they are what `_Encoder.tail`
    writes value by value: money from its cents, other floats through repr, zeros as the first zero, ints, dates,
    text with its special cases."""
    styles = _styles()
    n = max(map(len, (floats, ints, dates, texts)))
    columns = [(1, floats, CellStyle("#,##0.00"), _plain), (2, ints, CellStyle(), _plain),
               (3, dates, CellStyle(DATE_FORMAT), _plain), (4, texts, CellStyle(), _plain)]
    columns = [(c, list(v) + [None] * (n - len(v)), s, f) for c, v, s, f in columns]
    sheet = GeneratedSheet()
    for col, vals, style, convert in columns:
        sheet.column(2, col, vals, style, convert=convert)
    expected = reference_rows(columns, styles)
    chunks, _ = sheet.encode(styles)
    got = dict(re.findall(r'<row r="(\d+)">(.*?)</row>', b"".join(chunks).decode("utf-8"), re.S))
    assert {int(r): cells for r, cells in got.items()} == expected


def test_large_parts_deflated_ahead_give_the_package_a_synchronous_deflate_gives(monkeypatch) -> None:
    """A large part written as chunks is deflated on the second thread while the caller goes on; the zip is the
    same bytes as deflating at save time, and a part rewritten after (or read back, which joins its chunks) is
    deflated as it finally is."""
    import xlfin.xlsx.opc as opc

    chunks = [(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7)) * 50 for i in range(3000)]
    other = [b"<x>" + bytes(range(48, 58)) * 200_000 + b"</x>"]

    def saved(threshold: int) -> bytes:
        monkeypatch.setattr(opc, "DEFLATE_AHEAD_BYTES", threshold)
        package = Package(small_workbook_package())
        package.write("xl/worksheets/big.xml", list(chunks))
        package.write("xl/worksheets/other.xml", list(other))
        package.write("xl/worksheets/other.xml", [b"<y/>"] + list(other))  # replaced after its deflate began
        package.read("xl/worksheets/big.xml")  # joined: no longer the list that was deflated ahead
        package.write("xl/worksheets/third.xml", list(chunks))
        return package.to_bytes()

    ahead, at_save = saved(1), saved(1 << 60)
    assert ahead == at_save
    with zipfile.ZipFile(io.BytesIO(ahead)) as zf:
        assert zf.testzip() is None
        assert zf.read("xl/worksheets/big.xml") == zf.read("xl/worksheets/third.xml") == b"".join(chunks)
        assert zf.read("xl/worksheets/other.xml") == b"<y/>" + other[0]


@pytest.mark.parametrize("texts", [["\x01"], ["a\x01b", "c", " d", "=e"], ["x", "\x01", "y ", "z"]])
def test_text_holding_the_separator_character_does_not_shift_the_other_texts(texts: list[str]) -> None:
    """The distinct texts are escaped all at once, joined by \\x01: a text that holds \\x01 itself (a control
    character, found by hypothesis) is written by `_Encoder.tail` (cleaned), and every other text keeps its cell."""
    styles = _styles()
    sheet = GeneratedSheet()
    sheet.column(2, 4, texts, CellStyle(), convert=_plain)
    chunks, _ = sheet.encode(styles)
    got = dict(re.findall(r'<row r="(\d+)">(.*?)</row>', b"".join(chunks).decode("utf-8"), re.S))
    assert {int(r): cells for r, cells in got.items()} == reference_rows([(4, texts, CellStyle(), _plain)], styles)


def _normalised_cell(value: object) -> object:
    """The definition `xlsx.read.normalise` applies to every cell: "" is blank, a whole finite float below 2**53 is
    an int, anything else as python-calamine gives it."""
    if isinstance(value, str) and value == "":
        return None
    if type(value) is float and math.isfinite(value) and value == math.floor(value) and abs(value) < 2.0 ** 53:
        return int(value)
    return value


# The values python-calamine gives a cell: text ("" for an empty cell), floats, ints, booleans, dates and times
_CALAMINE_VALUES = st.one_of(
    st.just(""), st.text(max_size=4), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 2.5, 2.0 ** 53, 2.0 ** 53 - 1, -3.0, 1e300]), st.integers(-10**20, 10**20),
    st.booleans(), st.dates(), st.datetimes(), st.times())


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5).flatmap(lambda width: st.tuples(
    st.just(width),
    st.lists(st.sampled_from(["text", "float", "float or blank", "date or blank", "int", "bool", "any"]),
             min_size=width, max_size=width),
    st.integers(1, 12))), st.data())
def test_the_grid_is_normalised_as_each_cell_would_be(shape, data) -> None:
    """Columns of one kind (every kind python-calamine gives, with and without blanks) and mixed columns, below a
    header row of text: the column-at-a-time normalisation gives, cell for cell and class for class, the
    definition applied to each cell."""
    from xlfin.xlsx.read import normalise

    width, kinds, height = shape
    by_kind = {"text": st.text(max_size=3), "float": st.floats(allow_nan=True, allow_infinity=True),
               "float or blank": st.one_of(st.just(""), st.floats(-1e6, 1e6)),
               "date or blank": st.one_of(st.just(""), st.dates()), "int": st.integers(-10**20, 10**20),
               "bool": st.booleans(), "any": _CALAMINE_VALUES}
    columns = [data.draw(st.lists(by_kind[k], min_size=height, max_size=height)) for k in kinds]
    rows = [[f"h{j}" for j in range(width)]] + [list(row) for row in zip(*columns)]
    grid = normalise(rows)
    expected = [[_normalised_cell(v) for v in row] for row in rows]
    got = grid.tolist()
    assert [[type(v) for v in row] for row in got] == [[type(v) for v in row] for row in expected]
    def nan_as_text(table: list[list[object]]) -> list[list[object]]:
        return [["NaN" if isinstance(v, float) and math.isnan(v) else v for v in row] for row in table]

    assert nan_as_text(got) == nan_as_text(expected)


def test_python_calamine_reads_the_checked_bytes_from_memory_as_from_a_file_object(monkeypatch) -> None:
    """The sealed in-memory file python-calamine opens by path gives what the file object gives, cell for cell; it
    cannot be changed, and closing the reader closes it."""
    import os

    import xlfin.xlsx.read as read_module

    names = ["Invoices", "Payments", "Customers"]
    by_memory = PackageReader(Package(small_workbook_package()))
    grids = {name: by_memory.grid(name) for name in names}
    fd = by_memory._memory_file
    if fd is None or fd < 0:
        pytest.skip("no sealed in-memory files on this system")
    with pytest.raises(OSError):
        os.write(fd, b"x")  # sealed: the bytes checked are the bytes read
    monkeypatch.setattr(read_module, "_sealed_memory_file", lambda data: -1)
    by_object = PackageReader(Package(small_workbook_package()))
    for name in names:
        a, b = grids[name], by_object.grid(name)
        assert a.shape == b.shape and all(type(x) is type(y) and x == y for x, y in zip(a.flat, b.flat)), name
    assert by_object._memory_file == -1
    by_memory.close()
    assert by_memory._memory_file is None
    with pytest.raises(OSError):
        os.fstat(fd)
