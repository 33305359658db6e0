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
from itertools import chain

import numpy as np
import pandas as pd

from ..schema import Column, Lang, Table
from ..schema.tables import CellColumn, CellColumns
from .formats import (
    DEFAULT_WIDTHS,
    HEADER_FILL_RGB,
    HEADER_FONT_RGB,
    ILLEGAL_CHARACTERS_RE,
    MAX_CELL_CHARS,
    NUMBER_FORMATS,
    TABLE_STYLE,
    _shown_column,
    cell_value,
)
from .limits import EXCEL_MAX_COLS, EXCEL_MAX_ROWS
from .opc import escape
from .read import collector_paused
from .styles import CellStyle, StyleBook

HEADER_STYLE = CellStyle(bold=True, color=HEADER_FONT_RGB, fill=HEADER_FILL_RGB, wrap=True,
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
        # the schema's converted columns as they are (no rows made and taken apart again), or a list of rows
        columns = rows.columns if isinstance(rows, CellColumns) and len(rows.columns) == ncols else \
            _columns_of(rows, ncols)
        for j, (column, values) in enumerate(zip(table.columns, columns)):
            self.width(left + j, column.width or DEFAULT_WIDTHS.get(column.type, 14))
            style = CellStyle(NUMBER_FORMATS.get(column.type))
            self.column(top + 1, left + j, values, style, link=column.type == "link", convert=converter(column, lang))
        spec = TableSpec(name or table.name, top, left, top + max(len(rows), 1), headers)
        if ncols:
            self.tables.append(spec)
        return spec

    # ------------------------------------------------ rendering

    def encode(self, styles: StyleBook, date1904: bool = False) -> tuple[list[bytes], str | None]:
        """The <sheetData> element as a list of byte chunks, and the dimension ref (None for an empty sheet).

        Each column is encoded once per distinct value, and numbers and dates a whole column at a time (see
        `_column_tails`). Rows are then assembled without a Python step per cell or per row: every column and
        every single cell is a *source* over a range of rows; the rows are cut into intervals over which the same
        sources write, and each interval's rows are laid out as one object matrix of string pieces (row tag,
        each cell's address and its XML) that one `"".join` turns into text, a chunk of rows at a time. Blocks
        side by side (the Reconciliation sheet at Excel's row limit) and single cells inside a block cost no
        more than a block alone."""
        with collector_paused():
            return self._encode(styles, date1904)

    def _encode(self, styles: StyleBook, date1904: bool) -> tuple[list[bytes], str | None]:
        enc = _Encoder(styles, date1904)
        sources: list[_Source] = []
        for order, (row, col, value, style) in enumerate(self._cells):
            tail = enc.tail(value, style)
            if tail is not None:
                sources.append(_Source(row, row + 1, col, ['"' + tail], np.ones(1, dtype=bool),
                                       (col, 0, order, 0, 0)))
        for order, (first_row, col, values, style, link, convert) in enumerate(self._columns):
            pieces, has = self._column_tails(enc, first_row, col, values, style, link, convert)
            if has.any():
                stop = first_row + len(values)
                sources.append(_Source(first_row, stop, col, pieces, has, (col, 1, first_row, stop, order)))
        if not sources:
            return [b"<sheetData/>"], None
        max_row = max(s.stop for s in sources) - 1
        if max_row > EXCEL_MAX_ROWS:
            raise ValueError(f"a generated sheet would need row {max_row:,}, beyond Excel's {EXCEL_MAX_ROWS:,}")
        max_col = max(s.col for s in sources)
        if max_col > EXCEL_MAX_COLS:
            raise ValueError(f"a generated sheet would need column {max_col}, beyond Excel's {EXCEL_MAX_COLS}")
        # Excel wants a row's cells in column order; within one column (a single cell on top of a block's cell,
        # which xlfin never writes) the single comes first, then the blocks by their rows, as they were given
        sources.sort(key=lambda s: s.key)
        bounds = sorted({s.start for s in sources} | {s.stop for s in sources})
        chunks = [b"<sheetData>"]
        first_used = 0
        for a, b in zip(bounds, bounds[1:]):
            active = [s for s in sources if s.start <= a and s.stop >= b]
            if not active:  # rows between blocks: nothing to write
                continue
            for at in range(a, b, _ROWS_PER_CHUNK):
                text, first = _rows_xml(at, min(at + _ROWS_PER_CHUNK, b), active)
                if text:
                    chunks.append(text.encode("utf-8"))
                    first_used = first_used or first
        chunks.append(b"</sheetData>")
        min_col = min(s.col for s in sources)
        dimension = f"{column_letter(min_col)}{first_used}:{column_letter(max_col)}{max_row}"
        return chunks, dimension

    def _column_tails(self, enc: _Encoder, first_row: int, col: int, values: Sequence[object], style: CellStyle,
                      link: bool, convert: Callable[[object], object] | None) -> tuple[Pieces, np.ndarray]:
        """Each value's cell XML after the address, from the closing quote of the address on, as pieces that
        joined in order give it ('' for no cell), and which values make a cell. Values are grouped by class; a
        number or date column is formatted as a whole, anything else once per distinct value (through
        `_Encoder.tail`, the one definition of a cell). A column of one class (blanks aside) keeps its pieces
        apart (the constant head and foot of its cells are not copied into each cell's text); a column of several
        classes gets one text per cell."""
        n = len(values)
        plain = convert is None or convert is _plain
        base = enc.attr(style)
        typed = isinstance(values, CellColumn) and values.kind is not None and plain and not link
        if isinstance(values, CellColumn):
            # a schema column as converted: its values are of one known class, so the class of each cell need not
            # be looked at, and the values go to their encoder as the typed array (else: its plain cells)
            cells = values.values if typed else np.fromiter(values.cells(), dtype=object, count=n)
        else:
            cells = np.fromiter(values, dtype=object, count=n) if not isinstance(values, np.ndarray) else \
                values.astype(object, copy=False).reshape(-1)
        has = np.zeros(n, dtype=bool)
        shown_of: dict[int, object] = {}
        groups = []
        for kind, at in (_typed_groups(values) if typed else _class_groups(cells)):
            if kind is type(None) and (convert is None or convert(None) is None):
                continue
            sub = cells[at]
            if plain and kind in _FLOAT_KINDS:
                got, ok = _float_pieces(sub, base)
            elif plain and kind is int:
                got, ok = _int_pieces(sub, base)
            elif plain and kind is dt.date:
                got, ok = _date_pieces(sub, enc, style)
            elif plain and kind is str and not link:
                got, ok = _str_pieces(sub, enc, style, base, convert)
            else:
                got, ok = _generic_tails(sub, enc, style, base, convert, shown_of if link else None, at)
                got = [got]
            groups.append((at, got, ok))
            has[at] = ok
        if link:
            letter = column_letter(col)
            for i in np.flatnonzero(has).tolist():
                shown = shown_of.get(i)
                if isinstance(shown, str) and shown:
                    self.links.append((f"{letter}{first_row + i}", shown))
        if len(groups) == 1:  # one class: its pieces, spread over the rows when blanks are among them
            at, got, _ = groups[0]
            if len(at) == n:
                return got, has
            return [piece if isinstance(piece, str) else _spread(piece, at, n) for piece in got], has
        tails = np.full(n, "", dtype=object)
        for at, got, ok in groups:
            tails[at] = _joined(got, ok)
        return [tails], has


def _columns_of(rows: Sequence[Sequence[object]], width: int) -> list[Sequence[object]]:
    """Rows -> `width` columns, a short row padded with None (a longer one cut). Rows of exactly `width` values
    (every row the schema's cell conversion makes) are laid into one object matrix by a C-level pass, and its
    columns are views; a Python loop per cell (or zip's iterator per row, which wakes the garbage collector) cost
    several times more at a million rows."""
    if not rows:
        return [() for _ in range(width)]
    if width and set(map(len, rows)) == {width}:
        grid = np.fromiter(chain.from_iterable(rows), dtype=object, count=len(rows) * width)
        grid = grid.reshape(len(rows), width)
        return [grid[:, j] for j in range(width)]
    return [[row[j] if j < len(row) else None for row in rows] for j in range(width)]


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


def _class_groups(cells: np.ndarray) -> list[tuple[type, np.ndarray]]:
    """The cells' classes in order of first appearance, each with the positions of its cells. A column has one or
    two classes (its type and blanks), so each class is picked out by one comparison of the remaining cells'
    classes with it (numpy compares the class objects by identity, several times faster than hashing them); a
    numpy scalar type is compared with `is` one by one (numpy would take it for a dtype)."""
    kinds = _CLASS_OF(cells) if len(cells) else cells
    rest = np.arange(len(cells))
    out = []
    while len(rest):
        kind = kinds[0]
        same = np.frompyfunc(lambda k, kind=kind: k is kind, 1, 1)(kinds).astype(bool) \
            if issubclass(kind, np.generic) else kinds == kind
        if same.all():
            out.append((kind, rest))
            break
        out.append((kind, rest[same]))
        rest, kinds = rest[~same], kinds[~same]
    return out


def _typed_groups(column: CellColumn) -> list[tuple[type, np.ndarray]]:
    """`_class_groups` of a typed column's cells: its class at the present values (blanks are no cell)."""
    at = np.flatnonzero(column.present)
    return [(column.kind, at)] if len(at) else []  # type: ignore[list-item]


_FLOAT_KINDS = (float, np.float64)
_EPOCH_ORDINAL = {False: EPOCH_1900.toordinal(), True: EPOCH_1904.toordinal()}
_UNIX_ORDINAL = dt.date(1970, 1, 1).toordinal()


Pieces = list  # of str (the same for every cell) and object arrays (a text per cell): joined in order, a cell's XML


def _joined(pieces: Pieces, ok: np.ndarray) -> np.ndarray:
    """Each cell's pieces as one text ('' where the value makes no cell)."""
    out: object = ""
    for piece in pieces:
        out = out + piece
    texts = np.full(len(ok), "", dtype=object)
    texts[ok] = out[ok] if isinstance(out, np.ndarray) else out
    return texts


def _spread(piece: np.ndarray, at: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    out[at] = piece
    return out


def _float_tails(values: np.ndarray, base: str) -> tuple[np.ndarray, np.ndarray]:
    """`_float_pieces` as one text per cell."""
    pieces, ok = _float_pieces(values, base)
    return _joined(pieces, ok), ok


def _float_pieces(values: np.ndarray, base: str) -> tuple[Pieces, np.ndarray]:
    """Floats as `<v>` with Python's shortest round-trip repr, a whole number without its ".0" (as `_Encoder.number`
    writes them); NaN and infinities make no cell. 0.0 and -0.0 are one value, as in a dict: every zero is written
    as the column's first zero is ("-0" or "0").

    Money (a whole number of cents over 100, below 10**13: what the schema's cell conversion makes) is written from
    its cents with integer arithmetic: such a value has at most 15 significant digits, so its shortest round-trip
    repr is exactly its decimal digits without trailing zeros. Whole numbers below 1e16 (whose repr is the integer
    and ".0") are written as integers, anything else through repr once per distinct value."""
    floats = values.astype(np.float64)
    ok = np.isfinite(floats)
    body = np.full(len(floats), "", dtype=object)
    frac = np.full(len(floats), "", dtype=object)
    with np.errstate(invalid="ignore", over="ignore"):
        cents = np.round(floats * 100)
        money = ok & (np.abs(cents) < 1e15) & (cents / 100 == floats)
    at = np.flatnonzero(money)
    if len(at):
        whole_cents = np.abs(cents[at]).astype(np.int64)
        digits = np.array(list(map(str, (whole_cents // 100).tolist())), dtype=object)
        negative = np.flatnonzero(np.signbit(floats[at]))
        if len(negative):
            digits[negative] = "-" + digits[negative]
        body[at] = digits
        frac[at] = _CENTS[whole_cents % 100]
    rest = np.flatnonzero(ok & ~money)
    if len(rest):
        finite = floats[rest]
        _, first, inverse = np.unique(finite, return_index=True, return_inverse=True)
        unique = finite[first]
        whole = (unique == np.floor(unique)) & (np.abs(unique) < 1e16)
        texts = np.empty(len(unique), dtype=object)
        texts[whole] = list(map(str, unique[whole].astype(np.int64).tolist()))
        texts[~whole] = list(map(repr, unique[~whole].tolist()))
        body[rest] = texts[inverse.reshape(-1)]
    zeros = np.flatnonzero(floats == 0)
    if len(zeros):
        body[zeros] = "-0" if np.signbit(floats[zeros[0]]) else "0"
        frac[zeros] = ""
    return [f'"{base}><v>', body, frac, "</v></c>"], ok


# cents 0..99 after the whole part as the shortest repr writes them: "", ".01"... ".09", ".1", ".11"...
_CENTS = np.array([""] + [f".{c:02d}".rstrip("0") for c in range(1, 100)], dtype=object)


def _int_pieces(values: np.ndarray, base: str) -> tuple[Pieces, np.ndarray]:
    texts = np.array(list(map(str, values.tolist())), dtype=object)
    return [f'"{base}><v>', texts, "</v></c>"], np.ones(len(values), dtype=bool)


def _date_pieces(values: np.ndarray, enc: _Encoder, style: CellStyle) -> tuple[Pieces, np.ndarray]:
    """Dates as whole serial days from the workbook's epoch, in the column's date format (yyyy-mm-dd without);
    each distinct day formatted once."""
    if values.dtype.kind == "M":  # datetime64[D] days, all within datetime.date's range (CellColumn)
        serials = values.astype("datetime64[D]").view(np.int64) + _UNIX_ORDINAL
    else:
        serials = np.fromiter(map(dt.date.toordinal, values.tolist()), dtype=np.int64, count=len(values))
    serials -= _EPOCH_ORDINAL[enc.epoch is EPOCH_1904]
    unique, inverse = np.unique(serials, return_inverse=True)
    fmt = style if style.number_format else CellStyle(DATE_FORMAT)
    texts = np.array(list(map(str, unique.tolist())), dtype=object)
    return [f'"{enc.attr(fmt)}><v>', texts[inverse.reshape(-1)], "</v></c>"], np.ones(len(values), dtype=bool)


def _str_pieces(values: np.ndarray, enc: _Encoder, style: CellStyle, base: str,
                convert: Callable[[object], object] | None) -> tuple[Pieces, np.ndarray]:
    """Text as inline strings, once per distinct text. Texts that need nothing but escaping (most: printable, no
    leading formula character, no surrounding space) are escaped all at once, joined by a control character no
    printable text contains; the others (found by one regex pass over the same joined text) go through
    `_Encoder.tail` one by one, which gives their whole cell (head and foot empty)."""
    # every value is a str (one class group): no blank to keep apart, so factorize needs no null mask of its own
    codes, unique = pd.factorize(values, use_na_sentinel=True)
    texts: list[str] = unique.tolist()
    joined = "\x01".join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    special = set(np.flatnonzero((lengths == 0) | (lengths > MAX_CELL_CHARS)).tolist())
    if not joined.replace("\x01", "").isprintable() or joined.count("\x01") != len(texts) - 1:
        special.update(i for i, t in enumerate(texts) if not t.isprintable())
    if joined.count("\x01") != len(texts) - 1:
        # a text holds the separator itself (a control character, so it is special and `_Encoder.tail` writes it):
        # it stands as an empty text in the joined one, or the split would shift every later text by one
        safe = ["" if "\x01" in t else t for t in texts]
        joined = "\x01".join(safe)
        lengths = np.fromiter(map(len, safe), dtype=np.int64, count=len(safe))
    ends = np.cumsum(lengths + 1)  # one past each text's separator
    framed = "\x01" + joined + "\x01"
    leads = np.asarray([m.start() for m in _LEAD.finditer(framed)], dtype=np.int64)
    trails = np.asarray([m.start() for m in _TRAIL.finditer(framed)], dtype=np.int64)
    special.update(np.searchsorted(ends, leads, side="right").tolist())
    special.update((np.searchsorted(ends, trails, side="right") - 1).tolist())
    special.discard(len(texts))
    body = np.array(joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split("\x01"),
                    dtype=object)
    head = f'"{base} t="inlineStr"><is><t>'
    foot = "</t></is></c>"
    ok = np.ones(len(texts), dtype=bool)
    if not special:
        return [head, body[codes], foot], ok[codes]
    heads = np.full(len(texts), head, dtype=object)
    foots = np.full(len(texts), foot, dtype=object)
    for i in special:
        tail = enc.tail(convert(texts[i]) if convert is not None else texts[i], style, base)
        heads[i] = foots[i] = ""
        body[i] = "" if tail is None else '"' + tail
        ok[i] = tail is not None
    return [heads[codes], body[codes], foots[codes]], ok[codes]


# In "\x01" + texts joined by "\x01" + "\x01", the separator before a text that starts with a formula character or a
# space, and the separator after a text that ends with a space (searchsorted maps a separator to the text after it).
# Both patterns start with the separator, so the regex engine looks only at separators, not at every character.
_LEAD = re.compile("\x01(?=[=+\\-@\\s])")
_TRAIL = re.compile("\x01(?<=\\s\x01)")


def _generic_tails(values: np.ndarray, enc: _Encoder, style: CellStyle, base: str,
                   convert: Callable[[object], object] | None, shown_of: dict[int, object] | None,
                   at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of one class, encoded once per distinct value (text, Decimal, datetime, a choice label...)."""
    n = len(values)
    out = np.full(n, "", dtype=object)
    ok = np.zeros(n, dtype=bool)
    try:
        # one class: str values hold no null, so no null mask is needed to keep nulls apart
        codes, unique = pd.factorize(values, use_na_sentinel=True) if values[0].__class__ is str else \
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


_ROWS_PER_CHUNK = 16_384  # rows joined into one piece of text (a few MB): bounds the memory of the assembly


@dataclass
class _Source:
    """Cells one column (or one single cell) writes over rows start..stop-1: each one's XML after the address as
    pieces (constant strings and arrays of a text per row, see `_column_tails`) and which rows have a cell (`has`).
    `key` orders the sources of a row: by column, then as the old per-row merge ordered them."""

    start: int
    stop: int
    col: int
    pieces: Pieces
    has: np.ndarray
    key: tuple
    prefix: str = ""

    def __post_init__(self) -> None:
        self.prefix = '<c r="' + column_letter(self.col)


def _rows_xml(start: int, stop: int, active: list[_Source]) -> tuple[str, int]:
    """Rows start..stop-1 as XML, written by `active` (every one covers these rows, in column order), and the first
    of them that has a cell (0 for none). Each row is a line of an object matrix: the row tag, then per source the
    address prefix, the row number and the cell's pieces ('' where the source has no cell); a row without any cell
    is blanked whole. One join makes the text: no string is built per cell or per row."""
    n = stop - start
    m = np.empty((n, 4 + sum(2 + len(s.pieces) for s in active)), dtype=object)
    numbers = np.array(list(map(str, range(start, stop))), dtype=object)
    m[:, 0] = '<row r="'
    m[:, 1] = numbers
    m[:, 2] = '">'
    m[:, -1] = "</row>"
    any_cell = np.zeros(n, dtype=bool)
    c = 3
    for source in active:
        at = start - source.start
        has = source.has[at:at + n]
        first = c
        m[:, c] = source.prefix
        m[:, c + 1] = numbers
        c += 2
        for piece in source.pieces:
            m[:, c] = piece if isinstance(piece, str) else piece[at:at + n]
            c += 1
        if not has.all():
            m[~has, first:c] = ""
        any_cell |= has
    if not any_cell.any():
        return "", 0
    if not any_cell.all():
        m[~any_cell] = ""
    return "".join(m.ravel().tolist()), start + int(np.argmax(any_cell))


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
