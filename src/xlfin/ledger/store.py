"""A connection to the ledger database: DuckDB (embedded, a file) or PostgreSQL (psycopg 3), chosen by the source.

`ledger_source` (Config) or `--source`: `workbook` means no database; `duckdb:PATH`, a path ending in .duckdb/.db or
any other plain path means DuckDB; `postgresql://` / `postgres://` means PostgreSQL. A URL carrying a password is
refused: the workbook is shared, credentials come from the environment (PGPASSWORD, PGUSER, ~/.pgpass) as libpq reads
them. SQL in this package is written once with `%s` placeholders; `Store` adapts it to DuckDB's `?`.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal, Sequence
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from xlfin.schema.tables import WorkbookError

Kind = Literal["duckdb", "postgresql"]
WORKBOOK = "workbook"


class LedgerError(WorkbookError):
    """The ledger cannot be used (bad source, server down, tables missing): one line, exit 2, nothing written."""


@dataclass(frozen=True)
class Source:
    kind: Kind
    target: str  # a file path (DuckDB) or a libpq URL without password (PostgreSQL)

    def __str__(self) -> str:
        return self.target if self.kind == "postgresql" else f"duckdb:{self.target}"


def parse_source(text: str) -> Source | None:
    """The source named in Config / on the command line; None for the workbook itself."""
    value = (text or "").strip()
    if not value or value.lower() == WORKBOOK:
        return None
    if re.match(r"^postgres(ql)?://", value, re.I):
        if urlsplit(value).password:
            raise LedgerError("a ledger URL must not hold a password: set PGPASSWORD (or ~/.pgpass) instead")
        return Source("postgresql", value)
    if "://" in value:
        raise LedgerError(f"ledger source {value!r}: expected workbook, a DuckDB file or a postgresql:// URL")
    if value.lower().startswith("duckdb:"):
        value = value[len("duckdb:"):]
    if not value:
        raise LedgerError("ledger source duckdb: needs a file path")
    return Source("duckdb", str(Path(value).expanduser()))


class Store:
    """One open connection. Use `with store.transaction():` around writes that must be all-or-nothing."""

    def __init__(self, source: Source, conn: Any):
        self.source = source
        self.kind: Kind = source.kind
        self.conn = conn

    # ------------------------------------------------------------ statements

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.kind == "duckdb" else sql

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        if self.kind == "duckdb":
            self.conn.execute(self._sql(sql), list(params) if params else None)
        else:
            with self.conn.cursor() as cur:
                cur.execute(sql, params)

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        if self.kind == "duckdb":
            return self.conn.execute(self._sql(sql), list(params) if params else None).fetchall()
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """A query's result as a frame (DuckDB hands over columns directly; PostgreSQL rows are assembled)."""
        if self.kind == "duckdb":
            return self.conn.execute(self._sql(sql), list(params) if params else None).df()
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            names = [d.name for d in cur.description]
            data = cur.fetchall()
        return pd.DataFrame.from_records(data, columns=names)

    def tables(self) -> set[str]:
        if self.kind == "duckdb":
            return {r[0] for r in self.rows("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = current_schema()")}
        return {r[0] for r in self.rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing: committed when the block ends, rolled back on any exception (or a killed process)."""
        if self.kind == "duckdb":
            self.conn.execute("BEGIN TRANSACTION")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        else:
            with self.conn.transaction():
                yield self

    @contextmanager
    def registered(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        """DuckDB: `frame` readable as table `name` inside the block (no copy)."""
        self.conn.register(name, frame)
        try:
            yield
        finally:
            self.conn.unregister(name)

    def copy_in(self, table: str, frame: pd.DataFrame) -> None:
        """PostgreSQL: `frame`'s rows into `table` (an SQL name as written) by COPY, columns by the frame's names."""
        from xlfin.ledger.ddl import quote  # ddl imports this module

        names = ", ".join(quote(c) for c in frame.columns)
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in python_rows(frame):
                    copy.write_row(row)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def python_rows(frame: pd.DataFrame):
    """Rows of plain Python values for COPY (NA -> None, Timestamp -> date, numpy scalars -> Python)."""
    columns = []
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            columns.append([None if pd.isna(v) else v.date() for v in s])
        else:
            columns.append([None if v is pd.NA or v is None or (isinstance(v, float) and np.isnan(v))
                            else (v.item() if hasattr(v, "item") else v) for v in s.tolist()])
    return zip(*columns)


def _duckdb_connect(duckdb: Any, path: Path, wait: float | None = None) -> Any:
    """Open the DuckDB file, waiting while another process holds it: DuckDB admits one writing process per file,
    which is what serialises two users' runs on an embedded ledger (XLFIN_LEDGER_WAIT seconds, default 300)."""
    import os
    import time

    wait = float(os.environ.get("XLFIN_LEDGER_WAIT", "300")) if wait is None else wait
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.Error as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                first = str(exc).strip().splitlines()[0]
                raise LedgerError(f"{path}: cannot open the DuckDB ledger: {first}") from None
            time.sleep(0.2)


def connect(source: Source | str) -> Store:
    """Open the ledger. DuckDB creates its file; PostgreSQL must be reachable (libpq environment for credentials)."""
    src = parse_source(source) if isinstance(source, str) else source
    if src is None:
        raise LedgerError("ledger_source is 'workbook': there is no database to open")
    if src.kind == "duckdb":
        try:
            import duckdb
        except ImportError:  # an optional extra: say how to get it
            raise LedgerError("DuckDB is not installed: pip install 'xlfin[ledger]'") from None
        path = Path(src.target)
        if path.parent and not path.parent.exists():
            raise LedgerError(f"{path.parent}: no such folder for the DuckDB ledger")
        return Store(src, _duckdb_connect(duckdb, path))
    try:
        import psycopg
    except ImportError:
        raise LedgerError("psycopg is not installed: pip install 'xlfin[ledger]'") from None
    try:
        # autocommit: every statement stands alone unless wrapped in Store.transaction().
        return Store(src, psycopg.connect(src.target, autocommit=True, connect_timeout=10))
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LedgerError(f"cannot connect to the PostgreSQL ledger: {first}") from None
