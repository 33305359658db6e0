"""Reading a workbook package: cell values through python-calamine, sheets and tables from the small XML parts.

python-calamine (Rust) reads a worksheet's values ~10x faster than any Python XML pass; it gives formula cells their
last computed value, dates as `date`/`datetime` (from the cell's number format), and numbers as floats. The values
are brought to the adapter's conventions here: a blank cell is None, a whole float is an int (Excel stores 1001 as
`<v>1001</v>`; an identifier typed as a number must not read back as "1001.0").

The sheet list (workbook.xml and its relationships), the Excel Tables (`xl/tables/tableN.xml`) and the styles are
small parts parsed with defusedxml. Before python-calamine sees any byte, `limits.inspect_package` has streamed the
package once and refused what would not fit (SPEC §12); the parts it inflated stay with the package (`Package.read`
and the workbook hash use them, nothing inflates a part twice).
"""

from __future__ import annotations

import gc
import io
import os
import re
import threading
from collections.abc import Iterator, Sequence
from itertools import chain
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from pandas.api.types import infer_dtype
from python_calamine import CalamineError, CalamineWorkbook

try:
    import fcntl
except ImportError:  # Windows: python-calamine reads the bytes from a file object there
    fcntl = None  # type: ignore[assignment]

from xlfin.schema.tables import WorkbookError
from .limits import DEFAULT_LIMITS, Limits, PackageFacts, column_number, inspect_package
from .opc import NS_MAIN, R_ID, REL_SHARED_STRINGS, REL_TABLE, REL_WORKSHEET, Package, local, parse_xml

_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?")
CHARTSHEET_SUFFIX = "/chartsheet"


@dataclass(frozen=True)
class SheetEntry:
    """A sheet as workbook.xml lists it."""

    name: str
    sheet_id: int
    rid: str
    part: str | None  # the worksheet part; None for a chart sheet or a dangling entry
    state: str = "visible"


@dataclass(frozen=True)
class TableEntry:
    """An Excel Table (ListObject): names, its part, its sheet and its 1-based bounds."""

    name: str
    display_name: str
    table_id: int
    part: str
    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    header_rows: int
    totals_rows: int


def parse_range(ref: str, limits: Limits = DEFAULT_LIMITS) -> tuple[int, int, int, int]:
    """'B2:D10' -> (first_row, first_col, last_row, last_col), refused when it leaves Excel's grid."""
    m = _RANGE.fullmatch(ref.strip())
    if m is None:
        raise WorkbookError(f"not a usable workbook: range {ref!r} is not an A1 reference")
    c1, r1 = column_number(m.group(1).upper()), int(m.group(2))
    c2, r2 = (column_number(m.group(3).upper()), int(m.group(4))) if m.group(3) else (c1, r1)
    if max(r1, r2) > limits.max_rows or max(c1, c2) > limits.max_cols or min(r1, r2, c1, c2) < 1:
        raise WorkbookError(f"refused: range {ref} lies outside the {limits.max_rows:,} x {limits.max_cols:,} grid "
                            f"(limits max_rows, max_cols)")
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


