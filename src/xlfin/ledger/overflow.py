"""Detail larger than a sheet (issue #16 item 2): written to the ledger, the sheet keeps the top rows and a note.

A generated sheet holds tables stacked with a blank row between (`stacked_layout`). When a ledger run's tables need
more rows than the sheet may hold (Excel's 1,048,576, or Config `ledger_sheet_rows` when smaller), every table that
does not fit is written whole to the ledger table `report_<table key>` (one row per detail row, tagged with the
run's id and its row number in the engine's order) and the sheet shows:

- a note row first, in English and Chinese: how many rows there are, which table holds them, how to query them;
- then the top rows: the oldest first where the table has days overdue (ageing detail), else the largest amounts
  first (allocations, unapplied cash, write-offs, paid per invoice, predicted pay dates), ties in engine order.

Tables that fit are untouched, so a run whose sheets fit is exactly the workbook-only run. `LedgerBook.commit`
writes the report rows in a database transaction that commits only after the workbook was saved (a failed save
leaves no report rows; a failed insert leaves the workbook unsaved).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlfin.schema import Lang, Table
from xlfin.schema.i18n import t
from xlfin.schema.workbook import stacked_layout
from xlfin.xlsx.limits import EXCEL_MAX_ROWS

from xlfin.ledger.ddl import quote, sql_type
from xlfin.ledger.store import Store

REPORT_PREFIX = "report_"
ROW_NO = "row_no"
RUNS_SQL = """CREATE TABLE IF NOT EXISTS report_runs (
  run_id TEXT NOT NULL,
  table_name TEXT NOT NULL,
  rows_total BIGINT NOT NULL,
  rows_shown BIGINT NOT NULL,
  created TIMESTAMP NOT NULL,
  PRIMARY KEY (run_id, table_name)
)"""
_MONEY_FIRST = ("amount", "unapplied_amount", "writeoff_amount", "outstanding", "paid")


@dataclass
class SqlOverflow:
    """A table too large for its sheet whose rows never leave the database: `select` (columns row_no, then the
    table's columns, in the engine's order) is inserted into `report_<key>` by INSERT ... SELECT at commit."""

    table: Table
    select: str
    total: int
    shown: int

    @property
    def sql_table(self) -> str:
        return REPORT_PREFIX + self.table.key


@dataclass
class Overflow:
    """A table too large for its sheet: all its rows go to `report_<key>`, `shown` rows stay on the sheet."""

    table: Table
    frame: pd.DataFrame  # every row, engine order (as the workbook-only run would have written them)
    shown: int  # detail rows kept on the sheet (the note row not counted)

    @property
    def sql_table(self) -> str:
        return REPORT_PREFIX + self.table.key


def sheet_rows(configured: int) -> int:
    """The rows a generated sheet may use: Config `ledger_sheet_rows` (0 or above Excel's limit: Excel's limit)."""
    return EXCEL_MAX_ROWS if configured <= 0 or configured > EXCEL_MAX_ROWS else int(configured)


def rows_needed(counts: list[int]) -> int:
    """Last row used by tables of these row counts stacked from row 1 (header + rows, a blank row between)."""
    return stacked_layout(counts)[-1] + max(counts[-1], 1) if counts else 0


def shares(counts: list[int], limit: int, fixed: frozenset[int] = frozenset()) -> list[int]:
    """Rows each table may use on a sheet that ends by row `limit`; a table cut gives one of them to the note.
    Small tables keep all their rows; the large ones share what is left equally (water-filling). Tables at the
    positions `fixed` were cut already (in SQL, with their note): they keep their rows and the others share the rest,
    so cutting them again cannot happen (their rows were sized by this same rule)."""
    if rows_needed(counts) <= limit:
        return list(counts)
    budget = limit - len(counts) - max(len(counts) - 1, 0)  # rows for data (headers and gaps taken off)
    out = [0] * len(counts)
    for i in fixed:
        out[i] = counts[i]
        budget -= max(counts[i], 1)
    budget = max(budget, 0)
    left = sorted((i for i in range(len(counts)) if i not in fixed), key=lambda i: counts[i])
    while left:
        fair = budget // len(left)
        i = left.pop(0)
        slots = max(counts[i], 1)  # an empty table still takes its one blank row
        out[i] = counts[i] if slots <= fair else fair
        budget -= min(slots, fair) if slots > fair else slots
    return out


def top_rows(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """The `n` rows a person looks at first: oldest first (days overdue) where there is an age, else the largest
    amounts (by size: a credit note's minus counts by its magnitude); ties keep the engine's order."""
    keys = []
    if "days_overdue" in frame.columns:
        keys.append(pd.to_numeric(frame["days_overdue"], errors="coerce").fillna(-1).to_numpy())
    money = next((c for c in _MONEY_FIRST if c in frame.columns), None)
    if money:
        keys.append(np.abs(pd.to_numeric(frame[money], errors="coerce").fillna(0).to_numpy()))
    if not keys:
        return frame.head(n)
    # lexsort: last key is primary; negate for descending; position keeps ties in engine order
    order = np.lexsort([np.arange(len(frame))] + [-k for k in reversed(keys)])
    return frame.iloc[order[:n]]


def note_text(over: Overflow, run_id: str) -> str:
    """The note row's text, English then Chinese, from the i18n catalogue."""
    return note_for(over.sql_table, len(over.frame), over.shown, "days_overdue" in over.frame.columns, run_id)


def note_for(table: str, total: int, shown: int, oldest: bool, run_id: str) -> str:
    """The note row for `total` rows in ledger table `table`, `shown` of them on the sheet."""
    query = f"SELECT * FROM {table} WHERE run_id = '{run_id}' ORDER BY {ROW_NO}"
    order = "detail_note_oldest" if oldest else "detail_note_largest"
    fmt = {"total": f"{total:,}", "shown": f"{shown:,}", "table": table, "run_id": run_id, "query": query}
    return " | ".join(t("detail_note", lang, order=t(order, lang), **fmt) for lang in ("en", "zh-CN"))


def note_column(table: Table) -> str:
    """Where the note is written: the first plain text column; a table of numbers and dates only (the Forecast's
    weeks) gets it in its first column without a closed list (a closed list would translate or drop the text)."""
    text = [c.key for c in table.columns if c.type == "text"]
    free = [c.key for c in table.columns if not c.choices]
    return (text or free or [table.columns[0].key])[0]


def with_note(over: Overflow, run_id: str) -> pd.DataFrame:
    shown = top_rows(over.frame, over.shown)
    note = pd.DataFrame({note_column(over.table): [note_text(over, run_id)]})
    return pd.concat([note, shown.astype(object)], ignore_index=True)


class Overflows:
    """What one run cut from its sheets, written to the ledger when the workbook is saved."""

    def __init__(self, limit: int):
        self.limit = limit
        self.run_id = uuid.uuid4().hex[:16]
        self.pending: list[Overflow] = []
        self.in_sql: list[SqlOverflow] = []  # cut in the database itself (ledger report)

    def fit(self, tables: list[tuple[Table, pd.DataFrame]], lang: Lang) -> list[tuple[Table, pd.DataFrame]]:
        """The blocks of one sheet as they are staged: unchanged when they fit; else the cut ones with note + top."""
        counts = [len(df) for _, df in tables]
        cut = {c.table.key for c in self.in_sql}
        allowed = shares(counts, self.limit, frozenset(i for i, (table, _) in enumerate(tables) if table.key in cut))
        out = []
        for (table, frame), n, keep in zip(tables, counts, allowed):
            if keep >= n:
                out.append((table, frame))
                continue
            over = Overflow(table, frame.reset_index(drop=True), max(keep - 1, 0))
            self.pending = [p for p in self.pending if p.table.key != table.key] + [over]
            out.append((table, with_note(over, self.run_id)))
        return out

    def cut_in_sql(self, over: SqlOverflow) -> str:
        """Register a table cut in the database; returns its note row's text."""
        self.in_sql = [p for p in self.in_sql if p.table.key != over.table.key] + [over]
        return note_for(over.sql_table, over.total, over.shown, "days_overdue" in over.table.keys, self.run_id)

    def write(self, store: Store) -> None:
        """Create the report tables as needed and insert every cut table's rows (caller's transaction)."""
        if not self.pending and not self.in_sql:
            return
        store.execute(RUNS_SQL)
        for over in self.pending:
            store.execute(create_report_sql(over.table))
            frame = report_frame(over.frame, over.table, self.run_id)
            insert_frame(store, over.sql_table, frame)
            self._run_row(store, over.sql_table, len(over.frame), over.shown)
        for cut in self.in_sql:
            store.execute(create_report_sql(cut.table))
            names = ", ".join(quote(c) for c in (ROW_NO, *cut.table.keys))
            store.execute(f"INSERT INTO {quote(cut.sql_table)} (run_id, {names}) "
                          f"SELECT %s, {names} FROM ({cut.select}) s", (self.run_id,))
            self._run_row(store, cut.sql_table, cut.total, cut.shown)

    def _run_row(self, store: Store, table: str, total: int, shown: int) -> None:
        store.execute("INSERT INTO report_runs (run_id, table_name, rows_total, rows_shown, created) "
                      "VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP)", (self.run_id, table, int(total), int(shown)))


def create_report_sql(table: Table) -> str:
    cols = ["run_id TEXT NOT NULL", f"{ROW_NO} BIGINT NOT NULL"]
    cols += [f"{quote(c.key)} {sql_type(c)}" for c in table.columns]
    cols.append(f"PRIMARY KEY (run_id, {ROW_NO})")
    return f"CREATE TABLE IF NOT EXISTS {quote(REPORT_PREFIX + table.key)} (\n  " + ",\n  ".join(cols) + "\n)"


def report_frame(frame: pd.DataFrame, table: Table, run_id: str) -> pd.DataFrame:
    """The engine frame typed for the report table: money int cents, dates, ints, text (blank: NULL)."""
    n = len(frame)
    out: dict[str, object] = {"run_id": pd.Series([run_id] * n, dtype=object),
                              ROW_NO: pd.Series(np.arange(1, n + 1, dtype=np.int64))}
    for c in table.columns:
        s = frame[c.key].reset_index(drop=True) if c.key in frame.columns else pd.Series([None] * n, dtype=object)
        if c.type in ("money", "int"):
            out[c.key] = pd.array(pd.to_numeric(s, errors="coerce").round(), dtype="Int64")
        elif c.type == "date":
            out[c.key] = pd.to_datetime(s, errors="coerce").dt.normalize()
        elif c.type in ("float", "pct"):
            out[c.key] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif c.type == "bool":
            out[c.key] = pd.array([None if v is None or (not isinstance(v, str) and pd.isna(v)) else bool(v)
                                   for v in s.tolist()], dtype="boolean")
        else:
            out[c.key] = pd.Series([None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                                    for v in s.tolist()], dtype=object)
    return pd.DataFrame(out)


def insert_frame(store: Store, table: str, frame: pd.DataFrame) -> None:
    """Bulk insert: DuckDB reads the frame directly, PostgreSQL takes it by COPY."""
    names = ", ".join(quote(c) for c in frame.columns)
    if store.kind == "duckdb":
        with store.registered("_xlfin_report", frame):
            store.execute(f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM _xlfin_report")
        return
    store.copy_in(quote(table), frame)
