"""An in-memory Excel for xlwings: an implementation of xlwings' engine interface backed by openpyxl workbooks.

xlwings talks to Excel through a pluggable engine layer (`xlwings._xlwindows`, `_xlmac`, `pro._xlcalamine` ...):
`xw.Book`, `Range.value`, `options(pd.DataFrame)`, `sheet.tables` are real xlwings code calling the classes below.
Register it with `install()` (a pytest fixture does) and the live adapter runs unchanged, on Linux, without Excel.

What it emulates of Excel, because the adapter's correctness depends on it:
- writing a string that starts with `=` stores a formula, one that looks like a number stores a number, and a
  leading apostrophe stores the rest as text (so formula injection is observable);
- formula cells read back as their computed value (registered by a test, else blank) — there is no calculator;
- ListObjects may not overlap, `resize` keeps the header row in place, merged-cell state is True/None/False;
- app state (screen updating, events, calculation, status bar) is recorded so tests can check it was restored.
Only the subset the adapter and xlwings' conversion pipeline need is implemented.
"""

from __future__ import annotations

import datetime as dt
import numbers
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw
from openpyxl import Workbook as XlWorkbook
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn, TableStyleInfo
from xlwings import base_classes, utils

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
ENGINE_NAME = "fake"


class ExcelError(Exception):
    """What Excel would answer with a COM error."""


# ---------------------------------------------------------------- engine


def _clean(value: Any, datetime_builder: Any, empty_as: Any, number_builder: Any) -> Any:
    if value is None or value == "":
        return empty_as
    if isinstance(value, dt.datetime) and datetime_builder is not dt.datetime:
        return datetime_builder(year=value.year, month=value.month, day=value.day, hour=value.hour,
                                minute=value.minute, second=value.second, microsecond=value.microsecond)
    if number_builder is not None and isinstance(value, float):
        return number_builder(value)
    return value


class Engine:
    def __init__(self) -> None:
        self.apps = Apps(self)

    name = ENGINE_NAME
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        return [[_clean(c, datetime_builder, empty_as, number_builder) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, options):
        # what pywin32 hands Excel: plain floats, datetimes, "" for missing
        if x is None:
            return None
        if isinstance(x, (pd.Timestamp,)):
            return x.to_pydatetime()
        if isinstance(x, dt.date) and not isinstance(x, dt.datetime):
            return dt.datetime(x.year, x.month, x.day)
        if isinstance(x, (float, np.floating)) and np.isnan(x):
            return None
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, np.number):
            return float(x)
        if x is pd.NA or x is pd.NaT:
            return None
        return x


class Apps(base_classes.Apps):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._apps: list[App] = []

    def keys(self):
        return [a.pid for a in self._apps]

    def add(self, spec=None, add_book=True, xl=None, visible=None, **kw):
        app = App(self, add_book=add_book)
        self._apps.insert(0, app)
        return app

    @staticmethod
    def cleanup():
        pass

    def __iter__(self):
        return iter(list(self._apps))

    def __len__(self):
        return len(self._apps)

    def __getitem__(self, index):
        return self._apps[index]


def _state(name: str) -> property:
    """An application property Excel lets you read and write; every change is recorded in `history`."""

    def get(self):
        return self.state[name]

    def set(self, value):
        self.state[name] = value
        self.history.append((name, value))

    return property(get, set)


