"""Structural checks of a built template (.xlsm bytes), without Excel. Each check returns problems as text.

Package and VBA level (content types, relationships, source-only VBA project, code names ↔ document modules,
ribbon callbacks ↔ Subs) come from `xlfin.vba.check.check_xlsm`. On top of that this module checks what the
template promises by SPEC §3: every sheet in order with its code name, every table with the headers of the
workbook's language, the Invoices formula columns, drop-down lists, Config names, the xlwings.conf sheet and the
embedded xlwings VBA matching the installed xlwings version.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
from openpyxl.workbook.workbook import Workbook

from .. import schema
from xlfin.excel.ribbon import RIBBON_MODULE
from ..schema import Lang
from xlfin.schema.settings import CONFIG_KEY_NAMES, defined_name
from ..vba.check import VBACheckError, check_xlsm, read_vba_project
from .builder import (
    SHEETS,
    WORKBOOK_CODE_NAME,
    XLWINGS_CONF_SHEET,
    XLWINGS_SETTINGS,
    invoice_formulas,
    table_positions,
)
from .package import default_udf_module_path, udf_module_from_file

MAX_TEMPLATE_BYTES = 20_000_000


def check_structure(data: bytes, lang: Lang = "en") -> list[str]:
    """Everything wrong with these template bytes for language `lang`; [] when nothing is."""
    if len(data) > MAX_TEMPLATE_BYTES:
        return [f"file is {len(data)} bytes, over the {MAX_TEMPLATE_BYTES} limit for a template"]
    problems = list(check_xlsm(data))
    problems += module_set_problems(data)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data))
    except Exception as exc:  # any parse failure is one problem, not a crash of the check
        return problems + [f"openpyxl cannot read the workbook: {exc}"]
    for check in (sheet_problems, table_problems, formula_problems, validation_problems, name_problems,
                  xlwings_conf_problems):
        problems += check(wb, lang)
    return problems


def module_set_problems(data: bytes) -> list[str]:
    """The ribbon module, xlwings' standalone VBA (of the installed xlwings version) and, when the checkout has
    one, the UDF wrapper module must all be in the project."""
    import xlwings

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            vba = archive.read("xl/vbaProject.bin")
        info = read_vba_project(vba)
    except (KeyError, zipfile.BadZipFile, VBACheckError) as exc:
        return [f"cannot read the VBA project: {exc}"]
    sources = info.sources()
    wanted = [RIBBON_MODULE, "xlwings", "Dictionary"]
    udf_path = default_udf_module_path()
    if udf_path is not None:
        wanted.append(udf_module_from_file(udf_path).name)
    problems = [f"VBA module {name!r} is missing" for name in wanted if name not in sources]
    dll = f"xlwings64-{xlwings.__version__}.dll"
    if "xlwings" in sources and dll not in sources["xlwings"]:
        problems.append(f"VBA module 'xlwings' is not the installed xlwings {xlwings.__version__} (no {dll}); "
                        "rebuild the template")
    return problems


def sheet_problems(wb: Workbook, lang: Lang) -> list[str]:
    problems: list[str] = []
    titles = [spec.title(lang) for spec in SHEETS]
    if wb.sheetnames != titles:
        problems.append(f"sheets are {wb.sheetnames}, expected {titles}")
    if wb.code_name != WORKBOOK_CODE_NAME:
        problems.append(f"workbook code name is {wb.code_name!r}, not {WORKBOOK_CODE_NAME!r}")
    for spec in SHEETS:
        title = spec.title(lang)
        if title not in wb.sheetnames:
            continue
        code = wb[title].sheet_properties.codeName
        if code != spec.code_name:
            problems.append(f"sheet {title!r} has code name {code!r}, expected {spec.code_name!r}")
    return problems


def table_problems(wb: Workbook, lang: Lang) -> list[str]:
    problems: list[str] = []
    for table in schema.ALL_TABLES:
        sheet = table.sheet(lang)
        if sheet not in wb.sheetnames:
            problems.append(f"{table.name}: sheet {sheet!r} is missing")
            continue
        ws = wb[sheet]
        if table.name not in ws.tables:
            problems.append(f"{table.name}: no such table on sheet {sheet!r}")
            continue
        xl = ws.tables[table.name]
        names = [c.name for c in xl.tableColumns]
        if names != table.headers(lang):
            problems.append(f"{table.name}: columns {names}, expected {table.headers(lang)}")
        first = xl.ref.split(":")[0]
        row = ws[first].row
        col = ws[first].column
        cells = [ws.cell(row=row, column=col + j).value for j in range(len(table.columns))]
        if cells != table.headers(lang):
            problems.append(f"{table.name}: header cells {cells} differ from the table's column names")
        if xl.tableStyleInfo is None or xl.autoFilter is None:
            problems.append(f"{table.name}: has no table style or no filter buttons")
    return problems


def formula_problems(wb: Workbook, lang: Lang) -> list[str]:
    inv = schema.INVOICES
    sheet = inv.sheet(lang)
    if sheet not in wb.sheetnames or inv.name not in wb[sheet].tables:
        return []  # reported by table_problems
    ws = wb[sheet]
    xl = ws.tables[inv.name]
    top, left = table_positions()[inv.key]
    expected = invoice_formulas(lang)
    problems: list[str] = []
    by_name = {c.name: c for c in xl.tableColumns}
    for key, formula in expected.items():
        label = inv.column(key).label(lang)
        cell = ws.cell(row=top + 1, column=left + inv.keys.index(key))
        if cell.value != formula:
            problems.append(f"{inv.name}[{label}]: {cell.coordinate} holds {str(cell.value)[:60]!r}, not the formula")
        column = by_name.get(label)
        calculated = column.calculatedColumnFormula if column is not None else None
        if calculated is None or f"={calculated.attr_text}" != formula:
            problems.append(f"{inv.name}[{label}]: no calculated column formula (Excel would not fill new rows)")
    return problems


def _list_values(formula: str | None) -> list[str] | None:
    if not formula or not formula.startswith('"'):
        return None
    return formula.strip('"').split(",")


def validation_problems(wb: Workbook, lang: Lang) -> list[str]:
    """Every closed list (status, type, method, yes/no, frequency) and currency column of an input table offers a
    drop-down in the workbook's language."""
    problems: list[str] = []
    positions = table_positions()
    for table in schema.INPUT_TABLES:
        sheet = table.sheet(lang)
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        top, left = positions[table.key]
        for j, column in enumerate(table.columns):
            if column.computed or not (column.choices or column.type == "currency"):
                continue
            wanted = ([c.label(lang) for c in column.choices] if column.choices else list(schema.CURRENCIES))
            coordinate = ws.cell(row=top + 1, column=left + j).coordinate
            lists = [_list_values(dv.formula1) for dv in ws.data_validations.dataValidation
                     if dv.type == "list" and coordinate in dv.sqref]
            if wanted not in lists:
                problems.append(f"{table.name}[{column.label(lang)}]: no drop-down list {wanted} at {coordinate}")
    return problems


