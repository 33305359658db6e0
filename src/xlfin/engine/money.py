"""Exact money: integer minor units (cents) inside the engine, Decimal at the edges.

Binary floats never get summed. Values that arrive as floats (Excel sends every number as
a double) are converted through their shortest decimal repr, then rounded half-up to cents,
so 0.1 + 0.2 style artefacts cannot leak into totals.
"""

from __future__ import annotations

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
        text = value.strip().replace(",", "").replace("，", "").replace(" ", "")
        for sym in ("¥", "￥", "$", "€", "£", "RMB", "CNY", "USD", "EUR", "元"):
            text = text.replace(sym, "")
        negative = text.startswith("(") and text.endswith(")")
        if negative:
            text = text[1:-1]
        try:
            d = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(f"not an amount: {value!r}") from exc
        if not d.is_finite():
            raise MoneyError(f"not a finite amount: {value!r}")
        if negative:
            d = -d
    else:
        raise MoneyError(f"not an amount: {value!r}")
    try:
        return d.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than the decimal context holds, e.g. 1E+40
        raise MoneyError(f"amount too large: {value!r}") from exc


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
