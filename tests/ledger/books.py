"""Small books for the ledger tests, and a cell-by-cell comparison of generated sheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from xlfin import schema
from xlfin.app.demo import DEMO_AS_OF, INPUT_KEYS, fill_input_table, set_config
from xlfin.app.demo_data import generate_demo
from xlfin.schema import Lang

# Every sheet is compared except Config (ledger_source differs by design) and Audit (its rows carry the run's time).
SKIP = {schema.CONFIG.sheet_en, schema.CONFIG.sheet_zh, schema.AUDIT.sheet_en, schema.AUDIT.sheet_zh}


def write_book(path: Path, *, lang: Lang = "en", seed: int = 7, customers: int = 25, invoices: int = 300,
               payments: int = 260, ledger_source: str = "workbook", mutate=None, config: dict | None = None) -> Path:
    from xlfin.template import package_workbook
    from xlfin.template.builder import build_workbook

    wb = build_workbook(lang)
    data = generate_demo(seed=seed, customers=customers, invoices=invoices, payments=payments, as_of=DEMO_AS_OF,
                         lang=lang)
    if mutate is not None:
        mutate(data)
    for key in INPUT_KEYS:
        if key in data:
            fill_input_table(wb, schema.TABLES[key], data[key], lang)
    set_config(wb, {"as_of_date": DEMO_AS_OF, "ledger_source": ledger_source, **(config or {})}, lang)
    path.write_bytes(package_workbook(wb, lang))
    return path


def sheet_values(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values (formulas as text) by sheet name, but Config and Audit."""
    wb = openpyxl.load_workbook(path, data_only=False)
    return {ws.title: [tuple(_plain(c) for c in row) for row in ws.iter_rows(values_only=True)]
            for ws in wb.worksheets if ws.title not in SKIP}


def _plain(v):
    return v.date() if isinstance(v, dt.datetime) and v.time() == dt.time() else v
