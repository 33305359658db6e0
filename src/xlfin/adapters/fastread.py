"""A fast, values-only reader of .xlsx/.xlsm packages for the file adapter.

openpyxl builds a Python object per cell and needs ~20 µs for it; a 100,000-invoice workbook has millions of cells
(the template's computed columns alone are long formulas in every row). This reader scans each worksheet's XML once
with compiled regular expressions and keeps only what the adapter asks for — cell values (formula cells: the value
last computed), the Excel Tables, merged ranges — with openpyxl's conventions for types (ints, floats, dates from
date-formatted numbers, booleans, error strings).

A sheet is read as a grid (a (rows, columns) object array): one `findall` per chunk of rows gives each cell's address,
attributes and raw text as tuples, then values are decoded per kind with numpy — numbers parsed in bulk, other texts
once per distinct text (dates, codes and names repeat in thousands of rows). A sheet whose cells do not all have the
usual shape (address first, plain <v> or inline string; anything else inside a cell is decoded one cell at a time),
or that is too sparse for a grid, is read cell by cell instead, with the same results.

Safety: nothing is expanded. A part that declares a DTD or entities is refused, as defusedxml refuses it. Anything
this reader does not recognise (a prefixed main namespace, cells without addresses) raises `Unsupported`, and the
adapter falls back to openpyxl, whose behaviour then decides.
"""

from __future__ import annotations

import gc
import html
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from xlfin.schema.tables import WorkbookError

R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAIN_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'

# the content alternative is "unrolled" ([^<]* runs, then one "<" not starting "</c>"), so long formulas are skipped at
# C speed instead of one lazy step per character
_CELL = re.compile(rb"<c\b([^>]*?)(/>|>([^<]*(?:<(?!/c>)[^<]*)*)</c>)")
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_STYLE = re.compile(rb'\bs="(\d+)"')
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_TEXT = re.compile(rb"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_SI = re.compile(rb"<si\b[^>]*?(?:/>|>(.*?)</si>)", re.S)
_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref="([^"]+)"')
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
# The usual cell shapes, for the grid scan: address first; whether the cell has content (a "<"); an optional formula,
# skipped, not copied; then a plain value, an empty one, a plain inline string (kept with its "</t>", so that an empty
# one still shows), or anything else (rich text, phonetic runs...) for the general decoding.
_FAST_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"([^>/]*)(?:/>|>(?=(<(?!/c>))?)(?:<f\b[^>]*?(?:/>|>[^<]*</f>))?'
    rb'(?:<v>([^<]*)</v>|<v\s*/>|<is><t(?: xml:space="preserve")?>([^<]*</t>)</is>|(<(?!/c>)[^<]*(?:<(?!/c>)[^<]*)*))?</c>)')
_CELL_START = re.compile(rb"<c[\s/>]")
_CHUNK = 8 << 20  # bytes of sheet XML per regex pass: bounds the memory of the cells' tuples
_GRID_SLACK = 1 << 20  # a sheet whose used range has far more slots than cells (one cell in XFD1048576) is not a grid


def sheet_data_span(data: bytes) -> tuple[int, int] | None:
    """(start, end) of the <sheetData> element in a worksheet part; found with plain searches, not a lazy regex
    that would step through hundreds of megabytes one character at a time."""
    start = data.find(b"<sheetData")
    if start < 0:
        return None
    head_end = data.find(b">", start)
    if head_end < 0:
        return None
    if data[head_end - 1:head_end] == b"/":
        return start, head_end + 1
    close = data.rfind(b"</sheetData>")
    if close < head_end:
        return None
    return start, close + len(b"</sheetData>")


def sheet_data_body(data: bytes) -> tuple[bytes, int]:
    """The cells' XML inside <sheetData> and the offset just after the element."""
    span = sheet_data_span(data)
    if span is None:
        return b"", 0
    start, end = span
    inner_start = data.find(b">", start) + 1
    inner_end = end - len(b"</sheetData>") if data[inner_start - 2:inner_start - 1] != b"/" else inner_start
    return data[inner_start:max(inner_end, inner_start)], end


