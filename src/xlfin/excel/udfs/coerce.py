"""Argument coercion: what Excel hands over (floats, datetimes, text, None, 2-D lists) -> typed arrays with blank
and error masks, one message per bad cell."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine import cellvalues
from xlfin.engine import dates as xdates

from .errors import _COM_ERROR_BASE, VALUE, XlError, _CallError, _error_text_of, _propagated

_INFINITY_WORDS = {"∞", "+∞", "inf", "+inf", "infinity", "+infinity"}


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
            return cellvalues.number(text, percent=True), None, None  # "12%" is 0.12, as Excel reads it
        except cellvalues.CellValueError:
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
                day = cellvalues.date_value(cell)
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
        # (np.char: the same C loops under numpy 2 as np.strings, and also present in numpy 1.26)
        missing = np.asarray(pd.isna(flat), dtype=bool)
        stripped = np.char.strip(np.where(missing, "", flat).astype(str))
        blank = (missing | (stripped == "")).reshape(arr.shape)
        out = stripped.astype(object).reshape(arr.shape)
        flagged = np.flatnonzero(np.char.startswith(stripped, "#"))
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
