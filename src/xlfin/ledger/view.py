"""A workbook whose input tables come from the ledger: everything else (Config, dunning levels and log, the
generated sheets, commit) stays the workbook's. `operations` runs on it unchanged — the engine never knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from xlfin.schema import Lang, Table
from xlfin.schema.tables import RawTable

from xlfin.ledger.ddl import LEDGER_TABLES, require_tables
from xlfin.ledger.load import read_raw
from xlfin.ledger.overflow import Overflows, sheet_rows
from xlfin.ledger.store import Store, connect, parse_source

_LEDGER_KEYS = {t.key for t in LEDGER_TABLES}


class LedgerBook:
    """Delegates to the workbook adapter, except that the input tables are read from `store` and that detail too
    large for a sheet is written to the ledger (`overflow`)."""

    def __init__(self, wb: Any, store: Store):
        self._wb = wb
        self.store = store
        require_tables(store)
        self.overflows = Overflows(sheet_rows(wb.read_config()[0].ledger_sheet_rows))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wb, name)

    def has_table(self, table: Table) -> bool:
        if table.key in _LEDGER_KEYS:
            return True
        return self._wb.has_table(table)

    def read_table(self, table: Table) -> RawTable:
        if table.key in _LEDGER_KEYS:
            return read_raw(self.store, table, self._wb.read_config()[0].language)
        return self._wb.read_table(table)

    def replace_sheet(self, sheet_en_name: str, tables: list[tuple[Table, pd.DataFrame]], lang: Lang) -> None:
        """Staged as the adapter does; tables that would run past the sheet's last row are cut (see overflow)."""
        self._wb.replace_sheet(sheet_en_name, self.overflows.fit(tables, lang), lang)

    def commit(self, output: Path | None = None) -> Path | None:
        """The workbook saved, then the report rows committed: both or (a failed save) none of the rows."""
        if not self.overflows.pending and not self.overflows.in_sql:
            return self._wb.commit(output)
        with self.store.transaction():
            self.overflows.write(self.store)
            return self._wb.commit(output)

    def mark_problems(self, problems: Iterable[Any]) -> None:
        """Only problems in the workbook's own cells can be marked there; ledger rows have no cell."""
        ledger = {name for t in LEDGER_TABLES for name in (t.sheet_en, t.sheet_zh)}
        mark = getattr(self._wb, "mark_problems", None)
        if mark is not None:
            mark([p for p in problems if getattr(p, "sheet", None) not in ledger])

    def close(self) -> None:
        try:
            self.store.close()
        finally:
            self._wb.close()


def ledger_view(wb: Any, source: str | None = None, *, close_on_error: bool = True) -> Any:
    """`wb` itself when the ledger is the workbook; otherwise a LedgerBook on the configured (or given) source.

    On failure the file adapter is closed (the caller never got a book); a live Excel book is left open
    (`close_on_error=False`)."""
    try:
        text = source if source is not None else wb.read_config()[0].ledger_source
        parsed = parse_source(text)
        if parsed is None:
            return wb
        store = connect(parsed)
        try:
            return LedgerBook(wb, store)
        except BaseException:
            store.close()
            raise
    except BaseException:
        if close_on_error:
            wb.close()
        raise
