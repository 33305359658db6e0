"""The live adapter: a workbook open in Excel, through xlwings (the ribbon macros).

Every table is read in one `Range.value` call and written in one call; generated sheets and log rows are staged
and applied at `commit`, inside `running()`, which switches off screen updating, events and automatic calculation
and restores them afterwards even when the run fails. Existing ListObjects are resized rather than deleted where
their header stays put, so formulas elsewhere that use structured references (e.g. `tblAllocations[Amount]` in the
Invoices sheet) keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..schema import Lang, Table, match_headers
from xlfin.schema.tables import WorkbookError
from xlfin.xlsx.protection import protect_live_sheet, unprotect_live_sheet
from ..xlsx.formats import TABLE_STYLE, cell_value, column_number_format
from xlfin.schema.workbook import (
    Cells,
    ListObjectInfo,
    StagedAppend,
    StagedReplace,
    Workbook,
    insert_position,
    is_blank,
    problem_cells,
    sheet_labels,
    stacked_layout,
)

if TYPE_CHECKING:
    import xlwings as xw

ERROR_FILL = (255, 199, 206)
WARNING_FILL = (255, 235, 156)
NOTE_PREFIX = "xlfin: "
MAX_MARKS = 500  # colouring thousands of cells one by one would take minutes; the Validation sheet lists them all


def excel_text(value: object) -> object:
    """A string Excel must store as typed: the quote prefix stops `=cmd|...` becoming a formula and `00123` or
    `1-30` becoming a number or a date. Excel drops the prefix from the value it shows and returns."""
    if isinstance(value, str) and value != "":
        return "'" + value
    return value


def _add_links(rng: Any, table: Table, rows: list[list[object]]) -> None:
    """Make `link` columns (generated letter paths) clickable; one call per letter, only where there is one."""
    for j, column in enumerate(table.columns):
        if column.type != "link":
            continue
        for i, row in enumerate(rows):
            if j < len(row) and row[j]:
                try:
                    rng[i + 1, j].add_hyperlink(str(row[j]), text_to_display=str(row[j]))
                except Exception:  # noqa: BLE001 - the path is already in the cell as text; the link is a convenience
                    break


class LiveWorkbook(Workbook):
    """A book open in Excel. `book` is an `xw.Book` (e.g. `xw.Book.caller()` in a ribbon macro)."""

    def __init__(self, book: xw.Book) -> None:
        super().__init__()
        self.book = book
        self._lo_cache: list[ListObjectInfo] | None = None
        self._marks: list[tuple[str, int, int, str, str]] = []
        self._to_protect: dict[str, Any] = {}  # generated sheets unprotected for writing, protected again at commit

    @property
    def name(self) -> str:
        return self.book.name

    @property
    def encrypted(self) -> bool:
        """Excel's "Encrypt with Password" is set on the open book (Workbook.HasPassword), for the Audit row."""
        try:
            return bool(getattr(self.book.api, "HasPassword", False))
        except Exception:  # noqa: BLE001 - engines without the property (macOS, tests): not known to be encrypted
            return False

    @property
    def app(self) -> Any:
        return self.book.app

    # ------------------------------------------------ run state

    @contextmanager
    def running(self, status: str = "xlfin …") -> Iterator[LiveWorkbook]:
        """Screen updating, events, alerts and automatic calculation off for the run; all restored on exit."""
        with self.app.properties(screen_updating=False, enable_events=False, display_alerts=False,
                                 calculation="manual", status_bar=status):
            yield self

    def progress(self, message: str) -> None:
        """Progress on Excel's status bar (a `Progress` callback for `xlfin.app.operations`)."""
        self.app.status_bar = f"xlfin: {message} …"

    # ------------------------------------------------ reading primitives

    def _sheet(self, name: str) -> Any:
        return self.book.sheets[name]

    def _sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def _list_objects(self) -> list[ListObjectInfo]:
        if self._lo_cache is None:
            found = []
            for sheet in self.book.sheets:
                for t in sheet.tables:
                    rng = t.range
                    rows, cols = rng.shape
                    found.append(ListObjectInfo(t.name, sheet.name, rng.row, rng.column, rng.row + rows - 1,
                                                rng.column + cols - 1, 1 if t.show_headers else 0,
                                                1 if t.show_totals else 0))
            self._lo_cache = found
        return self._lo_cache

    def _extent(self, sheet: str) -> tuple[int, int]:
        last = self._sheet(sheet).used_range.last_cell
        return last.row, last.column

    def _read_block(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> Cells:
        rng = self._sheet(sheet).range((first_row, first_col), (last_row, last_col))
        return [list(r) for r in rng.options(ndim=2).value]

    def _merged_in(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str | None:
        rng = self._sheet(sheet).range((first_row, first_col), (last_row, last_col))
        # Excel: True when all cells are merged, None when some are, False when none are.
        return None if rng.merge_cells is False else f"in {rng.address.replace('$', '')}"

    # ------------------------------------------------ writing

    def _generated_sheet(self, sheet_en: str, lang: Lang) -> Any:
        """The generated sheet, its protection lifted until commit puts it back (issue #17)."""
        sheet = self._find_or_add_generated_sheet(sheet_en, lang)
        unprotect_live_sheet(sheet)
        self._to_protect[sheet.name] = sheet
        return sheet

    def _protect_generated(self) -> None:
        for sheet in self._to_protect.values():
            protect_live_sheet(sheet)
        self._to_protect.clear()

    def _find_or_add_generated_sheet(self, sheet_en: str, lang: Lang) -> Any:
        labels = sheet_labels(sheet_en)
        target = labels[lang]
        names = self._sheet_names()
        for n in (target, labels["en"], labels["zh-CN"]):
            if n in names:
                sheet = self._sheet(n)
                if n != target and target not in names:
                    sheet.name = target
                return sheet
        pos = insert_position(names, sheet_en)
        sheets = self.book.sheets
        if pos < len(names):
            return sheets.add(target, before=sheets[pos])
        return sheets.add(target, after=sheets[len(names) - 1])

    def _write_block(self, sheet: Any, table: Table, top: int, left: int, rows: Cells, lang: Lang,
                     header: list[str] | None) -> Any:
        """One values call for header (optional) and rows; number formats by column first."""
        n = len(table.columns)
        body = [[excel_text(cell_value(v, c, lang)) for v, c in zip(list(r) + [None] * (n - len(r)), table.columns)]
                for r in rows]
        block = ([[excel_text(h) for h in header]] if header is not None else []) + body
        rng = sheet.range((top, left)).resize(len(block), n)
        first_data = 1 if header is not None else 0
        if len(block) > first_data:
            for j, col in enumerate(table.columns):
                fmt = column_number_format(col, text_format=False)
                if fmt:
                    rng[first_data:, j].number_format = fmt
        rng.value = block
        return rng

    def _apply_replace(self, op: StagedReplace) -> None:
        sheet = self._generated_sheet(op.sheet_en, op.lang)
        tops = stacked_layout([len(rows) for _, rows in op.blocks])
        wanted = {table.name.lower(): top for (table, _), top in zip(op.blocks, tops)}
        for t in list(sheet.tables):
            if wanted.get(t.name.lower()) != t.range.row:
                _delete_list_object(t)
        kept = {t.name.lower(): t for t in sheet.tables}
        sheet.clear_contents()
        sheet.clear_formats()
        for (table, rows), top in zip(op.blocks, tops):
            body = rows if rows else [[None] * len(table.columns)]
            rng = self._write_block(sheet, table, top, 1, body, op.lang, table.headers(op.lang))
            _add_links(rng, table, rows)
            if table.name.lower() in kept:
                kept[table.name.lower()].resize(rng)
            else:
                self._drop_table_elsewhere(table.name, sheet)
                sheet.tables.add(source=rng, name=table.name, table_style_name=TABLE_STYLE)
        if len(op.blocks) == 1:
            try:
                sheet.freeze_panes.freeze_at("A2")
            except Exception:  # noqa: BLE001, S110 - needs the sheet active on some Excel versions; a convenience, not data
                pass
        self._lo_cache = None

    def _drop_table_elsewhere(self, name: str, keep: Any) -> None:
        for sheet in self.book.sheets:
            if sheet.name != keep.name:
                for t in list(sheet.tables):
                    if t.name.lower() == name.lower():
                        _delete_list_object(t)

    def _find_list_object(self, name: str) -> Any | None:
        for sheet in self.book.sheets:
            for t in sheet.tables:
                if t.name.lower() == name.lower():
                    return t
        return None

    def _apply_append(self, op: StagedAppend) -> None:
        lo = self._find_list_object(op.table.name)
        if lo is None:
            self._apply_replace(StagedReplace(op.table.sheet_en, [(op.table, op.rows)], op.lang))
            return
        if not op.rows:
            return
        sheet = lo.parent
        unprotect_live_sheet(sheet)
        self._to_protect[sheet.name] = sheet  # a log sheet is a generated sheet: protected after the append
        header_rng = lo.header_row_range
        headers = header_rng.options(ndim=2).value[0]
        match = match_headers(headers, op.table)
        width = len(headers)
        ordered = []
        for r in op.rows:
            out: list[object] = [None] * width
            for c, v in zip(op.table.columns, r):
                if c.key in match.positions:
                    out[match.positions[c.key]] = excel_text(cell_value(v, c, op.lang))
            ordered.append(out)
        body = lo.data_body_range
        start = header_rng.row + 1
        if body is not None:
            start = body.row + body.shape[0]
            if body.shape[0] == 1 and all(is_blank(v) for v in body.options(ndim=2).value[0]):
                start = body.row  # the one blank row an empty table keeps
        rng = sheet.range((start, header_rng.column)).resize(len(ordered), width)
        for c in op.table.columns:
            fmt = column_number_format(c, text_format=False)
            if fmt and c.key in match.positions:
                rng[:, match.positions[c.key]].number_format = fmt
        rng.value = ordered
        lo.resize(sheet.range((header_rng.row, header_rng.column), (start + len(ordered) - 1,
                                                                     header_rng.column + width - 1)))
        self._lo_cache = None

    def sheet_for_charts(self, sheet_en_name: str, lang: Lang) -> Any:
        """The Dashboard sheet, emptied (cells, formats, charts, pictures), as an xlwings Sheet."""
        sheet = self._generated_sheet(sheet_en_name, lang)
        for collection in (sheet.charts, sheet.pictures):
            for item in list(collection):
                item.delete()
        for t in list(sheet.tables):
            _delete_list_object(t)
        sheet.clear_contents()
        sheet.clear_formats()
        return sheet

    def mark_problems(self, problems: Iterable[object]) -> None:
        """Stage a fill colour and a note on every cell a problem names (applied at commit, best effort)."""
        self._marks.extend(problem_cells(problems))

    def _apply_marks(self) -> int:
        names = set(self._sheet_names())
        failed = 0
        for sheet_name, row, col, message, severity in self._marks[:MAX_MARKS]:
            if sheet_name not in names:
                continue
            try:
                rng = self._sheet(sheet_name).range((row, col))
                rng.color = ERROR_FILL if severity == "error" else WARNING_FILL
                text = NOTE_PREFIX + message
                note = rng.note
                if note is None:
                    rng.add_note(text)
                elif note.text.startswith(NOTE_PREFIX):
                    note.text = text
                else:  # a user's own note stays; ours is added below it
                    note.text = f"{note.text}\n\n{text}"
            except Exception:  # noqa: BLE001 - protected sheet or an engine without notes: the Validation sheet still lists it
                failed += 1
        self._marks.clear()
        return failed

    def commit(self, output: Path | None = None) -> Path | None:
        """Apply everything staged to the open book; with `output`, also save it there (Save As)."""
        self._apply_staged()
        self._apply_marks()
        self._protect_generated()
        if output is not None:
            self.book.save(str(output))
            return Path(output)
        return None

    def close(self) -> None:
        """The book stays open in Excel; only what was staged and not committed is dropped."""
        self._staged.clear()
        self._marks.clear()
        self._protect_generated()  # a run that failed half-way still leaves its report sheets protected


def _delete_list_object(table: Any) -> None:
    """xlwings has no Table.delete; the ListObject's own Delete (COM on Windows, `delete` on macOS) removes it."""
    api = table.api
    if hasattr(api, "Delete"):
        api.Delete()
    elif hasattr(api, "delete"):
        api.delete()
    else:
        raise WorkbookError(f"cannot remove table {table.name}: this Excel engine has no way to delete tables")
