"""What moves between a workbook and the engine: a table's raw cells, with where each cell lives.

Adapters (file or live) produce `RawTable`s; `xlfin.schema.frames` turns them into typed frames plus problems that
name the exact cell (`Invoices!D17`). Keeping the location with the data is what lets every message point at
the cell a user must fix.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xlfin.schema import Lang, Table


def column_letter(index: int) -> str:
    """1-based column number -> Excel letters (1 -> A, 28 -> AB)."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class RawTable:
    """A table as found in a workbook.

    frame:    one row per data row, columns = schema keys found (raw cell values, object dtype) followed by the
              user's own columns under their header text (kept, never dropped).
    sheet:    worksheet name; header_row: 1-based worksheet row of the header; first_col: 1-based column of the
              table's first column; positions: key -> 0-based offset of that column within the table.
    """

    table: Table
    frame: pd.DataFrame
    sheet: str
    header_row: int = 1
    first_col: int = 1
    positions: dict[str, int] = field(default_factory=dict)
    language: Lang | None = None
    extra_columns: list[str] = field(default_factory=list)

    def cell(self, key: str | None, row_index: int) -> str:
        """Address of the cell holding `key` in data row `row_index` (0-based), e.g. `Invoices!D17`.

        With no column (a row-level problem) the address is the row's first cell.
        """
        offset = self.positions.get(key, 0) if key else 0
        col = column_letter(self.first_col + offset)
        row = self.header_row + 1 + row_index
        return f"{quote_sheet(self.sheet)}!{col}{row}"

    def __len__(self) -> int:
        return len(self.frame)


def quote_sheet(name: str) -> str:
    """Sheet name as it appears in a reference: quoted when it has spaces or non-ASCII-word characters."""
    if name.replace("_", "").isalnum() and name.isascii():
        return name
    return "'" + name.replace("'", "''") + "'"


class WorkbookError(Exception):
    """The workbook cannot be used as it is (not a workbook, missing table, wrong header...).

    The CLI prints the message as one line and exits 2; the ribbon shows it in an alert. Nothing is written.
    """


def to_cells(df: pd.DataFrame, table: Table) -> list[list[object]]:
    """An engine frame (money in int cents, dates as datetime64) -> rows of plain cell values for any adapter.

    Money -> float with 2 decimals (exact: cents/100 of an int is the nearest double to the decimal amount),
    dates -> datetime.date, bool -> "Yes"/"No", NaN/NA -> None. Columns follow the schema order; a schema column
    the frame lacks is written blank. Text stays text: adapters must write strings as strings (never formulas).

    Each column is converted as a whole (numpy), not cell by cell: a generated sheet has up to a million rows.
    """
    columns = cell_columns(df, table)
    return _rows([c.cells() for c in columns]) if columns else []


@dataclass(frozen=True, eq=False)
class CellColumn:
    """One column of `to_cells`' values, kept as the arrays it was converted into.

    `cells()` is the column as `to_cells` gives it (plain Python values, None for a blank cell). When every value
    is of one class, `kind` names it (float, int, datetime.date or str) and `values[present]` holds the values as
    a typed array (float64, int64, datetime64[D], or object for text), so that a writer can encode the column a
    whole array at a time instead of cell by cell; `kind` is None when only `cells()` says what the values are
    (Python's rounding of fractional cents, a time-zone-aware date, an integer beyond int64)."""

    kind: type | None
    values: np.ndarray | None
    present: np.ndarray | None
    plain: list[object] | None = None

    def __len__(self) -> int:
        return len(self.plain) if self.plain is not None else len(self.present)  # type: ignore[arg-type]

    def cells(self) -> list[object]:
        if self.plain is not None:
            return self.plain
        out = self.values.astype(object)  # type: ignore[union-attr]
        out[~self.present] = None  # type: ignore[operator]
        return out.tolist()


class CellColumns:
    """`to_cells`' result column by column (what `cell_columns` returns): a writer that encodes columns takes
    `columns`; anything that wants rows gets them (made once, on first use), so it stands where rows stand."""

    def __init__(self, columns: list[CellColumn], rows: int) -> None:
        self.columns = columns
        self._n = rows
        self._rows: list[list[object]] | None = None

    def __len__(self) -> int:
        return self._n

    def rows(self) -> list[list[object]]:
        if self._rows is None:
            self._rows = _rows([c.cells() for c in self.columns]) if self.columns else []
        return self._rows

    def __iter__(self):
        return iter(self.rows())

    def __getitem__(self, index):
        return self.rows()[index]

    def __add__(self, other):
        return self.rows() + list(other)

    def __eq__(self, other: object) -> bool:
        return self.rows() == (other.rows() if isinstance(other, CellColumns) else other)

    __hash__ = None  # type: ignore[assignment]


