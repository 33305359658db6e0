"""Build the sheets of `workbook_template.xlsm` with openpyxl (SPEC §3): every table, Config with named cells,
drop-down lists, conditional formats, the Invoices formula columns, the Start and Dashboard sheets and the hidden
`xlwings.conf` sheet. `package.py` then turns the openpyxl output into a macro-enabled package.

Everything here is deterministic: the same language gives the same workbook, byte for byte, once packaged.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from .. import schema
from xlfin.schema.workbook import stacked_layout
from xlfin.excel.ribbon import RIBBON_GROUPS, RIBBON_LABELS
from ..schema import Column, Lang, Table
from xlfin.schema.settings import CONFIG_KEY_NAMES, DEFAULT_DUNNING_LEVELS, config_rows, defined_name
from xlfin.xlsx.protection import protect_file_sheet
from .tables import freeze_header, side_by_side, write_table
from . import texts
from .texts import pick

SheetKind = Literal["start", "input", "config", "generated", "dashboard", "xlwings"]

WORKBOOK_CODE_NAME = "ThisWorkbook"
XLWINGS_CONF_SHEET = "xlwings.conf"  # xlwings reads its settings only from a sheet with exactly this name
UDF_MODULE = "xlfin_udfs"
# Keys written to xlwings.conf. Only keys with a value: a blank key on the sheet would override the user's own
# xlwings.conf file (xlwings takes the sheet's blank as the answer).
XLWINGS_SETTINGS: tuple[tuple[str, object], ...] = (
    ("UDF Modules", UDF_MODULE),
    # Ribbon macros then run in the persistent Python process the UDFs use, instead of a new python.exe per click.
    ("Use UDF Server", True),
)
FIXED_TIMESTAMP = dt.datetime(2026, 1, 1, 0, 0, 0)
LAST_ROW = 1048576  # validations and formats cover whole columns, so rows added by any tool get them too
TAB_COLORS = {"start": "FF1F4E78", "input": "FF548235", "config": "FFC55A11", "generated": "FF7F7F7F",
              "dashboard": "FF2E75B6", "xlwings": "FF7F7F7F"}


@dataclass(frozen=True)
class SheetSpec:
    key: str
    code_name: str  # VBA code name; equal in every language, so macros never depend on the sheet's label
    en: str
    zh: str
    kind: SheetKind
    tables: tuple[Table, ...] = ()

    def title(self, lang: Lang) -> str:
        return self.zh if lang == "zh-CN" else self.en


def _table_sheet(key: str, code_name: str, kind: SheetKind, *tables: Table) -> SheetSpec:
    return SheetSpec(key, code_name, tables[0].sheet_en, tables[0].sheet_zh, kind, tables)


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("start", "shStart", schema.START_SHEET["en"], schema.START_SHEET["zh-CN"], "start"),
    _table_sheet("customers", "shCustomers", "input", schema.CUSTOMERS),
    _table_sheet("invoices", "shInvoices", "input", schema.INVOICES),
    _table_sheet("payments", "shPayments", "input", schema.PAYMENTS),
    _table_sheet("financials", "shFinancials", "input", schema.FINANCIALS),
    _table_sheet("payment_plans", "shPaymentPlans", "input", schema.PAYMENT_PLANS),
    _table_sheet("config", "shConfig", "config", schema.CONFIG, schema.DUNNING_LEVELS),
    _table_sheet("validation", "shValidation", "generated", schema.VALIDATION),
    _table_sheet("reconciliation", "shReconciliation", "generated", schema.ALLOCATIONS, schema.UNAPPLIED,
                  schema.WRITEOFFS, schema.INVOICE_PAID),
    _table_sheet("aging", "shAging", "generated", schema.AGING, schema.AGING_DETAIL),
    _table_sheet("scorecard", "shScorecard", "generated", schema.SCORECARD),
    _table_sheet("dunning", "shDunning", "generated", schema.DUNNING),
    _table_sheet("dunning_log", "shDunningLog", "generated", schema.DUNNING_LOG),
    _table_sheet("forecast", "shForecast", "generated", schema.CASH_FORECAST, schema.PAY_DATES,
                 schema.DEMAND_FORECAST),
    _table_sheet("outbox", "shOutbox", "generated", schema.OUTBOX),
    SheetSpec("dashboard", "shDashboard", schema.DASHBOARD_SHEET["en"], schema.DASHBOARD_SHEET["zh-CN"], "dashboard"),
    _table_sheet("audit", "shAudit", "generated", schema.AUDIT),
    SheetSpec("xlwings_conf", "shXlwingsConf", XLWINGS_CONF_SHEET, XLWINGS_CONF_SHEET, "xlwings"),
)
SHEETS_BY_KEY = {s.key: s for s in SHEETS}
CODE_NAMES: tuple[str, ...] = (WORKBOOK_CODE_NAME, *(s.code_name for s in SHEETS))


def table_positions() -> dict[str, tuple[int, int]]:
    """Top-left cell (row, col) of every table in the template, by schema table key."""
    out: dict[str, tuple[int, int]] = {}
    for spec in SHEETS:
        if spec.kind == "generated":
            # The layout the adapters write when they regenerate a sheet, so a fresh template looks the same.
            positions = [(top, 1) for top in stacked_layout([0] * len(spec.tables))]
        else:
            positions = side_by_side(spec.tables)
        for table, pos in zip(spec.tables, positions):
            out[table.key] = pos
    return out


# ---------------------------------------------------------------- formulas

def _escape(label: str) -> str:
    """A column label inside a structured reference: `[`, `]`, `#` and `'` are escaped with `'`."""
    return re.sub(r"([\[\]#'])", r"'\1", label)


def column_ref(table: Table, key: str, lang: Lang) -> str:
    return f"{table.name}[{_escape(table.column(key).label(lang))}]"


def this_row_ref(table: Table, key: str, lang: Lang) -> str:
    # The file form of [@Column]: Excel and LibreOffice both read it; `@` is only the editor's shorthand.
    return f"{table.name}[[#This Row],[{_escape(table.column(key).label(lang))}]]"


def invoice_formulas(lang: Lang) -> dict[str, str]:
    """The four computed columns of tblInvoices, mirroring xlfin.engine.openitems (Python recomputes anyway)."""
    inv, cust = schema.INVOICES, schema.CUSTOMERS

    def r(key: str) -> str:
        return this_row_ref(inv, key, lang)

    no, typ, amount, paid, out = r("invoice_no"), r("doc_type"), r("amount"), r("paid"), r("outstanding")
    due, issued, customer = r("due_date"), r("invoice_date"), r("customer_id")
    c_id, c_terms = column_ref(cust, "customer_id", lang), column_ref(cust, "payment_terms_days", lang)
    credit = schema.DOC_TYPE[1]
    # Either language's label: a zh workbook may hold rows pasted from an English one.
    is_credit = f'OR({typ}="{credit.en}",{typ}="{credit.zh}")'
    no_row = f'{no}=""'
    not_amount = f"NOT(ISNUMBER({amount}))"
    left = f"ROUND({amount}-N({paid}),2)"
    terms = (f'IF(COUNTIFS({c_id},{customer},{c_terms},">=0")>0,SUMIFS({c_terms},{c_id},{customer}),'
             f"{defined_name('default_terms_days')})")
    due_date = f"IF(ISNUMBER({due}),{due},{summary_due(no, f'{issued}+{terms}', lang)})"
    as_of = f"IF(ISNUMBER({defined_name('as_of_date')}),{defined_name('as_of_date')},TODAY())"
    status = {c.value: c.label(lang) for c in schema.INVOICE_STATUS}
    return {
        "paid": f'=IF({no_row},"",ROUND({paid_lookup(no, is_credit, lang)},2))',
        # Type is compared (two strings, the costly part) only where the sign or the label depends on it.
        "outstanding": f'=IF(OR({no_row},{not_amount}),"",IF({left}=0,0,IF({is_credit},-1,1)*{left}))',
        "days_overdue": f'=IF({no_row},"",IF(N({out})<=0,0,IF(AND(NOT(ISNUMBER({due})),NOT(ISNUMBER({issued}))),"",'
                        f"MAX(0,{as_of}-{due_date}))))",
        "status": f'=IF(OR({no_row},{not_amount}),"",IF({left}<=0,"{status["Paid"]}",IF({is_credit},'
                  f'"{status["Credit"]}",IF(N({paid})>0,"{status["Partly Paid"]}","{status["Open"]}"))))',
    }


def paid_by_scan(no: str, is_credit: str, lang: Lang) -> str:
    """Paid as SUMIFS over tblAllocations: allocations to the document, plus, for a credit note, what it settled.
    O(allocations) per row; only the fallback of paid_lookup (and the old design, kept for the benchmark)."""
    alloc = schema.ALLOCATIONS
    a_amount, a_invoice, a_payment = (column_ref(alloc, k, lang) for k in ("amount", "invoice_no", "payment_id"))
    return f"SUMIFS({a_amount},{a_invoice},{no})+IF({is_credit},SUMIFS({a_amount},{a_payment},{no}),0)"


def _own_summary_row(lang: Lang) -> tuple[str, str]:
    """(tblInvoicePaid[Invoice No], this row's position in tblInvoices): reconcile writes the summary row for row."""
    keys = column_ref(schema.INVOICE_PAID, "invoice_no", lang)
    header = f"{schema.INVOICES.name}[[#Headers],[{_escape(schema.INVOICES.column('invoice_no').label(lang))}]]"
    return keys, f"ROW()-ROW({header})"


def summary_due(no: str, otherwise: str, lang: Lang) -> str:
    """A blank Due Date: the engine's (terms applied) from this row's summary row, O(1); `otherwise` (the terms
    scanned in tblCustomers) when the row moved or is new since the last run, or the summary has no date."""
    keys, own = _own_summary_row(lang)
    due = f"INDEX({column_ref(schema.INVOICE_PAID, 'due_date', lang)},{own})"
    return f'IFERROR(IF(AND(INDEX({keys},{own})={no}&"",ISNUMBER({due})),{due},{otherwise}),{otherwise})'


def paid_lookup(no: str, is_credit: str, lang: Lang) -> str:
    """Paid from tblInvoicePaid, which reconcile writes row for row in tblInvoices' order (engine/paid_lookup.py):
    the summary row at this row's own position, when it holds this row's number — O(1), so a full recalculation
    is linear. A row that moved or is new since the last run finds its number by an exact match in the summary,
    checked (MATCH honours wildcards), and a number the summary lacks falls back to paid_by_scan. `no&""` makes a
    number typed as a number compare with the summary's text (docs/excel-recalc.md)."""
    keys, own = _own_summary_row(lang)
    paid = column_ref(schema.INVOICE_PAID, "paid", lang)
    text = f'{no}&""'
    found = f"MATCH({text},{keys},0)"
    return (f"IFERROR(IF(INDEX({keys},{own})={text},INDEX({paid},{own}),"
            f"IF(INDEX({keys},{found})={text},INDEX({paid},{found}),NA())),{paid_by_scan(no, is_credit, lang)})")


# ---------------------------------------------------------------- validations and formats

_MESSAGES = {
    "list": ("Choose a value from the list.", "请从列表中选择。"),
    "currency": ("Not a common ISO 4217 code: check it (other codes are accepted with a warning).",
                 "不是常用的 ISO 4217 币种代码，请核对(其他代码可以使用，但会提示警告)。"),
    "customer": ("This Customer ID is not on the Customers sheet yet.", "该客户编号尚未在“客户”表中登记。"),
    "date": ("Enter a date (e.g. 2026-03-31).", "请输入日期(如 2026-03-31)。"),
    "number_min": ("Enter a number ≥ {minimum}.", "请输入不小于 {minimum} 的数字。"),
    "positive": ("Enter a number > 0.", "请输入大于 0 的数字。"),
    "whole_min": ("Enter a whole number ≥ {minimum}.", "请输入不小于 {minimum} 的整数。"),
    "title": ("xlfin", "xlfin"),
}


def _msg(key: str, lang: Lang, **fmt: object) -> str:
    return pick(_MESSAGES[key], lang).format(**fmt)


def _column_range(top_left: tuple[int, int], offset: int) -> str:
    letter = get_column_letter(top_left[1] + offset)
    return f"{letter}{top_left[0] + 1}:{letter}{LAST_ROW}"


def _list_formula(values: list[str]) -> str:
    return '"' + ",".join(values) + '"'


def _validation_for(column: Column, lang: Lang) -> DataValidation | None:
    """The drop-down or bound that suits a column, or None. Closed lists stop a wrong entry; the rest warn."""
    title = _msg("title", lang)
    common = {"allow_blank": True, "showErrorMessage": True, "errorTitle": title}
    if column.computed:
        return None
    if column.choices:
        return DataValidation(type="list", formula1=_list_formula([c.label(lang) for c in column.choices]),
                              errorStyle="stop", error=_msg("list", lang), **common)
    if column.type == "currency":
        return DataValidation(type="list", formula1=_list_formula(list(schema.CURRENCIES)), errorStyle="warning",
                              error=_msg("currency", lang), **common)
    if column.type == "date":
        return DataValidation(type="date", operator="between", formula1="1", formula2="2958465", errorStyle="warning",
                              error=_msg("date", lang), **common)
    if column.type == "money" and (column.positive or column.minimum is not None):
        if column.positive:
            return DataValidation(type="decimal", operator="greaterThan", formula1="0", errorStyle="stop",
                                  error=_msg("positive", lang), **common)
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1=f"{column.minimum:g}",
                              errorStyle="stop", error=_msg("number_min", lang, minimum=f"{column.minimum:g}"),
                              **common)
    if column.type == "int" and column.minimum is not None:
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1=f"{column.minimum:g}",
                              errorStyle="stop", error=_msg("whole_min", lang, minimum=f"{column.minimum:g}"),
                              **common)
    return None


