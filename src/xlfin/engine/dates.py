"""Calendar dates from whatever a workbook holds: Excel serials, datetimes, ISO and locale strings.

Accepted text forms: ISO `2026-03-05` (with optional time), `2026/3/5`, `2026.3.5`, `2026-3-5`,
`2026年3月5日`, and the US form `3/5/2026` (month first, as Excel's en-US locale writes it).
Day-first text (`5.3.2026`) is ambiguous and is reported, never guessed.
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
_MDY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


class DateError(ValueError):
    """A value that is not a calendar date."""


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
        else:
            m = _MDY.match(text)
            if not m:
                raise DateError(f"not a date: {value!r}")
            mo, d, y = (int(g) for g in m.groups())
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