def cell_columns(df: pd.DataFrame, table: Table) -> list[CellColumn]:
    """`to_cells` column by column, in schema order (see `CellColumn`)."""
    n = len(df)
    columns: list[CellColumn] = []
    for col in table.columns:
        if col.key not in df.columns:
            columns.append(CellColumn(float, np.zeros(n), np.zeros(n, dtype=bool)))
            continue
        columns.append(_CONVERT.get(col.type, _text_cells)(df[col.key]))
    return columns


def _rows(columns: list[list[object]]) -> list[list[object]]:
    """Columns -> row lists. The rows hold plain values and no reference cycles, so the cyclic garbage collector has
    nothing to find in them; it is paused while they are made, or each thousand new lists would make it scan the
    heap again (at a million rows that scanning cost more than making the rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return list(map(list, zip(*columns)))
    finally:
        if enabled:
            gc.enable()


def _floats(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()


# Below 2**50 cents (about 11 trillion units) c / 100 is already the double round(c / 100, 2) gives.
_EXACT_CENTS = float(2**50)


def _money_cells(s: pd.Series) -> CellColumn:
    vals = _floats(s)
    blank = np.isnan(vals)
    x = np.where(blank, 0.0, vals)
    if not (np.all(np.abs(x) < _EXACT_CENTS) and np.array_equal(x, np.round(x))):  # fractional cents: Python's round
        return CellColumn(None, None, None, [None if np.isnan(v) else round(float(v) / 100.0, 2) for v in vals])
    return CellColumn(float, x / 100.0, ~blank)


# datetime.date's range, as days since 1970-01-01: numpy turns a day outside it into an int, not a date
_FIRST_DAY = np.datetime64("0001-01-01", "D")
_LAST_DAY = np.datetime64("9999-12-31", "D")


def _date_cells(s: pd.Series) -> CellColumn:
    d = pd.to_datetime(s, errors="coerce")
    if getattr(d.dt, "tz", None) is not None:  # the wall-clock date, as Timestamp.year/month/day give it
        return CellColumn(None, None, None, [None if pd.isna(v) else dt.date(v.year, v.month, v.day) for v in d])
    days = d.to_numpy().astype("datetime64[D]")
    present = ~np.isnat(days)
    if not np.all((days[present] >= _FIRST_DAY) & (days[present] <= _LAST_DAY)):
        return CellColumn(None, None, None, days.astype(object).tolist())
    return CellColumn(dt.date, days, present)  # datetime.date, None for NaT


_YES_NO = np.array(["Yes", "No"], dtype=object)


def _bool_cells(s: pd.Series) -> CellColumn:
    if s.dtype == bool:
        flags = s.to_numpy()
        return CellColumn(str, _YES_NO[(~flags).astype(np.int8)], np.ones(len(flags), dtype=bool))
    # each distinct value once; NA of any kind (None, NaN, pd.NA) is the factorize sentinel -1 -> None
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    shown = np.array([("Yes" if bool(v) else "No") for v in uniques] + [None], dtype=object)
    return CellColumn(str, shown[codes], codes >= 0)


def _int_cells(s: pd.Series) -> CellColumn:
    vals = _floats(s)
    blank = np.isnan(vals)
    x = np.where(blank, 0.0, vals)
    if not np.all(np.abs(x) < 2.0**63):  # int(inf) raises, as it always did; beyond int64 Python ints
        return CellColumn(None, None, None, [None if np.isnan(v) else int(v) for v in vals])
    return CellColumn(int, x.astype(np.int64), ~blank)  # truncation toward zero, as int() does


def _float_cells(s: pd.Series) -> CellColumn:
    vals = _floats(s)
    return CellColumn(float, vals, np.isfinite(vals))


def _text_cells(s: pd.Series) -> CellColumn:
    values = s.to_numpy(dtype=object)
    if set(map(type, values)) <= _STR_OR_NONE:  # the usual column: its blanks are the None cells, nothing to convert
        return CellColumn(str, values, np.not_equal(values, None))
    blank = pd.isna(values)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in ("string", "empty") or any(t is not str and issubclass(t, str) for t in set(map(type, values))):
        values = np.array([v if v.__class__ is str else str(v) for v in values], dtype=object)
    return CellColumn(str, values, ~np.asarray(blank, dtype=bool))


_STR_OR_NONE = {str, type(None)}

_CONVERT = {"money": _money_cells, "date": _date_cells, "bool": _bool_cells, "int": _int_cells,
            "float": _float_cells, "pct": _float_cells}