def add_validations(ws: Worksheet, table: Table, top_left: tuple[int, int], lang: Lang) -> None:
    customers_id = column_ref(schema.CUSTOMERS, "customer_id", lang)
    for j, column in enumerate(table.columns):
        dv = _validation_for(column, lang)
        if dv is None and column.key == "customer_id" and table is not schema.CUSTOMERS:
            # A list from the Customers table; a warning, because customers are often added after their invoices.
            dv = DataValidation(type="list", formula1=f'INDIRECT("{customers_id}")', allow_blank=True,
                                showErrorMessage=True, errorStyle="warning", errorTitle=_msg("title", lang),
                                error=_msg("customer", lang))
        if dv is None:
            continue
        dv.add(_column_range(top_left, j))
        ws.add_data_validation(dv)


_OVERDUE_FILL = PatternFill(bgColor="FFFFC7CE")
_OVERDUE_FONT = Font(color="FF9C0006")


def _letter(table: Table, key: str, top_left: tuple[int, int]) -> str:
    return get_column_letter(top_left[1] + table.keys.index(key))


def add_conditional_formats(wb: Workbook, lang: Lang, positions: dict[str, tuple[int, int]]) -> None:
    """Overdue invoice rows and customers over their credit limit in red. Conditional formats cannot use
    structured references, so these use plain column references."""
    inv, cust = schema.INVOICES, schema.CUSTOMERS
    inv_pos, cust_pos = positions["invoices"], positions["customers"]
    first = inv_pos[0] + 1
    days = _letter(inv, "days_overdue", inv_pos)
    outstanding = _letter(inv, "outstanding", inv_pos)
    inv_range = (f"{get_column_letter(inv_pos[1])}{first}:"
                 f"{get_column_letter(inv_pos[1] + len(inv.columns) - 1)}{LAST_ROW}")
    wb[inv.sheet(lang)].conditional_formatting.add(
        inv_range, FormulaRule(formula=[f"AND(N(${days}{first})>0,N(${outstanding}{first})>0)"],
                               fill=_OVERDUE_FILL, font=_OVERDUE_FONT))

    cfirst = cust_pos[0] + 1
    limit = _letter(cust, "credit_limit", cust_pos)
    cid = _letter(cust, "customer_id", cust_pos)
    inv_sheet = quote_sheetname(inv.sheet(lang))
    inv_cid = _letter(inv, "customer_id", inv_pos)
    exposure = f"SUMIFS({inv_sheet}!${outstanding}:${outstanding},{inv_sheet}!${inv_cid}:${inv_cid},${cid}{cfirst})"
    cust_range = (f"{get_column_letter(cust_pos[1])}{cfirst}:"
                  f"{get_column_letter(cust_pos[1] + len(cust.columns) - 1)}{LAST_ROW}")
    wb[cust.sheet(lang)].conditional_formatting.add(
        cust_range, FormulaRule(formula=[f'AND(${cid}{cfirst}<>"",ISNUMBER(${limit}{cfirst}),{exposure}>${limit}{cfirst})'],
                                fill=_OVERDUE_FILL, font=_OVERDUE_FONT))