class App(base_classes.App):
    _next_pid = 90000
    screen_updating = _state("screen_updating")
    display_alerts = _state("display_alerts")
    enable_events = _state("enable_events")
    interactive = _state("interactive")
    calculation = _state("calculation")
    visible = _state("visible")

    def __init__(self, apps: Apps, add_book: bool = True) -> None:
        self.apps = apps
        self._pid = App._next_pid
        App._next_pid += 1
        self._books = Books(self)
        self.state: dict[str, Any] = {"screen_updating": True, "display_alerts": True, "enable_events": True,
                                      "interactive": True, "calculation": "automatic", "visible": True}
        self.history: list[tuple[str, Any]] = []
        self._status_bar: str | bool = False
        self.status_history: list[str | bool] = []
        self.calculations = 0
        self.alerts: list[dict[str, Any]] = []  # what app.alert showed, for tests of the ribbon's messages
        if add_book:
            self._books.add()

    @property
    def engine(self):
        return self.apps.engine

    @property
    def api(self):
        return self

    @property
    def books(self):
        return self._books

    @property
    def pid(self):
        return self._pid

    @property
    def version(self):
        return "16.0"

    @property
    def status_bar(self):
        return self._status_bar

    @status_bar.setter
    def status_bar(self, value):
        self._status_bar = value
        self.status_history.append(value)

    def calculate(self):
        self.calculations += 1

    def activate(self, steal_focus=False):
        pass

    def quit(self):
        self.kill()

    def kill(self):
        if self in self.apps._apps:
            self.apps._apps.remove(self)

    def alert(self, prompt, title, buttons, mode, callback):
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return "ok"


class Books(base_classes.Books):
    def __init__(self, app: App) -> None:
        self.app = app
        self.books: list[Book] = []
        self._active: Book | None = None

    @property
    def api(self):
        return self.books

    @property
    def active(self):
        return self._active

    def _register(self, book: Book) -> Book:
        self.books.append(book)
        self._active = book
        return book

    def add(self):
        wb = XlWorkbook()
        wb.active.title = "Sheet1"
        return self._register(Book(self, wb, f"Book{len(self.books) + 1}"))

    def open(self, fullname, *args, **kwargs):
        # Excel keeps formulas and their last values; the fake keeps formulas (no calculator) and the path
        wb = load_workbook(fullname, keep_vba=str(fullname).lower().endswith(".xlsm"))
        return self._register(Book(self, wb, str(fullname)))

    def __call__(self, name_or_index):
        if isinstance(name_or_index, numbers.Number):
            return self.books[int(name_or_index) - 1]
        for b in self.books:
            if b.name.lower() == str(name_or_index).lower() or b.fullname == name_or_index:
                return b
        raise KeyError(name_or_index)

    def __len__(self):
        return len(self.books)

    def __iter__(self):
        return iter(list(self.books))


class Book(base_classes.Book):
    def __init__(self, books: Books, wb: XlWorkbook, fullname: str) -> None:
        self.books = books
        self.xl = wb
        self._fullname = fullname
        self.computed: dict[tuple[str, int, int], Any] = {}  # (sheet, row, col) -> value Excel would show
        self.saved_to: list[str] = []

    @property
    def api(self):
        return self.xl

    @property
    def name(self):
        return Path(self._fullname).name

    @property
    def fullname(self):
        return self._fullname

    @property
    def sheets(self):
        return Sheets(self)

    @property
    def app(self):
        return self.books.app

    @property
    def names(self):
        raise NotImplementedError("names are not emulated")

    def close(self):
        self.books.books.remove(self)
        if self.books._active is self:
            self.books._active = self.books.books[-1] if self.books.books else None

    def save(self, path=None, password=None):
        target = path or self._fullname
        self.xl.save(target)
        self.saved_to.append(str(target))

    def activate(self):
        self.books._active = self


class Sheets(base_classes.Sheets):
    def __init__(self, book: Book) -> None:
        self.book = book

    @property
    def api(self):
        return self.book.xl.worksheets

    @property
    def active(self):
        return Sheet(self.book, self.book.xl.active)

    def __call__(self, name_or_index):
        wb = self.book.xl
        if isinstance(name_or_index, numbers.Number):
            return Sheet(self.book, wb.worksheets[int(name_or_index) - 1])
        for ws in wb.worksheets:
            if ws.title.lower() == str(name_or_index).lower():
                return Sheet(self.book, ws)
        raise KeyError(name_or_index)

    def __len__(self):
        return len(self.book.xl.worksheets)

    def __iter__(self):
        for ws in list(self.book.xl.worksheets):
            yield Sheet(self.book, ws)

    def __contains__(self, name):
        return any(ws.title.lower() == str(name).lower() for ws in self.book.xl.worksheets)

    def add(self, before=None, after=None, name=None):
        wb = self.book.xl
        if before is not None:
            index = wb.worksheets.index(before.ws)
        elif after is not None:
            index = wb.worksheets.index(after.ws) + 1
        else:
            index = wb.worksheets.index(wb.active) if wb.worksheets else 0
        ws = wb.create_sheet(name or f"Sheet{len(wb.worksheets) + 1}", index)
        return Sheet(self.book, ws)