class PackageReader:
    """The sheets, tables and values of one package. Values are read per sheet on first use and cached."""

    def __init__(self, package: Package, limits: Limits = DEFAULT_LIMITS) -> None:
        self.package = package
        self.limits = limits
        self.workbook_part = package.workbook_part()
        self.workbook_xml = package.read(self.workbook_part)
        self.sheets = self._sheets()
        sst = next(iter(package.related(self.workbook_part, REL_SHARED_STRINGS)), None)
        worksheets = {s.part for s in self.sheets if s.part}
        self.facts: PackageFacts = inspect_package(package.zip, package.raw_member, worksheets, sst, limits)
        package.adopt_inflated(self.facts.parts)
        self.facts.parts = {}
        self.tables = self._tables()
        self._calamine: CalamineWorkbook | None = None
        self._memory_file: int | None = None  # the package in a sealed memfd (-1: none on this system)
        self._memory_file_lock = threading.Lock()
        self._grids: dict[str, np.ndarray] = {}
        self._merged: dict[str, list[tuple[int, int, int, int]]] = {}

    # ------------------------------------------------ structure

    def _sheets(self) -> list[SheetEntry]:
        root = parse_xml(self.workbook_part, self.workbook_xml)
        rels = {r.id: r for r in self.package.relationships(self.workbook_part)}
        out = []
        sheets = next((el for el in root if local(el.tag) == "sheets"), None)
        for el in sheets if sheets is not None else []:
            if local(el.tag) != "sheet":
                continue
            rid = el.get(R_ID, "")
            rel = rels.get(rid)
            part = rel.target if rel is not None and rel.type == REL_WORKSHEET and not rel.external else None
            if part is not None and not self.package.has(part):
                raise WorkbookError(f"not a usable workbook: sheet {el.get('name')} points at missing part {part}")
            try:
                sheet_id = int(el.get("sheetId", "0"))
            except ValueError:
                raise WorkbookError(f"not a usable workbook: sheet {el.get('name')} has no numeric sheetId") from None
            out.append(SheetEntry(el.get("name", ""), sheet_id, rid, part, el.get("state", "visible")))
        return out

    def worksheet_names(self) -> list[str]:
        return [s.name for s in self.sheets if s.part is not None]

    def sheet(self, name: str) -> SheetEntry:
        for s in self.sheets:
            if s.name == name:
                return s
        raise WorkbookError(f"no sheet named {name}")

    def _tables(self) -> list[TableEntry]:
        out = []
        for s in self.sheets:
            if s.part is None:
                continue
            for part in self.package.related(s.part, REL_TABLE):
                if not self.package.has(part):
                    continue
                t = parse_xml(part, self.package.read(part))
                first_row, first_col, last_row, last_col = parse_range(t.get("ref", ""), self.limits)
                try:
                    header_rows, totals_rows = int(t.get("headerRowCount", "1")), int(t.get("totalsRowCount", "0"))
                    table_id = int(t.get("id", "0"))
                except ValueError:
                    raise WorkbookError(f"not a usable workbook: table part {part} has a non-numeric count") from None
                out.append(TableEntry(t.get("name") or "", t.get("displayName") or t.get("name") or "", table_id,
                                      part, s.name, first_row, first_col, last_row, last_col, header_rows,
                                      totals_rows))
        return out

    def main_namespace_ok(self) -> bool:
        return NS_MAIN.encode() in self.workbook_xml[:4096]

    # ------------------------------------------------ values

    def _book(self) -> CalamineWorkbook:
        if self._calamine is None:
            try:
                self._calamine = self._open_calamine()
            except CalamineError as exc:
                raise WorkbookError(f"{self.package.source}: cannot be read as a workbook ({exc})") from None
        return self._calamine

    def _open_calamine(self) -> CalamineWorkbook:
        """python-calamine on the package bytes that were checked (never the file again: it may have changed since).
        From a file object python-calamine takes ~0.9 s to open a 100 MB book (0.02 s from a path), once per
        reading thread; on Linux the bytes go to a sealed in-memory file once and it opens that by its path."""
        with self._memory_file_lock:  # the reading threads of `prefetch` share one
            if self._memory_file is None:
                self._memory_file = _sealed_memory_file(self.package.source_bytes)
        if self._memory_file >= 0:
            return CalamineWorkbook.from_path(f"/proc/self/fd/{self._memory_file}")
        return CalamineWorkbook.from_filelike(io.BytesIO(self.package.source_bytes))

    def grid(self, name: str) -> np.ndarray:
        """Every value of a worksheet from A1 as a (rows, columns) object array; blank cells are None."""
        if name not in self._grids:
            with collector_paused():
                try:
                    rows, merged = _sheet_values(self._book(), name)
                except CalamineError as exc:
                    raise WorkbookError(f"{self.package.source}: sheet {name} cannot be read ({exc})") from None
                self._keep(name, rows, merged)
        return self._grids[name]

    def _keep(self, name: str, rows: list[list[object]], merged: list) -> None:
        self._grids[name] = normalise(rows)
        self._merged[name] = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in merged]

    def prefetch(self, names: Sequence[str]) -> None:
        """Read these worksheets at the same time, one python-calamine workbook per thread (one workbook object
        must not be used by two threads). calamine parses a sheet without holding the GIL, so on two cores two
        large sheets take little more than the larger one. A sheet that fails here is left for grid() to read
        again and report in its turn, so errors and their order are what a one-by-one read gives."""
        sheets = set(self.worksheet_names())
        wanted = [n for n in dict.fromkeys(names) if n not in self._grids and n in sheets]
        workers = min(len(wanted), os.cpu_count() or 1)
        if workers < 2:
            return
        with collector_paused(), ThreadPoolExecutor(max_workers=workers) as pool:
            for name, done in [(n, pool.submit(self._read_alone, n)) for n in wanted]:
                try:
                    self._keep(name, *done.result())
                except Exception:  # whatever it is, grid() meets it again and reports it where it always did
                    continue

    def _read_alone(self, name: str) -> tuple[list[list[object]], list]:
        book = self._open_calamine()
        try:
            return _sheet_values(book, name)
        finally:
            book.close()

    def merged(self, name: str) -> list[tuple[int, int, int, int]]:
        self.grid(name)
        return self._merged[name]

    def close(self) -> None:
        if self._calamine is not None:
            self._calamine.close()
            self._calamine = None
        if self._memory_file is not None and self._memory_file >= 0:
            os.close(self._memory_file)
        self._memory_file = None
        self._grids.clear()


