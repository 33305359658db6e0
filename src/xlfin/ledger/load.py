"""Moving input tables between a workbook and the ledger: load (upsert by key, idempotent) and read back.

Loading types the book's rows with the same code a workbook-only run uses (`validate_workbook` → `coerce_table`),
so what lands in the database is exactly what the engine would have computed on. Rows validation leaves out (an
unreadable amount, a doubtful date, ...) are not loaded: a ledger holds only rows the engine can use; `ledger load`
reports them and exits 1 like `validate`. Reading back turns the stored rows into a `RawTable` of plain cell
values (`to_cells`), so a run on the ledger goes through the very same validation, defaults and engine.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xlfin.schema import Lang, Table
from xlfin.schema.frames import coerce_table, raw_table_from_frame
from xlfin.schema.settings import Settings
from xlfin.schema.tables import RawTable, to_cells
from xlfin.schema.validate import ValidationReport

from xlfin.ledger.ddl import KEY, LEDGER_TABLES, ROW_KEYS, SEQ, quote, stored_columns
from xlfin.ledger.store import Store


@dataclass
class LoadResult:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows upserted
    left_out: dict[str, int] = field(default_factory=dict)  # table -> rows validation left out (not loaded)
    duplicates: dict[str, int] = field(default_factory=dict)  # table -> rows sharing a key (the last one is kept)


def typed_rows(raw: RawTable, report: ValidationReport,
               settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """The rows of `raw` as stored: typed (no defaults applied: a blank due date stays blank and follows the
    customer's terms at run time), one row per key; and the rejects (rows validation left out, rows without a key,
    repeats of a key) as the cells the user typed. Returns (typed, rejects, left out, repeated keys)."""
    table = raw.table
    frame, _problems = coerce_table(raw, settings)
    mask = report.left_out.get(table.key)
    reject = np.zeros(len(frame), dtype=bool)
    left_out = 0
    if mask is not None and len(mask) == len(frame) and mask.any():
        left_out = int(mask.sum())
        reject |= mask
    keys = list(ROW_KEYS[table.key])
    reject |= frame[keys].isna().any(axis=1).to_numpy()
    repeated = frame[keys].astype(str).duplicated(keep="first").to_numpy() & ~reject
    reject |= repeated
    kept = frame[~reject]
    cols = [c.key for c in stored_columns(table)]
    out = kept[cols].copy()
    out[SEQ] = kept["_row"].astype("int64")
    typed = _sql_ready(out, table)
    if table.key == "invoices":
        typed[KEY] = invoice_keys(typed["invoice_no"].tolist())
    return typed, reject_cells(raw, frame["_row"].to_numpy()[reject]), left_out, int(repeated.sum())


def invoice_keys(numbers: list[str]) -> list[str]:
    """Each invoice number's lookup key, by the reconciliation engine's own rule (InvoiceIndex)."""
    from xlfin.engine.reconcile import InvoiceIndex

    return InvoiceIndex.build(numbers, [""] * len(numbers)).keys


def reject_cells(raw: RawTable, rows: np.ndarray) -> pd.DataFrame:
    """(seq, cells as JSON) for the given rows of the book: each schema cell with its Python type kept."""
    keys = [c.key for c in stored_columns(raw.table) if c.key in raw.frame.columns]
    seq, cells = [], []
    for r in rows.tolist():
        seq.append(int(r))
        cells.append(json.dumps([[k, *_tagged(raw.frame.iloc[r][k])] for k in keys], ensure_ascii=False))
    return pd.DataFrame({"seq": pd.Series(seq, dtype="int64"), "cells": pd.Series(cells, dtype=object)})


def _tagged(v: Any) -> list:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ["", None]
    if isinstance(v, (bool, np.bool_)):
        return ["b", bool(v)]
    if isinstance(v, (int, np.integer)):
        return ["i", int(v)]
    if isinstance(v, (float, np.floating)):
        return ["f", float(v)]
    if isinstance(v, dt.datetime):
        return ["t", v.isoformat()]
    if isinstance(v, dt.date):
        return ["d", v.isoformat()]
    if isinstance(v, dt.time):
        return ["h", v.isoformat()]
    return ["s", str(v)]


def _untagged(tag: str, v: Any) -> Any:
    return {"t": dt.datetime.fromisoformat, "d": dt.date.fromisoformat, "h": dt.time.fromisoformat}.get(
        tag, lambda x: x)(v) if v is not None else None


def _sql_ready(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Column dtypes both databases map without guessing: nullable ints, datetime64 dates, nullable bools."""
    out = {}
    for c in stored_columns(table):
        s = frame[c.key]
        if c.type in ("money", "int"):
            out[c.key] = pd.array(pd.to_numeric(s, errors="coerce").round(), dtype="Int64")
        elif c.type == "date":
            out[c.key] = pd.to_datetime(s, errors="coerce").dt.normalize()
        elif c.type == "bool":
            out[c.key] = pd.array([None if v is None or (not isinstance(v, str) and pd.isna(v)) else bool(v)
                                   for v in s.tolist()], dtype="boolean")
        elif c.type in ("float", "pct"):
            out[c.key] = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            out[c.key] = pd.Series([None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                                    for v in s.tolist()], dtype=object, index=s.index)
    result = pd.DataFrame(out, index=frame.index)
    result[SEQ] = frame[SEQ].to_numpy()
    return result.reset_index(drop=True)