# ---------------------------------------------------------------- sheets

_TITLE_FONT = Font(bold=True, size=16, color="FF1F4E78")
_HEAD_FONT = Font(bold=True, size=12, color="FF1F4E78")
_BOLD = Font(bold=True)
_LINK_FONT = Font(color="FF0563C1", underline="single")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _link(ws: Worksheet, row: int, col: int, text: str, sheet: str) -> None:
    cell = ws.cell(row=row, column=col, value=text)
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{quote_sheetname(sheet)}!A1", display=text)
    cell.font = _LINK_FONT


def _text(ws: Worksheet, row: int, col: int, text: str, font: Font | None = None) -> None:
    if not text:
        # An empty string would be written as an empty inline-string cell, which Excel repairs on open.
        return
    cell = ws.cell(row=row, column=col, value=text)
    cell.data_type = "s"  # e.g. "=AGING_BUCKET(...)" is documentation, not a formula
    cell.alignment = _WRAP
    if font is not None:
        cell.font = font


def build_start_sheet(ws: Worksheet, lang: Lang, xlwings_version: str) -> None:
    for col, width in (("A", 30), ("B", 22), ("C", 90)):
        ws.column_dimensions[col].width = width
    _text(ws, 1, 1, pick(texts.TITLE, lang), _TITLE_FONT)
    _text(ws, 2, 1, pick(texts.INTRO, lang))
    ws.merge_cells("A2:C2")
    ws.row_dimensions[2].height = 48
    row = 4

    def heading(pair: tuple[str, str], *columns: tuple[str, str]) -> None:
        nonlocal row
        _text(ws, row, 1, pick(pair, lang), _HEAD_FONT)
        row += 1
        for j, label in enumerate(columns):
            _text(ws, row, j + 1, pick(label, lang), _BOLD)
        row += 1 if columns else 0

    def sheet_rows(kinds: tuple[SheetKind, ...]) -> None:
        nonlocal row
        for spec in SHEETS:
            if spec.kind not in kinds:
                continue
            _link(ws, row, 1, spec.title(lang), spec.title(lang))
            _text(ws, row, 2, ", ".join(t.name for t in spec.tables))
            _text(ws, row, 3, pick(texts.SHEET_NOTES[spec.key], lang))
            row += 1
        row += 1

    heading(texts.HEAD_INPUT, texts.COL_SHEET, ("Table", "表"), texts.COL_WHAT)
    sheet_rows(("input", "config"))
    heading(texts.HEAD_GENERATED, texts.COL_SHEET, ("Table", "表"), texts.COL_WHAT)
    sheet_rows(("generated", "dashboard"))

    heading((f"Ribbon: the {RIBBON_LABELS['en']['tab']} tab", f"功能区：“{RIBBON_LABELS['zh-CN']['tab']}”选项卡"), texts.COL_GROUP, texts.COL_BUTTON, texts.COL_DOES)
    labels = RIBBON_LABELS[lang]
    for group, entries in RIBBON_GROUPS:
        for entry in entries:
            _text(ws, row, 1, labels[f"group.{group}"])
            _text(ws, row, 2, labels[entry])
            _text(ws, row, 3, pick(texts.RIBBON_DOES[entry], lang))
            row += 1
    row += 1

    heading(texts.HEAD_FORMULAS, texts.COL_FORMULA, texts.COL_RETURNS, ("Syntax", "语法"))
    for syntax, returns_en, returns_zh in texts.FORMULAS:
        _text(ws, row, 1, syntax[1:].split("(")[0])
        _text(ws, row, 2, returns_zh if lang == "zh-CN" else returns_en)
        _text(ws, row, 3, syntax)
        row += 1
    _text(ws, row, 1, pick(texts.FORMULAS_NOTE, lang))
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    row += 2

    heading(texts.HEAD_COMPUTED)
    for pair in texts.COMPUTED:
        _text(ws, row, 1, pick(pair, lang))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        row += 1
    row += 1

    heading(texts.HEAD_SETUP)
    for pair in texts.SETUP:
        _text(ws, row, 1, pick(pair, lang).replace("{xlwings}", xlwings_version))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        row += 1