class FreezePanes:
    def __init__(self, ws) -> None:
        self.ws = ws

    def freeze_at(self, address):
        self.ws.freeze_panes = address

    def unfreeze(self):
        self.ws.freeze_panes = None


class ProtectedSheetError(Exception):
    """Excel's refusal: 'The cell or chart you're trying to change is on a protected sheet.'"""


class _SheetApi:
    """Excel's COM Worksheet as far as xlfin uses it (ProtectContents, Protect, Unprotect); for everything else
    (tests read cells through it) it is the openpyxl sheet."""

    def __init__(self, ws) -> None:
        self.__dict__["_ws"] = ws

    def __getattr__(self, name):
        return getattr(self._ws, name)

    def __getitem__(self, key):
        return self._ws[key]

    @property
    def ProtectContents(self) -> bool:  # noqa: N802 - COM's name
        return bool(self._ws.protection.sheet)

    def Protect(self, **allow) -> None:  # noqa: N802
        p = self._ws.protection
        p.sheet = True
        p.autoFilter = not allow.get("AllowFiltering", False)
        p.sort = not allow.get("AllowSorting", False)
        p.formatColumns = not allow.get("AllowFormattingColumns", False)
        p.formatRows = not allow.get("AllowFormattingRows", False)
        p.objects = bool(allow.get("DrawingObjects", True))

    def Unprotect(self, Password=None) -> None:  # noqa: N802, N803
        if self._ws.protection.password and Password is None:
            raise ProtectedSheetError("The password you supplied is not correct.")
        self._ws.protection.sheet = False


def _refuse_if_protected(ws) -> None:
    if ws.protection.sheet:
        raise ProtectedSheetError(f"The cell or chart you're trying to change is on a protected sheet ({ws.title}).")


class Sheet(base_classes.Sheet):
    def __init__(self, book: Book, ws) -> None:
        self._book = book
        self.ws = ws

    @property
    def api(self):
        return _SheetApi(self.ws)

    @property
    def name(self):
        return self.ws.title

    @name.setter
    def name(self, value):
        self.ws.title = value

    @property
    def book(self):
        return self._book

    @property
    def index(self):
        return self._book.xl.worksheets.index(self.ws) + 1

    def range(self, arg1, arg2=None):
        return Range(self, arg1, arg2)

    @property
    def cells(self):
        return Range(self, (1, 1), (MAX_ROWS, MAX_COLUMNS))

    @property
    def used_range(self):
        return Range(self, (1, 1), (max(self.ws.max_row, 1), max(self.ws.max_column, 1)))

    @property
    def tables(self):
        return Tables(self)

    @property
    def charts(self):
        return _DeletableList(self.ws._charts)

    @property
    def pictures(self):
        return _DeletableList(self.ws._images)

    @property
    def freeze_panes(self):
        return FreezePanes(self.ws)

    def clear_contents(self):
        _refuse_if_protected(self.ws)
        for row in self.ws.iter_rows():
            for cell in row:
                if not isinstance(cell, MergedCell):
                    cell.value = None

    def clear_formats(self):
        for row in self.ws.iter_rows():
            for cell in row:
                if not isinstance(cell, MergedCell):
                    cell.style = "Normal"

    def clear(self):
        self.clear_contents()
        self.clear_formats()

    def delete(self):
        self._book.xl.remove(self.ws)

    def activate(self):
        self._book.xl.active = self.ws


class _DeletableItem:
    def __init__(self, owner: list, item: Any) -> None:
        self.owner, self.item = owner, item

    def delete(self):
        self.owner.remove(self.item)


class _DeletableList:
    def __init__(self, items: list) -> None:
        self.items = items

    def __iter__(self):
        return iter([_DeletableItem(self.items, i) for i in list(self.items)])

    def __len__(self):
        return len(self.items)


# ---------------------------------------------------------------- ranges


