"""A generated worksheet as XML: cells, Excel Tables, column widths, frozen header, hyperlinks, charts.

`GeneratedSheet` collects what a generated sheet shows; `render` turns it into the worksheet part and the parts it
needs (tables, drawing, charts) for `write.PackageWriter`. Cells are encoded a column at a time with one encoding per
distinct value (dates, codes and names repeat in thousands of rows), so no object is built per cell.

Generated cells follow Excel's own rules: an empty value is no cell at all (never an empty inline string, which Excel
repairs), text is an inline string and never a formula (a leading `=`, `+`, `-` or `@` gets the quote prefix,
SPEC §8), numbers are plain `<v>`, dates are serials with a date format.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from ..schema import Column, Lang, Table
from ..xlsx_tables import (
    DEFAULT_WIDTHS,
    HEADER_FILL,
    ILLEGAL_CHARACTERS_RE,
    MAX_CELL_CHARS,
    NUMBER_FORMATS,
    TABLE_STYLE,
    _shown_column,
    cell_value,
)
from .limits import EXCEL_MAX_COLS, EXCEL_MAX_ROWS
from .opc import escape
from .styles import CellStyle, StyleBook

HEADER_STYLE = CellStyle(bold=True, color="FFFFFFFF", fill="FF" + str(HEADER_FILL.fgColor.rgb)[-6:], wrap=True,
                         vcenter=True)
FORMULA_LEADS = ("=", "+", "-", "@")
EPOCH_1900 = dt.datetime(1899, 12, 30)
EPOCH_1904 = dt.datetime(1904, 1, 1)
DATE_FORMAT = NUMBER_FORMATS["date"]
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"
TIME_FORMAT = "h:mm:ss"


class Formula(str):
    """A cell formula (without the leading `=`), written as `<f>`; only xlfin's own formulas are ever this type —
    text from outside is a plain `str` and stays text."""


@dataclass(frozen=True)
class SharedFormula:
    """One cell of a shared formula (Excel's own form for a column filled with the same formula): the first cell
    carries the text and the range, the others only the shared index."""

    text: str
    index: int
    ref: str | None = None


def column_letter(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass
class TableSpec:
    name: str
    first_row: int
    first_col: int
    last_row: int
    headers: list[str]


@dataclass
class ChartSpec:
    """A native chart: kind (bar, col, pie, line), its title, the data block (header row, first/last data row,
    category column, value columns), the number format of the value axis and where its top-left corner sits."""

    kind: str
    title: str
    header_row: int
    first_row: int
    last_row: int
    category_col: int
    value_cols: list[int]
    anchor: tuple[int, int]  # (row, col), 1-based
    number_format: str | None = None
    size_cm: tuple[float, float] = (15.0, 8.5)


@dataclass
class GeneratedSheet:
    """Everything one generated sheet shows; nothing is written until the package is saved."""

    rows: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    tables: list[TableSpec] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (cell, target)
    charts: list[ChartSpec] = field(default_factory=list)
    frozen_rows: int = 0
    landscape_fit: bool = False
    # The sheet-protection element the privacy layer adds (`<sheetProtection .../>`), written after the cells where
    # the schema puts it.
    protection: str = ""
    _cells: list[tuple[int, int, object, CellStyle]] = field(default_factory=list)
    _columns: list[tuple[int, int, Sequence[object], CellStyle, bool, Callable[[object], object] | None]] = field(
        default_factory=list)

    # ------------------------------------------------ what callers put on the sheet

    def cell(self, row: int, col: int, value: object, style: CellStyle = CellStyle()) -> None:
        self._cells.append((row, col, value, style))

    def column(self, first_row: int, col: int, values: Sequence[object], style: CellStyle = CellStyle(),
               link: bool = False, convert: Callable[[object], object] | None = None) -> None:
        """Values down one column from `first_row`, each passed through `convert` (once per distinct value);
        `link`: each value is also a hyperlink to itself."""
        self._columns.append((first_row, col, values, style, link, convert))

    def width(self, col: int, width: float) -> None:
        self.widths[col] = width

    def add_table(self, table: Table, rows: Sequence[Sequence[object]], lang: Lang, top_left: tuple[int, int],
                  name: str | None = None) -> TableSpec:
        """A schema table: header row in `lang`, rows in schema column order, as an Excel Table (an empty table
        keeps one blank data row, as a ListObject needs one)."""
        top, left = top_left
        ncols = len(table.columns)
        headers = [c.label(lang) for c in table.columns]
        for j, label in enumerate(headers):
            self.cell(top, left + j, label, HEADER_STYLE)
        for j, column in enumerate(table.columns):
            self.width(left + j, column.width or DEFAULT_WIDTHS.get(column.type, 14))
            values = [row[j] if j < len(row) else None for row in rows]
            style = CellStyle(NUMBER_FORMATS.get(column.type))
            self.column(top + 1, left + j, values, style, link=column.type == "link", convert=converter(column, lang))
        spec = TableSpec(name or table.name, top, left, top + max(len(rows), 1), headers)
        if ncols:
            self.tables.append(spec)
        return spec

    # ------------------------------------------------ rendering

    def encode(self, styles: StyleBook, date1904: bool = False) -> tuple[list[bytes], str | None]:
        """The <sheetData> element as a list of byte chunks, and the dimension ref (None for an empty sheet).

        Each column is encoded once per distinct value (a shared tail string per value); rows are then assembled
        in order and flushed in chunks, so memory holds the tails' references and one chunk of rows, not a string
        per cell."""
        enc = _Encoder(styles, date1904)
        singles: dict[int, list[tuple[int, str]]] = {}
        used_cols: set[int] = set()
        for row, col, value, style in self._cells:
            tail = enc.tail(value, style)
            if tail is not None:
                singles.setdefault(row, []).append((col, f'<c r="{column_letter(col)}{row}"{tail}'))
                used_cols.add(col)
        groups: dict[tuple[int, int], list[tuple[int, str, list[str | None]]]] = {}
        for first_row, col, values, style, link, convert in self._columns:
            tails = self._column_tails(enc, first_row, col, values, style, link, convert)
            if any(t is not None for t in tails):
                used_cols.add(col)
                groups.setdefault((first_row, len(values)), []).append((col, column_letter(col), tails))
        spans = sorted((first_row, first_row + n, sorted(cols, key=lambda c: c[0]))
                       for (first_row, n), cols in groups.items())
        rows = set(singles)
        for start, stop, _ in spans:
            rows.update(range(start, stop))
        if not rows or not used_cols:
            return [b"<sheetData/>"], None
        max_row = max(rows)
        if max_row > EXCEL_MAX_ROWS:
            raise ValueError(f"a generated sheet would need row {max_row:,}, beyond Excel's {EXCEL_MAX_ROWS:,}")
        if max(used_cols) > EXCEL_MAX_COLS:
            raise ValueError(f"a generated sheet would need column {max(used_cols)}, beyond Excel's {EXCEL_MAX_COLS}")
        chunks = [b"<sheetData>"]
        pending: list[str] = []
        first_used = None
        for r in sorted(rows):
            pieces = list(singles.get(r, ()))
            for start, stop, cols in spans:
                if start <= r < stop:
                    i = r - start
                    text = "".join(f'<c r="{letter}{r}"{tails[i]}' for _, letter, tails in cols
                                   if tails[i] is not None)
                    if text:
                        pieces.append((cols[0][0], text))
            if not pieces:
                continue
            if first_used is None:
                first_used = r
            if len(pieces) > 1:
                pieces.sort(key=lambda c: c[0])
            pending.append(f'<row r="{r}">' + "".join(p[1] for p in pieces) + "</row>")
            if len(pending) >= 20_000:
                chunks.append("".join(pending).encode("utf-8"))
                pending = []
        chunks.append("".join(pending).encode("utf-8"))
        chunks.append(b"</sheetData>")
        dimension = f"{column_letter(min(used_cols))}{first_used}:{column_letter(max(used_cols))}{max_row}"
        return chunks, dimension

    def _column_tails(self, enc: _Encoder, first_row: int, col: int, values: Sequence[object], style: CellStyle,
                      link: bool, convert: Callable[[object], object] | None) -> list[str | None]:
        """Each value's cell XML after the address (None for no cell), one string per distinct value."""
        letter = column_letter(col)
        cache: dict[tuple, tuple[object, str | None]] = {}
        base = enc.attr(style)
        out: list[str | None] = []
        for i, value in enumerate(values):
            try:
                key = (value.__class__, value)
                got = cache.get(key)
            except TypeError:  # an unhashable value: no caching
                key, got = None, None
            if got is None:
                shown = convert(value) if convert is not None else value
                got = (shown, enc.tail(shown, style, base))
                if key is not None:
                    cache[key] = got
            out.append(got[1])
            if link and got[1] is not None and isinstance(got[0], str) and got[0]:
                self.links.append((f"{letter}{first_row + i}", got[0]))
        return out


def converter(column: Column, lang: Lang) -> Callable[[object], object]:
    """What a plain value becomes in a generated cell: closed-list values as their label in `lang` (the shared
    `cell_value` rule), text without the control characters XML cannot hold, NaN as blank."""
    shown = _shown_column(column)
    if shown.choices:
        return lambda v: cell_value(v, shown, lang)
    return _plain


def _plain(value: object) -> object:
    if value.__class__ is str:
        text = value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value)  # type: ignore[union-attr]
        return text[:MAX_CELL_CHARS]
    if value.__class__ is float and value != value:
        return None
    return value