def build_config_sheet(wb: Workbook, ws: Worksheet, lang: Lang, positions: dict[str, tuple[int, int]]) -> None:
    config_pos, levels_pos = positions["config"], positions["dunning_levels"]
    rows = [list(r) for r in config_rows(lang)]
    # The value column holds numbers, dates and text, so it must not carry the text format.
    write_table(ws, schema.CONFIG, rows, lang, config_pos, text_format=False)
    value_col = config_pos[1] + schema.CONFIG.keys.index("value")
    sheet = quote_sheetname(ws.title)
    for i, (key, _value, _desc) in enumerate(rows):
        r = config_pos[0] + 1 + i
        letter = get_column_letter(value_col)
        wb.defined_names[defined_name(key)] = DefinedName(defined_name(key), attr_text=f"{sheet}!${letter}${r}")
        cell = ws.cell(row=r, column=value_col)
        dv = _config_validation(key, lang)
        if dv is not None:
            dv.add(cell.coordinate)
            ws.add_data_validation(dv)
        if key == "as_of_date":
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(cell.value, str):
            cell.data_type = "s"
    levels = [[lv.level, lv.from_days, lv.action, lv.template, float(lv.fee)] for lv in DEFAULT_DUNNING_LEVELS[lang]]
    write_table(ws, schema.DUNNING_LEVELS, levels, lang, levels_pos)
    add_validations(ws, schema.DUNNING_LEVELS, levels_pos, lang)
    freeze_header(ws, schema.CONFIG, config_pos)


