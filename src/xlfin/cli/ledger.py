"""`xlfin ledger init|load|export|reconcile`: the receivables ledger in DuckDB or PostgreSQL (issue #16).

The source is `--source` or else the book's Config `ledger_source`. Exit codes as everywhere: 0 done, 1 done with
rows validation left out (not loaded), 2 unusable input (bad source, server down, missing tables), 3 a defect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from xlfin.cli.main import _fail, _guard, app, out

ledger_app = typer.Typer(no_args_is_help=True, help="The ledger in a database: DuckDB file or PostgreSQL URL.")
app.add_typer(ledger_app, name="ledger")

SourceOpt = typer.Option(None, "--source", help="duckdb:PATH, PATH.duckdb or postgresql://user@host/db "
                                                "(default: the book's Config ledger_source).")
JsonOpt = typer.Option(False, "--json", help="Print a machine-readable summary.")


def _source(source: str | None, book: Path | None) -> str:
    """The --source given, else the book's Config ledger_source; 'workbook' has no database to work on."""
    from xlfin.ledger.store import parse_source

    if source is None and book is not None:
        from xlfin.adapters.file import open_workbook

        wb = open_workbook(book, read_only=True)
        try:
            source = wb.read_config()[0].ledger_source
        finally:
            wb.close()
    if source is None or parse_source(source) is None:
        _fail("no ledger: give --source or set Config ledger_source to a DuckDB file or a postgresql:// URL")
    return str(source)


def _emit(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        for k, v in result.items():
            out.print(f"{k}: {json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (dict, list)) else v}")


@ledger_app.command("init")
@_guard
def ledger_init(source: Optional[str] = SourceOpt, book: Optional[Path] = typer.Option(
        None, "--book", help="Take the source from this book's Config."), as_json: bool = JsonOpt) -> None:
    """Create the ledger tables (idempotent)."""
    from xlfin.ledger.ddl import init
    from xlfin.ledger.store import connect

    with connect(_source(source, book)) as store:
        tables = init(store)
    _emit({"source": str(store.source), "tables": tables}, as_json)


@ledger_app.command("load")
@_guard
def ledger_load(path: Path = typer.Argument(..., help="Workbook whose input sheets are loaded (.xlsx/.xlsm)."),
                source: Optional[str] = SourceOpt, as_json: bool = JsonOpt) -> None:
    """Load the book's input tables into the ledger: upsert by key (loading twice changes nothing)."""
    from xlfin.adapters.file import open_workbook
    from xlfin.app.ledger_verbs import load_book

    wb = open_workbook(path, read_only=True)
    try:
        loaded = load_book(wb, source)  # the same function as the ribbon's Load into Ledger
    finally:
        wb.close()
    result = loaded.result
    _emit({"source": loaded.source, "rows": result.rows, "left_out": result.left_out,
           "duplicate_keys": result.duplicates, "errors": loaded.errors}, as_json)
    raise typer.Exit(1 if result.left_out or loaded.errors else 0)


@ledger_app.command("export")
@_guard
def ledger_export(path: Path = typer.Argument(..., help="New workbook to write (.xlsm), filled from the ledger."),
                  source: Optional[str] = SourceOpt,
                  lang: str = typer.Option("en", "--lang", help="en or zh-CN"),
                  force: bool = typer.Option(False, "--force", help="Overwrite PATH if it exists."),
                  as_json: bool = JsonOpt) -> None:
    """Write the ledger's input tables into a new workbook from the template (Config ledger_source stays workbook)."""
    from xlfin.app.ledger_export import export_workbook
    from xlfin.ledger.store import connect

    if lang not in ("en", "zh-CN"):
        _fail(f"--lang must be en or zh-CN, not {lang!r}")
    if path.exists() and not force:
        _fail(f"{path} exists; use --force to overwrite it")
    with connect(_source(source, None)) as store:
        rows = export_workbook(store, path, lang)
    _emit({"source": str(store.source), "written": str(path), "rows": rows}, as_json)


@ledger_app.command("reconcile")
@_guard
def ledger_reconcile(path: Path = typer.Argument(..., help="Workbook whose Config (tolerances, FIFO) applies."),
                     source: Optional[str] = SourceOpt, as_json: bool = JsonOpt,
                     as_of: Optional[str] = typer.Option(None, "--as-of", help="Override Config as_of_date."),
                     chunk_rows: Optional[int] = typer.Option(
                         None, "--chunk-rows", min=1, help="Invoices + payments per customer chunk (default 200,000).")
                     ) -> None:
    """Post cash application to the ledger: payments no earlier run posted, in one locked transaction."""
    from xlfin.adapters.file import open_workbook
    from xlfin.app.ledger_verbs import post_cash
    from xlfin.cli.main import _as_of
    from xlfin.ledger.view import ledger_view

    src = _source(source, path)
    book = ledger_view(open_workbook(path, read_only=True), src)
    try:  # the same function as the ribbon's Post Cash; Config only: the ledger's rows are read chunk by chunk
        result = post_cash(book, as_of=_as_of(as_of), chunk_rows=chunk_rows)
    finally:
        book.close()
    _emit({"source": str(book.store.source), "run_id": result.run_id, "payments": result.payments_considered,
           "already_posted": result.already_posted, "allocations": result.allocations,
           "amount": result.amount / 100}, as_json)


@ledger_app.command("report")
@_guard
def ledger_report(path: Path = typer.Argument(..., help="Workbook that receives the sheets (its Config applies)."),
                  source: Optional[str] = SourceOpt, as_json: bool = JsonOpt,
                  as_of: Optional[str] = typer.Option(None, "--as-of", help="Override Config as_of_date."),
                  output: Optional[Path] = typer.Option(None, "-o", "--output",
                                                        help="Write a new file instead of changing PATH in place."),
                  chunk_rows: Optional[int] = typer.Option(
                      None, "--chunk-rows", min=1, help="Invoices + payments per customer chunk (default 200,000).")
                  ) -> None:
    """Write Aging, Scorecard, Dunning, Forecast and Dashboard from the posted ledger, without loading it."""
    from xlfin.adapters.file import open_workbook
    from xlfin.app.ledger_report import execute_report
    from xlfin.cli.main import _as_of, emit_summary
    from xlfin.ledger.view import ledger_view

    src = _source(source, path)
    book = ledger_view(open_workbook(path), src)
    try:
        summary = execute_report(book, as_of=_as_of(as_of), output=output, chunk_rows=chunk_rows)
        currency = book.read_config()[0].base_currency
    finally:
        book.close()
    result = summary.as_dict()
    emit_summary(result, currency, None, as_json=as_json)
    raise typer.Exit(result["validation"]["exit_code"])
