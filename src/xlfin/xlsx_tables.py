"""Write a schema table into an openpyxl worksheet as a real Excel Table (ListObject).

Used by the template builder and by the file adapter when it replaces a generated sheet. One function decides how
every table looks (header style, number formats, widths), so a regenerated sheet matches the template.

Safety (SPEC §8): text is written as text. A string that begins with `=`, `+`, `-` or `@` is stored as a string cell
with Excel's quote prefix, never as a formula, so remittance text cannot inject a formula into the workbook.

Large generated tables skip openpyxl's cell objects (~30 µs per cell to create and save): with `cells_xml`, the cells
are written as `<row>` XML into a `SheetXml` — the same cells, types, styles and number formats openpyxl would
write — which the file adapter splices into the saved sheet part.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import copy
from dataclasses import replace

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, get_time_format
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
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
    "SheetXml",
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


def _write_value(ws: Worksheet, row: int, col: int, value: object, style: StyleArray | None) -> Cell:
    cell = Cell(ws, row=row, column=col, value=value)
    ws._cells[(row, col)] = cell  # direct insert: ws.cell() costs a lookup per cell on large tables
    if style is not None:
        cell._style = copy(style)
    if isinstance(value, str):
        # openpyxl turns "=..." into a formula on assignment; force a string cell. The quote prefix keeps Excel
        # from reading the text as a formula when a user later edits the cell.
        cell.data_type = "s"
        if value.startswith(_FORMULA_LEADS):
            cell.quotePrefix = True
    return cell


def _column_style(ws: Worksheet, number_format: str | None) -> StyleArray | None:
    """The style of a data cell with this number format, computed once per column and copied to every cell."""
    if number_format is None:
        return None
    probe = Cell(ws, row=1, column=1)
    probe.number_format = number_format
    return probe._style


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
                formulas: Mapping[str, str] | None = None, text_format: bool | None = None,
                cells_xml: SheetXml | None = None) -> XlTable:
    """Write a header row (labels of `lang`) and `rows` (values in schema column order) as an Excel Table.

    formulas: column key -> a formula (with leading `=`) written in every data row and recorded as the table
    column's calculated formula, so Excel fills it into rows a user adds. An empty table gets one blank row
    (a ListObject needs one data row). text_format: give text columns the `@` format (default: input and
    config tables, where users type). cells_xml: write the cells there as XML instead of as openpyxl cells (hyperlink
    cells are also added to the sheet, which is how openpyxl writes the links); the table definition, column widths
    and styles are the same either way.
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
    styles = [_column_style(ws, f) for f in formats]
    formula_styles = [_column_style(ws, None if f == TEXT_FORMAT else f) for f in formats]
    if cells_xml is not None:
        _write_cells_xml(cells_xml, ws, table, rows, lang, top_left, header_names, styles, formula_styles, formulas)
    else:
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
                 header_names: list[str], styles: list[StyleArray | None], formula_styles: list[StyleArray | None],
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


# ---------------------------------------------------------------- cells as XML


class SheetXml:
    """The cells of a generated sheet as `<row>` XML, built without an openpyxl Cell per value.

    Style ids come from the workbook's own style list (openpyxl writes that list in order), so they are the ids
    openpyxl would have given the same cells. `carriers` are the cells also added to the worksheet for their
    hyperlinks: openpyxl writes the links and their relationships from them; their own XML is replaced by this."""

    def __init__(self) -> None:
        self._rows: dict[int, list[tuple[int, str]]] = {}
        self._cols: set[int] = set()
        self.carriers: set[tuple[int, int]] = set()

    def add_row(self, row: int, first_col: int, last_col: int, cells: str) -> None:
        self._rows.setdefault(row, []).append((first_col, cells))
        self._cols.update((first_col, last_col))

    def sheet_data(self) -> bytes:
        parts = ["<sheetData>"]
        for row in sorted(self._rows):
            pieces = self._rows[row]
            if len(pieces) > 1:
                pieces.sort(key=lambda p: p[0])  # tables side by side: cells in column order
            parts.append(f'<row r="{row}">' + "".join(p[1] for p in pieces) + "</row>")
        parts.append("</sheetData>")
        return "".join(parts).encode("utf-8")

    def dimension(self) -> str | None:
        if not self._rows:
            return None
        return (f"{get_column_letter(min(self._cols))}{min(self._rows)}:"
                f"{get_column_letter(max(self._cols))}{max(self._rows)}")