def _excel_input(value: Any) -> tuple[Any, str | None, bool]:
    """What Excel stores for a value written through Range.Value: (value, data type, quote prefix)."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:], "s", True
        if value.startswith("="):
            return value, "f", False
        if value == "":
            return None, None, False
        try:
            return float(value.replace(",", "")), "n", False  # Excel's General format parses numbers
        except ValueError:
            return value, "s", False
    return value, None, False


class Range(base_classes.Range):
    def __init__(self, sheet: Sheet, arg1, arg2=None) -> None:
        self.sheet = sheet
        self.options = None
        if isinstance(arg1, Range):
            a, b = arg1, arg2 if isinstance(arg2, Range) else arg1
            r1, c1 = min(a.row, b.row), min(a.column, b.column)
            r2 = max(a.row + a.shape[0] - 1, b.row + b.shape[0] - 1)
            c2 = max(a.column + a.shape[1] - 1, b.column + b.shape[1] - 1)
            arg1, arg2 = (r1, c1), (r2, c2)
        elif isinstance(arg1, str):
            t1, t2 = utils.a1_to_tuples(arg1)
            if not t1:
                raise KeyError(f"no range {arg1!r}")
            arg1, arg2 = t1, t2
            if isinstance(arg2, tuple) is False and arg2 is not None:
                arg2 = None
        if len(arg1) == 4:
            row, col, nrows, ncols = arg1
            arg1, arg2 = (row, col), (row + max(nrows, 1) - 1, col + max(ncols, 1) - 1)
        if isinstance(arg2, str):
            arg2 = utils.a1_to_tuples(arg2)[0]
        self.arg1 = tuple(arg1)
        self.arg2 = tuple(arg2) if arg2 else tuple(arg1)

    @property
    def ws(self):
        return self.sheet.ws

    @property
    def api(self):
        return self

    @property
    def coords(self):
        return self.sheet.name, self.row, self.column, *self.shape

    @property
    def row(self):
        return self.arg1[0]

    @property
    def column(self):
        return self.arg1[1]

    @property
    def shape(self):
        return self.arg2[0] - self.arg1[0] + 1, self.arg2[1] - self.arg1[1] + 1

    def __len__(self):
        r, c = self.shape
        return r * c

    @property
    def address(self):
        a = f"${get_column_letter(self.column)}${self.row}"
        if self.shape == (1, 1):
            return a
        return f"{a}:${get_column_letter(self.arg2[1])}${self.arg2[0]}"

    def get_address(self, row_absolute=True, col_absolute=True, external=False):
        return self.address

    def _cells(self):
        for r in range(self.arg1[0], self.arg2[0] + 1):
            yield [self.ws.cell(row=r, column=c) for c in range(self.arg1[1], self.arg2[1] + 1)]

    @property
    def raw_value(self):
        # a rectangle, as COM gives it (values only; formulas show their computed value)
        last_row = min(self.arg2[0], max(self.ws.max_row, self.arg1[0]))
        last_col = min(self.arg2[1], max(self.ws.max_column, self.arg1[1]))
        out = []
        for r, row in enumerate(self.ws.iter_rows(min_row=self.arg1[0], max_row=last_row, min_col=self.arg1[1],
                                                  max_col=last_col), start=self.arg1[0]):
            vals = []
            for c, cell in enumerate(row, start=self.arg1[1]):
                v = cell.value
                if cell.data_type == "f" or (isinstance(v, str) and v.startswith("=") and cell.data_type != "s"):
                    v = self.sheet.book.computed.get((self.ws.title, r, c))
                elif isinstance(v, int) and not isinstance(v, bool):
                    v = float(v)  # Excel holds every number as a double
                elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                    v = dt.datetime(v.year, v.month, v.day)
                vals.append(v)
            out.append(vals + [None] * (self.shape[1] - len(vals)))
        out += [[None] * self.shape[1] for _ in range(self.shape[0] - len(out))]
        return out

    @raw_value.setter
    def raw_value(self, data):
        if not isinstance(data, (list, tuple)):
            data = [[data] * self.shape[1] for _ in range(self.shape[0])]
        elif data and not isinstance(data[0], (list, tuple)):
            data = [data]
        self._check_not_over_table_edges(len(data), max(len(r) for r in data) if data else 0)
        _refuse_if_protected(self.ws)
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                cell = self.ws.cell(row=self.row + i, column=self.column + j)
                value, kind, quoted = _excel_input(v)
                cell.value = value
                if kind == "s" and value is not None:
                    cell.data_type = "s"
                cell.quotePrefix = quoted

    def _check_not_over_table_edges(self, nrows, ncols):
        """Excel refuses writes that would change a table's header into a formula; enough to check headers."""

    @property
    def formula(self):
        return [[c.value for c in row] for row in self._cells()]

    @property
    def number_format(self):
        formats = {c.number_format for row in self._cells() for c in row}
        return formats.pop() if len(formats) == 1 else None

    @number_format.setter
    def number_format(self, value):
        for row in self._cells():
            for c in row:
                c.number_format = value

    @property
    def color(self):
        c = self.ws.cell(row=self.row, column=self.column)
        if c.fill is None or c.fill.fill_type != "solid":
            return None
        rgb = c.fill.start_color.rgb[-6:]
        return tuple(int(rgb[i:i + 2], 16) for i in (0, 2, 4))

    @color.setter
    def color(self, value):
        if value is None:
            fill = PatternFill(fill_type=None)
        else:
            if isinstance(value, str):
                value = utils.hex_to_rgb(value)
            hexval = "FF" + "".join(f"{v:02X}" for v in value)
            fill = PatternFill(fill_type="solid", start_color=hexval, end_color=hexval)
        for row in self._cells():
            for c in row:
                c.fill = fill

    @property
    def note(self):
        c = self.ws.cell(row=self.row, column=self.column)
        return Note(c) if c.comment is not None else None

    def add_note(self, text):
        c = self.ws.cell(row=self.row, column=self.column)
        c.comment = Comment(text, "xlfin")
        return Note(c)

    @property
    def merge_cells(self):
        total = len(self)
        merged = 0
        for m in self.ws.merged_cells.ranges:
            r1, r2 = max(m.min_row, self.arg1[0]), min(m.max_row, self.arg2[0])
            c1, c2 = max(m.min_col, self.arg1[1]), min(m.max_col, self.arg2[1])
            if r1 <= r2 and c1 <= c2:
                merged += (r2 - r1 + 1) * (c2 - c1 + 1)
        if merged == 0:
            return False
        return True if merged == total else None

    @property
    def table(self):
        for t in self.ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(t.ref)
            if r1 <= self.row <= r2 and c1 <= self.column <= c2:
                return Table(self.sheet, t)
        return None

    @property
    def has_array(self):
        return False

    def end(self, direction):
        """Ctrl+arrow from the top-left cell over a block of filled cells (what `expand` uses)."""
        step = {"down": (1, 0), "up": (-1, 0), "right": (0, 1), "left": (0, -1)}[direction]
        r, c = self.row, self.column

        def filled(row, col):
            return row >= 1 and col >= 1 and self.ws.cell(row=row, column=col).value not in (None, "")

        while filled(r + step[0], c + step[1]) and r + step[0] <= self.ws.max_row + 1:
            r, c = r + step[0], c + step[1]
        return Range(self.sheet, (r, c))

    def clear_contents(self):
        for row in self._cells():
            for c in row:
                c.value = None

    def clear(self):
        for row in self._cells():
            for c in row:
                c.value = None
                c.style = "Normal"

    def __call__(self, arg1, arg2=None):
        if arg2 is None:
            col = (arg1 - 1) % self.shape[1]
            row = (arg1 - 1 - col) // self.shape[1]
            return self(row + 1, col + 1)
        return Range(self.sheet, (self.row + arg1 - 1, self.column + arg2 - 1))