_CONFIG_LISTS = {
    "aging_basis": ["due", "invoice"],
    "reconcile_fifo": ["yes", "no"],
    "allow_mixed_currency": ["yes", "no"],
    "language": ["en", "zh-CN"],
}


def _config_validation(key: str, lang: Lang) -> DataValidation | None:
    common = {"allow_blank": True, "showErrorMessage": True, "errorTitle": _msg("title", lang)}
    if key in _CONFIG_LISTS:
        return DataValidation(type="list", formula1=_list_formula(_CONFIG_LISTS[key]), errorStyle="stop",
                              error=_msg("list", lang), **common)
    if key == "base_currency":
        return DataValidation(type="list", formula1=_list_formula(list(schema.CURRENCIES)), errorStyle="warning",
                              error=_msg("currency", lang), **common)
    if key == "as_of_date":
        return DataValidation(type="date", operator="between", formula1="1", formula2="2958465", errorStyle="warning",
                              error=_msg("date", lang), **common)
    return None


def build_dashboard_sheet(ws: Worksheet, lang: Lang) -> None:
    from xlfin.schema.i18n import t

    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 18
    _text(ws, 1, 1, t("dashboard_title", lang), _TITLE_FONT)
    _text(ws, 2, 1, pick(texts.DASHBOARD_NOTE, lang))


