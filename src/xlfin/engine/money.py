"""Exact money: integer minor units (cents) inside the engine, Decimal at the edges.

Binary floats never get summed. Values that arrive as floats (Excel sends every number as
a double) are converted through their shortest decimal repr, then rounded half-up to cents,
so 0.1 + 0.2 style artefacts cannot leak into totals.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np

CENT = Decimal("0.01")


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def to_decimal(value: Any) -> Decimal:
    """One value -> Decimal rounded half-up to 2 places. Raises MoneyError when it is not money."""
    if isinstance(value, bool):
        raise MoneyError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, (int, np.integer)):
        d = Decimal(int(value))
    elif isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise MoneyError(f"not a finite amount: {value!r}")
        d = Decimal(repr(float(value)))
    elif isinstance(value, str):
        d = _text_amount(value)
    else:
        raise MoneyError(f"not an amount: {value!r}")
    try:
        return d.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than the decimal context holds, e.g. 1E+40
        raise MoneyError(f"amount too large: {value!r}") from exc


# Text amounts: an optional sign or accounting parentheses, a currency sign or code before or after, digits grouped by
# thousands with "," or spaces (groups of exactly three) or not grouped, and "." before the decimals. A comma before
# the decimals ("1 234,50", "1.234,50") is refused, not guessed: "1,234" is one thousand two hundred and thirty-four
# to an English reader and 1.234 to a German one.
_CURRENCY_MARK = r"(?:US\$|HK\$|NT\$|RMB|CNY|USD|EUR|GBP|JPY|HKD|[¥$€£元])"
_TEXT_AMOUNT = re.compile(
    rf"^(?P<open>\()?\s*(?P<s1>[-+])?\s*{_CURRENCY_MARK}?\s*(?P<s2>[-+])?\s*"
    r"(?P<num>\d{1,3}(?:(?P<sep>[, ])\d{3})(?:(?P=sep)\d{3})*(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)"
    rf"\s*{_CURRENCY_MARK}?\s*(?P<close>\))?$"
)


def _text_amount(value: str) -> Decimal:
    text = unicodedata.normalize("NFKC", value).replace("\u00a0", " ").strip()
    m = _TEXT_AMOUNT.match(text)
    if m is None or bool(m["open"]) != bool(m["close"]) or (m["s1"] and m["s2"]):
        raise MoneyError(f"not an amount: {value!r}")
    d = Decimal(m["num"].replace(",", "").replace(" ", ""))
    negative = bool(m["open"]) != ((m["s1"] or m["s2"]) == "-")
    return -d if negative else d


def to_cents(value: Any) -> int:
    """One value -> integer cents (half-up)."""
    return int(to_decimal(value) * 100)


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def float_cents(values: np.ndarray) -> np.ndarray:
    """Vectorised float amounts -> int64 cents, half away from zero, robust to binary representation.

    Used on hot paths (UDFs, large columns of doubles from Excel). 2.675 (stored as 2.67499999...)
    gives 268 as a person expects, because the value is first rounded to 9 decimals.
    """
    x = np.round(np.asarray(values, dtype=np.float64) * 100.0, 6)
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)


def round_half_up_array(values: np.ndarray, places: int = 2) -> np.ndarray:
    """Vectorised half-up rounding of float results (NaN stays NaN)."""
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0**places
    y = np.round(x * scale, 6)
    return np.sign(y) * np.floor(np.abs(y) + 0.5) / scale
