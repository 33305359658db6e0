"""xlfin cell formulas (SPEC §5): xlwings UDF wrappers over the engine, one Python call per formula.

Excel imports these through xlwings (``UDF Modules`` = ``xlfin_udfs``, the shim ``udfs/__init__.py``, installed as the package ``xlfin_udfs``). Each
wrapper only converts what Excel hands over (floats, datetimes, text, None, 2-D lists), broadcasts it, calls the
engine once on whole arrays and assembles the per-cell answer. The finance lives in :mod:`xlfin.engine`.

Conventions every formula follows:

- **Ranges**: every argument that takes one value also takes a range; the result has the broadcast shape of those
  arguments (a column with a single cell → that column; a column with a row → a table) and spills as a dynamic array.
  Arguments that are lists by nature (``edges``, ``weights``, ``cutoffs``, ``sales_newest_first``, the experiences of
  ``PAYMENT_INDEX``, the ``values`` of ``ABC_CLASS``) take a range or a text such as ``"30,60,90,120"``.
  From Python, a scalar gives a scalar, a 1-D list a 1-D object ndarray, a 2-D list a 2-D object ndarray.
- **Blanks**: a blank required input gives a blank (None) result in that cell.
- **Errors**: a bad input gives an :class:`XlError` in that cell only — a ``str`` subclass whose value is the Excel
  error text (``#VALUE!``, ``#DIV/0!``, ``#NUM!``, or the error the input cell already held) and whose ``.message``
  says which formula, which argument (and which row of its range) and why. Called from Excel on Windows the error
  becomes a real Excel error value (a COM ``VT_ERROR`` variant); elsewhere the text ``#VALUE!`` travels, which
  xlwings' Office.js engine turns into an error itself. The message is read in the sheet with
  ``=XLFIN_ERROR(cell)`` and in Python with :func:`last_errors`. Problems that concern the whole call (bad
  ``edges``, ranges of different sizes) give one error value. Nothing raises out of a wrapper.

On Linux ``xlwings.func/arg/ret`` are no-ops, so the metadata (argument docs, zh-CN texts, xlwings options) is kept in
:data:`REGISTRY` by :func:`udf`, which then applies the xlwings decorators; :mod:`xlfin.excel.udf_registration` re-applies the
classic decorators to generate the VBA module and :mod:`xlfin.excel.udf_docs` writes the function reference.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import itertools
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from xlfin.engine import dates as xdates
from xlfin.engine import aging, altman, collection, credit, payment_index, ratios, segmentation
from xlfin.engine.money import float_cents, round_half_up_array

__all__ = [
    "ABC_CLASS",
    "AGING_BUCKET",
    "ALTMAN_Z",
    "BEST_DSO",
    "CEI",
    "CLV",
    "CREDIT_GRADE",
    "CREDIT_LIMIT",
    "CREDIT_SCORE",
    "CURRENT_RATIO",
    "DAYS_OVERDUE",
    "DEBT_RATIO",
    "DSO",
    "DSO_COUNTBACK",
    "INTEREST_COVERAGE",
    "PAYMENT_INDEX",
    "QUICK_RATIO",
    "XLFIN_ERROR",
]

# SPEC §5 order, for the function reference
FORMULAS = ("AGING_BUCKET", "DAYS_OVERDUE", "DSO", "DSO_COUNTBACK", "BEST_DSO", "CEI", "PAYMENT_INDEX", "ALTMAN_Z",
            "CREDIT_SCORE", "CREDIT_GRADE", "CREDIT_LIMIT", "CURRENT_RATIO", "QUICK_RATIO", "DEBT_RATIO",
            "INTEREST_COVERAGE", "ABC_CLASS", "CLV", "XLFIN_ERROR")

CATEGORY = "xlfin"
VALUE, DIV0, NUM, NA = "#VALUE!", "#DIV/0!", "#NUM!", "#N/A"
INFINITY_TEXT = "∞"  # Excel has no infinite number; ratios with nothing below the line return this text

# Excel error numbers (XlCVError). Through COM a cell error arrives as the int 0x800A0000 + number (signed).
EXCEL_ERROR_NUMBERS: dict[str, int] = {
    "#NULL!": 2000, "#DIV/0!": 2007, "#VALUE!": 2015, "#REF!": 2023, "#NAME?": 2029, "#NUM!": 2036, "#N/A": 2042,
    "#GETTING_DATA": 2043, "#SPILL!": 2045, "#CONNECT!": 2046, "#BLOCKED!": 2047, "#UNKNOWN!": 2048,
    "#FIELD!": 2049, "#CALC!": 2050,
}
_COM_ERROR_BASE = -2146828288  # 0x800A0000 as a signed 32-bit int
_COM_ERROR_TEXT = {_COM_ERROR_BASE + n: text for text, n in EXCEL_ERROR_NUMBERS.items()}
_CLASSIC_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}
_INFINITY_WORDS = {"∞", "+∞", "inf", "+inf", "infinity", "+infinity"}


# ----------------------------------------------------------------------------------------------------------------
# error values


class XlError(str):
    """One cell's Excel error: ``str(e)`` is the error text (``#VALUE!``), ``e.message`` the reason."""

    def __new__(cls, code: str, message: str = ""):  # returns an XlError (Self needs Python 3.11)
        obj = super().__new__(cls, code)
        obj.message = message
        return obj

    @property
    def code(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"XlError({str(self)!r}, {self.message!r})"

    def __reduce__(self):
        return (XlError, (str(self), self.message))


class _CallError(Exception):
    """A problem with the whole call (not one cell): the formula returns one error value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _com_error_factory() -> Callable[[str], Any] | None:
    """On Windows with pywin32, a VT_ERROR variant per error text (what VBA's CVErr makes); else None."""
    if sys.platform != "win32":
        return None
    try:
        import pythoncom
        from win32com.client import VARIANT
    except ImportError:
        return None

    def make(code: str) -> Any:
        number = EXCEL_ERROR_NUMBERS.get(code if code in _CLASSIC_ERRORS else VALUE)
        return VARIANT(pythoncom.VT_ERROR, _COM_ERROR_BASE + number)

    return make


_COM_ERROR = _com_error_factory()


# ----------------------------------------------------------------------------------------------------------------
# error log behind =XLFIN_ERROR(cell)


@dataclass
class _ErrorBlock:
    function: str
    rows: int
    cols: int
    flat_positions: np.ndarray  # sorted flat indices of the error cells in the result
    errors: list  # XlError per position


class ErrorLog:
    """The error cells of recent formula results, by the result's top-left cell (book, sheet, row, column).

    Bounded: the oldest results are forgotten first once ``max_cells`` error cells are held.
    """

    def __init__(self, max_cells: int = 2_000_000) -> None:
        self.max_cells = max_cells
        self._blocks: OrderedDict[Any, _ErrorBlock] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()
        self.last: tuple[Any, _ErrorBlock] | None = None

    def record(self, anchor: Any, function: str, out: Any, error_mask: np.ndarray | None) -> None:
        with self._lock:
            old = self._blocks.pop(anchor, None)
            if old is not None:
                self._cells -= len(old.errors)
            if error_mask is None or not error_mask.any():
                self.last = (anchor, _ErrorBlock(function, 0, 0, np.zeros(0, np.int64), []))
                return
            grid = np.asarray(out, dtype=object)
            grid2 = grid.reshape(1, 1) if grid.ndim == 0 else grid.reshape(grid.shape[0], -1)
            mask2 = np.asarray(error_mask).reshape(grid2.shape)
            positions = np.flatnonzero(mask2)
            block = _ErrorBlock(function, grid2.shape[0], grid2.shape[1], positions, list(grid2.ravel()[positions]))
            self.last = (anchor, block)
            if anchor is None:
                return
            self._blocks[anchor] = block
            self._cells += len(block.errors)
            while self._cells > self.max_cells and len(self._blocks) > 1:
                _, dropped = self._blocks.popitem(last=False)
                self._cells -= len(dropped.errors)

    def forget(self, anchor: Any) -> None:
        with self._lock:
            old = self._blocks.pop(anchor, None)
            if old is not None:
                self._cells -= len(old.errors)

    def has_blocks(self) -> bool:
        return bool(self._blocks)

    def message_at(self, book: str, sheet: str, row: int, col: int) -> str | None:
        """The message of the error shown in that cell, if an xlfin formula result put one there."""
        with self._lock:
            for (b, s, r0, c0), block in reversed(self._blocks.items()):
                if b != book or s != sheet:
                    continue
                r, c = row - r0, col - c0
                if 0 <= r < block.rows and 0 <= c < block.cols:
                    flat = r * block.cols + c
                    i = int(np.searchsorted(block.flat_positions, flat))
                    if i < len(block.flat_positions) and block.flat_positions[i] == flat:
                        err = block.errors[i]
                        return f"{err.code} {err.message}"
                    return None
        return None

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()
            self._cells = 0
            self.last = None


ERROR_LOG = ErrorLog()


def last_errors() -> list[dict[str, Any]]:
    """The error cells of the most recent formula call: function, (row, column) in the result, code, message."""
    if ERROR_LOG.last is None:
        return []
    _, block = ERROR_LOG.last
    return [{"function": block.function, "position": divmod(int(p), max(block.cols, 1)), "code": e.code,
             "message": e.message} for p, e in zip(block.flat_positions, block.errors)]


_ADDRESS = re.compile(r"^'?\[(?P<book>[^\]]+)\](?P<sheet>.+?)'?!\$?(?P<col>[A-Za-z]{1,3})\$?(?P<row>\d+)")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _cell_key(where: Any) -> tuple[str, str, int, int] | None:
    """(book, sheet, row, column) of a cell's top-left corner, from an external address as VBA's
    ``Range.Address(True, True, xlA1, True)`` writes it (``'[Book 1.xlsm]My Sheet'!$B$2:$B$9``) or from an
    xlwings Range; None when it is neither."""
    if where is None:
        return None
    if isinstance(where, str):
        m = _ADDRESS.match(where.strip())
        if m is None:
            return None
        sheet = m["sheet"].replace("''", "'") if where.strip().startswith("'") else m["sheet"]
        return (m["book"], sheet, int(m["row"]), _column_number(m["col"]))
    try:
        sheet = where.sheet
        return (str(sheet.book.name), str(sheet.name), int(where.row), int(where.column))
    except Exception:  # noqa: BLE001 - anything that is not a range has no address
        return None


# ----------------------------------------------------------------------------------------------------------------
# reading what Excel hands over


@dataclass
class _Arg:
    """One parsed argument: values (float64, datetime64[D] or object), blank and error masks, original rank."""

    name: str
    values: np.ndarray
    blank: np.ndarray
    error_mask: np.ndarray | None = None
    errors: np.ndarray | None = None  # XlError where error_mask
    ndim_in: int = 0  # 0 scalar, 1 a Python 1-D list (treated as a column), 2 a range
    required: bool = True

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape


def _cells(value: Any) -> tuple[np.ndarray, int]:
    """A UDF argument -> (0-d or 2-D array, original rank). 1-D input becomes a column."""
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, (pd.Series, pd.Index)):
        arr = value.to_numpy()
    elif isinstance(value, (list, tuple)):
        arr = _from_nested(value)
    else:
        arr = np.empty((), dtype=object)
        arr[()] = value
    ndim_in = arr.ndim
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim > 2:
        raise _CallError(VALUE, f"a range has {arr.ndim} dimensions; at most 2 are possible")
    return arr, ndim_in


def _from_nested(value: list | tuple) -> np.ndarray:
    n = len(value)
    if n == 0:
        return np.empty((0,), dtype=object)
    if isinstance(value[0], (list, tuple)):
        # xlwings hands over rectangular lists of rows; the width check is what guards Python callers
        try:
            widths = set(map(len, value))
        except TypeError:
            raise _CallError(VALUE, "a range mixes rows and single values") from None
        if len(widths) != 1:
            raise _CallError(VALUE, "the rows of a range have different lengths")
        m = widths.pop()
        flat = np.fromiter(itertools.chain.from_iterable(value), dtype=object, count=n * m)
        return flat.reshape(n, m)
    return np.fromiter(value, dtype=object, count=n)


def _position(index: tuple[int, ...], shape: tuple[int, ...], ndim_in: int) -> str:
    """' (row 3 of its range)' for a cell of a column, ' (row 3, column 2 of its range)' in a table, '' for one value."""
    if ndim_in == 0 or len(shape) < 2:
        return ""
    r, c = index
    if ndim_in == 1:
        return f" (item {r + 1})"
    rows, cols = shape
    if rows > 1 and cols > 1:
        return f" (row {r + 1}, column {c + 1} of its range)"
    if rows > 1:
        return f" (row {r + 1} of its range)"
    if cols > 1:
        return f" (column {c + 1} of its range)"
    return ""


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'text "{value}"' if len(value) <= 40 else f'text "{value[:37]}..."'
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _error_text_of(value: Any) -> str | None:
    """The Excel error an input cell holds (as err_to_str text or as the raw COM int), else None."""
    if isinstance(value, str):
        text = value.strip().upper()
        return text if text in EXCEL_ERROR_NUMBERS else None
    if type(value) is int:
        return _COM_ERROR_TEXT.get(value)
    return None


def _propagated(code_text: str) -> str:
    return code_text if code_text in _CLASSIC_ERRORS else VALUE


class _Builder:
    """Collects per-cell problems of one argument while it is parsed on the slow path."""

    def __init__(self, func: str, name: str, shape: tuple[int, ...], ndim_in: int) -> None:
        self.func, self.name, self.shape, self.ndim_in = func, name, shape, ndim_in
        self.mask = np.zeros(shape, dtype=bool)
        self.errors = np.full(shape, None, dtype=object)

    def add(self, flat_index: int, code: str, problem: str) -> None:
        idx = np.unravel_index(flat_index, self.shape) if self.shape else ()
        where = _position(tuple(int(i) for i in idx), self.shape, self.ndim_in)
        self.mask[idx] = True
        self.errors[idx] = XlError(code, f"{self.func}: {self.name}{where}: {problem}")

    def arg(self, values: np.ndarray, blank: np.ndarray, required: bool) -> _Arg:
        has = bool(self.mask.any())
        return _Arg(self.name, values, blank & ~self.mask, self.mask if has else None,
                    self.errors if has else None, self.ndim_in, required)


def _numeric_fast(arr: np.ndarray) -> np.ndarray | None:
    """float64 view of an array of plain numbers and blanks (None/NaN), or None when it holds anything else."""
    if arr.dtype.kind in "fiu":
        return arr.astype(np.float64, copy=False)
    if arr.dtype != object:
        return None
    flat = arr.ravel()
    kind = pd.api.types.infer_dtype(flat, skipna=True)
    if kind not in ("floating", "integer", "mixed-integer-float", "empty"):
        return None
    vals = flat.astype(np.float64).reshape(arr.shape)
    if kind != "floating":  # ints could be COM error codes (Excel sends real numbers as floats)
        band = (vals >= _COM_ERROR_BASE + 2000) & (vals <= _COM_ERROR_BASE + 2100)
        if band.any():
            return None
    return vals


def _number_cell(value: Any) -> tuple[float, str | None, str | None]:
    """(number, error code, problem) for one cell; NaN with no problem is a blank."""
    if value is None:
        return np.nan, None, None
    err = _error_text_of(value)
    if err is not None:
        return np.nan, _propagated(err), f"the cell holds {err}"
    if isinstance(value, (bool, np.bool_)):
        return np.nan, VALUE, f"{_show(bool(value))} is not a number"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value), None, None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return np.nan, None, None
        if text.lower() in _INFINITY_WORDS:
            return np.inf, None, None
        try:
            return float(text.replace(",", "").replace("，", "")), None, None
        except ValueError:
            return np.nan, VALUE, f"{_show(value)} is not a number"
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        day = xdates.parse_date(value)
        return float(xdates.date_to_serial(day)), None, None  # Excel treats a date as its serial number
    return np.nan, VALUE, f"{type(value).__name__} is not a number"