def _xml_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class _CellEncoder:
    """A value -> the XML of its cell after the address (`' s="3" t="n"><v>1.5</v></c>'`), as openpyxl writes a
    cell given that value and style: the same data type, number (`%.16g`), date serial and inline string."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.wb = ws.parent
        self._ids: dict[tuple, str] = {}
        self._date_styles: dict[type, StyleArray] = {}

    def style_attr(self, style: StyleArray | None) -> str:
        if style is None or not any(style):
            return ""
        key = tuple(style)
        got = self._ids.get(key)
        if got is None:
            got = self._ids[key] = f' s="{self.wb._cell_styles.add(copy(style))}"'
        return got

    def quoted(self, style: StyleArray | None) -> StyleArray:
        quoted = copy(style) if style is not None else StyleArray()
        quoted.quotePrefix = 1
        return quoted

    def date_style(self, kind: type) -> StyleArray:
        """What openpyxl gives an unstyled cell that is set to a date: its default date format."""
        if kind not in self._date_styles:
            probe = Cell(self.ws, row=1, column=1)
            probe.number_format = get_time_format(kind)
            self._date_styles[kind] = probe._style
        return self._date_styles[kind]

    def tail(self, value: object, style: StyleArray | None, *, quote: bool = True) -> str:
        """The cell of a value written as `_write_value` writes it: strings stay strings (quote prefix before a
        formula lead), dates get a date format when the column has no style."""
        if value is None:
            return self.style_attr(style) + ' t="n"/>'
        kind = value.__class__
        if kind is str:
            if quote and value.startswith(_FORMULA_LEADS):
                style = self.quoted(style)
            attr = self.style_attr(style)
            if value == "":
                return attr + ' t="inlineStr"/>'
            stripped = value.strip()
            space = ' xml:space="preserve"' if stripped and stripped != value else ""
            return f'{attr} t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>'
        if kind is bool:
            return f'{self.style_attr(style)} t="b"><v>{int(value)}</v></c>'
        if kind is int or kind is float:
            return f'{self.style_attr(style)} t="n"><v>{safe_string(value)}</v></c>'
        if (kind is dt.date or kind is dt.datetime) and not self.wb.iso_dates and getattr(value, "tzinfo", None) is None:
            if style is None:
                style = self.date_style(kind)
            return f'{self.style_attr(style)} t="n"><v>{safe_string(to_excel(value, self.wb.epoch))}</v></c>'
        return self._through_openpyxl(value, style)

    def _through_openpyxl(self, value: object, style: StyleArray | None) -> str:
        """Any other type (numpy numbers, Decimal, times): openpyxl's own cell decides type and format."""
        from xml.etree.ElementTree import tostring

        from openpyxl.cell._writer import etree_write_cell

        cell = Cell(self.ws, row=1, column=1, value=value)
        if style is not None:
            cell._style = copy(style)
        if isinstance(value, str):
            cell.data_type = "s"
            if value.startswith(_FORMULA_LEADS):
                cell.quotePrefix = True
        captured: list = []

        class _Sink:
            def write(self, element) -> None:
                captured.append(element)

        etree_write_cell(_Sink(), self.ws, cell, cell.has_style)
        xml = tostring(captured[0], encoding="unicode")
        return xml[xml.index('"', xml.index(' r="') + 4) + 1:]


def _write_cells_xml(out: SheetXml, ws: Worksheet, table: Table, rows: Sequence[Sequence[object]], lang: Lang,
                     top_left: tuple[int, int], header_names: list[str], styles: list[StyleArray | None],
                     formula_styles: list[StyleArray | None], formulas: Mapping[str, str]) -> None:
    top, left = top_left
    encode = _CellEncoder(ws)
    probe = Cell(ws, row=1, column=1)  # not on the sheet: only its style, as the header cells get it
    probe.font, probe.fill, probe.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    header_style = probe._style
    ncols = len(table.columns)
    letters = [get_column_letter(left + j) for j in range(ncols)]
    out.add_row(top, left, left + ncols - 1, "".join(
        f'<c r="{letter}{top}"' + encode.tail(label, header_style, quote=False)
        for letter, label in zip(letters, header_names)))
    body: Sequence[Sequence[object]] = rows if rows else [[]]
    n = len(body)
    rows_no = [str(top + 1 + i) for i in range(n)]
    columns: list[list[str]] = []
    for j, column in enumerate(table.columns):
        prefix = f'<c r="{letters[j]}'
        if column.key in formulas:
            tail = encode.style_attr(formula_styles[j]) + f"><f>{_xml_text(formulas[column.key][1:])}</f><v></v></c>"
            columns.append([prefix + r + '"' + tail for r in rows_no])
            continue
        values = [row[j] if j < len(row) else None for row in body]
        shown = _value_function(column, lang)
        style = styles[j]
        cache: dict[tuple, str] = {}
        cells = []
        for r, v in zip(rows_no, values):
            try:
                key = (v.__class__, v)
                tail = cache.get(key)
            except TypeError:  # an unhashable value: no caching
                key, tail = None, None
            if tail is None:
                value = shown(v)
                tail = encode.tail(value, style)
                if key is not None:
                    cache[key] = tail
            cells.append(prefix + r + '"' + tail)
        if column.type == "link":
            for i, v in enumerate(values):
                value = shown(v)
                if value:
                    _add_link_carrier(out, ws, top + 1 + i, left + j, value)
        columns.append(cells)
    last = left + ncols - 1
    for r, cells in zip(range(top + 1, top + 1 + n), zip(*columns)):
        out.add_row(r, left, last, "".join(cells))


def _value_function(column: Column, lang: Lang) -> Callable[[object], object]:
    shown_column = _shown_column(column)
    return lambda v: cell_value(v, shown_column, lang)


def _add_link_carrier(out: SheetXml, ws: Worksheet, row: int, col: int, value: object) -> None:
    """A cell on the worksheet only for its hyperlink (a link to our own generated file, never a HYPERLINK()
    formula); its XML in the saved sheet is replaced by the SheetXml's."""
    cell = Cell(ws, row=row, column=col, value=value)
    cell.data_type = "s"
    ws._cells[(row, col)] = cell
    cell.hyperlink = str(value)
    out.carriers.add((row, col))


def clear_sheet(ws: Worksheet) -> None:
    """Empty a generated sheet before it is rewritten: cells, tables, validations, formats, merges, freeze."""
    for name in list(ws.tables.keys()):
        del ws.tables[name]
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.data_validations.dataValidation = []
    from openpyxl.formatting.formatting import ConditionalFormattingList

    ws.conditional_formatting = ConditionalFormattingList()
    ws._cells.clear()
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

