"""Write a schema table into an openpyxl worksheet as a real Excel Table (ListObject).

Used by the template builder (new sheets in openpyxl); its formats and `cell_value` also serve the file format. One function decides how
every table looks (header style, number formats, widths), so a regenerated sheet matches the template.

Safety (SPEC §8): text is written as text. A string that begins with `=`, `+`, `-` or `@` is stored as a string cell
with Excel's quote prefix, never as a formula, so remittance text cannot inject a formula into the workbook.

The file adapter does not use openpyxl: it writes generated sheets as XML (`xlfin.xlsx.sheet`), with the same
number formats, widths and table style from here. This module serves the template builder, which creates sheets
with openpyxl.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn, TableFormula, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from .schema import YES_NO, Column, Lang, Table

__all__ = [
    "NUMBER_FORMATS",
    "HEADER_FILL",
    "HEADER_FONT",
    "TABLE_STYLE",
    "write_table",
    "clear_sheet",
    "freeze_header",
    "side_by_side",
    "cell_value",
    "table_range",
]

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
HEADER_FILL = PatternFill(fill_type="solid", start_color="FF1F4E78", end_color="FF1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
DEFAULT_WIDTHS: dict[str, float] = {"money": 14, "date": 12, "int": 10, "float": 10, "pct": 10, "bool": 10,
                                    "enum": 12, "currency": 9, "email": 26, "phone": 16, "text": 14}
MAX_CELL_CHARS = 32767  # Excel's limit; longer text would make Excel repair the file
_FORMULA_LEADS = ("=", "+", "-", "@")


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


def _write_value(ws: Worksheet, row: int, col: int, value: object, number_format: str | None) -> Cell:
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if number_format is not None:
        cell.number_format = number_format
    if isinstance(value, str):
        # openpyxl turns "=..." into a formula on assignment; force a string cell. The quote prefix keeps Excel
        # from reading the text as a formula when a user later edits the cell.
        cell.data_type = "s"
        if value.startswith(_FORMULA_LEADS):
            cell.quotePrefix = True
    return cell


def column_number_format(column: Column, *, text_format: bool = True) -> str | None:
    if column.type in NUMBER_FORMATS:
        return NUMBER_FORMATS[column.type]
    if text_format and column.type in TEXT_TYPES:
        return TEXT_FORMAT
    return None


def table_range(top_left: tuple[int, int], n_columns: int, n_rows: int) -> str:
    """A1 range of a table with its header row and max(n_rows, 1) data rows."""
    row, col = top_left
    last_row = row + max(n_rows, 1)
    return f"{get_column_letter(col)}{row}:{get_column_letter(col + n_columns - 1)}{last_row}"


def write_table(ws: Worksheet, table: Table, rows: Sequence[Sequence[object]], lang: Lang,
                top_left: tuple[int, int] = (1, 1), name: str | None = None, *,
                formulas: Mapping[str, str] | None = None, text_format: bool | None = None) -> XlTable:
    """Write a header row (labels of `lang`) and `rows` (values in schema column order) as an Excel Table.

    formulas: column key -> a formula (with leading `=`) written in every data row and recorded as the table
    column's calculated formula, so Excel fills it into rows a user adds. An empty table gets one blank row
    (a ListObject needs one data row). text_format: give text columns the `@` format (default: input and
    config tables, where users type).
    """
    formulas = dict(formulas or {})
    unknown = set(formulas) - set(table.keys)
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {sorted(unknown)} for formulas")
    if text_format is None:
        text_format = table.kind != "generated"
    top, left = top_left
    ncols = len(table.columns)
    for r_i, row in enumerate(rows):
        if len(row) > ncols:
            raise ValueError(f"{table.name}: row {r_i + 1} has {len(row)} values for {ncols} columns")

    header_names = [c.label(lang) for c in table.columns]
    for j, column in enumerate(table.columns):
        width = column.width or DEFAULT_WIDTHS.get(column.type, 14)
        ws.column_dimensions[get_column_letter(left + j)].width = width
    formats = [column_number_format(c, text_format=text_format) for c in table.columns]
    styles = formats
    formula_styles = [None if f == TEXT_FORMAT else f for f in formats]
    _write_cells(ws, table, rows, lang, top_left, header_names, styles, formula_styles, formulas)

    ref = table_range(top_left, ncols, len(rows))
    xl = XlTable(displayName=name or table.name, ref=ref)
    xl.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showFirstColumn=False, showLastColumn=False,
                                       showRowStripes=True, showColumnStripes=False)
    xl.tableColumns = [
        TableColumn(id=j + 1, name=label,
                    calculatedColumnFormula=TableFormula(attr_text=formulas[c.key][1:]) if c.key in formulas else None)
        for j, (c, label) in enumerate(zip(table.columns, header_names))
    ]
    xl.autoFilter = AutoFilter(ref=ref)
    ws.add_table(xl)
    return xl


def _header_cell(ws: Worksheet, row: int, col: int, label: str) -> Cell:
    cell = ws.cell(row=row, column=col, value=label)
    cell.data_type = "s"
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = HEADER_ALIGNMENT
    return cell


def _write_cells(ws: Worksheet, table: Table, rows: Sequence[Sequence[object]], lang: Lang, top_left: tuple[int, int],
                 header_names: list[str], styles: list[str | None], formula_styles: list[str | None],
                 formulas: Mapping[str, str]) -> None:
    top, left = top_left
    for j, label in enumerate(header_names):
        _header_cell(ws, top, left + j, label)
    columns = [_shown_column(c) for c in table.columns]
    body: Iterable[Sequence[object]] = rows if rows else [[]]
    for i, row in enumerate(body):
        r = top + 1 + i
        for j, column in enumerate(columns):
            if column.key in formulas:
                _write_value(ws, r, left + j, None, formula_styles[j]).value = formulas[column.key]
                continue
            value = cell_value(row[j], column, lang) if j < len(row) else None
            cell = _write_value(ws, r, left + j, value, styles[j])
            if column.type == "link" and value:
                cell.hyperlink = str(value)  # a link to our own generated file, never a HYPERLINK() formula


def clear_sheet(ws: Worksheet) -> None:
    """Empty a generated sheet before it is rewritten: cells, tables, validations, formats, merges, freeze."""
    for name in list(ws.tables.keys()):
        del ws.tables[name]
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.data_validations.dataValidation = []
    from openpyxl.formatting.formatting import ConditionalFormattingList

    ws.conditional_formatting = ConditionalFormattingList()
    ws.delete_rows(1, ws.max_row)
    ws.column_dimensions.clear()
    ws.row_dimensions.clear()
    ws.freeze_panes = None
    ws.auto_filter.ref = None


def freeze_header(ws: Worksheet, table: Table | XlTable, top_left: tuple[int, int] | None = None) -> None:
    """Freeze the rows above a table's first data row, so the header stays visible while scrolling.

    Accepts the openpyxl Table that write_table returned (its ref gives the header row) or a schema Table with
    top_left (default: header in row 1).
    """
    if isinstance(table, XlTable):
        header_row = int("".join(ch for ch in table.ref.split(":")[0] if ch.isdigit()))
    else:
        header_row = (top_left or (1, 1))[0]
    ws.freeze_panes = f"A{header_row + 1}"


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

