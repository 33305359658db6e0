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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

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
    landscape_fit: bool = False  # printed on A4 landscape, fitted to one page wide
    # (first_row, first_col, last_row, last_col) printed: the sheet's `_xlnm.Print_Area` defined name
    print_area: tuple[int, int, int, int] | None = None
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

        Each column is encoded once per distinct value, and numbers and dates a whole column at a time; the cells
        of a column are then put together with numpy's element-wise string concatenation and each row joined
        once, so the Python work per cell is a few C-level operations rather than a function call."""
        enc = _Encoder(styles, date1904)
        singles: dict[int, list[tuple[int, str]]] = {}
        used_cols: set[int] = set()
        for row, col, value, style in self._cells:
            tail = enc.tail(value, style)
            if tail is not None:
                singles.setdefault(row, []).append((col, f'<c r="{column_letter(col)}{row}"{tail}'))
                used_cols.add(col)
        groups: dict[tuple[int, int], list[tuple[int, str, np.ndarray, np.ndarray]]] = {}
        for first_row, col, values, style, link, convert in self._columns:
            tails, has = self._column_tails(enc, first_row, col, values, style, link, convert)
            if has.any():
                used_cols.add(col)
                groups.setdefault((first_row, len(values)), []).append((col, column_letter(col), tails, has))
        spans = sorted((first_row, first_row + n, sorted(cols, key=lambda c: c[0]))
                       for (first_row, n), cols in groups.items())
        max_row = max([*singles, *(stop - 1 for _, stop, _ in spans)], default=0)
        if (not singles and not spans) or not used_cols:
            return [b"<sheetData/>"], None
        if max_row > EXCEL_MAX_ROWS:
            raise ValueError(f"a generated sheet would need row {max_row:,}, beyond Excel's {EXCEL_MAX_ROWS:,}")
        if max(used_cols) > EXCEL_MAX_COLS:
            raise ValueError(f"a generated sheet would need column {max(used_cols)}, beyond Excel's {EXCEL_MAX_COLS}")
        # rows several sources write to (a single cell inside a block, blocks side by side) are merged one by one,
        # pieces in column order as Excel requires; every other row is one block's row or one row of singles
        cover = np.zeros(max_row + 2, dtype=np.int32)
        for start, stop, _ in spans:
            cover[start] += 1
            cover[stop] -= 1
        cover = np.cumsum(cover)
        shared = {r for r in singles if cover[r] > 0} | {int(r) for r in np.flatnonzero(cover > 1)}
        texts: list[str | None] = [None] * (max_row + 1)
        pieces_of: dict[int, list[tuple[int, str]]] = {r: list(singles.get(r, ())) for r in shared}
        for start, stop, cols in spans:
            bodies = _row_bodies(start, stop, cols)
            texts[start:stop] = [f'<row r="{r}">{b}</row>' if b else None for r, b in zip(range(start, stop), bodies)]
            for r in shared:  # cell by cell, so that a single cell between two of the block's columns sorts in
                if start <= r < stop:
                    i = r - start
                    pieces_of[r].extend((c, f'<c r="{letter}{r}{tails[i]}') for c, letter, tails, has in cols
                                        if has[i])
        for r, pieces in singles.items():
            if r not in shared:
                texts[r] = f'<row r="{r}">' + "".join(p[1] for p in sorted(pieces, key=lambda c: c[0])) + "</row>"
        for r, pieces in pieces_of.items():
            pieces.sort(key=lambda c: c[0])
            texts[r] = f'<row r="{r}">' + "".join(p[1] for p in pieces) + "</row>" if pieces else None
        chunks = [b"<sheetData>"]
        present = [t for t in texts if t is not None]
        first_used = next(r for r, t in enumerate(texts) if t is not None)
        for at in range(0, len(present), 20_000):
            chunks.append("".join(present[at:at + 20_000]).encode("utf-8"))
        chunks.append(b"</sheetData>")
        dimension = f"{column_letter(min(used_cols))}{first_used}:{column_letter(max(used_cols))}{max_row}"
        return chunks, dimension

    def _column_tails(self, enc: _Encoder, first_row: int, col: int, values: Sequence[object], style: CellStyle,
                      link: bool, convert: Callable[[object], object] | None) -> tuple[np.ndarray, np.ndarray]:
        """Each value's cell XML after the address, from the closing quote of the address on ('' for no cell),
        and which values make a cell. Values are grouped by class; a number or date column is formatted as a
        whole, anything else once per distinct value (through `_Encoder.tail`, the one definition of a cell)."""
        n = len(values)
        cells = np.fromiter(values, dtype=object, count=n) if not isinstance(values, np.ndarray) else \
            values.astype(object, copy=False).reshape(-1)
        tails = np.full(n, "", dtype=object)
        has = np.zeros(n, dtype=bool)
        shown_of: dict[int, object] = {}
        # each cell's class as a small code (comparing an object array with a numpy scalar type misfires)
        codes, classes = pd.factorize(_CLASS_OF(cells)) if n else (np.zeros(0, dtype=np.int64), [])
        plain = convert is None or convert is _plain
        base = enc.attr(style)
        for code, kind in enumerate(classes):
            at = np.flatnonzero(codes == code)
            if kind is type(None) and (convert is None or convert(None) is None):
                continue
            sub = cells[at]
            if plain and kind in _FLOAT_KINDS:
                got, ok = _float_tails(sub, base)
            elif plain and kind is int:
                got, ok = _int_tails(sub, base)
            elif plain and kind is dt.date:
                got, ok = _date_tails(sub, enc, style)
            elif plain and kind is str and not link:
                got, ok = _str_tails(sub, enc, style, base, convert)
            else:
                got, ok = _generic_tails(sub, enc, style, base, convert, shown_of if link else None, at)
            tails[at] = got
            has[at] = ok
        if link:
            letter = column_letter(col)
            for i in np.flatnonzero(has).tolist():
                shown = shown_of.get(i)
                if isinstance(shown, str) and shown:
                    self.links.append((f"{letter}{first_row + i}", shown))
        return tails, has


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


_CLASS_OF = np.frompyfunc(type, 1, 1)  # each cell's class, in one C-level loop
_FLOAT_KINDS = (float, np.float64)
_EPOCH_ORDINAL = {False: EPOCH_1900.toordinal(), True: EPOCH_1904.toordinal()}


def _float_tails(values: np.ndarray, base: str) -> tuple[np.ndarray, np.ndarray]:
    """Floats as `<v>` with Python's shortest round-trip repr, a whole number without its ".0" (as `_Encoder.number`
    writes them), formatted once per distinct value from its first occurrence (0.0 and -0.0 are one value, as in a
    dict); NaN and infinities make no cell. Whole numbers below 1e16 (whose repr is the integer and ".0") are
    written as integers, the rest through repr."""
    floats = values.astype(np.float64)
    ok = np.isfinite(floats)
    finite = floats[ok]
    _, first, inverse = np.unique(finite, return_index=True, return_inverse=True)
    unique = finite[first]
    whole = (unique == np.floor(unique)) & (np.abs(unique) < 1e16)
    texts = np.empty(len(unique), dtype=object)
    texts[whole] = list(map(str, unique[whole].astype(np.int64).tolist()))
    texts[~whole] = list(map(repr, unique[~whole].tolist()))
    texts[(unique == 0) & np.signbit(unique)] = "-0"  # repr(-0.0) is "-0.0"
    out = np.full(len(values), "", dtype=object)
    out[ok] = ((f'"{base}><v>' + texts) + "</v></c>")[inverse.reshape(-1)]
    return out, ok


def _int_tails(values: np.ndarray, base: str) -> tuple[np.ndarray, np.ndarray]:
    head = f'"{base}><v>'
    texts = np.array(list(map(str, values.tolist())), dtype=object)
    return (head + texts) + "</v></c>", np.ones(len(values), dtype=bool)


def _date_tails(values: np.ndarray, enc: _Encoder, style: CellStyle) -> tuple[np.ndarray, np.ndarray]:
    """Dates as whole serial days from the workbook's epoch, in the column's date format (yyyy-mm-dd without)."""
    serials = np.fromiter(map(dt.date.toordinal, values.tolist()), dtype=np.int64, count=len(values))
    serials -= _EPOCH_ORDINAL[enc.epoch is EPOCH_1904]
    fmt = style if style.number_format else CellStyle(DATE_FORMAT)
    head = f'"{enc.attr(fmt)}><v>'
    texts = np.array(list(map(str, serials.tolist())), dtype=object)
    return (head + texts) + "</v></c>", np.ones(len(values), dtype=bool)


def _str_tails(values: np.ndarray, enc: _Encoder, style: CellStyle, base: str,
               convert: Callable[[object], object] | None) -> tuple[np.ndarray, np.ndarray]:
    """Text as inline strings, once per distinct text. Texts that need nothing but escaping (most: printable, no
    leading formula character, no surrounding space) are escaped all at once, joined by a control character no
    printable text contains; the others (found by one regex pass over the same joined text) go through
    `_Encoder.tail` one by one."""
    codes, unique = pd.factorize(values, use_na_sentinel=False)
    texts: list[str] = unique.tolist()
    joined = "\x01".join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    special = set(np.flatnonzero((lengths == 0) | (lengths > MAX_CELL_CHARS)).tolist())
    if not joined.replace("\x01", "").isprintable():
        special.update(i for i, t in enumerate(texts) if not t.isprintable())
    ends = np.cumsum(lengths + 1)  # one past each text's separator
    edges = [m.start() for m in _EDGE.finditer("\x01" + joined + "\x01")]
    special.update(np.searchsorted(ends, np.asarray(edges, dtype=np.int64), side="right").tolist())
    special.discard(len(texts))
    escaped = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split("\x01")
    tails = (f'"{base} t="inlineStr"><is><t>' + np.array(escaped, dtype=object)) + "</t></is></c>"
    ok = np.ones(len(texts), dtype=bool)
    for i in special:
        tail = enc.tail(convert(texts[i]) if convert is not None else texts[i], style, base)
        tails[i] = "" if tail is None else '"' + tail
        ok[i] = tail is not None
    return tails[codes], ok[codes]


# In "\x01" + texts joined by "\x01" + "\x01": a text that starts with a formula character or a space, or ends with a
# space (its match starts at or just before its own separator, so searchsorted maps it to that text)
_EDGE = re.compile("\x01(?=[=+\\-@\\s])|\\s(?=\x01)")


def _generic_tails(values: np.ndarray, enc: _Encoder, style: CellStyle, base: str,
                   convert: Callable[[object], object] | None, shown_of: dict[int, object] | None,
                   at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of one class, encoded once per distinct value (text, Decimal, datetime, a choice label...)."""
    n = len(values)
    out = np.full(n, "", dtype=object)
    ok = np.zeros(n, dtype=bool)
    try:
        codes, unique = pd.factorize(values, use_na_sentinel=False) if values[0].__class__ is str else \
            _factorize(values)
    except TypeError:  # unhashable values: one at a time
        codes, unique = np.arange(n), values
    shown = [convert(v) if convert is not None else v for v in unique]
    tails = [enc.tail(v, style, base) for v in shown]
    unique_out = np.array(["" if t is None else '"' + t for t in tails], dtype=object)
    unique_ok = np.array([t is not None for t in tails], dtype=bool)
    out[:] = unique_out[codes]
    ok[:] = unique_ok[codes]
    if shown_of is not None:
        for i, code in enumerate(codes.tolist()):
            shown_of[int(at[i])] = shown[code]
    return out, ok


def _factorize(values: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """Codes and distinct values by Python equality within one class (as a dict sees them)."""
    index: dict[object, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values.tolist()), dtype=np.int64,
                        count=len(values))
    return codes, list(index)


def _row_bodies(start: int, stop: int, cols: list[tuple[int, str, np.ndarray, np.ndarray]]) -> list[str]:
    """The cells of rows start..stop-1 of one block of columns, each row's cells joined ('' for no cell)."""
    numbers = np.array(list(map(str, range(start, stop))), dtype=object)
    parts = []
    for _, letter, tails, has in cols:
        if has.all():
            parts.append(((f'<c r="{letter}' + numbers) + tails).tolist())
            continue
        cells = np.full(len(tails), "", dtype=object)
        cells[has] = (f'<c r="{letter}' + numbers[has]) + tails[has]
        parts.append(cells.tolist())
    return ["".join(p) for p in zip(*parts)]


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