def _numbers(func: str, name: str, value: Any, *, default: float | None = None, required: bool = True,
             finite: bool = False) -> _Arg:
    """A number argument. ``default`` fills blank cells (and then nothing is blank)."""
    arr, ndim_in = _cells(value)
    vals = _numeric_fast(arr)
    builder = _Builder(func, name, arr.shape, ndim_in)
    if vals is None:
        vals = np.empty(arr.shape, dtype=np.float64)
        flat_out = vals.reshape(-1)
        for i, cell in enumerate(arr.ravel()):
            number, code, problem = _number_cell(cell)
            flat_out[i] = number
            if problem is not None:
                builder.add(i, code, problem)
    else:
        vals = vals.copy() if vals is arr else vals
    blank = np.isnan(vals) & ~builder.mask
    if finite:
        for i in np.flatnonzero(np.isinf(vals)):
            builder.add(int(i), VALUE, "must be a finite number")
            vals.reshape(-1)[i] = np.nan
    if default is not None:
        vals = np.where(blank, float(default), vals)
        blank = np.zeros(arr.shape, dtype=bool)
    return builder.arg(vals, blank, required)


def _dates(func: str, name: str, value: Any, *, blank_is_today: bool = False) -> _Arg:
    """A date argument -> datetime64[D] values. Serials, datetimes, ISO and the locales' date texts are dates."""
    arr, ndim_in = _cells(value)
    builder = _Builder(func, name, arr.shape, ndim_in)
    days: np.ndarray | None = None
    if arr.dtype.kind == "M":
        days = arr.astype("datetime64[D]")
    else:
        serials = _numeric_fast(arr)
        if serials is not None:
            blank = np.isnan(serials)
            bad = ~blank & ((serials < xdates.SERIAL_MIN) | (serials >= xdates.SERIAL_MAX + 1))
            for i in np.flatnonzero(bad):
                builder.add(int(i), VALUE, _not_a_date(float(serials.reshape(-1)[i])))
            days = xdates.serials_to_datetime64(np.where(bad, np.nan, serials))
        elif pd.api.types.infer_dtype(arr.ravel(), skipna=True) in ("datetime", "date", "datetime64"):
            try:
                parsed = pd.to_datetime(pd.Series(arr.ravel(), dtype=object))
                days = parsed.to_numpy(dtype="datetime64[s]").astype("datetime64[D]").reshape(arr.shape)
            except (ValueError, TypeError, OverflowError):
                days = None
    if days is None:
        days = np.full(arr.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        flat_days = days.reshape(-1)
        for i, cell in enumerate(arr.ravel()):
            err = _error_text_of(cell)
            if err is not None:
                builder.add(i, _propagated(err), f"the cell holds {err}")
                continue
            try:
                day = xdates.parse_date(cell)
            except xdates.DateError:
                builder.add(i, VALUE, _not_a_date(cell))
                continue
            if day is not None:
                flat_days[i] = np.datetime64(day, "D")
    blank = np.isnat(days) & ~builder.mask
    if blank_is_today:
        days = np.where(blank, np.datetime64(xdates.today(), "D"), days)
        blank = np.zeros(arr.shape, dtype=bool)
    return builder.arg(days, blank, True)


def _not_a_date(cell: Any) -> str:
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, (bool, np.bool_)):
        return (f"{_show(float(cell))} is not a date (Excel dates are serial numbers {xdates.SERIAL_MIN} to "
                f"{xdates.SERIAL_MAX})")
    return f"{_show(cell)} is not a date"


