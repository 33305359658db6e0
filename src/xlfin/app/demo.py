"""`xlfin demo` and `xlfin new --demo`: a realistic workbook from the template, filled with seeded demo data.

The demo is the README's main job: it builds a workbook in the chosen language, fills the input tables the way a
user would have typed them, regenerates every report through the same operations the ribbon runs, writes the
dunning letters, and prints what a credit controller looks at first.
"""

from __future__ import annotations

import datetime as dt
from copy import copy
from pathlib import Path

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook as XlWorkbook

from xlfin import schema
from xlfin.schema import Lang, Table, match_headers
from xlfin.xlsx.formats import cell_value, column_number_format

DEMO_AS_OF = dt.date(2026, 11, 20)
INPUT_KEYS = ("customers", "invoices", "payments", "financials", "payment_plans")


def _find_list_object(wb: XlWorkbook, table: Table):
    for ws in wb.worksheets:
        if table.name in ws.tables:
            return ws, ws.tables[table.name]
    raise KeyError(f"template has no table {table.name}")


def fill_input_table(wb: XlWorkbook, table: Table, data: pd.DataFrame, lang: Lang) -> int:
    """Write `data` (columns = schema keys, values as a user types them) into the template's empty ListObject.

    Computed columns keep the template's formula in every row (structured references, the same text per row);
    number formats follow the schema. Returns the number of rows written.
    """
    ws, xt = _find_list_object(wb, table)
    min_col, min_row, max_col, _ = range_boundaries(xt.ref)
    headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
    positions = match_headers(headers, table).positions
    formulas = {k: ws.cell(min_row + 1, min_col + p).value for k, p in positions.items() if table.column(k).computed}
    n = len(data)
    columns = {k: data[k].tolist() for k in positions if k in data.columns and not table.column(k).computed}
    for key, pos in positions.items():
        col = min_col + pos
        column = table.column(key)
        fmt = column_number_format(column) if key not in formulas else None
        style = _format_style(ws, fmt) if fmt else None
        values = columns.get(key)
        for i in range(n):
            row = min_row + 1 + i
            cell = ws._cells.get((row, col))
            new = cell is None
            if new:  # direct insert: ws.cell() and a number format set per cell cost ~10 µs a cell at 100k rows
                cell = ws._cells[(row, col)] = Cell(ws, row=row, column=col)
            if key in formulas:
                cell.value = formulas[key]
            elif values is not None:
                v = cell_value(_plain(values[i]), column, lang)
                cell.value = v
                if isinstance(v, str):
                    cell.data_type = "s"  # text from outside is never a formula
            if style is not None:
                if new:
                    cell._style = copy(style)  # a new cell's style is its number format alone
                else:
                    cell.number_format = fmt
    last_row = min_row + max(n, 1)
    ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{last_row}"
    xt.ref = ref
    if xt.autoFilter is not None:
        xt.autoFilter.ref = ref
    return n


def _format_style(ws, fmt: str) -> StyleArray:
    """The style of a new cell given only this number format (set after its value, as a user's format is)."""
    probe = Cell(ws, row=1, column=1)
    probe.number_format = fmt
    return probe._style


def _plain(v: object) -> object:
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        return v.item()
    return v


def set_config(wb: XlWorkbook, values: dict[str, object], lang: Lang) -> None:
    """Set Config values (tblConfig key/value rows) in the workbook."""
    ws, xt = _find_list_object(wb, schema.CONFIG)
    min_col, min_row, max_col, max_row = range_boundaries(xt.ref)
    for r in range(min_row + 1, max_row + 1):
        key = ws.cell(r, min_col).value
        if key in values:
            ws.cell(r, min_col + 1).value = values[key]


def demo_workbook_bytes(lang: Lang = "en", seed: int = 42, demo: bool = True) -> bytes:
    from .demo_data import generate_demo
    from xlfin.template.builder import build_workbook
    from xlfin.template import package_workbook

    wb = build_workbook(lang)
    if demo:
        data = generate_demo(seed=seed, as_of=DEMO_AS_OF, lang=lang)
        for key in INPUT_KEYS:
            if key in data:
                fill_input_table(wb, schema.TABLES[key], data[key], lang)
        set_config(wb, _demo_config(lang), lang)
    return package_workbook(wb, lang)


def _demo_config(lang: Lang) -> dict[str, object]:
    if lang == "zh-CN":
        return {"as_of_date": DEMO_AS_OF, "company_name": "上海示例供应链管理有限公司",
                "company_address": "上海市浦东新区世纪大道100号", "company_bank": "招商银行上海分行 1219 0000 0000 0001",
                "company_email": "ar@example.cn", "company_phone": "021-5555 0100", "dunning_interest_pa": 6}
    return {"as_of_date": DEMO_AS_OF, "company_name": "Example Supplies Ltd",
            "company_address": "1 Market Street, Springfield", "company_bank": "Example Bank, IBAN GB00 EXMP 0000 0000 01",
            "company_email": "ar@example.com", "company_phone": "+44 20 5555 0100", "dunning_interest_pa": 8}


def create_workbook(path: Path, *, lang: Lang = "en", demo: bool = False, seed: int = 42) -> dict | None:
    """`xlfin new`: write a workbook from the template; with demo data, also regenerate everything."""
    from xlfin.xlsx.atomic import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, demo_workbook_bytes(lang, seed, demo))
    if not demo:
        return None
    return regenerate(path).as_dict()["results"].get("aging")


def regenerate(path: Path, letters_dir: Path | None = None, progress=None):
    from xlfin.adapters.file import open_workbook
    from .operations import ACTIONS, execute

    wb = open_workbook(path)
    try:
        return execute(wb, ACTIONS, letters_dir=letters_dir, progress=progress)
    finally:
        wb.close()


def run_demo(directory: Path, *, lang: Lang = "en", seed: int = 42, console=None) -> dict:
    """The README's main job. Returns the run summary (also printed when a console is given)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ("xlfin-demo.xlsm" if lang == "en" else "xlfin-demo-zh-CN.xlsm")
    letters = directory / "letters"
    say = console.print if console else (lambda *_a, **_k: None)
    say(f"building {path} ({lang}, seed {seed}) …")
    from xlfin.xlsx.atomic import atomic_write_bytes

    atomic_write_bytes(path, demo_workbook_bytes(lang, seed, True))
    summary = regenerate(path, letters_dir=letters, progress=lambda stage: say(f"  {stage} …"))
    result = summary.as_dict()
    result["workbook"] = str(path)
    result["letters_dir"] = str(letters)
    if console:
        _print_demo(console, result)
    return result


def _print_demo(console, result: dict) -> None:
    """The run summary as a person reads it (xlfin.app.report): formatted money, percentages, days, next steps."""
    from xlfin.app.report import summary_lines
    from xlfin.schema.i18n import t

    lang = result.get("language") or "en"
    currency = "CNY" if lang == "zh-CN" else "USD"  # the demo's base currency (Config default per language)
    console.print()
    for line in summary_lines(result, currency, title=t("cli_demo_title", lang), workbook=result["workbook"]):
        console.print(line, markup=False, soft_wrap=True)
