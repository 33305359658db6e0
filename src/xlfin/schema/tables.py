"""What moves between a workbook and the engine: a table's raw cells, with where each cell lives.

Adapters (file or live) produce `RawTable`s; `xlfin.schema.frames` turns them into typed frames plus problems that
name the exact cell (`Invoices!D17`). Keeping the location with the data is what lets every message point at
the cell a user must fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """
    import datetime as dt

    import numpy as np

    n = len(df)
    columns: list[list[object]] = []
    for col in table.columns:
        if col.key not in df.columns:
            columns.append([None] * n)
            continue
        s = df[col.key]
        if col.type == "money":
            vals = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
            columns.append([None if np.isnan(v) else round(float(v) / 100.0, 2) for v in vals])
        elif col.type == "date":
            d = pd.to_datetime(s, errors="coerce")
            columns.append([None if pd.isna(v) else dt.date(v.year, v.month, v.day) for v in d])
        elif col.type == "bool":
            columns.append([None if v is None or (not isinstance(v, str) and pd.isna(v)) else ("Yes" if bool(v) else "No")
                            for v in s.tolist()])
        elif col.type in ("int",):
            vals = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
            columns.append([None if np.isnan(v) else int(v) for v in vals])
        elif col.type in ("float", "pct"):
            vals = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
            columns.append([None if not np.isfinite(v) else float(v) for v in vals])
        else:
            columns.append([None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in s.tolist()])
    return [list(r) for r in zip(*columns)] if columns else []