class Note:
    def __init__(self, cell) -> None:
        self.cell = cell

    @property
    def api(self):
        return self.cell.comment

    @property
    def text(self):
        return self.cell.comment.text

    @text.setter
    def text(self, value):
        self.cell.comment = Comment(value, self.cell.comment.author or "xlfin")

    @property
    def author(self):
        return self.cell.comment.author

    def delete(self):
        self.cell.comment = None


# ---------------------------------------------------------------- tables


class _ListObjectApi:
    """The bit of Excel's COM ListObject the adapter uses where xlwings has no wrapper (Delete)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def Delete(self):
        t = self.table
        c1, r1, c2, r2 = range_boundaries(t.xl.ref)
        Range(t.sheet, (r1, c1), (r2, c2)).clear()
        del t.sheet.ws.tables[t.xl.name]


class Table(base_classes.Table):
    def __init__(self, sheet: Sheet, xl: XlTable) -> None:
        self.sheet = sheet
        self.xl = xl

    @property
    def api(self):
        return _ListObjectApi(self)

    @property
    def parent(self):
        return self.sheet

    @property
    def name(self):
        return self.xl.displayName

    @name.setter
    def name(self, value):
        tables = self.sheet.ws.tables
        del tables[self.xl.name]
        self.xl.name = self.xl.displayName = value
        tables[value] = self.xl

    def _bounds(self):
        c1, r1, c2, r2 = range_boundaries(self.xl.ref)
        return r1, c1, r2, c2

    @property
    def range(self):
        r1, c1, r2, c2 = self._bounds()
        return Range(self.sheet, (r1, c1), (r2, c2))

    @property
    def header_row_range(self):
        r1, c1, _, c2 = self._bounds()
        return Range(self.sheet, (r1, c1), (r1, c2)) if self.show_headers else None

    @property
    def data_body_range(self):
        r1, c1, r2, c2 = self._bounds()
        first = r1 + (1 if self.show_headers else 0)
        last = r2 - (1 if self.show_totals else 0)
        return Range(self.sheet, (first, c1), (last, c2)) if last >= first else None

    @property
    def show_headers(self):
        return self.xl.headerRowCount != 0

    @property
    def show_totals(self):
        return bool(self.xl.totalsRowCount)

    @property
    def show_autofilter(self):
        return self.xl.autoFilter is not None

    def resize(self, rng):
        impl = getattr(rng, "impl", rng)
        r1, _, _, _ = self._bounds()
        if impl.row != r1:
            raise ExcelError("The header row must stay in the same row (ListObject.Resize)")
        _check_overlap(self.sheet, impl, skip=self.xl.name)
        ref = f"{get_column_letter(impl.column)}{impl.row}:{get_column_letter(impl.arg2[1])}{impl.arg2[0]}"
        self.xl.ref = ref
        if self.xl.autoFilter is not None:
            self.xl.autoFilter.ref = ref
        headers = impl.raw_value[0]
        self.xl.tableColumns = [TableColumn(id=j + 1, name=str(h) if h is not None else f"Column{j + 1}")
                                for j, h in enumerate(headers)]


def _check_overlap(sheet: Sheet, rng: Range, skip: str | None = None) -> None:
    for t in sheet.ws.tables.values():
        if t.name == skip:
            continue
        c1, r1, c2, r2 = range_boundaries(t.ref)
        if r1 <= rng.arg2[0] and r2 >= rng.row and c1 <= rng.arg2[1] and c2 >= rng.column:
            raise ExcelError(f"A table cannot overlap another table ({t.name})")


class Tables(base_classes.Tables):
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    @property
    def api(self):
        return self.sheet.ws.tables

    def __call__(self, name_or_index):
        tables = list(self.sheet.ws.tables.values())
        if isinstance(name_or_index, numbers.Number):
            return Table(self.sheet, tables[int(name_or_index) - 1])
        for t in tables:
            if t.displayName.lower() == str(name_or_index).lower():
                return Table(self.sheet, t)
        raise KeyError(name_or_index)

    def __len__(self):
        return len(self.sheet.ws.tables)

    def __iter__(self):
        for t in list(self.sheet.ws.tables.values()):
            yield Table(self.sheet, t)

    def __contains__(self, name):
        return any(t.displayName.lower() == str(name).lower() for t in self.sheet.ws.tables.values())

    def add(self, source_type=None, source=None, link_source=None, has_headers=True, destination=None,
            table_style_name="TableStyleMedium2", name=None):
        rng = source.impl
        _check_overlap(self.sheet, rng)
        book = self.sheet.book.xl
        existing = {t.displayName.lower() for ws in book.worksheets for t in ws.tables.values()}
        name = name or f"Table{len(existing) + 1}"
        if name.lower() in existing:
            raise ExcelError(f"A table named {name} already exists")
        ref = f"{get_column_letter(rng.column)}{rng.row}:{get_column_letter(rng.arg2[1])}{rng.arg2[0]}"
        xl = XlTable(displayName=name, ref=ref)
        xl.tableStyleInfo = TableStyleInfo(name=table_style_name, showRowStripes=True)
        xl._initialise_columns()
        headers = rng.raw_value[0]
        for j, h in enumerate(headers):
            xl.tableColumns[j].name = str(h) if h is not None else f"Column{j + 1}"
        self.sheet.ws.add_table(xl)
        return Table(self.sheet, xl)


# ---------------------------------------------------------------- registration


def install() -> tuple[Any, Any]:
    """Register the fake engine and make it active; returns (engine, previous active) for `uninstall`."""
    previous = xw.engines.active
    engine = xw.engines.engines_by_name.get(ENGINE_NAME)
    if engine is None:
        engine = xw.main.Engine(impl=Engine())
        xw.engines.add(engine)
    engine.activate()
    return engine, previous


def uninstall(engine: Any, previous: Any) -> None:
    """Remove the fake engine (and every app it holds) and restore the engine that was active."""
    engine.impl.apps._apps.clear()
    if engine in xw.engines.engines:
        xw.engines.engines.remove(engine)
    xw.engines.engines_by_name.pop(ENGINE_NAME, None)
    xw.engines.active = previous


def open_book(path: Path) -> xw.Book:
    """`xw.Book(path)` as a user's macro would, on the fake Excel (an App is started when none runs)."""
    return xw.Book(str(path))