def upsert(store: Store, table: Table, frame: pd.DataFrame) -> int:
    """Insert or update `frame`'s rows by the table's key, in the caller's transaction."""
    if not len(frame):
        return 0
    cols = list(frame.columns)
    names = ", ".join(quote(c) for c in cols)
    keys = ", ".join(quote(k) for k in ROW_KEYS[table.key])
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in cols if c not in ROW_KEYS[table.key])
    if store.kind == "duckdb":
        with store.registered("_xlfin_incoming", frame):
            store.execute(f"INSERT INTO {quote(table.key)} ({names}) SELECT {names} FROM _xlfin_incoming "
                          f"ON CONFLICT ({keys}) DO UPDATE SET {updates}")
        return len(frame)
    staging = f"_xlfin_in_{table.key}"
    store.execute(f"CREATE TEMP TABLE {quote(staging)} (LIKE {quote(table.key)}) ON COMMIT DROP")
    store.copy_in(quote(staging), frame)
    store.execute(f"INSERT INTO {quote(table.key)} ({names}) SELECT {names} FROM {quote(staging)} "
                  f"ON CONFLICT ({keys}) DO UPDATE SET {updates}")
    return len(frame)


def load_raws(store: Store, raws: dict[str, RawTable], report: ValidationReport, settings: Settings) -> LoadResult:
    """Upsert every input table found in the book, all in one transaction (a failed load changes nothing).

    A table's rejects are replaced by this book's: they are what the last load of that table could not store."""
    result = LoadResult()
    prepared = []
    for table in LEDGER_TABLES:
        raw = raws.get(table.key)
        if raw is None or not len(raw):  # an empty table in the book loads nothing and keeps the ledger's rejects
            continue
        frame, rejects, left_out, dupes = typed_rows(raw, report, settings)
        prepared.append((table, frame, rejects))
        if left_out:
            result.left_out[table.key] = left_out
        if dupes:
            result.duplicates[table.key] = dupes
    with store.transaction():
        for table, frame, rejects in prepared:
            result.rows[table.key] = upsert(store, table, frame)
            store.execute("DELETE FROM ledger_rejects WHERE table_key = %s", (table.key,))
            for seq, cells in zip(rejects["seq"].tolist(), rejects["cells"].tolist()):
                store.execute("INSERT INTO ledger_rejects (table_key, seq, cells) VALUES (%s, %s, %s)",
                              (table.key, int(seq), cells))
    return result


def read_frame(store: Store, table: Table, where: str = "", params: tuple = (), *, seq: bool = False) -> pd.DataFrame:
    """Stored rows of `table` (schema keys as columns, typed), in book order; with `seq`, also `_seq`."""
    cols = ", ".join(quote(c.key) for c in stored_columns(table)) + (f", {quote(SEQ)}" if seq else "")
    keys = ", ".join(quote(k) for k in ROW_KEYS[table.key])
    sql = f"SELECT {cols} FROM {quote(table.key)} {where} ORDER BY {quote(SEQ)}, {keys}"
    return store.frame(sql, params)


def cell_frame(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Typed ledger rows -> the values a user would have typed (money in units, dates, Yes/No, text)."""
    cols = stored_columns(table)
    if not len(frame):
        return pd.DataFrame({c.key: pd.Series([], dtype=object) for c in cols})
    cells = to_cells(frame, table)
    index = {c.key: i for i, c in enumerate(table.columns)}
    return pd.DataFrame({c.key: pd.Series([row[index[c.key]] for row in cells], dtype=object) for c in cols})


def read_raw(store: Store, table: Table, lang: Lang) -> RawTable:
    """The ledger's rows of `table` as a RawTable, each at the row it had in the book it was loaded from.

    So a problem found on a ledger row names the cell it came from (`Invoices!F17`), the same address the
    workbook-only run reports. Rows from several books may share a position: then they follow one another.
    """
    stored = read_frame(store, table, seq=True)
    cells = cell_frame(stored.drop(columns=[SEQ]), table)
    seq = stored[SEQ].to_numpy(dtype="int64") if len(stored) else np.zeros(0, dtype="int64")
    rejects = _rejects(store, table)
    if len(rejects):  # the rows the load could not type, back in their places as the user typed them
        cells = pd.concat([cells, rejects.drop(columns=["seq"])], ignore_index=True)
        seq = np.concatenate([seq, rejects["seq"].to_numpy(dtype="int64")])
    if len(seq) and len(np.unique(seq)) == len(seq) and seq.min() >= 0 and seq.max() < 4 * len(seq) + 1024:
        cells.index = seq
        cells = cells.reindex(range(int(seq.max()) + 1))  # the book's blank rows between, read as blank again
    elif len(seq):
        cells = cells.iloc[np.argsort(seq, kind="stable")]
    cells = cells.astype(object).where(cells.notna(), None)
    return raw_table_from_frame(table, cells.reset_index(drop=True), lang)


def _rejects(store: Store, table: Table) -> pd.DataFrame:
    if "ledger_rejects" not in store.tables():  # a ledger created before rejects were kept: it has none
        return pd.DataFrame()
    rows = store.rows("SELECT seq, cells FROM ledger_rejects WHERE table_key = %s ORDER BY seq", (table.key,))
    keys = [c.key for c in stored_columns(table)]
    records = []
    for seq, text in rows:
        record: dict[str, Any] = {k: None for k in keys}
        record.update({k: _untagged(tag, v) for k, tag, v in json.loads(text)})
        record["seq"] = int(seq)
        records.append(record)
    return pd.DataFrame.from_records(records, columns=[*keys, "seq"]) if records else pd.DataFrame()