class _Encoder:
    """A value -> the XML of its cell after the address; None when the value makes no cell."""

    def __init__(self, styles: StyleBook, date1904: bool) -> None:
        self.styles = styles
        self.epoch = EPOCH_1904 if date1904 else EPOCH_1900
        self._attr: dict[CellStyle, str] = {}

    def attr(self, style: CellStyle) -> str:
        got = self._attr.get(style)
        if got is None:
            xf = self.styles.xf(style)
            got = self._attr[style] = f' s="{xf}"' if xf else ""
        return got

    def tail(self, value: object, style: CellStyle, base: str | None = None) -> str | None:
        """`base`: the style attribute of `style`, when the caller has it already."""
        if value is None:
            return None
        kind = value.__class__
        if kind is SharedFormula:
            if value.ref is None:
                return f'{base or self.attr(style)}><f t="shared" si="{value.index}"/></c>'
            return (f'{base or self.attr(style)}><f t="shared" ref="{value.ref}" si="{value.index}">'
                    f'{escape(value.text, quote=False)}</f></c>')
        if kind is Formula:
            return f'{base or self.attr(style)}><f>{escape(str(value), quote=False)}</f></c>'
        if kind is str or isinstance(value, str):
            text = str(value)
            if not text:
                return None
            attr = self.attr(style.with_quote()) if text.startswith(FORMULA_LEADS) else base or self.attr(style)
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            return f'{attr} t="inlineStr"><is><t{space}>{escape(text, quote=False)}</t></is></c>'
        if kind is bool or kind is np.bool_:
            return f'{base or self.attr(style)} t="b"><v>{int(bool(value))}</v></c>'
        if isinstance(value, dt.datetime):
            if getattr(value, "tzinfo", None) is not None:
                value = value.replace(tzinfo=None)
            if value != value:  # NaT
                return None
            serial = (value - self.epoch).total_seconds() / 86400
            fmt = style if style.number_format else CellStyle(DATETIME_FORMAT)
            return self.number(serial, fmt)
        if isinstance(value, dt.date):
            serial = (dt.datetime(value.year, value.month, value.day) - self.epoch).days
            fmt = style if style.number_format else CellStyle(DATE_FORMAT)
            return self.number(serial, fmt)
        if isinstance(value, dt.time):
            serial = (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
            return self.number(serial, style if style.number_format else CellStyle(TIME_FORMAT))
        if isinstance(value, (int, float, Decimal)) or hasattr(value, "dtype"):
            return self.number(value, style, base)
        return self.tail(str(value), style)

    def number(self, value: object, style: CellStyle, base: str | None = None) -> str | None:
        if isinstance(value, Decimal):
            if not value.is_finite():
                return None
            text = format(value, "f")
        else:
            try:
                f = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return self.tail(str(value), style)
            if math.isnan(f) or math.isinf(f):
                return None
            if isinstance(value, int) or (hasattr(value, "dtype") and "int" in str(getattr(value, "dtype", ""))):
                text = str(int(value))  # type: ignore[call-overload]
            else:
                text = repr(f)
                if text.endswith(".0"):
                    text = text[:-2]
        return f'{base or self.attr(style)}><v>{text}</v></c>'


ValueFunction = Callable[[object], object]
TABLE_STYLE_NAME = TABLE_STYLE