# ---------------------------------------------------------------- sample workbooks (file and live tests share them)

import random
import zipfile

from openpyxl.worksheet.datavalidation import DataValidation

from xlfin import schema
from xlfin.schema.settings import config_rows
from xlfin.template.tables import write_table

CUSTOMERS = [
    ["C001", "Acme Ltd", "Ann", "+1 555 0100", "ann@acme.test", "Retail", "East", 30, 10000, "USD", "Active", "No",
     None],
    ["C002", "Beta GmbH", "Bo", None, None, "Tech", "West", None, 5000, None, "On Hold", "Yes", "slow payer"],
    ["00123", "Gamma 有限公司", None, None, None, None, None, 45, None, "USD", None, None, None],
]
# zh-CN invoice rows by key; the sheet holds them under shuffled zh headers with a user column
INVOICES = [
    {"invoice_no": "INV-1", "customer_id": "C001", "invoice_date": dt.datetime(2026, 1, 5), "amount": 1200.5,
     "doc_type": "发票", "due_date": dt.datetime(2026, 2, 4), "currency": "USD"},
    {"invoice_no": "INV-2", "customer_id": "C002", "invoice_date": dt.datetime(2026, 1, 9), "amount": "12O0",
     "notes": "text in a money column"},
    {"invoice_no": "CN-1", "customer_id": "C001", "invoice_date": "2026年3月5日", "amount": 100,
     "doc_type": "贷项通知单"},
]
PAYMENTS = [
    ["P-1", dt.datetime(2026, 2, 1), "C001", "ACME LTD", 1100.5, "USD", "Bank Transfer", "=HYPERLINK(\"http://x\",\"y\")",
     "INV-1", None],
    ["P-2", dt.datetime(2026, 2, 3), None, "Beta", 50, "USD", "Cheque", "+cmd|' /C calc'!A0", None, None],
]
INVOICE_TOP_LEFT = (3, 2)  # header row 3, column B
USER_COLUMN = "我的备注"


