"""Calendar dates from whatever a workbook holds: Excel serials, datetimes, ISO and locale strings.

Accepted text forms: year first — ISO `2026-03-05` (with optional time), `2026/3/5`, `2026.3.5`, `2026-3-5`,
`2026年3月5日` — and month names in English (`5 Mar 2026`, `March 5, 2026`).

Year last (`01/03/2026`, `13.03.2026`, `3-13-2026`) is read only when the order cannot be in doubt: one of the two
numbers is above 12 (it is the day) or both are equal. `01/03/2026` is 1 March in London and 3 January in New York,
and a text date usually comes from a pasted export whose locale nobody knows, so it is reported
(`AmbiguousDate`), never guessed: a wrong guess moves a due date by months and every ageing with it. Dates typed
into Excel are date cells (serials), which are never ambiguous.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 in the 1900 system, after Excel's phantom 1900-02-29
_EPOCH64 = np.datetime64("1899-12-30", "D")
SERIAL_MIN, SERIAL_MAX = 1, 2958465  # 1900-01-01 .. 9999-12-31

_YMD = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(?:[T ]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$")
_YEAR_LAST = re.compile(r"^\s*(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4})\s*$")
_FULL_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")
_MONTHS = {**{m[:3]: i + 1 for i, m in enumerate(_FULL_MONTHS)}, **{m: i + 1 for i, m in enumerate(_FULL_MONTHS)},
           "sept": 9}
_DAY_MONTH_NAME = re.compile(r"^\s*(\d{1,2})[\s-]+([a-z]{3,9})\.?[\s,-]+(\d{4})\s*$", re.IGNORECASE)
_MONTH_NAME_DAY = re.compile(r"^\s*([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\s*$", re.IGNORECASE)


class DateError(ValueError):
    """A value that is not a calendar date."""


class AmbiguousDate(DateError):
    """Year-last text whose day and month could be either way round (01/03/2026)."""


def _year_last(a: int, b: int, y: int, value: object) -> tuple[int, int, int]:
    """(y, month, day) of 'a/b/y' when the order is certain; AmbiguousDate when it is not."""
    if a > 12 >= b:
        return y, b, a  # 13/03/2026: day first
    if b > 12 >= a or a == b:
        return y, a, b  # 03/13/2026: month first; 03/03/2026 either way
    if a > 12 and b > 12:
        raise DateError(f"not a date: {value!r}")
    raise AmbiguousDate(f"ambiguous date: {value!r} could be day/month or month/day; write it as YYYY-MM-DD")


def _month_name(text: str) -> tuple[int, int, int] | None:
    m = _DAY_MONTH_NAME.match(text)
    if m:
        day, name, year = m.groups()
    else:
        m = _MONTH_NAME_DAY.match(text)
        if not m:
            return None
        name, day, year = m.groups()
    month = _MONTHS.get(name.casefold())
    return None if month is None else (int(year), month, int(day))


def serial_to_date(serial: float) -> dt.date:
    if not (SERIAL_MIN <= serial <= SERIAL_MAX):
        raise DateError(f"Excel serial out of range: {serial!r}")
    whole = int(serial)
    if whole < 61:  # before Excel's non-existent 1900-02-29
        return dt.date(1899, 12, 31) + dt.timedelta(days=whole)
    return EXCEL_EPOCH + dt.timedelta(days=whole)


def date_to_serial(value: dt.date) -> int:
    return (value - EXCEL_EPOCH).days


def parse_date(value: Any) -> dt.date | None:
    """One value -> date, None for blank; raises DateError for anything else."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date()
    if isinstance(value, bool):
        raise DateError(f"not a date: {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, (float, np.floating)) and np.isnan(value):
            return None
        return serial_to_date(float(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        m = _YMD.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
        elif (m := _YEAR_LAST.match(text)) is not None:
            y, mo, d = _year_last(int(m[1]), int(m[3]), int(m[4]), value)
        elif (named := _month_name(text)) is not None:
            y, mo, d = named
        else:
            raise DateError(f"not a date: {value!r}")
        try:
            return dt.date(y, mo, d)
        except ValueError as exc:
            raise DateError(f"not a date: {value!r} ({exc})") from exc
    raise DateError(f"not a date: {value!r}")


def serials_to_datetime64(serials: np.ndarray) -> np.ndarray:
    """Vectorised Excel serials (float, NaN = blank) -> datetime64[D] (NaT for blank)."""
    x = np.asarray(serials, dtype=np.float64)
    whole = np.floor(np.nan_to_num(x, nan=0.0)).astype(np.int64)
    whole = np.where(whole < 61, whole + 1, whole)  # the 1900 leap-year bug shifts early serials
    out = _EPOCH64 + whole.astype("timedelta64[D]")
    return np.where(np.isnan(x), np.datetime64("NaT"), out).astype("datetime64[D]")


def today() -> dt.date:
    return dt.date.today()
