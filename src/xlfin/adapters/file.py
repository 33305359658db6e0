"""The file adapter: a .xlsx/.xlsm on disk (the CLI, CI, machines without Excel), on top of `xlfin.xlsx`.

The file is read once into memory as bytes (`load_package`); python-calamine reads the values, the small XML parts
give the sheets and tables. Writes are staged (base.Workbook) and applied at `commit` by `xlsx.write.PackageWriter`:
generated sheets are written as XML, rows appended to a user's table in place, and every part xlfin does not own is
copied byte for byte (SPEC §11). The final bytes go through one atomic writer (`save_package`). Those two functions
are where decryption on load and encryption on save plug in; no decrypted copy is ever written to disk.
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from xlfin import schema
from xlfin.schema import GENERATED_TABLES, Lang, Table
from xlfin.schema.tables import CellColumns, WorkbookError, cell_columns
from ..xlsx.atomic import atomic_write
from xlfin.xlsx.crypto import BookBytes, read_book
from xlfin.xlsx.digest import HASH_PENDING, package_digest, stamp_package
from xlfin.xlsx.password import Secret
from xlfin.xlsx.protection import sheet_protection_xml
from ..xlsx.limits import DEFAULT_LIMITS, EXCEL_MAX_ROWS, Limits
from ..xlsx.opc import Package
from ..xlsx.read import PackageReader
from ..xlsx.sheet import GeneratedSheet
from ..xlsx.styles import CellStyle
from ..xlsx.write import PackageWriter
from ..xlsx.formats import NUMBER_FORMATS, TEXT_FORMAT, TEXT_TYPES, cell_value
from xlfin.schema.workbook import (
    Cells,
    ListObjectInfo,
    StagedAppend,
    StagedReplace,
    Workbook,
    sheet_labels,
    stacked_layout,
)
from .safety import MACRO_SUFFIXES, check_input_file, check_output_suffix, check_writable, check_zip

GENERATED_SHEETS = {n for t in GENERATED_TABLES for n in (t.sheet_en, t.sheet_zh)}
MAX_SHEET_ROWS = EXCEL_MAX_ROWS  # a name of its own so that a test can lower it


def load_book(path: Path, limits: Limits = DEFAULT_LIMITS, password: Secret | None = None) -> BookBytes:
    """The workbook file's package bytes (the one place a workbook file is read): the file itself, or for a book
    encrypted with a password (issue #17) its package decrypted in memory, never on disk. `password`: the one that
    opened it before (a reload after a save asks nobody again)."""
    if check_input_file(path, limits, allow_encrypted=True):
        book = read_book(path, None if password is None else [password])
        check_zip(path, limits, io.BytesIO(book.package))
        return book
    try:
        return BookBytes(Path(path), Path(path).read_bytes())
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def load_package(path: Path, limits: Limits = DEFAULT_LIMITS) -> Package:
    """The workbook file's package, decrypted in memory when the book is encrypted."""
    return Package(load_book(path, limits).package, str(path))


def save_package(target: Path, data: bytes, *, mode_from: Path | None = None, book: BookBytes | None = None) -> Path:
    """The final package bytes to `target`, atomically, keeping `target.bak` (the one place a workbook is written);
    encrypted first with the book's password when `book` was encrypted, so the temporary file, the result and (next
    time) the backup hold only encrypted bytes."""
    sealed = book.seal(data) if book is not None else data
    return atomic_write(target, lambda tmp: tmp.write_bytes(sealed), mode_from=mode_from)


def _background_digest(package: Package) -> Future[str]:
    """The workbook hash of the package as loaded, computed on a second thread while the sheets are read: the parts
    are already inflated and immutable, and hashlib releases the GIL while it hashes, so on a machine with a free
    core the Audit row's hash costs no wall time."""
    future: Future[str] = Future()

    def run() -> None:
        try:
            future.set_result(package_digest({name: package.original(name) for name in package.original_names()}))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the hash
            future.set_exception(exc)

    threading.Thread(target=run, name="xlfin-hash", daemon=True).start()
    return future


class FileWorkbook(Workbook):
    """A workbook file. Reads see the file as opened; `commit` writes everything staged in one atomic save."""

    def __init__(self, path: Path, *, read_only: bool = False, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__()
        self.path = Path(path)
        self.read_only = read_only
        if not read_only:
            check_writable(self.path)
        self._book = load_book(self.path, limits)
        self._package = Package(self._book.package, str(self.path))
        self._opened_stat = self.path.stat()
        self._keep_vba = self.path.suffix.lower() in MACRO_SUFFIXES
        self._reader: PackageReader | None = PackageReader(self._package, limits)
        # the hash of the file as opened starts once its input sheets are read (`_prefetch_inputs`), or when asked
        self._hash: Future[str] | None = None
        self._limits = limits
        self._stale = False  # saved in place since the last load
        self._sheets: dict[str, tuple[list[str], str, GeneratedSheet]] = {}
        self._appends: list[StagedAppend] = []
        self._lo_cache: list[ListObjectInfo] | None = None
        self._prefetched_by: PackageReader | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def encrypted(self) -> bool:
        return self._book.encrypted

    def hash_before(self) -> str:
        """The workbook hash (xlsx.digest) of the file as opened, for the Audit row."""
        self._r()  # after an in-place save: the file as saved
        if self._hash is None:
            self._hash = _background_digest(self._package)
        return self._hash.result()

    def hash_after_pending(self) -> str:
        """The placeholder an Audit row carries; the save replaces it with the hash of what it writes."""
        return HASH_PENDING

    def _r(self) -> PackageReader:
        if self._reader is None and self._stale:
            self._book = load_book(self.path, self._limits, self._book.password)
            self._package = Package(self._book.package, str(self.path))
            self._reader = PackageReader(self._package, self._limits)
            self._stale = False
        if self._reader is None:
            raise WorkbookError(f"{self.path}: the workbook is closed")
        return self._reader

    # ------------------------------------------------ reading primitives

    def _sheet_names(self) -> list[str]:
        return self._r().worksheet_names()

    def _list_objects(self) -> list[ListObjectInfo]:
        if self._lo_cache is None:
            self._lo_cache = [ListObjectInfo(t.display_name, t.sheet, t.first_row, t.first_col, t.last_row,
                                             t.last_col, t.header_rows, t.totals_rows) for t in self._r().tables]
        return self._lo_cache

    def _extent(self, sheet: str) -> tuple[int, int]:
        grid = self._r().grid(sheet)
        return (grid.shape[0], grid.shape[1]) if grid.size else (0, 0)

    def _read_grid(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> np.ndarray:
        """The rectangle's values; rows beyond the sheet's last cell are not materialised (a table whose ref spans
        the whole sheet reads only what is there), columns beyond it are blank."""
        self._prefetch_inputs()
        grid = self._r().grid(sheet)
        last_row = min(last_row, max(grid.shape[0], first_row - 1))
        if 1 <= first_row <= last_row <= grid.shape[0] and 1 <= first_col <= last_col <= grid.shape[1]:
            # inside the sheet's cells: a read-only view of the kept grid (a copy of a million-row table's cells
            # cost ~0.3 s; every caller reads it, and nothing can write into the cache through it)
            view = grid[first_row - 1:last_row, first_col - 1:last_col]
            view.flags.writeable = False
            return view
        width = max(last_col - first_col + 1, 0)
        out = np.full((max(last_row - first_row + 1, 0), width), None, dtype=object)
        r0, r1 = max(first_row, 1), min(last_row, grid.shape[0])
        c0, c1 = max(first_col, 1), min(last_col, grid.shape[1])
        if r0 <= r1 and c0 <= c1:
            out[r0 - first_row:r1 - first_row + 1, c0 - first_col:c1 - first_col + 1] = grid[r0 - 1:r1, c0 - 1:c1]
        return out

    def _prefetch_inputs(self) -> None:
        """On the first read of a loaded book: the sheets of its input tables (Invoices, Payments, ...) are read
        together (xlsx.read.PackageReader.prefetch), so the largest ones cost about one sheet's time."""
        reader = self._r()
        if reader is not self._prefetched_by:
            self._prefetched_by = reader
            inputs = {t.name for t in schema.TABLES.values() if t.kind == "input"}
            reader.prefetch([lo.sheet for lo in self._list_objects() if lo.name in inputs])
            # The Audit row's hash of the file as opened, on a second thread from here: started with the sheet
            # reads it took a core from python-calamine's two reading threads; from here on the run's Python work
            # (validation, reconciliation) holds one core and the hash (hashlib releases the GIL) takes the other.
            if self._hash is None and not self.read_only:
                self._hash = _background_digest(self._package)

    def _read_block(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> Cells:
        return self._read_grid(sheet, first_row, first_col, last_row, last_col).tolist()

    def _merged_in(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str | None:
        from ..xlsx.sheet import column_letter

        hits = [f"{column_letter(c0)}{r0}:{column_letter(c1)}{r1}" for r0, c0, r1, c1 in self._r().merged(sheet)
                if r0 <= last_row and r1 >= first_row and c0 <= last_col and c1 >= first_col]
        return ", ".join(sorted(hits)) if hits else None

    # ------------------------------------------------ staging

    def _cells_of(self, df, table: Table) -> CellColumns:
        """The converted columns themselves: the sheet writer encodes a column at a time (xlsx.sheet)."""
        return CellColumns(cell_columns(df, table), len(df))

    def _generated_sheet(self, sheet_en: str, lang: Lang) -> GeneratedSheet:
        """A fresh generated sheet, replacing whatever was staged for it before in this run."""
        labels = sheet_labels(sheet_en)
        names = [labels[lang], labels["en"], labels["zh-CN"]]
        sheet = GeneratedSheet(protection=sheet_protection_xml())  # against accidental edits, no password (#17)
        self._sheets[sheet_en] = (names, labels[lang], sheet)
        return sheet

    def _apply_replace(self, op: StagedReplace) -> None:
        sheet = self._generated_sheet(op.sheet_en, op.lang)
        tops = stacked_layout([len(rows) for _, rows in op.blocks])
        if len(op.blocks) > 1 and tops[-1] + max(len(op.blocks[-1][1]), 1) > MAX_SHEET_ROWS:
            # Stacked, the tables would run past Excel's last row (a book near the row limit: the Reconciliation
            # sheet's per-invoice summary alone has a row per invoice), so they stand side by side from row 1, a
            # blank column between; formulas and readers find them by table name.
            left = 1
            for table, rows in op.blocks:
                sheet.add_table(table, rows, op.lang, (1, left))
                left += len(table.columns) + 1
            sheet.frozen_rows = 1
            return
        for (table, rows), top in zip(op.blocks, tops):
            sheet.add_table(table, rows, op.lang, (top, 1))
        if len(op.blocks) == 1:
            sheet.frozen_rows = tops[0]

    def _apply_append(self, op: StagedAppend) -> None:
        lo = self._list_object(op.table.name)
        on_user_sheet = lo is not None and lo.sheet not in GENERATED_SHEETS and lo.sheet not in {
            n for en in self._sheets for n in sheet_labels(en).values()}
        if not on_user_sheet:  # a log on a generated sheet: the sheet is xlfin's, rewritten with the old rows kept
            existing: Cells = []
            if self.has_table(op.table):
                raw = self.read_table(op.table)
                cols = [raw.frame[c.key].tolist() if c.key in raw.frame else [None] * len(raw)
                        for c in op.table.columns]
                existing = [list(r) for r in zip(*cols)] if cols else []
            self._apply_replace(StagedReplace(op.table.sheet_en, [(op.table, existing + op.rows)], op.lang))
            return
        self._appends.append(op)

    def _append_in_place(self, writer: PackageWriter, op: StagedAppend) -> None:
        """Rows added to a user's table (bank import into tblPayments): only new rows, the ref and the dimension."""
        raw = self.read_table(op.table)
        entry = next(t for t in self._r().tables if t.display_name.lower() == op.table.name.lower())
        width = entry.last_col - entry.first_col + 1
        by_position = {pos: op.table.column(key) for key, pos in raw.positions.items()}
        rows = []
        for values in op.rows:
            row: list[object] = [None] * width
            for j, column in enumerate(op.table.columns):
                pos = raw.positions.get(column.key)
                if pos is not None and pos < width and j < len(values):
                    row[pos] = cell_value(values[j], column, op.lang)
            rows.append(row)
        styles = [_input_style(by_position.get(j)) for j in range(width)]
        writer.append_rows(entry, rows, raw.header_row + len(raw.frame) + 1, styles)

    def sheet_for_charts(self, sheet_en_name: str, lang: Lang) -> GeneratedSheet:
        """The empty generated sheet the dashboard is drawn on (cells and charts); saved at commit."""
        return self._generated_sheet(sheet_en_name, lang)

    # ------------------------------------------------ saving

    def commit(self, output: Path | None = None) -> Path | None:
        """Apply the staged sheets and save atomically to PATH (keeping PATH.bak) or to `output` (PATH untouched)."""
        target = Path(output) if output is not None else self.path
        if self.read_only:
            raise WorkbookError(f"{self.path}: opened read-only; nothing can be written")
        check_writable(target)
        if output is not None:
            check_output_suffix(self.path, target)
        now = self.path.stat()
        if (now.st_mtime_ns, now.st_size) != (self._opened_stat.st_mtime_ns, self._opened_stat.st_size):
            raise WorkbookError(f"{self.path}: the file changed since it was opened (saved in Excel?); run again")
        self._apply_staged()
        writer = PackageWriter(self._package, self._r())
        try:
            for names, target_name, sheet in self._sheets.values():
                writer.replace_sheet(names, target_name, sheet)
            for op in self._appends:
                self._append_in_place(writer, op)
            data = writer.finish(before_zip=stamp_package)  # the Audit rows' pending hash: the hash written
        except ValueError as exc:  # a generated sheet beyond Excel's grid
            raise WorkbookError(f"{self.path}: {exc}") from None
        save_package(target, data, mode_from=self.path, book=self._book)
        self._sheets.clear()
        self._appends.clear()
        if output is None:
            self._reopen()
        return target

    def _reopen(self) -> None:
        """After an in-place save, reads see the file as saved (a second commit builds on it); the file is loaded
        again only when something reads it."""
        self._limits = self._r().limits
        self._r().close()
        self._reader = None
        self._stale = True
        self._opened_stat = self.path.stat()
        self._lo_cache = None
        self._hash = None
        self._block_cache.clear()
        self._config_cache = None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._stale = False


def _input_style(column) -> CellStyle:
    """The format a typed value gets in an input table (as the template formats it)."""
    if column is None:
        return CellStyle()
    if column.type in NUMBER_FORMATS:
        return CellStyle(NUMBER_FORMATS[column.type])
    if column.type in TEXT_TYPES:
        return CellStyle(TEXT_FORMAT)
    return CellStyle()


def open_workbook(path: Path, *, read_only: bool = False, limits: Limits = DEFAULT_LIMITS) -> FileWorkbook:
    """Open a workbook file for the engine; WorkbookError (one line, nothing changed) when it cannot be used."""
    return FileWorkbook(Path(path), read_only=read_only, limits=limits)


__all__ = ["FileWorkbook", "open_workbook", "load_book", "load_package", "save_package", "Table"]