_VECTOR_MIN = 256  # numeric cells of one kind from which numpy parses them (fewer: one at a time)


def _numbers(raw: np.ndarray) -> np.ndarray | None:
    """Numeric cells' texts -> Python ints and floats as `_number` gives them (numpy parses like int() and float()):
    float when the text has a '.', 'e' or 'E'. None when a text does not parse (the caller decides per cell)."""
    try:
        texts = raw.astype(np.bytes_)
        is_float = ((np.strings.find(texts, b".") >= 0) | (np.strings.find(texts, b"e") >= 0)
                    | (np.strings.find(texts, b"E") >= 0))
        out = np.empty(len(texts), dtype=object)
        out[is_float] = texts[is_float].astype(np.float64).astype(object)
        out[~is_float] = texts[~is_float].astype(np.int64).astype(object)
    except (ValueError, OverflowError, TypeError):
        return None
    return out


def _without_gc(work, *args):
    """Run `work` with the cyclic garbage collector paused: the scan makes millions of short tuples, which would
    start a collection every few hundred allocations (a third of the scan's time) and form no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return work(*args)
    finally:
        if was_enabled:
            gc.enable()


class Unsupported(Exception):
    """The package uses something this reader does not handle; use openpyxl instead."""


@dataclass(frozen=True)
class TableInfo:
    name: str
    sheet: str
    ref: str
    header_rows: int
    totals_rows: int


@dataclass
class SheetCells:
    rows: dict[int, list[object]] | None  # 1-based row -> values from column A, as long as the row's last cell
    max_row: int
    max_col: int
    merged: list[str]
    grid: np.ndarray | None = None  # or, from the grid scan: values from A1, (rows, columns)


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _text(xml: bytes) -> str:
    if b"<rPh" in xml:
        xml = _PHONETIC.sub(b"", xml)
    return "".join(_unescape(m.group(1) or b"") for m in _TEXT.finditer(xml))


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return html.unescape(text) if "&" in text else text


def _cell_value(inner: bytes) -> bytes | None:
    """The text of the cell's <v> element (after any <f>), None when there is none or it is empty."""
    at = inner.rfind(b"<v")
    if at < 0:
        return None
    end = inner.find(b">", at)
    if end < 0 or inner[end - 1:end] == b"/":
        return None
    if inner[at + 2:at + 3] not in (b">", b" ", b"\t", b"\n", b"\r"):
        vm = _VALUE.search(inner)  # "<v" was the start of another tag name; let the full pattern decide
        return vm.group(1) if vm else None
    close = inner.find(b"</v>", end)
    return inner[end + 1:close] if close >= 0 else None


def _number(raw: bytes) -> int | float:
    text = raw.strip()
    if b"." in text or b"E" in text or b"e" in text:
        return float(text)
    return int(text)