def _texts(func: str, name: str, value: Any, *, default: str | None = None) -> _Arg:
    """A text argument (stripped); numbers stay numbers for the formula to judge."""
    arr, ndim_in = _cells(value)
    builder = _Builder(func, name, arr.shape, ndim_in)
    flat = arr.ravel()
    if pd.api.types.infer_dtype(flat, skipna=True) in ("string", "empty"):
        # texts and blanks only: stripped in numpy's C loops; error texts (#N/A) are looked at one by one
        missing = np.asarray(pd.isna(flat), dtype=bool)
        stripped = np.strings.strip(np.where(missing, "", flat).astype(str))
        blank = (missing | (stripped == "")).reshape(arr.shape)
        out = stripped.astype(object).reshape(arr.shape)
        flagged = np.flatnonzero(np.strings.startswith(stripped, "#"))
        for i in flagged:
            err = _error_text_of(str(stripped[i]))
            if err is not None:
                builder.add(int(i), _propagated(err), f"the cell holds {err}")
    else:
        out = np.empty(arr.shape, dtype=object)
        flat_out = out.reshape(-1)
        blank = np.zeros(arr.shape, dtype=bool)
        flat_blank = blank.reshape(-1)
        for i, cell in enumerate(flat):
            err = _error_text_of(cell)
            if err is not None:
                builder.add(i, _propagated(err), f"the cell holds {err}")
            elif cell is None or (isinstance(cell, str) and not cell.strip()) or (
                    isinstance(cell, float) and np.isnan(cell)):
                flat_blank[i] = True
            else:
                flat_out[i] = cell.strip() if isinstance(cell, str) else cell
    out[blank | builder.mask] = None
    if default is not None:
        out[blank] = default
        blank = np.zeros(arr.shape, dtype=bool)
    return builder.arg(out, blank, True)


def _list(func: str, name: str, value: Any) -> str | list | None:
    """A list-valued argument: None when omitted or blank, the text as given, or the non-blank cells of a range."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    arr, _ = _cells(value)
    cells = [v for v in arr.ravel() if not (v is None or (isinstance(v, str) and not v.strip())
                                            or (isinstance(v, float) and np.isnan(v)))]
    for v in cells:
        err = _error_text_of(v)
        if err is not None:
            raise _CallError(_propagated(err), f"{func}: {name}: a cell holds {err}")
    if len(cells) == 1 and isinstance(cells[0], str):
        return cells[0]
    return cells or None


def _number_list(func: str, name: str, value: Any) -> list[float] | None:
    """Numbers from a range or a text like "0.15,0.15,0.1" (separators , ; ， ； or spaces)."""
    items = _list(func, name, value)
    if items is None:
        return None
    if isinstance(items, str):
        parts = [p for p in items.replace("，", ",").replace("；", ",").replace(";", ",").replace(" ", ",")
                 .split(",") if p]
    else:
        parts = items
    out = []
    for p in parts:
        number, _, problem = _number_cell(p)
        if problem is not None or np.isnan(number):
            raise _CallError(VALUE, f"{func}: {name}: {_show(p)} is not a number")
        out.append(number)
    return out


# ----------------------------------------------------------------------------------------------------------------
# broadcasting and assembling the answer


@dataclass
class _Grid:
    """Arguments broadcast to the result's shape."""

    func: str
    args: list[_Arg]
    shape: tuple[int, ...]
    out_ndim: int  # 0 scalar, 1 one-dimensional (Python lists in), 2 a range
    error_mask: np.ndarray = field(init=False)
    errors: np.ndarray = field(init=False)
    blank: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.error_mask = np.zeros(self.shape, dtype=bool)
        self.errors = np.full(self.shape, None, dtype=object)
        for a in self.args:
            if a.error_mask is not None:
                new = np.broadcast_to(a.error_mask, self.shape) & ~self.error_mask
                if new.any():
                    self.errors[new] = np.broadcast_to(a.errors, self.shape)[new]
                    self.error_mask |= new
        self.blank = np.zeros(self.shape, dtype=bool)
        for a in self.args:
            if a.required:
                self.blank |= np.broadcast_to(a.blank, self.shape)
        self.blank &= ~self.error_mask

    def values(self, arg: _Arg, fill: Any = np.nan) -> np.ndarray:
        """The argument broadcast to the result shape, with ``fill`` in its error cells (a writable copy)."""
        out = np.array(np.broadcast_to(arg.values, self.shape))
        if arg.error_mask is not None:
            out[np.broadcast_to(arg.error_mask, self.shape)] = fill
        return out

    @property
    def ok(self) -> np.ndarray:
        return ~self.error_mask & ~self.blank

    def fail(self, mask: np.ndarray, code: str, message: str) -> None:
        """Mark cells (not already errors or blank) as errors with one message."""
        mask = mask & ~self.error_mask
        if mask.any():
            self.errors[mask] = XlError(code, f"{self.func}: {message}")
            self.error_mask |= mask
            self.blank &= ~mask

    def adopt(self, mask: np.ndarray, errors: np.ndarray) -> None:
        """Mark cells as errors with ready-made XlError values (keeping their codes)."""
        mask = mask & ~self.error_mask
        if mask.any():
            self.errors[mask] = errors[mask]
            self.error_mask |= mask
            self.blank &= ~mask

    def fail_each(self, mask: np.ndarray, code: str, messages: np.ndarray) -> None:
        mask = mask & ~self.error_mask
        for idx in zip(*np.nonzero(mask)):
            self.errors[idx] = XlError(code, f"{self.func}: {messages[idx]}")
        self.error_mask |= mask
        self.blank &= ~mask

    def result(self, values: np.ndarray, *, undefined: tuple[str, str] | None = None,
               kind: str = "float") -> _Result:
        """Per-cell answer: values where the cell is fine, None where blank, the XlError where bad.

        ``undefined`` = (code, message) for cells whose inputs are fine but the engine found no answer (NaN).
        ``kind``: "float", "int" (whole numbers), "object" (labels, letters) or "ratio" (+inf shown as ∞).
        """
        values = np.broadcast_to(values, self.shape)
        if kind in ("float", "int", "ratio"):
            v = np.asarray(values, dtype=np.float64)
            nan = np.isnan(v) & self.ok
            if undefined is not None:
                self.fail(nan, *undefined)
            else:
                self.blank |= nan
            if kind == "int":
                out = np.where(np.isfinite(v), v, 0).astype(np.int64).astype(object)
            else:
                out = v.astype(object)
                if kind == "ratio":
                    out[np.isposinf(v)] = INFINITY_TEXT
        else:
            out = np.array(values, dtype=object)  # engines give None for blank labels: shown blank as they are
        out[self.blank | ~self.ok] = None
        if self.error_mask.any():
            out[self.error_mask] = self.errors[self.error_mask]
        return _Result(out, self.error_mask, self.out_ndim)


