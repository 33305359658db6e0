"""Write a schema table into an openpyxl worksheet as a real Excel Table (ListObject): the template builder's tables.

The template builder creates new sheets with openpyxl; the file format writes generated sheets as streamed XML
(`xlfin.xlsx.sheet`). Both take their formats, widths, table style and cell values from `xlfin.xlsx.formats`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn, TableFormula, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..schema import Lang, Table
from ..xlsx.formats import (
    DEFAULT_WIDTHS,
    FORMULA_LEADS,
    HEADER_FILL_RGB,
    HEADER_FONT_RGB,
    TABLE_STYLE,
    TEXT_FORMAT,
    _shown_column,
    cell_value,
    column_number_format,
    side_by_side,
)

__all__ = ["write_table", "clear_sheet", "freeze_header", "side_by_side", "table_range"]

HEADER_FILL = PatternFill(fill_type="solid", start_color=HEADER_FILL_RGB, end_color=HEADER_FILL_RGB)
HEADER_FONT = Font(bold=True, color=HEADER_FONT_RGB)
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")


def _write_value(ws: Worksheet, row: int, col: int, value: object, number_format: str | None) -> Cell:
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if number_format is not None:
        cell.number_format = number_format
    if isinstance(value, str):
        # openpyxl turns "=..." into a formula on assignment; force a string cell. The quote prefix keeps Excel
        # from reading the text as a formula when a user later edits the cell.
        cell.data_type = "s"
        if value.startswith(FORMULA_LEADS):
            cell.quotePrefix = True
    return cell


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
