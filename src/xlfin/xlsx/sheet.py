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
from ..xlsx_tables import DEFAULT_WIDTHS, HEADER_FILL, NUMBER_FORMATS, TABLE_STYLE, _shown_column, cell_value
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
    _columns: list[tuple[int, int, list[object], CellStyle, str | None]] = field(default_factory=list)

    # ------------------------------------------------ what callers put on the sheet

    def cell(self, row: int, col: int, value: object, style: CellStyle = CellStyle()) -> None:
        self._cells.append((row, col, value, style))

    def column(self, first_row: int, col: int, values: list[object], style: CellStyle = CellStyle(),
               link: bool = False) -> None:
        """Values down one column from `first_row`; `link`: each value is also a hyperlink to itself."""
        self._columns.append((first_row, col, values, style, "link" if link else None))

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
            shown = _shown_column(column)
            values = [_value(row[j] if j < len(row) else None, shown, lang) for row in rows]
            style = CellStyle(NUMBER_FORMATS.get(column.type))
            self.column(top + 1, left + j, values, style, link=column.type == "link")
        spec = TableSpec(name or table.name, top, left, top + max(len(rows), 1), headers)
        if ncols:
            self.tables.append(spec)
        return spec

    # ------------------------------------------------ rendering

    def encode(self, styles: StyleBook, date1904: bool = False) -> tuple[bytes, str | None]:
        """The <sheetData> element and the dimension ref (None for an empty sheet)."""
        enc = _Encoder(styles, date1904)
        rows: dict[int, list[tuple[int, str]]] = {}
        for row, col, value, style in self._cells:
            tail = enc.tail(value, style)
            if tail is not None:
                rows.setdefault(row, []).append((col, f'<c r="{column_letter(col)}{row}"{tail}'))
        for first_row, col, values, style, kind in self._columns:
            letter = column_letter(col)
            cache: dict[tuple, str | None] = {}
            for i, value in enumerate(values):
                try:
                    key = (value.__class__, value)
                    tail = cache[key] if key in cache else cache.setdefault(key, enc.tail(value, style))
                except TypeError:
                    tail = enc.tail(value, style)
                if tail is None:
                    continue
                r = first_row + i
                rows.setdefault(r, []).append((col, f'<c r="{letter}{r}"{tail}'))
                if kind == "link" and isinstance(value, str) and value:
                    self.links.append((f"{letter}{r}", value))
        if not rows:
            return b"<sheetData/>", None
        max_row = max(rows)
        if max_row > EXCEL_MAX_ROWS:
            raise ValueError(f"a generated sheet would need row {max_row:,}, beyond Excel's {EXCEL_MAX_ROWS:,}")
        cols = [c for cells in rows.values() for c, _ in (cells[0], cells[-1])]
        parts = ["<sheetData>"]
        for r in sorted(rows):
            cells = rows[r]
            if len(cells) > 1:
                cells.sort(key=lambda c: c[0])
            parts.append(f'<row r="{r}">' + "".join(c[1] for c in cells) + "</row>")
        parts.append("</sheetData>")
        first_col = min(min(c for c, _ in cells) for cells in rows.values())
        last_col = max(max(c for c, _ in cells) for cells in rows.values())
        del cols
        if last_col > EXCEL_MAX_COLS:
            raise ValueError(f"a generated sheet would need column {last_col}, beyond Excel's {EXCEL_MAX_COLS}")
        dimension = f"{column_letter(first_col)}{min(rows)}:{column_letter(last_col)}{max_row}"
        return "".join(parts).encode("utf-8"), dimension


def _value(value: object, column: Column, lang: Lang) -> object:
    return cell_value(value, column, lang)


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

    def tail(self, value: object, style: CellStyle) -> str | None:
        if value is None:
            return None
        kind = value.__class__
        if kind is str or isinstance(value, str):
            text = str(value)
            if not text:
                return None
            if text.startswith(FORMULA_LEADS):
                style = style.with_quote()
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            return f'{self.attr(style)} t="inlineStr"><is><t{space}>{escape(text, quote=False)}</t></is></c>'
        if kind is bool or kind is np.bool_:
            return f'{self.attr(style)} t="b"><v>{int(bool(value))}</v></c>'
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
            return self.number(value, style)
        return self.tail(str(value), style)

    def number(self, value: object, style: CellStyle) -> str | None:
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
        return f'{self.attr(style)}><v>{text}</v></c>'


ValueFunction = Callable[[object], object]
TABLE_STYLE_NAME = TABLE_STYLE