def _shuffled_invoice_keys(seed: int = 7) -> list[str]:
    keys = [c.key for c in schema.INVOICES.input_columns]
    random.Random(seed).shuffle(keys)
    return keys


def build_sample(path: Path, *, language: str = "en") -> dict[str, Any]:
    """The SPEC input tables in one workbook, in the shapes users make them. Returns facts the tests check."""
    wb = XlWorkbook()
    ws = wb.active
    ws.title = "Customers"
    write_table(ws, schema.CUSTOMERS, CUSTOMERS, "en")

    inv = wb.create_sheet("应收发票")  # zh-CN, no ListObject: a header row in shuffled order plus a user column
    inv["B1"] = "发票清单"
    keys = _shuffled_invoice_keys()
    top, left = INVOICE_TOP_LEFT
    for j, k in enumerate(keys + [USER_COLUMN]):
        inv.cell(row=top, column=left + j, value=schema.INVOICES.column(k).zh if k != USER_COLUMN else k)
    for i, rec in enumerate(INVOICES, start=1):
        for j, k in enumerate(keys):
            inv.cell(row=top + i, column=left + j, value=rec.get(k))
        inv.cell(row=top + i, column=left + len(keys), value=f"mine {i}")

    pay = wb.create_sheet("Payments")
    write_table(pay, schema.PAYMENTS, PAYMENTS, "en")
    dv = DataValidation(type="list", formula1='"Bank Transfer,Cheque,Cash,Card,Other"', allow_blank=True)
    dv.add("G2:G200")
    pay.add_data_validation(dv)
    pay["L1"] = "=SUM(E2:E3)"  # a user's formula next to the table

    cfg = wb.create_sheet("Config")  # tblConfig as a header row only, tblDunningLevels as a ListObject below
    rows = [(k, language if k == "language" else v, d) for k, v, d in config_rows("en")]
    cfg.append(schema.CONFIG.headers("en"))
    for r in rows:
        cfg.append(list(r))
    levels_top = len(rows) + 3
    write_table(cfg, schema.DUNNING_LEVELS, [[1, 1, "Reminder", "reminder", 0], [2, 20, "Firm", "firm", 25.5]], "en",
                top_left=(levels_top, 1))

    notes = wb.create_sheet("Notes")  # a user's sheet with merged cells, outside any table
    notes["A1"] = "my notes"
    notes.merge_cells("A1:C1")
    wb.save(path)
    return {"keys": keys, "levels_top": levels_top, "config_rows": len(rows)}


