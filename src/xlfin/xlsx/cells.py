"""Cells -> typed values: the file format's one entry point for yes/no, whole numbers, numbers, money and dates.

Issue #12 item 1: these coercions used to exist in four or five versions (frames, settings, models, open items,
reconciliation, dunning, the UDFs). There is now one definition of each, in the engine layer
(:mod:`xlfin.engine.cellvalues`, on top of :func:`xlfin.engine.money.to_decimal` and :func:`xlfin.engine.dates.parse_date`),
because the engine itself reads yes/no and date columns and must not import the file format. This module is the
name the file-format and surface code uses; it adds no rule of its own, so a cell means the same thing in a
workbook read, a Config value, a cell formula and the engine.

What a cell may hold (docs/finance-rules.md §1.1 is the user-facing table):

- **yes/no** — :data:`YES_SPELLINGS` / :data:`NO_SPELLINGS` (en and zh-CN, from :data:`xlfin.engine.vocabulary.YES_NO`),
  logical TRUE/FALSE, the numbers 1/0; blank is no. Anything else is an error, never "no".
- **money** — numbers (a double is rounded through its shortest decimal form, half-up to the cent: 2.675 → 2.68);
  text `1,234.50`, `¥1,234.50`, `$ 1 234.50`, `USD 1,000`, `1234.5元`, `(12.00)` (= −12.00), full-width digits.
  Thousands are grouped by three with "," or spaces; a decimal comma (`1 234,50`, `1.234,50`) is refused, because
  `1,234` means 1234 to one reader and 1.234 to another. 10¹⁴ or more is refused.
- **dates** — date cells and Excel serials; year-first text (`2026-03-01`, `2026/3/1`, `2026.3.1`, `2026年3月1日`);
  English month names (`1 Mar 2026`, `March 1, 2026`); year-last text only when day and month cannot be swapped
  (`13/03/2026`, `03/13/2026`, `03/03/2026`). `01/03/2026` is refused as ambiguous (:class:`AmbiguousDate`): it is
  1 March in en-GB and 3 January in en-US.
- **whole numbers** — `30`, `30.0`, `'30'`, `1,000`; **numbers** — also `12%` (0.12 in a percentage column).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xlfin.engine.dates import AmbiguousDate, DateError
from xlfin.engine.cellvalues import (
    CellValueError,
    MoneyError,
    date_value,
    is_blank,
    money_cents,
    number,
    whole_number,
    yes_no,
    yes_no_array,
)
from xlfin.engine.money import cents_to_decimal
from xlfin.engine.vocabulary import YES_NO

__all__ = [
    "NO_SPELLINGS",
    "YES_SPELLINGS",
    "AmbiguousDate",
    "CellValueError",
    "DateError",
    "MoneyError",
    "date_value",
    "is_blank",
    "money_cents",
    "money_value",
    "number",
    "whole_number",
    "yes_no",
    "yes_no_array",
]

YES_SPELLINGS: tuple[str, ...] = tuple(s for s in YES_NO[0].spellings() if s)
NO_SPELLINGS: tuple[str, ...] = tuple(s for s in YES_NO[1].spellings() if s)


def money_value(v: Any) -> Decimal | None:
    """A money cell -> Decimal with 2 places (half-up), None for blank. Raises MoneyError."""
    return None if is_blank(v) else cents_to_decimal(money_cents(v))
