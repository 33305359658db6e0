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


def computed_run(path: Path, book: dict, stage: str):
    """The workbook-only run of a book written from `book` (write_book's arguments), with `stage` computed."""
    from xlfin.adapters.file import open_workbook
    from xlfin.app.operations import Run

    wb = open_workbook(write_book(path, **book), read_only=True)
    run = Run(wb)
    getattr(run, stage)
    wb.close()
    return run


def posted_store(request, tmp_path: Path, run):
    """A fresh ledger (DuckDB or the test PostgreSQL, by request.param) holding the run's input rows, posted by the
    chunked reconciliation."""
    from xlfin.ledger.allocate import post_reconciliation
    from xlfin.ledger.ddl import init
    from xlfin.ledger.load import load_raws
    from xlfin.ledger.store import connect

    source = f"duckdb:{tmp_path / 'l.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("pg_db")
    store = connect(source)
    init(store)
    load_raws(store, run.raws, run.validation, run.settings)
    post_reconciliation(store, run.settings, run.as_of)
    return store
