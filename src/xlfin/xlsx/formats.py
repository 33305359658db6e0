"""How xlfin's tables look in a cell: number formats, widths, the table style, and `cell_value`.

One definition for both writers: the file format's streamed sheets (`xlsx.sheet`) and the template builder's
openpyxl tables (`template.tables`), so a regenerated sheet matches the template.

Safety (SPEC §8): text is written as text. `cell_value` strips the control characters XML cannot hold and cuts text
at Excel's cell limit; the writers store a text beginning with `=`, `+`, `-` or `@` as a string cell with Excel's
quote prefix, never as a formula, so remittance text cannot inject a formula into the workbook.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

from ..schema import YES_NO, Column, Lang, Table

NUMBER_FORMATS: dict[str, str] = {
    "money": "#,##0.00",
    "date": "yyyy-mm-dd",
    "pct": "0.0%",
    "int": "0",
    "float": "0.0",
}
# Columns users type identifiers or codes into: text format keeps leading zeros ("007") and long digit strings.
TEXT_TYPES = frozenset({"text", "phone", "email", "currency"})
TEXT_FORMAT = "@"
TABLE_STYLE = "TableStyleMedium2"
HEADER_FILL_RGB = "FF1F4E78"
HEADER_FONT_RGB = "FFFFFFFF"
DEFAULT_WIDTHS: dict[str, float] = {"money": 14, "date": 12, "int": 10, "float": 10, "pct": 10, "bool": 10,
                                    "enum": 12, "currency": 9, "email": 26, "phone": 16, "text": 14}
MAX_CELL_CHARS = 32767  # Excel's limit; longer text would make Excel repair the file
FORMULA_LEADS = ("=", "+", "-", "@")
# The control characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE, the same set).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

def cell_value(value: object, column: Column, lang: Lang) -> object:
    """A plain value -> what goes into the cell: closed-list values in the workbook's language, text made safe."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):  # NaN: blank, never the text "nan"
        return None
    column = _shown_column(column)
    if column.choices:
        if isinstance(value, str) and not value.strip():
            return None  # blank stays blank (the yes/no list would read "" as "no")
        if isinstance(value, bool):
            value = "yes" if value else "no"
        canonical = column.canonical(value)
        for c in column.choices:
            if c.value == canonical:
                return c.label(lang)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        return text[:MAX_CELL_CHARS]
    return value


def _shown_column(column: Column) -> Column:
    if column.type == "bool" and not column.choices:
        return replace(column, choices=YES_NO)  # a generated yes/no column shows Yes/No (是/否), not TRUE
    return column


def column_number_format(column: Column, *, text_format: bool = True) -> str | None:
    if column.type in NUMBER_FORMATS:
        return NUMBER_FORMATS[column.type]
    if text_format and column.type in TEXT_TYPES:
        return TEXT_FORMAT
    return None


def side_by_side(tables: Sequence[Table], top: int = 1, gap: int = 1) -> list[tuple[int, int]]:
    """Top-left cells for tables placed next to each other on one sheet with `gap` empty columns between them.

    Side by side, not stacked: a generated table can grow to any length without running into the next one.
    """
    positions = []
    col = 1
    for t in tables:
        positions.append((top, col))
        col += len(t.columns) + gap
    return positions