@dataclass
class _Result:
    values: np.ndarray  # object, result shape
    error_mask: np.ndarray | None
    out_ndim: int

    @classmethod
    def single(cls, value: Any) -> _Result:
        arr = np.empty((), dtype=object)
        arr[()] = value
        mask = np.array(isinstance(value, XlError))
        return cls(arr, mask, 0)

    def public(self) -> Any:
        """What a Python caller gets: a scalar, or an object ndarray of the input's rank."""
        if self.out_ndim == 0:
            return self.values.reshape(-1)[0] if self.values.size else None
        if self.out_ndim == 1:
            return self.values.reshape(-1)
        return self.values


def _grid(func: str, *args: _Arg) -> _Grid:
    shapes = [a.shape for a in args]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        sizes = ", ".join(f"{a.name} {a.shape[0]}x{a.shape[1]}" for a in args if a.values.ndim == 2)
        raise _CallError(VALUE, f"{func}: ranges of different sizes ({sizes}); give ranges of one size, "
                                "or single cells") from None
    ranks = [a.ndim_in for a in args if a.ndim_in > 0]
    out_ndim = 0 if not ranks else (1 if all(r == 1 for r in ranks) else 2)
    if out_ndim == 0:
        shape = (1,)  # scalars work as one-element columns; _Result.public() hands back the scalar
    return _Grid(func, list(args), shape, out_ndim)


def _flat(x: np.ndarray) -> np.ndarray:
    """1-D view for engines (they take columns); results are reshaped back."""
    return np.asarray(x).reshape(-1)


def _engine_error(func: str, name: str, exc: Exception) -> _CallError:
    return _CallError(VALUE, f"{func}: {name}: {exc}")


def _numeric_udf(func: str, engine_fn: Callable, inputs: dict[str, Any], *, undefined: tuple[str, str],
                 kind: str = "float", optional: tuple[str, ...] = (),
                 defaults: dict[str, float] | None = None) -> _Result:
    """A formula over numbers only: each argument parsed by name (``optional`` ones may be blank, ``defaults`` fill
    blanks), broadcast, one engine call over the columns in ``inputs`` order, the per-cell answer."""
    defaults = defaults or {}
    nums = [_numbers(func, name, value, required=name not in optional, default=defaults.get(name))
            for name, value in inputs.items()]
    g = _grid(func, *nums)
    out = engine_fn(*(_flat(g.values(a)) for a in nums))
    return g.result(np.reshape(out, g.shape), undefined=undefined, kind=kind)


def _label_udf(func: str, engine_fn: Callable, name: str, value: Any, cutoffs: Any,
               default_cutoffs: tuple[float, ...]) -> _Result:
    """A formula that labels numbers (grade, ABC class) by cut-offs: a bad ``cutoffs`` spoils the whole call."""
    c = _number_list(func, "cutoffs", cutoffs)
    v = _numbers(func, name, value)
    g = _grid(func, v)
    try:
        labels = engine_fn(_flat(g.values(v)), c if c is not None else default_cutoffs)
    except ValueError as exc:
        raise _engine_error(func, "cutoffs", exc) from None
    return g.result(np.asarray(labels, dtype=object).reshape(g.shape), kind="object")


# ----------------------------------------------------------------------------------------------------------------
# the registry and the decorator


@dataclass(frozen=True)
class ArgInfo:
    name: str
    en: str
    zh: str
    kind: str = "cells"  # "cells": one value or a range; "list": a list by nature; "reference": a cell reference;
    # "hidden": not shown in Excel, VBA passes the expression in HIDDEN_VBA instead
    optional: bool = False
    default: Any = None

    @property
    def visible(self) -> bool:
        return self.kind != "hidden"

    @property
    def xlwings_options(self) -> dict[str, Any]:
        if self.kind == "hidden":
            return {"vba": HIDDEN_VBA[self.name]}
        if self.kind == "reference":
            return {"convert": "range"}
        # ndim=2 keeps a column a column (default ndim flattens it); err_to_str lets input errors propagate
        return {"ndim": 2, "err_to_str": True}


@dataclass(frozen=True)
class Example:
    """A worked example: arguments as Excel would hand them (floats, dates, text, 2-D lists for ranges)."""

    args: tuple
    note_en: str = ""
    note_zh: str = ""


@dataclass(frozen=True)
class UdfInfo:
    name: str
    summary_en: str
    summary_zh: str
    returns_en: str
    returns_zh: str
    args: tuple[ArgInfo, ...]
    call_in_wizard: bool
    example: Example | None
    function: Callable[..., Any] = field(compare=False, repr=False)


    @property
    def visible_args(self) -> tuple[ArgInfo, ...]:
        """The arguments a user types in Excel (the VBA function's parameters)."""
        return tuple(a for a in self.args if a.visible)


REGISTRY: OrderedDict[str, UdfInfo] = OrderedDict()

# Hidden arguments: the VBA wrapper passes these expressions (xlwings' ``vba=`` option) instead of user input.
# The caller's external address names the result's top-left cell for the error log; it is a plain string, so unlike
# xlwings' reserved ``caller`` argument it costs no COM call back into Excel.
CALLER_ARG = "caller_address"
HIDDEN_VBA = {
    CALLER_ARG: "Application.Caller.Address(True, True, 1, True)",
    "cell_address": "cell.Address(True, True, 1, True)",
}


def apply_xlwings_decorators(fn: Callable, info: UdfInfo, func_deco: Callable, arg_deco: Callable) -> Callable:
    """@xw.arg per argument (doc and options), then @xw.func on top (it must come last: xlwings' arg decorator
    resets the category)."""
    for a in info.args:
        fn = arg_deco(a.name, doc=a.en, **a.xlwings_options)(fn)
    fn = arg_deco(CALLER_ARG, doc="", vba=HIDDEN_VBA[CALLER_ARG])(fn)
    return func_deco(category=CATEGORY, call_in_wizard=info.call_in_wizard)(fn)