def name_problems(wb: Workbook, lang: Lang) -> list[str]:
    """Each Config key is a workbook name pointing at its value cell, next to the cell holding the key."""
    problems: list[str] = []
    sheet = schema.CONFIG.sheet(lang)
    for key in CONFIG_KEY_NAMES:
        name = defined_name(key)
        if name not in wb.defined_names:
            problems.append(f"workbook name {name} (Config {key}) is missing")
            continue
        destinations = list(wb.defined_names[name].destinations)
        if len(destinations) != 1 or destinations[0][0] != sheet:
            problems.append(f"workbook name {name} refers to {destinations}, not one cell on {sheet!r}")
            continue
        cell = wb[sheet][destinations[0][1].replace("$", "")]
        key_cell = cell.offset(column=-1)
        if key_cell.value != key:
            problems.append(f"workbook name {name} points at {cell.coordinate}, but the key there is {key_cell.value!r}")
    return problems


def xlwings_conf_problems(wb: Workbook, lang: Lang) -> list[str]:
    if XLWINGS_CONF_SHEET not in wb.sheetnames:
        return [f"sheet {XLWINGS_CONF_SHEET!r} is missing (xlwings would not find UDF Modules)"]
    ws = wb[XLWINGS_CONF_SHEET]
    problems = [] if ws.sheet_state == "hidden" else [f"sheet {XLWINGS_CONF_SHEET!r} is not hidden"]
    found: dict[str, object] = {}
    row = 1
    while ws.cell(row=row, column=1).value not in (None, ""):  # xlwings reads A1 down to the first blank
        found[str(ws.cell(row=row, column=1).value).upper()] = ws.cell(row=row, column=2).value
        row += 1
    for key, value in XLWINGS_SETTINGS:
        if found.get(key.upper()) != value:
            problems.append(f"{XLWINGS_CONF_SHEET}: {key} is {found.get(key.upper())!r}, expected {value!r}")
    return problems