class FastXlsx:
    """The values of a workbook package; sheets are scanned on first use and cached."""

    def __init__(self, path: Path, source: IO[bytes] | None = None) -> None:
        self.path = Path(path)  # names the book in messages; `source` holds it when it was decrypted in memory
        self._zip = zipfile.ZipFile(self.path if source is None else source)
        try:
            self._index()
        except (Unsupported, WorkbookError):
            self._zip.close()
            raise
        except Exception as exc:  # noqa: BLE001 - a package openpyxl may still read, or report better
            self._zip.close()
            raise Unsupported(str(exc)) from None
        self._cells: dict[str, SheetCells] = {}
        self._sst: list[str] | None = None

    # ------------------------------------------------ package index

    def _read(self, part: str) -> bytes:
        data = self._zip.read(part)
        if _DTD.search(data, 0, 4096) or (b"<!ENTITY" in data):
            raise WorkbookError(f"{self.path}: refused, the workbook's XML declares entities or a DTD")
        return data

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        from defusedxml.ElementTree import fromstring

        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", name + ".rels")
        if rels not in self._names:
            return {}
        out = {}
        for el in fromstring(self._read(rels)):
            if el.get("TargetMode") == "External":
                continue
            target = el.get("Target", "")
            full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[el.get("Id", "")] = (el.get("Type", ""), full)
        return out

    def _index(self) -> None:
        from defusedxml.ElementTree import fromstring

        self._names = set(self._zip.namelist())
        workbook = next((n for n in self._names if n.lower() == "xl/workbook.xml"), None)
        if workbook is None:
            raise Unsupported("no xl/workbook.xml")
        root = fromstring(self._read(workbook))
        rels = self._rels(workbook)
        self.epoch = CALENDAR_WINDOWS_1900
        self.sheets: dict[str, str] = {}
        for el in root.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "workbookPr" and el.get("date1904", "").lower() in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904
            if tag == "sheet" and el.get(R_ID) in rels:
                rel_type, part = rels[el.get(R_ID)]
                if rel_type.endswith("/worksheet"):
                    if part not in self._names:
                        raise Unsupported(f"missing part {part}")
                    self.sheets[el.get("name", "")] = part
        self._sst_part = next((p for t, p in rels.values() if t.endswith("/sharedStrings")), None)
        styles = next((p for t, p in rels.values() if t.endswith("/styles")), None)
        self._date_styles, self._timedelta_styles = self._styles(styles)
        self.tables: list[TableInfo] = []
        for sheet, part in self.sheets.items():
            for rel_type, target in self._rels(part).values():
                if rel_type.endswith("/table") and target in self._names:
                    t = fromstring(self._read(target))
                    self.tables.append(TableInfo(t.get("displayName") or t.get("name") or "", sheet, t.get("ref", ""),
                                                 int(t.get("headerRowCount", "1")), int(t.get("totalsRowCount", "0"))))

    def _styles(self, part: str | None) -> tuple[frozenset[int], frozenset[int]]:
        from defusedxml.ElementTree import fromstring

        if part is None or part not in self._names:
            return frozenset(), frozenset()
        root = fromstring(self._read(part))
        custom: dict[int, str] = {}
        xfs: list[int] = []
        for el in root:
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "numFmts":
                for f in el:
                    custom[int(f.get("numFmtId", "0"))] = f.get("formatCode", "")
            elif tag == "cellXfs":
                xfs = [int(x.get("numFmtId", "0")) for x in el]
        dates, deltas = set(), set()
        for i, fid in enumerate(xfs):
            code = custom.get(fid, BUILTIN_FORMATS.get(fid, "General"))
            if is_date_format(code):
                dates.add(i)
                if is_timedelta_format(code):
                    deltas.add(i)
        return frozenset(dates), frozenset(deltas)

    def _shared_strings(self) -> list[str]:
        if self._sst is None:
            if self._sst_part is None or self._sst_part not in self._names:
                self._sst = []
            else:
                self._sst = [_text(m.group(1) or b"") for m in _SI.finditer(self._read(self._sst_part))]
        return self._sst

    # ------------------------------------------------ cells

    def cells(self, sheet: str) -> SheetCells:
        if sheet not in self._cells:
            self._cells[sheet] = self._scan(sheet)
        return self._cells[sheet]

    def merged(self, sheet: str) -> list[str]:
        return self.cells(sheet).merged

    def _scan(self, sheet: str) -> SheetCells:
        data = self._read(self.sheets[sheet])
        if MAIN_NS not in data[:2048]:
            raise Unsupported(f"{sheet}: the main namespace is not the default one")
        body, after = sheet_data_body(data)
        merged = [mm.group(1).decode() for mm in _MERGE.finditer(data, after)]
        del data
        grid = _without_gc(self._scan_grid, body)
        if grid is None:  # a shape the grid scan does not take: the cell-by-cell scan decides
            return self._scan_cells(sheet, body, merged)
        return SheetCells(None, max(grid.shape[0], 1), max(grid.shape[1], 1), merged, grid)

    def _scan_grid(self, body: bytes) -> np.ndarray | None:
        """Every cell's value in a (rows, columns) object array from A1. One regex pass per chunk of rows gives the
        cells as tuples; values are decoded once per distinct (cell kind, raw text), which the same date, code or
        name in thousands of rows share. None when a cell does not have the usual shape, or the sheet is sparse."""
        rows_parts: list[np.ndarray] = []
        cols_parts: list[np.ndarray] = []
        value_parts: list[np.ndarray] = []
        start = 0
        while start < len(body):
            end = body.find(b"</row>", min(start + _CHUNK, len(body)))
            end = len(body) if end < 0 else end + len(b"</row>")
            chunk = body[start:end]
            start = end
            found = _FAST_CELL.findall(chunk)
            starts = chunk.count(b"<c")
            if len(found) != starts and len(found) != len(_CELL_START.findall(chunk)):  # "<c" also opens <color>
                return None  # e.g. attributes before r="...": not this scan's shape
            if not found:
                continue
            cols, rows, attrs, content, values, texts, others = zip(*found)
            del found
            letters = {c: _col_number(c) for c in set(cols)}
            cols_parts.append(np.fromiter(map(letters.__getitem__, cols), dtype=np.int64, count=len(cols)))
            rows_parts.append(np.array(rows).astype(np.int64))
            value_parts.append(self._decode(attrs, content, values, texts, others))
        if not rows_parts:
            return np.full((0, 0), None, dtype=object)
        row_no, col_no = np.concatenate(rows_parts), np.concatenate(cols_parts)
        values = np.concatenate(value_parts)
        n_rows, n_cols = int(row_no.max()), int(col_no.max())
        if n_rows * n_cols > 4 * len(row_no) + _GRID_SLACK:
            return None
        slot = (row_no - 1) * n_cols + (col_no - 1)
        if len(slot) > 1 and not (np.diff(slot) > 0).all():  # out of order or repeated: the later cell wins
            last = len(slot) - 1 - np.unique(slot[::-1], return_index=True)[1]
            slot, values = slot[last], values[last]
        grid = np.full(n_rows * n_cols, None, dtype=object)
        grid[slot] = values
        return grid.reshape(n_rows, n_cols)

    def _decode(self, attrs: tuple[bytes, ...], content: tuple[bytes, ...], values: tuple[bytes, ...],
                texts: tuple[bytes, ...], others: tuple[bytes, ...]) -> np.ndarray:
        """Cell values (object array) from the scan's groups, with openpyxl's typing rules."""
        n = len(attrs)
        out = np.full(n, None, dtype=object)
        metas = {a: self._meta(a) for a in set(attrs)}
        kinds = list(metas)
        code_of = {a: i for i, a in enumerate(kinds)}
        codes = np.fromiter(map(code_of.__getitem__, attrs), dtype=np.int64, count=n)
        values_a = np.array(values, dtype=object)
        texts_a = np.array(texts, dtype=object)
        others_a = np.array(others, dtype=object)
        has_value = values_a.astype(bool)
        has_text = texts_a.astype(bool)
        has_other = others_a.astype(bool)
        for i, a in enumerate(kinds):
            kind, date_style = metas[a]
            in_kind = codes == i if len(kinds) > 1 else np.ones(n, dtype=bool)
            if kind == b"inlineStr":
                # content but no <t> (a formula, a <v>) is no text, which openpyxl reads as ""
                out[np.flatnonzero(in_kind & ~has_text & ~has_other & np.array(content, dtype=object).astype(bool))] = ""
                pick = np.flatnonzero(in_kind & has_text)
                raw = texts_a[pick]
                cache = {t: _unescape(t[:-4]) for t in set(raw)}  # the group ends with "</t>"
            else:
                pick = np.flatnonzero(in_kind & has_value)
                raw = values_a[pick]
                if kind == b"n" and date_style is None and len(pick) >= _VECTOR_MIN:
                    numbers = _numbers(raw)
                    if numbers is not None:
                        out[pick] = numbers
                        pick = pick[:0]
                cache = {v: self._convert(kind, date_style, v) for v in set(raw[:len(pick)])}
            if len(pick):
                out[pick] = list(map(cache.__getitem__, raw))
            for j in np.flatnonzero(in_kind & has_other):  # rich text, phonetic runs...: the general path
                out[j] = self._inner_value(others_a[j], kind, date_style)
        return out

    def _meta(self, rest: bytes) -> tuple[bytes, int | None]:
        """The attributes besides r -> (type, date style or None)."""
        tm, sm = _TYPE.search(rest), _STYLE.search(rest)
        style = int(sm.group(1)) if sm else 0
        return (tm.group(1) if tm else b"n", style if style in self._date_styles else None)

    def _inner_value(self, inner: bytes, kind: bytes, date_style: int | None) -> object:
        if kind == b"inlineStr":
            return _text(inner)
        raw = _cell_value(inner)
        return self._convert(kind, date_style, raw) if raw else None

    def _convert(self, kind: bytes, date_style: int | None, raw: bytes) -> object:
        """A cell's <v> text -> its value, as openpyxl reads it."""
        if kind == b"n":
            value = _number(raw)
            if date_style is not None:
                try:
                    return from_excel(value, self.epoch, timedelta=date_style in self._timedelta_styles)
                except (OverflowError, ValueError):  # as openpyxl: a date out of range
                    return "#VALUE!"
            return value
        if kind == b"s":
            return self._shared_strings()[int(raw)]
        if kind == b"b":
            return raw.strip() in (b"1", b"true")
        if kind == b"d":
            return from_ISO8601(raw.decode())
        return _unescape(raw)  # str (a formula's text), e (an error such as #N/A)

    def _scan_cells(self, sheet: str, body: bytes, merged: list[str]) -> SheetCells:
        """The general scan, one cell at a time: any attribute order, any content."""
        rows: dict[int, list[object]] = {}
        max_row = max_col = 0
        metas: dict[bytes, tuple[bytes, int | None]] = {}
        for cm in _CELL.finditer(body):
            attrs, inner = cm.group(1), cm.group(3)
            ref = _REF.search(attrs)
            if ref is None:
                raise Unsupported(f"{sheet}: a cell without an address")
            col, row = _col_number(ref.group(1)), int(ref.group(2))
            value: object = None
            if inner:
                rest = attrs[:ref.start()] + attrs[ref.end():]
                meta = metas.get(rest)
                if meta is None:
                    meta = metas[rest] = self._meta(rest)
                value = self._inner_value(inner, *meta)
            values = rows.get(row)
            if values is None:
                values = rows[row] = []
            if len(values) < col:
                values.extend([None] * (col - len(values)))
            values[col - 1] = value
            if row > max_row:
                max_row = row
            if col > max_col:
                max_col = col
        return SheetCells(rows, max(max_row, 1), max(max_col, 1), merged)

    def block_array(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> np.ndarray:
        """The rectangle's values as a (rows, columns) object array (a copy)."""
        cells = self.cells(sheet)
        if cells.grid is None:
            rows = self.block(sheet, first_row, first_col, last_row, last_col)
            out = np.full((len(rows), max(last_col - first_col + 1, 0)), None, dtype=object)
            for i, row in enumerate(rows):
                out[i, :len(row)] = row
            return out
        grid = cells.grid
        out = np.full((max(last_row - first_row + 1, 0), max(last_col - first_col + 1, 0)), None, dtype=object)
        r0, r1 = max(first_row, 1), min(last_row, grid.shape[0])
        c0, c1 = max(first_col, 1), min(last_col, grid.shape[1])
        if r0 <= r1 and c0 <= c1:
            out[r0 - first_row:r1 - first_row + 1, c0 - first_col:c1 - first_col + 1] = grid[r0 - 1:r1, c0 - 1:c1]
        return out

    def block(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> list[list[object]]:
        cells = self.cells(sheet)
        width = last_col - first_col + 1
        if cells.grid is not None:
            return self.block_array(sheet, first_row, first_col, last_row, last_col).tolist()
        out = []
        empty = [None] * width
        for r in range(first_row, last_row + 1):
            values = cells.rows.get(r)
            if values is None:
                out.append(list(empty))
                continue
            part = values[first_col - 1:last_col]
            if len(part) < width:
                part = part + [None] * (width - len(part))
            out.append(part)
        return out

    def close(self) -> None:
        self._zip.close()


def table_bounds(t: TableInfo) -> tuple[int, int, int, int]:
    """(first_row, first_col, last_row, last_col) of a table's ref."""
    min_col, min_row, max_col, max_row = range_boundaries(t.ref)
    return min_row, min_col, max_row, max_col
