"""`ledger load` and `ledger reconcile` as one function each, shared by the CLI (`cli/ledger.py`) and the ribbon's
Ledger group (`excel/macros.py`): whichever surface a credit controller uses, the same code touches the ledger.

`ledger report` and `ledger export` are `app.ledger_report.execute_report` and `app.ledger_export.export_workbook`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from xlfin.app.operations import Run
from xlfin.ledger.allocate import PostingResult
from xlfin.ledger.load import LoadResult
from xlfin.ledger.store import LedgerError, parse_source


@dataclass
class Loaded:
    """What `load_book` did: the rows per table, what validation found, and where they went."""

    result: LoadResult
    errors: int  # validation errors in the book's input tables
    source: str

    @property
    def rows_not_loaded(self) -> int:
        return sum(self.result.left_out.values())


def load_book(wb: Any, source: str | None = None) -> Loaded:
    """Validate `wb`'s own input tables and upsert them into the ledger `source` (else the book's Config
    ledger_source) by key, in one transaction. `wb` is read as it is (never through a ledger view)."""
    from xlfin.ledger.ddl import init
    from xlfin.ledger.load import load_raws
    from xlfin.ledger.store import connect

    run = Run(wb)
    report, raws, settings = run.validation, run.raws, run.settings
    src = source if source is not None else settings.ledger_source
    if parse_source(src) is None:
        raise LedgerError("no ledger: give --source or set Config ledger_source to a DuckDB file or a postgresql:// URL")
    with connect(src) as store:
        init(store)
        result = load_raws(store, raws, report, settings)
    return Loaded(result, report.errors, str(store.source))


def post_cash(book: Any, *, as_of: dt.date | None = None, chunk_rows: int | None = None) -> PostingResult:
    """Post cash application to the ledger of `book` (a `ledger.view.LedgerBook`): the payments no earlier run
    handled, customer chunk by customer chunk, in one locked transaction. Only Config is read from the workbook."""
    from xlfin.ledger.allocate import post_reconciliation
    from xlfin.ledger.chunks import CHUNK_ROWS

    run = Run(book, as_of=as_of)
    return post_reconciliation(book.store, run.settings, run.as_of, lang=run.lang,
                               chunk_rows=chunk_rows or CHUNK_ROWS)
