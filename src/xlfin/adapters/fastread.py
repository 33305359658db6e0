"""A fast, values-only reader of .xlsx/.xlsm packages for the file adapter.

openpyxl builds a Python object per cell and needs ~20 µs for it; a 100,000-invoice workbook has millions of cells
(the template's computed columns alone are long formulas in every row). This reader scans each worksheet's XML once
with compiled regular expressions and keeps only what the adapter asks for — cell values (formula cells: the value
last computed), the Excel Tables, merged ranges — with openpyxl's conventions for types (ints, floats, dates from
date-formatted numbers, booleans, error strings).

Safety: nothing is expanded. A part that declares a DTD or entities is refused, as defusedxml refuses it. Anything
this reader does not recognise (a prefixed main namespace, cells without addresses) raises `Unsupported`, and the
adapter falls back to openpyxl, whose behaviour then decides.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from ..tables import WorkbookError

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
    rows: dict[int, list[object]]  # 1-based row -> values from column A, as long as the row's last cell
    max_row: int
    max_col: int
    merged: list[str]


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

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path)
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
        rows: dict[int, list[object]] = {}
        max_row = max_col = 0
        dates, deltas, epoch = self._date_styles, self._timedelta_styles, self.epoch
        sst = None
        metas: dict[bytes, tuple[bytes, int | None]] = {}  # the attributes besides r -> (type, date style)
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
                    tm, sm = _TYPE.search(rest), _STYLE.search(rest)
                    style = int(sm.group(1)) if sm else 0
                    meta = metas[rest] = (tm.group(1) if tm else b"n", style if style in dates else None)
                kind, date_style = meta
                if kind == b"inlineStr":
                    value = _text(inner)
                else:
                    raw = _cell_value(inner)
                    if raw:
                        if kind == b"n":
                            value = _number(raw)
                            if date_style is not None:
                                try:
                                    value = from_excel(value, epoch, timedelta=date_style in deltas)
                                except (OverflowError, ValueError):  # as openpyxl: a date out of range
                                    value = "#VALUE!"
                        elif kind == b"s":
                            if sst is None:
                                sst = self._shared_strings()
                            value = sst[int(raw)]
                        elif kind == b"b":
                            value = raw.strip() in (b"1", b"true")
                        elif kind == b"d":
                            value = from_ISO8601(raw.decode())
                        else:  # str (a formula's text), e (an error such as #N/A)
                            value = _unescape(raw)
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
        merged = [mm.group(1).decode() for mm in _MERGE.finditer(data, after)]
        return SheetCells(rows, max(max_row, 1), max(max_col, 1), merged)

    def block(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> list[list[object]]:
        cells = self.cells(sheet)
        width = last_col - first_col + 1
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