def _sealed_memory_file(data: bytes) -> int:
    """A memfd holding `data`, sealed against any change (-1 where the system has none: not Linux, or no
    /proc). Only this process can open it (by /proc/self/fd); it lives in memory, like the bytes themselves."""
    if fcntl is None or not hasattr(os, "memfd_create") or not hasattr(fcntl, "F_ADD_SEALS") or not os.path.isdir("/proc/self/fd"):
        return -1
    try:
        fd = os.memfd_create("xlfin-book", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    except OSError:
        return -1
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                    fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    except OSError:
        os.close(fd)
        return -1
    return fd


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while many plain values are made: python-calamine makes a list per row
    (a million at Excel's row limit), and each few hundred new containers start a collection that walks the young
    objects and now and then the whole heap (the staged rows of a run are millions of lists); rows and cell texts
    hold no cycles, so there is nothing for it to find (as in `schema.tables`' row building). Used while a sheet is
    read and while a generated sheet is encoded."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sheet_values(book: CalamineWorkbook, name: str) -> tuple[list[list[object]], list]:
    """A worksheet's rows from A1 as python-calamine gives them, and its merged ranges (0-based)."""
    sheet = book.get_sheet_by_name(name)
    return sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []


_CLASS_OF = np.frompyfunc(type, 1, 1)  # each cell's class, in one C-level loop
# Column kinds (pandas' infer_dtype over every cell, blanks included) that hold no text and no float: nothing to
# change in them. A column of one kind is the usual case (an amount column is all floats, an id column all text).
_UNCHANGED_KINDS = frozenset({"integer", "boolean", "date", "datetime", "time", "timedelta"})


def normalise(rows: list[list[object]]) -> np.ndarray:
    """python-calamine's rows -> an object grid with None for blanks and ints for whole floats."""
    if not rows or not rows[0]:
        return np.full((0, 0), None, dtype=object)
    width = len(rows[0])
    if any(len(row) != width for row in rows):  # python-calamine's rows are a rectangle; kept general all the same
        grid = np.empty((len(rows), width), dtype=object)
        grid[:] = rows
        _normalise_cells(grid.reshape(-1))
        return grid
    # one C-level pass over the cells (numpy's assignment of nested lists looks at each row as a sequence)
    flat = np.fromiter(chain.from_iterable(rows), dtype=object, count=len(rows) * width)
    grid = flat.reshape(len(rows), width)
    # The first row (a table's header: text above numbers) cell by cell, the rest of each column as one piece
    _normalise_cells(flat[:width])
    for j in range(width):
        _normalise_column(grid[1:, j])  # a view: the changes land in the grid
    return grid


def _normalise_column(column: np.ndarray) -> None:
    """One column of the grid (a view), in place, by vectorised steps: pandas' infer_dtype (one C-level pass, no
    object made per cell) says what the column holds, and only the kinds of cell that change are looked at — the
    usual column is of one kind (ids text, amounts floats), or one kind and blanks (an optional date or amount)."""
    kind = infer_dtype(column, skipna=False)
    if kind in _UNCHANGED_KINDS:
        return
    if kind == "floating":  # floats only: the whole ones become ints
        _whole_floats_to_ints(column, np.arange(len(column)))
        return
    # An empty cell is "" (the only value equal to "": calamine gives str, float, int, bool and date/time values)
    blank = column == ""
    column[blank] = None
    if kind == "string":
        return
    filled = np.flatnonzero(~blank)
    values = column[filled]
    kind = infer_dtype(values, skipna=False)
    if kind == "floating":
        _whole_floats_to_ints(column, filled)
    elif kind not in _UNCHANGED_KINDS and kind not in ("string", "empty"):
        _whole_floats_to_ints(column, filled[np.flatnonzero(_CLASS_OF(values) == float)])  # noqa: E721


def _normalise_cells(flat: np.ndarray) -> None:
    """Any mix of cells, in place (a 1-D array)."""
    # An empty cell is "" (the only value equal to "": calamine gives str, float, int, bool and date/time values);
    # one comparison of every cell, rather than finding the text cells first and comparing those
    flat[flat == ""] = None
    kinds = _CLASS_OF(flat) if flat.size else flat
    _whole_floats_to_ints(flat, np.flatnonzero(kinds == float))  # noqa: E721


def _whole_floats_to_ints(flat: np.ndarray, is_float: np.ndarray) -> None:
    if is_float.size:
        values = flat[is_float].astype(np.float64)
        whole = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 2.0 ** 53)
        flat[is_float[whole]] = values[whole].astype(np.int64).astype(object)