def udf(*, zh: str, returns: tuple[str, str], args: dict[str, tuple[str, str] | tuple[str, str, str]],
        example: Example | None = None, costly: bool = False) -> Callable[[Callable], Callable]:
    """Register a formula: ``args`` maps each parameter to (en doc, zh doc[, kind]); the docstring's first paragraph
    is the English summary (Excel's function description, ≤ 255 characters).

    The function Excel calls gets one extra, hidden parameter ``caller_address`` (the VBA wrapper passes the calling
    cell's external address) so that error messages are filed under the result's address for ``=XLFIN_ERROR(cell)``.
    Called with a caller address on Windows, error cells are handed back as COM error values.
    """

    def deco(impl: Callable) -> Callable:
        sig = inspect.signature(impl)
        if set(args) != set(sig.parameters):
            raise TypeError(f"{impl.__name__}: documented args {sorted(args)} != parameters {list(sig.parameters)}")
        infos = []
        for p in sig.parameters.values():
            en, zh_doc, *kind = args[p.name]
            infos.append(ArgInfo(p.name, en, zh_doc, kind[0] if kind else "cells",
                                 p.default is not inspect.Parameter.empty,
                                 None if p.default is inspect.Parameter.empty else p.default))
        summary = inspect.cleandoc(impl.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        name = impl.__name__
        params = [*sig.parameters.values(),
                  inspect.Parameter(CALLER_ARG, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
        entry_sig = sig.replace(parameters=params, return_annotation=inspect.Signature.empty)

        @functools.wraps(impl)
        def entry(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                bound = entry_sig.bind(*call_args, **call_kwargs)
            except TypeError as exc:
                return _Result.single(XlError(VALUE, f"{name}: {exc}")).public()
            bound.apply_defaults()
            caller = bound.arguments.pop(CALLER_ARG)
            try:
                with np.errstate(all="ignore"):  # undefined cells are reported per cell, not as warnings
                    result = impl(**bound.arguments)
            except _CallError as exc:
                result = _Result.single(XlError(exc.code, exc.message))
            except Exception as exc:  # noqa: BLE001 - a formula never raises into Excel
                result = _Result.single(XlError(VALUE, f"{name}: unexpected problem: {type(exc).__name__}: {exc}"))
            _file_errors(name, caller, result)
            return _to_excel(result) if caller is not None and _COM_ERROR is not None else result.public()

        entry.__signature__ = entry_sig
        entry.__annotations__ = {}
        entry.__doc__ = summary
        info = UdfInfo(name, summary, zh, returns[0], returns[1], tuple(infos), not costly, example, entry)
        entry.xlfin = info
        REGISTRY[name] = info
        return apply_xlwings_decorators(entry, info, xw.func, xw.arg)

    return deco


def _file_errors(name: str, caller: Any, result: _Result) -> None:
    has_errors = result.error_mask is not None and bool(np.any(result.error_mask))
    if caller is None:
        ERROR_LOG.record(None, name, result.values, result.error_mask)
        return
    if not has_errors and not ERROR_LOG.has_blocks():
        return  # nothing to file and nothing stale to forget
    anchor = _cell_key(caller)
    if anchor is None:
        ERROR_LOG.record(None, name, result.values, result.error_mask)
    else:
        ERROR_LOG.record(anchor, name, result.values, result.error_mask)


def _to_excel(result: _Result) -> Any:
    """Windows/COM: XlError cells become VT_ERROR variants, so Excel shows real error values."""
    out = result.values.copy()
    if result.error_mask is not None and np.any(result.error_mask):
        errors = out[result.error_mask]
        variants = np.empty(errors.shape, dtype=object)  # filled one by one: a variant may look like a sequence
        for k, e in enumerate(errors):
            variants[k] = _COM_ERROR(e.code)
        out[result.error_mask] = variants
    return _Result(out, result.error_mask, result.out_ndim).public()


# argument docs (en, zh-CN) that several formulas share, word for word
_DOC: dict[str, tuple[str, str]] = {
    "due_date": ("Due date(s): a date, a serial number or a range of them.", "到期日：日期、序列号或其区域。"),
    "credit_sales": ("Credit sales of the period.", "本期赊销额。"),
    "days": ("Days in the period (default 365).", "期间天数（默认 365）。"),
    "current_assets": ("Current assets.", "流动资产。"),
    "current_liabilities": ("Current liabilities.", "流动负债。"),
    "ebit": ("Earnings before interest and tax.", "息税前利润。"),
    "total_assets": ("Total assets.", "资产总额。"),
    "total_liabilities": ("Total liabilities.", "负债总额。"),
}


def _docs(*names: str) -> dict[str, tuple[str, str]]:
    return {name: _DOC[name] for name in names}


# ----------------------------------------------------------------------------------------------------------------
# ageing


def _due_and_as_of(f: str, due_date: Any, as_of: Any) -> tuple[_Grid, np.ndarray, np.ndarray]:
    """The grid of an ageing formula and its due and as_of columns (a blank as_of is today)."""
    due = _dates(f, "due_date", due_date)
    when = _dates(f, "as_of", as_of, blank_is_today=True)
    g = _grid(f, due, when)
    return g, _flat(g.values(due, np.datetime64("NaT"))), _flat(g.values(when, np.datetime64(xdates.today(), "D")))


@udf(
    zh="到期日的账龄区间（未到期、1-30、31-60、61-90、91-120、120+），按截止日计算；区间由 edges 决定。",
    returns=("Bucket label: Current, 1-30, 31-60, 61-90, 91-120 or 120+ (labels follow edges).",
             "账龄区间名称：Current、1-30、31-60、61-90、91-120 或 120+（随 edges 变化）。"),
    args={
        **_docs("due_date"),
        "as_of": ("Date to age at (default today; use the AsOfDate name). A range ages each row at its own date.",
                  "账龄截止日（默认今天，可用 AsOfDate 名称）；给区域时逐行使用各自日期。"),
        "edges": ("Upper bounds of the buckets in days, e.g. \"30,60,90,120\" or a range (default 30,60,90,120).",
                  "区间上限天数，如 \"30,60,90,120\" 或区域（默认 30,60,90,120）。", "list"),
    },
    example=Example(([[dt.date(2026, 4, 15)], [dt.date(2026, 3, 10)], [dt.date(2026, 2, 1)],
                      [dt.date(2025, 12, 20)], [dt.date(2025, 10, 1)], [None]], dt.date(2026, 3, 31)),
                    "One formula over the column spills one label per due date; the blank stays blank.",
                    "一个公式覆盖整列，逐个到期日溢出结果；空白保持空白。"),
    costly=True,
)
def AGING_BUCKET(due_date, as_of=None, edges=None):
    """Ageing bucket of each due date as of as_of (default today): Current when not yet overdue, else the first
    bucket whose upper bound (edges, default 30,60,90,120) covers the days overdue."""
    f = "AGING_BUCKET"
    edge_list = _list(f, "edges", edges)
    try:
        labels_edges = aging.parse_edges(edge_list)
    except ValueError as exc:
        raise _engine_error(f, "edges", exc) from None
    g, due, when = _due_and_as_of(f, due_date, as_of)
    return g.result(aging.aging_bucket(due, when, labels_edges).reshape(g.shape), kind="object")


@udf(
    zh="到期日至截止日的逾期天数（整数，未到期为 0）。",
    returns=("Whole days overdue, 0 when not yet due.", "逾期整天数，未到期为 0。"),
    args={
        **_docs("due_date"),
        "as_of": (("Date to count to (default today; use the AsOfDate name). A range counts each row to its own "
                  "date, e.g. payment dates."), "计算截止日（默认今天）；给区域时逐行使用各自日期，例如收款日。"),
    },
    example=Example(([[dt.date(2026, 4, 15)], [dt.date(2026, 3, 10)], [dt.date(2026, 2, 1)],
                      [dt.date(2025, 12, 20)], [dt.date(2025, 10, 1)], [None]], dt.date(2026, 3, 31))),
    costly=True,
)
def DAYS_OVERDUE(due_date, as_of=None):
    """Whole days from each due date to as_of (default today), 0 when not yet due."""
    g, due, when = _due_and_as_of("DAYS_OVERDUE", due_date, as_of)
    return g.result(aging.days_overdue(due, when).reshape(g.shape), kind="int")


# ----------------------------------------------------------------------------------------------------------------
# collection metrics


@udf(
    zh="标准应收账款周转天数 DSO = 应收账款 ÷ 赊销额 × 天数。",
    returns=("Days sales outstanding.", "应收账款周转天数。"),
    args={
        "receivables": ("Receivables at the end of the period.", "期末应收账款。"),
        **_docs("credit_sales", "days"),
    },
    example=Example((150000.0, 1800000.0, 365.0)),
)
def DSO(receivables, credit_sales, days=365):
    """Standard DSO = receivables / credit sales x days in the period (default 365)."""
    return _numeric_udf("DSO", collection.dso,
                        {"receivables": receivables, "credit_sales": credit_sales, "days": days},
                        defaults={"days": 365}, undefined=(DIV0, "credit_sales is 0, so DSO is undefined"))


@udf(
    zh="最佳可能 DSO：只用未到期（当期）应收账款计算的 DSO。",
    returns=("Best possible DSO.", "最佳可能应收账款周转天数。"),
    args={
        "current_receivables": ("Receivables not yet due at the end of the period.", "期末未到期应收账款。"),
        **_docs("credit_sales", "days"),
    },
    example=Example((100000.0, 1800000.0, 365.0)),
)
def BEST_DSO(current_receivables, credit_sales, days=365):
    """Best possible DSO = current (not yet due) receivables / credit sales x days (default 365)."""
    return _numeric_udf("BEST_DSO", collection.best_dso,
                        {"current_receivables": current_receivables, "credit_sales": credit_sales, "days": days},
                        defaults={"days": 365}, undefined=(DIV0, "credit_sales is 0, so best DSO is undefined"))


@udf(
    zh="倒推法 DSO：从最近一期起逐期扣减销售额直至应收账款用尽，累计天数（最后一期按比例）。",
    returns=("Countback DSO in days.", "倒推法应收账款周转天数。"),
    args={
        "receivables": ("Receivables now; a column gives one result per row.", "当前应收账款；给一列时逐行计算。"),
        "sales_newest_first": ("Sales per period, newest first: one row (or column) per receivable.",
                               "各期销售额，最近一期在前：每个应收账款对应一行（或一列）。", "list"),
        "days_per_period": ("Days per period (default 30), or one number per period.",
                            "每期天数（默认 30），或每期一个数。", "list"),
    },
    example=Example((212000.0, [[100000.0, 80000.0, 70000.0]], 30.0),
                    "SPEC worked example: 30 + 30 + 32,000 / 70,000 x 30.", "SPEC 算例：30 + 30 + 32,000 / 70,000 × 30。"),
    costly=True,
)
def DSO_COUNTBACK(receivables, sales_newest_first, days_per_period=30):
    """Countback DSO: walk back from the newest period, subtracting each period's sales from the receivables and
    adding its days; the last, partly covered period adds its fraction."""
    f = "DSO_COUNTBACK"
    per = _number_list(f, "days_per_period", days_per_period)
    r = _numbers(f, "receivables", receivables)
    s = _numbers(f, "sales_newest_first", sales_newest_first, required=False)
    g = _grid(f, r)
    rows = int(np.prod(g.shape, dtype=np.int64))
    sales, sales_bad, sales_err = _countback_series(f, r, s, rows)
    bad_rows = sales_bad.any(axis=1)
    if bad_rows.any():  # a bad sales cell spoils its own row's answer only
        first = np.full(rows, None, dtype=object)
        for i in np.flatnonzero(bad_rows):
            first[i] = sales_err[i][sales_bad[i]][0]
        g.adopt(bad_rows.reshape(g.shape), first.reshape(g.shape))
    try:
        days = collection.dso_countback_many(_flat(g.values(r)), sales, per if per is not None else 30)
    except ValueError as exc:
        raise _engine_error(f, "days_per_period", exc) from None
    return g.result(np.reshape(days, g.shape), undefined=(DIV0, "no period with sales > 0 to count back over"))


def _countback_series(f: str, r: _Arg, s: _Arg, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sales as (rows, periods) newest first, one series per receivable, with the error mask and errors alike.

    One receivable: the sales are one row or one column. A column of receivables: one row of sales each (or one
    row shared by all). A row of receivables: one column of sales each.
    """
    sv = s.values.reshape(1, 1) if s.values.ndim == 0 else s.values
    mask = np.zeros(sv.shape, bool) if s.error_mask is None else s.error_mask.reshape(sv.shape)
    errs = np.full(sv.shape, None, object) if s.errors is None else s.errors.reshape(sv.shape)
    rv = r.values
    if rv.size == 1:
        if sv.shape[0] > 1 and sv.shape[1] > 1:
            raise _CallError(VALUE, f"{f}: sales_newest_first must be one row or one column when receivables is "
                                    "one cell")
        return sv.reshape(1, -1), mask.reshape(1, -1), errs.reshape(1, -1)
    if rv.ndim == 2 and rv.shape[1] == 1:
        if sv.shape[0] not in (1, rows):
            raise _CallError(VALUE, f"{f}: receivables has {rows} rows but sales_newest_first has {sv.shape[0]}")
        shape = (rows, sv.shape[1])
        return (np.broadcast_to(sv, shape), np.broadcast_to(mask, shape), np.broadcast_to(errs, shape))
    if rv.ndim == 2 and rv.shape[0] == 1:
        if sv.shape[1] not in (1, rows):
            raise _CallError(VALUE, f"{f}: receivables has {rows} columns but sales_newest_first has "
                                    f"{sv.shape[1]}")
        shape = (sv.shape[0], rows)
        return (np.broadcast_to(sv, shape).T, np.broadcast_to(mask, shape).T, np.broadcast_to(errs, shape).T)
    raise _CallError(VALUE, f"{f}: receivables must be one cell, one column or one row")


@udf(
    zh="回款效率指数 CEI（%）=（期初应收 + 赊销额 − 期末应收）÷（期初应收 + 赊销额 − 期末未到期应收）× 100。",
    returns=("Collection effectiveness index in percent.", "回款效率指数（百分数）。"),
    args={
        "begin_ar": ("Receivables at the start of the period.", "期初应收账款。"),
        **_docs("credit_sales"),
        "end_ar": ("Receivables at the end of the period.", "期末应收账款。"),
        "end_current_ar": ("Receivables not yet due at the end of the period.", "期末未到期应收账款。"),
    },
    example=Example((100000.0, 1000000.0, 120000.0, 100000.0)),
)
def CEI(begin_ar, credit_sales, end_ar, end_current_ar):
    """Collection effectiveness index (%) = (begin AR + credit sales - end AR) / (begin AR + credit sales - end
    current AR) x 100."""
    return _numeric_udf("CEI", collection.cei, {"begin_ar": begin_ar, "credit_sales": credit_sales, "end_ar": end_ar,
                                                "end_current_ar": end_current_ar},
                        undefined=(DIV0, "begin_ar + credit_sales - end_current_ar is 0, so CEI is undefined"))


@udf(
    zh="付款指数（1–100，类似邓白氏的分段线性表，并非 PAYDEX）：按金额加权的逐笔超期天数得分均值；无记录为空。",
    returns=("Payment index 1-100 (blank when there is no experience).", "付款指数 1–100（无记录为空）。"),
    args={
        "days_beyond_terms": ("Days paid beyond terms per payment experience (negative = early); a range.",
                              "每笔付款超出账期的天数（负数为提前）；区域。", "list"),
        "amounts": ("Amount of each experience, same size (default: plain mean).",
                    "每笔金额，与天数区域同样大小（省略则为简单平均）。", "list"),
    },
    example=Example(([[-5.0], [0.0], [15.0], [45.0]], [[1000.0], [2000.0], [500.0], [1500.0]])),
    costly=True,
)
def PAYMENT_INDEX(days_beyond_terms, amounts=None):
    """Payment index 1-100 (D&B-style table, not PAYDEX): the amount-weighted mean of each experience's points
    (-30 days or earlier 100, on time 80, 15 days late 70, 30 days late 50, 120 days late 20)."""
    f = "PAYMENT_INDEX"
    d = _numbers(f, "days_beyond_terms", days_beyond_terms, required=False)
    if d.error_mask is not None:  # one answer from all experiences: a bad one spoils it
        return _Result.single(d.errors[d.error_mask].reshape(-1)[0])
    w = None
    if amounts is not None:
        wa = _numbers(f, "amounts", amounts, required=False)
        if wa.error_mask is not None:
            return _Result.single(wa.errors[wa.error_mask].reshape(-1)[0])
        w = _flat(wa.values)
        if w.size != d.values.size:
            raise _CallError(VALUE, f"{f}: {d.values.size} day counts but {w.size} amounts; give ranges of one size")
    try:
        value = payment_index.weighted_index(_flat(d.values), w)
    except ValueError as exc:
        raise _engine_error(f, "amounts", exc) from None
    return _Result.single(None if np.isnan(value) else float(value))


# ----------------------------------------------------------------------------------------------------------------
# financial strength


@udf(
    zh="Altman Z 分数：默认 Z″（非制造业），可选 Z（上市制造业，equity 用股权市值）与 Z′（非上市企业）。",
    returns=("Z score (Z'': distress < 1.10, safe > 2.60).", "Z 分数（Z″：< 1.10 危险，> 2.60 安全）。"),
    args={
        **_docs("current_assets", "current_liabilities", "ebit", "total_assets", "total_liabilities"),
        "retained_earnings": ("Retained earnings.", "留存收益。"),
        "equity": ("Book equity (Z', Z''); market value of equity for model Z.",
                   "所有者权益账面值（Z′、Z″）；模型 Z 用股权市值。"),
        "sales": ("Sales (needed by models Z and Z').", "营业收入（模型 Z 与 Z′ 需要）。"),
        "model": ("\"Z''\" (default), \"Z'\" or \"Z\".", "\"Z''\"（默认）、\"Z'\" 或 \"Z\"。"),
    },
    example=Example((80.0, 50.0, 0.0, -30.0, 15.0, 100.0, 100.0, 210.0, "Z"),
                    "Test vector T2 (X1..X5 = 0.30, 0, -0.30, 0.15, 2.1) with model Z.",
                    "测试向量 T2（X1..X5 = 0.30, 0, -0.30, 0.15, 2.1），模型 Z。"),
)
def ALTMAN_Z(current_assets, current_liabilities, retained_earnings, ebit, equity, total_assets,
             total_liabilities, sales=None, model="Z''"):
    """Altman Z score from statement amounts: Z'' (default, non-manufacturers), Z' (private firms) or Z (public
    manufacturers, equity at market value)."""
    f = "ALTMAN_Z"
    names = ("current_assets", "current_liabilities", "retained_earnings", "ebit", "equity", "total_assets",
             "total_liabilities")
    given = (current_assets, current_liabilities, retained_earnings, ebit, equity, total_assets, total_liabilities)
    nums = [_numbers(f, n, v) for n, v in zip(names, given)]
    has_sales = sales is not None
    s = _numbers(f, "sales", sales, required=False)
    m = _texts(f, "model", model, default="Z''")
    g = _grid(f, *nums, s, m)
    ca, cl, re, ebit_v, eq, ta, tl = (_flat(g.values(a)) for a in nums)
    sales_v = _flat(g.values(s))
    models = _flat(g.values(m, None))
    out = np.full(models.shape, np.nan)
    bad_model = np.zeros(models.shape, dtype=bool)
    no_sales = np.zeros(models.shape, dtype=bool)
    blank_sales = np.zeros(models.shape, dtype=bool)
    wc = ratios.working_capital(ca, cl)
    codes, uniques = pd.factorize(models)  # error cells hold None: code -1, left alone
    for k, raw in enumerate(uniques):  # one pass per distinct model text, usually one
        sel = codes == k
        key = _model_key(raw)
        if key is None:
            bad_model |= sel
            continue
        needs_sales = altman.ALTMAN_MODELS[key].needs_sales
        if needs_sales and not has_sales:
            no_sales |= sel
            continue
        if needs_sales:
            blank_sales |= sel & np.isnan(sales_v)
        out[sel] = altman.altman_z(wc[sel], re[sel], ebit_v[sel], eq[sel], ta[sel], tl[sel],
                                   sales_v[sel] if needs_sales else None, model=key)
    shape = g.shape
    g.fail(bad_model.reshape(shape), VALUE, "model must be \"Z''\", \"Z'\" or \"Z\"")
    g.fail(no_sales.reshape(shape), VALUE, "sales: models Z and Z' need sales")
    g.blank |= blank_sales.reshape(shape) & ~g.error_mask
    return g.result(out.reshape(shape),
                    undefined=(NUM, "total_assets and total_liabilities must be greater than 0"))


def _model_key(value: Any) -> str | None:
    try:
        return altman.normalise_model(value)
    except ValueError:
        return None


@udf(
    zh="信用评分（0–100，一位小数）：六项子评分的加权平均；缺项按其余权重重新归一，少于两项时报错。",
    returns=("Credit score 0-100, one decimal.", "信用评分 0–100，一位小数。"),
    args={
        "current_ratio": ("Current ratio (current assets / current liabilities).", "流动比率。"),
        "debt_ratio": ("Debt ratio (total liabilities / total assets).", "资产负债率。"),
        "interest_coverage": ("Interest coverage (EBIT / interest); the text inf counts as unlimited.",
                              "利息保障倍数（息税前利润 ÷ 利息）；文本 ∞ 表示无利息支出。"),
        "net_margin": ("Net margin as a fraction (0.05 = 5%).", "净利率（小数，0.05 = 5%）。"),
        "payment_index": ("Payment index 1-100.", "付款指数 1–100。"),
        "overdue_share": ("Overdue / outstanding (0 when nothing is outstanding).", "逾期金额 ÷ 未付金额。"),
        "weights": ("Six weights (default 0.15,0.15,0.10,0.10,0.35,0.15).",
                    "六个权重（默认 0.15,0.15,0.10,0.10,0.35,0.15）。", "list"),
    },
    example=Example((1.8, 0.45, 4.0, 0.06, 75.0, 0.12)),
    costly=True,
)
def CREDIT_SCORE(current_ratio, debt_ratio, interest_coverage, net_margin, payment_index, overdue_share,
                 weights=None):
    """Credit score 0-100: weighted mean of six sub-scores (liquidity, leverage, coverage, profitability, payment,
    arrears); a blank input drops its sub-score and the weights are renormalised."""
    f = "CREDIT_SCORE"
    w = _number_list(f, "weights", weights)
    names = credit.SUBSCORE_INPUTS
    given = (current_ratio, debt_ratio, interest_coverage, net_margin, payment_index, overdue_share)
    nums = [_numbers(f, n, v, required=False) for n, v in zip(names, given)]
    g = _grid(f, *nums)
    cols = [_flat(g.values(a)) for a in nums]
    try:
        scores, errors = credit.credit_score(*cols, weights=w if w is not None else credit.DEFAULT_WEIGHTS)
    except ValueError as exc:
        raise _engine_error(f, "weights", exc) from None
    all_blank = np.logical_and.reduce([np.broadcast_to(a.blank, g.shape) for a in nums])
    g.blank |= all_blank & ~g.error_mask
    errs = np.asarray(errors, dtype=object).reshape(g.shape)
    g.fail_each(np.asarray(pd.notna(errs)) & ~g.blank, VALUE, errs)
    return g.result(np.reshape(scores, g.shape))


@udf(
    zh="由信用评分得出等级 A–E（默认 A ≥ 80、B ≥ 65、C ≥ 50、D ≥ 35，否则 E）。",
    returns=("Grade A, B, C, D or E.", "等级 A、B、C、D 或 E。"),
    args={
        "score": ("Credit score(s) 0-100.", "信用评分 0–100。"),
        "cutoffs": ("Lowest scores of A, B, C, D (default 80,65,50,35).", "A、B、C、D 的最低分（默认 80,65,50,35）。",
                    "list"),
    },
    example=Example(([[85.0], [70.0], [55.0], [40.0], [20.0]],)),
)
def CREDIT_GRADE(score, cutoffs=None):
    """Grade A-E from a credit score: A >= 80, B >= 65, C >= 50, D >= 35, else E (cutoffs from Config)."""
    return _label_udf("CREDIT_GRADE", credit.credit_grade, "score", score, cutoffs, credit.DEFAULT_GRADE_CUTOFFS)


@udf(
    zh="建议信用额度 = min(净资产 × 比例, 营运资金 × 比例) × 等级系数（A 1、B 0.75、C 0.5、D 0.25、E 0），向下取整。",
    returns=("Suggested credit limit (0 = cash in advance).", "建议信用额度（0 表示预付款）。"),
    args={
        "net_worth": ("Tangible net worth (equity less intangibles).", "有形净资产（所有者权益减无形资产）。"),
        "working_capital": ("Working capital (current assets - current liabilities).", "营运资金（流动资产 − 流动负债）。"),
        "grade": ("Credit grade A-E.", "信用等级 A–E。"),
        "pct_net_worth": ("Share of net worth (default 0.10).", "净资产比例（默认 0.10）。"),
        "pct_working_capital": ("Share of working capital (default 0.20).", "营运资金比例（默认 0.20）。"),
        "rounding": ("Round down to this amount (default 1000).", "向下取整单位（默认 1000）。"),
    },
    example=Example((2500000.0, 1200000.0, "B")),
)
def CREDIT_LIMIT(net_worth, working_capital, grade, pct_net_worth=0.10, pct_working_capital=0.20, rounding=1000):
    """Suggested credit limit = min(pct x net worth, pct x working capital) x grade factor (A 1, B 0.75, C 0.5,
    D 0.25, E 0), rounded down; non-positive net worth or working capital gives 0 (cash in advance)."""
    f = "CREDIT_LIMIT"
    nw = _numbers(f, "net_worth", net_worth, finite=True)
    wc = _numbers(f, "working_capital", working_capital, finite=True)
    gr = _texts(f, "grade", grade)
    p1 = _numbers(f, "pct_net_worth", pct_net_worth, default=0.10)
    p2 = _numbers(f, "pct_working_capital", pct_working_capital, default=0.20)
    rd = _numbers(f, "rounding", rounding, default=1000)
    g = _grid(f, nw, wc, gr, p1, p2, rd)
    letters = _flat(g.values(gr, None))
    grade_norm = credit.normalise_grades(letters)
    g.fail(~(np.isin(grade_norm, list(credit.GRADE_FACTORS)) | (grade_norm == "")).reshape(g.shape) & g.ok,
           VALUE, "grade must be A, B, C, D or E")
    nw_c, wc_c = (_to_cents(_flat(g.values(a))) for a in (nw, wc))
    params = [_flat(g.values(a)) for a in (p1, p2, rd)]
    out = np.full(letters.shape, np.nan)
    group_errors = np.full(letters.shape, None, dtype=object)
    if all(a.values.size == 1 for a in (p1, p2, rd)):  # the usual case: one set of parameters for every cell
        codes, combos = np.zeros(letters.shape, dtype=np.int64), [tuple(float(p[0]) for p in params)]
    else:
        combos_arr, codes = np.unique(np.column_stack(params), axis=0, return_inverse=True)
        combos, codes = [tuple(row) for row in combos_arr.tolist()], codes.reshape(-1)
    # the engine takes one set of parameters per call, and the amounts and grades as columns
    for k, combo in enumerate(combos):
        sel = codes == k
        try:
            cents = credit.suggested_limit(nw_c[sel], wc_c[sel], letters[sel], *combo)
        except ValueError as exc:
            group_errors[sel] = str(exc)
            continue
        out[sel] = pd.array(cents, dtype="Float64").to_numpy(dtype=np.float64, na_value=np.nan) / 100.0
    bad = pd.notna(group_errors).reshape(g.shape)
    g.fail_each(np.asarray(bad) & g.ok, VALUE, group_errors.reshape(g.shape))
    return g.result(out.reshape(g.shape))


def _to_cents(values: np.ndarray) -> np.ndarray:
    """Currency floats (NaN blank) -> float cents, exact half-up (NaN stays NaN)."""
    finite = np.isfinite(values)
    cents = float_cents(np.where(finite, values, 0.0)).astype(np.float64)
    return np.where(finite, cents, np.nan)


def _ratio_udf(func: str, engine_fn: Callable, inputs: dict[str, Any], undefined: str,
               optional: tuple[str, ...] = ()) -> _Result:
    return _numeric_udf(func, engine_fn, inputs, undefined=(DIV0, undefined), kind="ratio", optional=optional)


_NO_CURRENT_LIABILITIES = "current_liabilities is 0 or negative, so the ratio is undefined"


@udf(
    zh="流动比率 = 流动资产 ÷ 流动负债（无流动负债且资产为正时为 ∞）。",
    returns=("Current ratio (the text ∞ when there are no current liabilities).", "流动比率（无流动负债时为 ∞）。"),
    args={
        **_docs("current_assets", "current_liabilities"),
    },
    example=Example((450000.0, 300000.0)),
)
def CURRENT_RATIO(current_assets, current_liabilities):
    """Current ratio = current assets / current liabilities."""
    return _ratio_udf("CURRENT_RATIO", ratios.current_ratio,
                      {"current_assets": current_assets, "current_liabilities": current_liabilities},
                      _NO_CURRENT_LIABILITIES)


@udf(
    zh="速动比率 =（流动资产 − 存货）÷ 流动负债；存货空白视为 0。",
    returns=("Quick ratio (the text ∞ when there are no current liabilities).", "速动比率（无流动负债时为 ∞）。"),
    args={
        **_docs("current_assets", "current_liabilities"),
        "inventory": ("Inventory (blank = none).", "存货（空白为 0）。"),
    },
    example=Example((450000.0, 120000.0, 300000.0)),
)
def QUICK_RATIO(current_assets, inventory, current_liabilities):
    """Quick ratio = (current assets - inventory) / current liabilities; a blank inventory counts as none."""
    return _ratio_udf("QUICK_RATIO", ratios.quick_ratio, {"current_assets": current_assets, "inventory": inventory,
                                                           "current_liabilities": current_liabilities},
                      _NO_CURRENT_LIABILITIES, optional=("inventory",))


@udf(
    zh="资产负债率 = 负债总额 ÷ 资产总额。",
    returns=("Debt ratio.", "资产负债率。"),
    args={
        **_docs("total_liabilities", "total_assets"),
    },
    example=Example((600000.0, 1000000.0)),
)
def DEBT_RATIO(total_liabilities, total_assets):
    """Debt ratio = total liabilities / total assets."""
    return _ratio_udf("DEBT_RATIO", ratios.debt_ratio,
                      {"total_liabilities": total_liabilities, "total_assets": total_assets},
                      "total_assets is 0 or negative, so the ratio is undefined")


@udf(
    zh="利息保障倍数 = 息税前利润 ÷ 利息费用（无利息费用且利润为正时为 ∞）。",
    returns=("Interest coverage (the text ∞ when there is no interest and EBIT > 0).",
             "利息保障倍数（无利息且利润为正时为 ∞）。"),
    args={
        **_docs("ebit"),
        "interest_expense": ("Interest expense (either sign; blank = none).", "利息费用（正负皆可；空白为无）。"),
    },
    example=Example((90000.0, 30000.0)),
)
def INTEREST_COVERAGE(ebit, interest_expense):
    """Interest coverage = EBIT / interest expense."""
    return _ratio_udf("INTEREST_COVERAGE", ratios.interest_coverage,
                      {"ebit": ebit, "interest_expense": interest_expense},
                      "no interest expense and EBIT is not positive, so coverage is undefined",
                      optional=("interest_expense",))


# ----------------------------------------------------------------------------------------------------------------
# customer value


@udf(
    zh="ABC 分类：按数值降序累计占比，累计前占比 < 80% 为 A，< 95% 为 B，其余为 C；零或负值为 C。",
    returns=("A, B or C per value (spills over the range).", "每个数值对应 A、B 或 C（溢出整个区域）。"),
    args={
        "values": ("Values to rank, e.g. 12-month revenue per customer.", "待分类数值，如每个客户近 12 个月收入。",
                   "list"),
        "cutoffs": ("Cumulative shares ending A and B (default 0.80,0.95).", "A、B 类的累计占比上限（默认 0.80,0.95）。",
                    "list"),
    },
    example=Example(([[500000.0], [300000.0], [120000.0], [50000.0], [20000.0], [10000.0]],)),
    costly=True,
)
def ABC_CLASS(values, cutoffs=None):
    """ABC class per value: ranked descending, A while the cumulative share before it is below 80%, B below 95%,
    else C; zero or negative values are C."""
    return _label_udf("ABC_CLASS", segmentation.abc_class, "values", values, cutoffs,
                      segmentation.DEFAULT_ABC_CUTOFFS)


@udf(
    zh="客户终身价值 CLV = 毛利 × 留存率 ÷ (1 + 折现率 − 留存率) − 获客成本。",
    returns=("Customer lifetime value (2 decimals).", "客户终身价值（两位小数）。"),
    args={
        "margin": ("Margin per period.", "每期毛利。"),
        "retention": ("Retention rate per period, 0 to 1.", "每期留存率，0 到 1。"),
        "discount_rate": ("Discount rate per period.", "每期折现率。"),
        "acquisition_cost": ("Acquisition cost (default 0).", "获客成本（默认 0）。"),
    },
    example=Example((100.0, 0.8, 0.1), "SPEC worked example.", "SPEC 算例。"),
)
def CLV(margin, retention, discount_rate, acquisition_cost=0):
    """Customer lifetime value = margin x retention / (1 + discount rate - retention) - acquisition cost."""
    f = "CLV"
    m = _numbers(f, "margin", margin)
    r = _numbers(f, "retention", retention)
    i = _numbers(f, "discount_rate", discount_rate)
    ac = _numbers(f, "acquisition_cost", acquisition_cost, default=0)
    g = _grid(f, m, r, i, ac)
    cols = [_flat(g.values(a)) for a in (m, r, i, ac)]
    values = segmentation.clv(*cols)
    # an error even where another input is blank: the retention typed is wrong whatever the rest
    g.fail(segmentation.bad_retention(cols[1]).reshape(g.shape), VALUE, segmentation.RETENTION_ERROR)
    return g.result(round_half_up_array(values, 2).reshape(g.shape),
                    undefined=(NUM, "retention must be below 1 + discount_rate (the value does not converge)"))


# ----------------------------------------------------------------------------------------------------------------
# the message behind an error value


@udf(
    zh="某个单元格中 xlfin 错误值的原因（例如 =XLFIN_ERROR(B7)）；该单元格没有 xlfin 错误时为空。",
    returns=("The message, or blank when the cell holds no xlfin error.", "错误原因；无 xlfin 错误时为空。"),
    args={"cell": ("The cell showing the error (a reference).", "显示错误的单元格（引用）。", "reference"),
          "cell_address": ("", "", "hidden")},
)
def XLFIN_ERROR(cell, cell_address=None):
    """Why an xlfin formula shows an error in a cell: =XLFIN_ERROR(B7) gives the message (function, argument, row
    and reason) of the error in B7, or blank when there is none."""
    key = _cell_key(cell_address) or _cell_key(cell)
    if key is None:
        return _Result.single(XlError(VALUE, "XLFIN_ERROR: cell must be a cell reference such as B7"))
    return _Result.single(ERROR_LOG.message_at(*key))
