"""One way to read a cell value as a typed value: blank, yes/no, whole number, money, date.

The single definition of each coercion (issue #12 item 1). It sits in the engine layer because the engine itself
reads yes/no columns (disputed, dunning hold) and dates; the schema layer (`frames`, `settings`, `models`) and the
file-format layer (`xlsx.cells`, which re-exports these names as its public API) call it — nobody keeps a private
copy. Money text and date text are parsed by `xlfin.engine.money.to_decimal` and `xlfin.engine.dates.parse_date` (also engine
layer, single definitions); this module adds the cell-level rules around them (width, bounds, blanks).

Accepted spellings (one table, both languages — `xlfin.engine.vocabulary.YES_NO`):

| meaning | accepted (any case, any width)                           |
|---------|----------------------------------------------------------|
| yes     | Yes, 是, Y, TRUE, 1, X, ✓, ✔, and a logical TRUE / number 1 |
| no      | No, 否, N, FALSE, 0, blank, and a logical FALSE / number 0  |

Anything else is not yes/no: it is reported, never taken as "no" (a disputed flag typed as "maybe" must not let the
invoice be dunned silently).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine.dates import DateError, parse_date
from xlfin.engine.money import MoneyError, to_cents
from xlfin.engine.vocabulary import YES_NO, canonical

__all__ = [
    "MONEY_MAX_UNITS",
    "CellValueError",
    "DateError",
    "MoneyError",
    "date_value",
    "is_blank",
    "money_cents",
    "number",
    "whole_number",
    "yes_no",
    "yes_no_array",
]

MONEY_MAX_UNITS = 1e14  # 100 trillion: beyond it int64 cents and float doubles stop being exact
_WHOLE_MAX = 2**53  # the largest integer a double (Excel's number) holds exactly


class CellValueError(ValueError):
    """A cell value that is not of the type its column wants."""


def is_blank(v: Any) -> bool:
    """Empty cell: None, NA, NaN/NaT, or text of only spaces."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, str):
        return v.strip() == ""
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, (np.floating, np.datetime64)):
        return bool(pd.isna(v))
    return False


def yes_no(v: Any) -> bool:
    """A yes/no cell -> bool; blank is no. Raises CellValueError for anything not in the table above."""
    if is_blank(v):
        return False
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        if float(v) in (0.0, 1.0):
            return bool(v)
        raise CellValueError(f"not yes/no: {v!r}")
    answer = canonical(YES_NO, unicodedata.normalize("NFKC", str(v)).strip())
    if answer is None:
        raise CellValueError(f"not yes/no: {v!r}")
    return answer == "yes"


def yes_no_array(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """A column of yes/no cells -> (flags, bad): bad marks cells that are not yes/no (their flag is False).

    Each distinct value is read once, so a million rows of Yes/No cost two look-ups."""
    s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object).ravel())
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.fillna(False).to_numpy(dtype=bool), np.zeros(len(s), dtype=bool)
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    flags = np.zeros(len(uniques) + 1, dtype=bool)  # the last slot serves code -1 (blank): no
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    for i, u in enumerate(uniques):
        try:
            flags[i] = yes_no(u)
        except CellValueError:
            bad[i] = True
    return flags[codes], bad[codes]


def whole_number(v: Any) -> int:
    """A whole-number cell (30, 30.0, '30', '1,000', full-width digits) -> int. Raises CellValueError."""
    if isinstance(v, (bool, np.bool_)):
        raise CellValueError("a yes/no value is not a number")
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
    elif isinstance(v, (str, Decimal)):
        text = unicodedata.normalize("NFKC", str(v)).strip().replace(",", "").replace(" ", "")
        try:
            f = float(text)
        except ValueError:
            raise CellValueError(f"not a number: {v!r}") from None
    else:
        raise CellValueError(f"not a number: {v!r}")
    if not math.isfinite(f) or not f.is_integer() or abs(f) > _WHOLE_MAX:
        raise CellValueError(f"not a whole number: {v!r}")
    return int(f)


def number(v: Any, percent: bool = False) -> float:
    """A number cell -> float ('1,234.5', full-width digits). A trailing % is dropped; with `percent` it also divides
    by 100 ('12%' -> 0.12 in a percentage column). Raises CellValueError."""
    if isinstance(v, (bool, np.bool_)):
        raise CellValueError("a yes/no value is not a number")
    if isinstance(v, (int, float, np.integer, np.floating, Decimal)):
        return float(v)
    text = unicodedata.normalize("NFKC", str(v)).strip().replace(",", "")
    scale = 100.0 if percent and text.endswith("%") else 1.0
    try:
        return float(text.rstrip("%")) / scale
    except ValueError:
        raise CellValueError(f"not a number: {v!r}") from None


def money_cents(v: Any) -> int:
    """A money cell -> int cents, half-up (text as `xlfin.engine.money.to_decimal` reads it, in any width).

    Raises MoneyError for what is not an amount: a logical, a date, text that is not a number, 10¹⁴ or more."""
    if isinstance(v, (bool, np.bool_, dt.date, pd.Timestamp, np.datetime64)):
        raise MoneyError(f"not an amount: {v!r}")
    if isinstance(v, str):
        v = unicodedata.normalize("NFKC", v)
    cents = to_cents(v)
    if abs(cents) >= MONEY_MAX_UNITS * 100:
        raise MoneyError(f"amount too large: {v!r}")
    return cents


def date_value(v: Any) -> dt.date | None:
    """A date cell -> date, None for blank (text in any width; see `xlfin.engine.dates`). Raises DateError."""
    if isinstance(v, str):
        v = unicodedata.normalize("NFKC", v)
    return parse_date(v)