VBA_BYTES = b"\xd0\xcf\x11\xe0" + bytes(range(256)) * 8  # stands for a vbaProject.bin; never parsed
CUSTOM_UI = (b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon><tabs>'
             b'<tab id="xlfin" label="xlfin"><group id="g" label="Data"><button id="b" label="Validate" '
             b'onAction="RibbonXlfin.OnValidate" image="logo"/></group></tab></tabs></ribbon></customUI>')
CUSTOM_UI_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
                  b'openxmlformats.org/package/2006/relationships"><Relationship Id="logo" Type="http://schemas.'
                  b'openxmlformats.org/officeDocument/2006/relationships/image" Target="images/logo.png"/>'
                  b'</Relationships>')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
UI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


def make_xlsm(xlsx: Path, xlsm: Path) -> None:
    """An openpyxl-saved .xlsx turned into a macro workbook with a vbaProject and a ribbon (customUI14)."""
    with zipfile.ZipFile(xlsx) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    ct = ct.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                                '<Default Extension="png" ContentType="image/png"/>'
                                '<Override PartName="/customUI/customUI14.xml" ContentType="application/xml"/>'
                                "</Types>")
    parts["[Content_Types].xml"] = ct.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/'
                                            '2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    root = parts["_rels/.rels"].decode()
    root = root.replace("</Relationships>", f'<Relationship Id="rIdUi" Type="{UI_REL_TYPE}" '
                                            'Target="customUI/customUI14.xml"/></Relationships>')
    parts["_rels/.rels"] = root.encode()
    parts["xl/vbaProject.bin"] = VBA_BYTES
    parts["customUI/customUI14.xml"] = CUSTOM_UI
    parts["customUI/_rels/customUI14.xml.rels"] = CUSTOM_UI_RELS
    parts["customUI/images/logo.png"] = PNG
    with zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