def build_xlwings_conf_sheet(ws: Worksheet, lang: Lang) -> None:
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 20
    for i, (key, value) in enumerate(XLWINGS_SETTINGS, start=1):
        ws.cell(row=i, column=1, value=key)
        ws.cell(row=i, column=2, value=value)
    # One blank row ends the settings block (xlwings reads A1 down to the first blank).
    _text(ws, len(XLWINGS_SETTINGS) + 2, 1, pick(texts.XLWINGS_CONF_NOTE, lang))
    ws.sheet_state = "hidden"


def build_workbook(lang: Lang = "en") -> Workbook:
    """The template as an openpyxl Workbook (no VBA, no ribbon: package.py adds those)."""
    import xlwings

    if lang not in schema.LANGS:
        raise ValueError(f"language must be one of {schema.LANGS}, not {lang!r}")
    wb = Workbook()
    wb.remove(wb.active)
    wb.code_name = WORKBOOK_CODE_NAME
    wb.properties.creator = "xlfin"
    wb.properties.title = pick(texts.TITLE, lang)
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    wb.properties.lastModifiedBy = "xlfin"
    wb.calculation.fullCalcOnLoad = True  # openpyxl stores no cached results: have Excel compute on open
    positions = table_positions()

    for spec in SHEETS:
        ws = wb.create_sheet(spec.title(lang))
        ws.sheet_properties.codeName = spec.code_name
        ws.sheet_properties.tabColor = TAB_COLORS[spec.kind]
        if spec.kind == "start":
            build_start_sheet(ws, lang, xlwings.__version__)
        elif spec.kind == "dashboard":
            build_dashboard_sheet(ws, lang)
        elif spec.kind == "xlwings":
            build_xlwings_conf_sheet(ws, lang)
        elif spec.kind == "config":
            build_config_sheet(wb, ws, lang, positions)
        else:
            for table in spec.tables:
                pos = positions[table.key]
                formulas = invoice_formulas(lang) if table is schema.INVOICES else None
                write_table(ws, table, [], lang, pos, formulas=formulas)
                if spec.kind == "input":
                    add_validations(ws, table, pos, lang)
            if len(spec.tables) == 1:  # with stacked tables a frozen first header would hide the second one
                freeze_header(ws, spec.tables[0], positions[spec.tables[0].key])
        if spec.kind in ("generated", "dashboard"):
            protect_file_sheet(ws)  # report sheets: protected without a password, as every run leaves them (#17)
    add_conditional_formats(wb, lang, positions)
    wb.active = 0
    return wb


def expected_defined_names() -> list[str]:
    return [defined_name(k) for k in CONFIG_KEY_NAMES]


__all__ = [
    "SHEETS",
    "SHEETS_BY_KEY",
    "CODE_NAMES",
    "SheetSpec",
    "WORKBOOK_CODE_NAME",
    "XLWINGS_CONF_SHEET",
    "XLWINGS_SETTINGS",
    "UDF_MODULE",
    "build_workbook",
    "invoice_formulas",
    "table_positions",
    "column_ref",
    "this_row_ref",
    "expected_defined_names",
]
