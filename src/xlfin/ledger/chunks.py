"""Cash application over a ledger in customer chunks: memory bounded by the chunk, results equal to one pass.

The engine (`xlfin.engine.reconcile`, unchanged) works payment by payment in (date, id) order, and a payment only
ever changes the open items of its own customer. So the payments of a range of customers, with those customers'
open items, give exactly the allocations a run over the whole ledger gives them. What crosses customers is
reading, never writing, and each chunk is handed what it needs to read:

- **Payments without a customer** go through one identification pass first: the engine runs on them alone, with
  every invoice their texts could name (fetched by the stored lookup key `_key`) and the whole customer list (payer
  names), and tells which customer each one is. Each identified payment is then reconciled in its customer's chunk,
  still without a customer, so the engine identifies it again the same way (and keeps its lower confidence when
  the payer was known by name only).
- **Invoices of other customers named in a remittance** ("named_other_customer", and the invoice numbers that
  identify a payer) are put in the chunk as context: every invoice whose key the chunk's texts could look up, and
  one invoice per letter prefix of the ledger's invoice numbers (the scanner tries a prefix only when some invoice
  has it). Context invoices are marked disputed, so no amount rule ever uses them, and no payment of the chunk can
  be allocated to them (allocation is always to the payer's own invoices).
- **Payments no one could identify** list as candidates the open invoices of any customer whose outstanding equals
  the payment at that moment: each chunk runs them as probes (blank texts: the engine leaves them unapplied and
  lists its own candidates at the right moment of its own run), and the lists are merged (sorted, first ten).

Chunks are ranges of customer ids (in the database's own order), cut so that a chunk holds about `chunk_rows`
invoices and payments; one customer is never split. Rows come typed and validated exactly as a workbook run's
(as `Run.frames` does, on the chunk's rows). Rows of the result come chunk by chunk: compare results as sets of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterator

import pandas as pd

from xlfin import schema
from xlfin.engine.reconcile import ReconcileResult, reconcile
from xlfin.engine.reconcile.references import (
    MAX_RUN_PARTS,
    _alpha_prefix,
    _parts,
    join_numbers,
    key_of_alnum,
    normalise_text,
)
from xlfin.schema.settings import Settings
from xlfin.schema.tables import RawTable
from xlfin.schema.validate import validate_workbook

from xlfin.ledger.ddl import KEY, quote
from xlfin.ledger.load import cell_frame, invoice_keys, read_frame
from xlfin.ledger.pushdown import sql_date
from xlfin.ledger.store import Store

CHUNK_ROWS = 200_000  # invoices + payments per chunk: a few hundred MB of engine state at most
_TRUNCATED = "…"
_TEXT_COLUMNS = ("applied_to", "reference")
_DATED = {"invoices": "invoice_date", "payments": "payment_date"}


@dataclass
class Chunk:
    lo: str  # first customer id of the range (inclusive, in the database's order)
    hi: str  # last customer id (inclusive)
    rows: int
    members: frozenset[str] = frozenset()  # the range's customer ids (Python's string order may differ from SQL's)


@dataclass
class ChunkResult:
    chunk: Chunk | None  # None: the identification pass's payments nobody could identify
    result: ReconcileResult
    payments: pd.DataFrame  # the payments this chunk reconciled (for the posted rows)


@dataclass
class _Context:
    """What every chunk reads beyond its own customers."""

    settings: Settings
    as_of: dt.date
    lang: str
    customers: pd.DataFrame  # id and name of every customer: the payer directory
    routes: dict[str, str] = field(default_factory=dict)  # customer-less payment id -> identified customer
    unknown: pd.DataFrame | None = None  # customer-less payments no one could identify
    prefixes: pd.DataFrame | None = None  # one open invoice per letter prefix of the ledger's keys


# ------------------------------------------------------------------------------------------------ planning


def plan(store: Store, chunk_rows: int = CHUNK_ROWS) -> list[Chunk]:
    """Ranges of customer ids, each about `chunk_rows` invoices and payments (one row per customer read)."""
    counts = store.rows("""
        SELECT customer_id, SUM(n) FROM (
          SELECT customer_id, COUNT(*) AS n FROM invoices WHERE customer_id IS NOT NULL GROUP BY customer_id
          UNION ALL SELECT customer_id, COUNT(*) FROM payments WHERE customer_id IS NOT NULL GROUP BY customer_id
          UNION ALL SELECT customer_id, 0 FROM customers) c
        GROUP BY customer_id ORDER BY customer_id""")
    chunks: list[Chunk] = []
    members: list[str] = []
    size = 0
    for cid, n in counts:
        if members and size + int(n) > chunk_rows and size:
            chunks.append(Chunk(members[0], members[-1], size, frozenset(members)))
            members, size = [], 0
        members.append(str(cid))
        size += int(n)
    if members:
        chunks.append(Chunk(members[0], members[-1], size, frozenset(members)))
    return chunks


# ------------------------------------------------------------------------------------------------ reading


def fill_keys(store: Store, batch: int = 200_000) -> int:
    """Store the lookup key of invoices loaded before keys were stored (or generated in SQL). Returns the count."""
    done = 0
    while True:
        nos = [r[0] for r in store.rows(f"SELECT invoice_no FROM invoices WHERE {quote(KEY)} IS NULL LIMIT {batch}")]
        if not nos:
            return done
        keys = pd.DataFrame({"invoice_no": nos, "k": invoice_keys(nos)})
        _with_temp(store, "xlfin_keys", keys, f"UPDATE invoices SET {quote(KEY)} = t.k FROM xlfin_keys t "
                                               "WHERE invoices.invoice_no = t.invoice_no")
        done += len(nos)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A keys frame with text columns, as PostgreSQL's temporary table declares them: DuckDB would otherwise type a
    column from its values, and an empty list of ids reads as DOUBLE, which cannot be compared with the TEXT ids."""
    return frame.astype(pd.StringDtype())


def _with_temp(store: Store, name: str, frame: pd.DataFrame, sql: str) -> None:
    """Run `sql` with `frame` visible as table `name` (DuckDB: the frame itself; PostgreSQL: a temporary table)."""
    if store.kind == "duckdb":
        with store.registered(name, _as_text(frame)):
            store.execute(sql)
        return
    cols = ", ".join(f"{quote(c)} TEXT" for c in frame.columns)
    store.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({cols})")
    store.execute(f"TRUNCATE {name}")
    store.copy_in(name, frame)
    store.execute(sql)


def temp_frame(store: Store, name: str, frame: pd.DataFrame, sql: str, params: tuple = ()) -> pd.DataFrame:
    """`store.frame(sql)` with `frame` visible as table `name`."""
    if store.kind == "duckdb":
        with store.registered(name, _as_text(frame)):
            return store.frame(sql, params)
    _with_temp(store, name, frame, "SELECT 1")
    return store.frame(sql, params)


def _raw(store: Store, key: str, where: str, params: tuple, lang: str,
         temp: tuple[str, pd.DataFrame] | None = None) -> RawTable:
    """The stored rows `where` selects, as the cells a user typed (like `read_raw`, without the rejects)."""
    from xlfin.schema.frames import raw_table_from_frame

    table = schema.TABLES[key]
    if temp is None:
        stored = read_frame(store, table, where, params)
    else:
        cols = ", ".join(quote(c.key) for c in table.input_columns)
        stored = temp_frame(store, temp[0], temp[1], f"SELECT {cols} FROM {quote(table.key)} {where} "
                                                      f"ORDER BY _seq, {quote(table.row_key)}", params)
    cells = cell_frame(stored, table)
    cells = cells.astype(object).where(cells.notna(), None)
    return raw_table_from_frame(table, cells.reset_index(drop=True), lang)


def _only_payments(store: Store, ctx: _Context, payments: RawTable) -> dict[str, RawTable]:
    """Raw tables for validating payments on their own (no customers, no invoices)."""
    return {"customers": _raw(store, "customers", "WHERE 1 = 0", (), ctx.lang),
            "invoices": _raw(store, "invoices", "WHERE 1 = 0", (), ctx.lang), "payments": payments}


def frames_for(store: Store, settings: Settings, as_of: dt.date, lang: str, where: str,
               temp: tuple[str, pd.DataFrame] | None, keys: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Frames of the input tables `keys`, their rows selected by `where` (the others empty), typed and validated as
    a workbook run does."""
    raws = {k: _raw(store, k, where, (), lang, temp) if k in keys else _raw(store, k, "WHERE 1 = 0", (), lang)
            for k in dict.fromkeys(("customers", "invoices", "payments", *keys))}
    return typed_frames(raws, settings, as_of)


def typed_frames(raws: dict[str, RawTable], settings: Settings, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """What `app.operations.Run.frames` gives the engine: validated, defaults applied, the rows validation leaves
    out dropped, and documents dated after as_of dropped (not receivables yet, not arrived yet)."""
    report = validate_workbook(raws, settings, [], as_of)
    out = {}
    for key in report.frames:
        frame = report.usable(key)
        column = _DATED.get(key)
        if column in frame.columns and len(frame):
            frame = frame[~(pd.to_datetime(frame[column]) > pd.Timestamp(as_of)).to_numpy()].reset_index(drop=True)
        out[key] = frame
    return out


def _frames(ctx: _Context, raws: dict[str, RawTable]) -> dict[str, pd.DataFrame]:
    return typed_frames(raws, ctx.settings, ctx.as_of)


def _still_open(store: Store, invoices: pd.DataFrame, chunk: Chunk) -> pd.DataFrame:
    """The chunk's invoices with `amount` = what is still open; settled ones dropped."""
    if not len(invoices):
        return invoices
    rng = "WHERE customer_id BETWEEN %s AND %s"
    left = store.frame(f"SELECT invoice_no, open_amount FROM ({_open_sql(rng, rng)}) o",
                       (chunk.lo, chunk.hi, chunk.lo, chunk.hi, chunk.lo, chunk.hi))
    amounts = invoices["invoice_no"].astype(str).map(left.set_index("invoice_no")["open_amount"])
    amounts = amounts.fillna(0).astype("int64").to_numpy()
    out = invoices.assign(amount=amounts)
    return out[amounts > 0].reset_index(drop=True)


def _unposted(store: Store, payments: pd.DataFrame) -> pd.DataFrame:
    if not len(payments):
        return payments
    ids = pd.DataFrame({"payment_id": payments["payment_id"].astype(str)})
    done = temp_frame(store, "xlfin_ids", ids, "SELECT p.payment_id FROM ledger_posted p JOIN xlfin_ids i "
                                                "ON i.payment_id = p.payment_id")
    return payments[~payments["payment_id"].astype(str).isin(set(done["payment_id"]))].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ context


def text_keys(texts: list[str]) -> set[str]:
    """Every key the scanner could look up in these texts (runs of up to four parts, any separators: a superset)."""
    keys: set[str] = set()
    for text in texts:
        if not text:
            continue
        parts, _seps = _parts(normalise_text(text))
        for i in range(len(parts)):
            for j in range(i + 1, min(i + MAX_RUN_PARTS, len(parts)) + 1):
                k = key_of_alnum("".join(parts[i:j]))
                if k:
                    keys.add(k)
    return keys


def _texts(payments: pd.DataFrame) -> list[str]:
    out: list[str] = []
    for c in _TEXT_COLUMNS:
        if c in payments.columns:
            out += [v for v in payments[c].tolist() if isinstance(v, str) and v.strip()]
    return out


def _context_invoices(store: Store, ctx: _Context, payments: pd.DataFrame, exclude: Chunk | None) -> pd.DataFrame:
    """Open invoices of other customers a chunk's texts could name, plus one per letter prefix (see module doc)."""
    keys = text_keys(_texts(payments))
    found = _by_keys(store, ctx, keys, exclude)
    # a bare number after a prefixed invoice also tries that prefix ("SI-1001/1002")
    digits = {k for k in keys if k.isdigit()}
    prefixes = {_alpha_prefix(k) for k in found.get(KEY, pd.Series([], dtype=object)).tolist()} - {""}
    more = {p + d for p in prefixes for d in digits} - keys
    if more:
        found = pd.concat([found, _by_keys(store, ctx, more, exclude)], ignore_index=True)
    reps = ctx.prefixes if ctx.prefixes is not None else pd.DataFrame()
    if len(reps) and exclude is not None:
        reps = reps[~reps["customer_id"].astype(str).isin(exclude.members)]
    if len(reps):
        found = pd.concat([found, reps], ignore_index=True)
    if not len(found):
        return found
    found = found.drop_duplicates("invoice_no").drop(columns=[KEY], errors="ignore")
    return found.assign(disputed=True).reset_index(drop=True)


def _context_sql(where: str, docs: str) -> str:
    """Invoices `where` selects with what is still open of each; `docs` (a subquery of invoice numbers holding at
    least those) limits the allocations summed to theirs instead of the whole ledger's."""
    return f"""
        SELECT i.invoice_no, i.customer_id, i.invoice_date, i.due_date, i.doc_type, i.currency, i.{quote(KEY)},
               o.open_amount AS amount
        FROM invoices i JOIN ({_open_sql(f"WHERE invoice_no IN ({docs})", f"WHERE invoice_no IN ({docs})",
                                          payment_filter=True)}) o ON o.invoice_no = i.invoice_no
        {where}"""


def _open_sql(alloc_where: str = "", where: str = "", *, payment_filter: bool = False) -> str:
    """invoice_no, customer_id, open_amount: an invoice net of everything applied to it, a credit note net of the
    credit it gave (xlfin.engine.reconcile.invoice_balances). An allocation's customer is its invoice's, so a
    chunk's allocations are found by the same customer range (`alloc_where`; `where` filters the invoices). With
    `payment_filter`, `alloc_where` names invoice numbers: the credit notes' rows are found by payment_id."""
    cn_filter = alloc_where.replace("WHERE invoice_no", "AND payment_id") if payment_filter else \
        alloc_where.replace("WHERE", "AND")
    w = where.replace("customer_id", "i.customer_id").replace("WHERE invoice_no", "WHERE i.invoice_no")
    return f"""SELECT i.invoice_no, i.customer_id,
               i.amount - COALESCE(CASE WHEN COALESCE(i.doc_type = 'Credit Note', FALSE) THEN g.given ELSE p.paid END, 0)
                 AS open_amount
        FROM invoices i
        LEFT JOIN (SELECT invoice_no, CAST(SUM(amount) AS BIGINT) AS paid FROM ledger_allocations {alloc_where} GROUP BY invoice_no) p
          ON p.invoice_no = i.invoice_no
        LEFT JOIN (SELECT payment_id, CAST(SUM(amount) AS BIGINT) AS given FROM ledger_allocations
                   WHERE rule = 'credit_note' {cn_filter} GROUP BY payment_id) g ON g.payment_id = i.invoice_no
        {w}"""


def _by_keys(store: Store, ctx: _Context, keys: set[str], exclude: Chunk | None) -> pd.DataFrame:
    if not keys:
        return pd.DataFrame()
    where = (f"WHERE i.{quote(KEY)} IN (SELECT k FROM xlfin_want) AND o.open_amount > 0 "
             f"AND i.invoice_date <= {sql_date(ctx.as_of)}")
    params: tuple = ()
    if exclude is not None:
        where += " AND NOT (i.customer_id BETWEEN %s AND %s)"
        params = (exclude.lo, exclude.hi)
    docs = f"SELECT invoice_no FROM invoices WHERE {quote(KEY)} IN (SELECT k FROM xlfin_want)"
    return temp_frame(store, "xlfin_want", pd.DataFrame({"k": sorted(keys)}), _context_sql(where, docs), params)


def _prefix_invoices(store: Store, as_of: dt.date) -> pd.DataFrame:
    """One open invoice per letter prefix of the keys (what `InvoiceIndex.alpha_starts` holds in a whole run)."""
    extract = (f"regexp_extract(i.{quote(KEY)}, '^([A-Z]+)[0-9]', 1)" if store.kind == "duckdb"
               else f"substring(i.{quote(KEY)} from '^([A-Z]+)[0-9]')")
    frame = store.frame(f"""
        SELECT prefix, MIN(invoice_no) AS invoice_no FROM (
          SELECT {extract} AS prefix, i.invoice_no FROM invoices i JOIN ({_open_sql()}) o ON o.invoice_no = i.invoice_no
          WHERE o.open_amount > 0 AND i.invoice_date <= {sql_date(as_of)}) s
        WHERE prefix IS NOT NULL AND prefix <> '' GROUP BY prefix""")
    if not len(frame):
        return pd.DataFrame()
    nos = pd.DataFrame({"k": frame["invoice_no"].astype(str)})
    return temp_frame(store, "xlfin_reps", nos, _context_sql("WHERE i.invoice_no IN (SELECT k FROM xlfin_reps)",
                                                             "SELECT k FROM xlfin_reps"))


# ------------------------------------------------------------------------------------------------ the passes


def _engine(ctx: _Context, invoices: pd.DataFrame, payments: pd.DataFrame) -> ReconcileResult:
    s = ctx.settings
    return reconcile(invoices, payments, ctx.customers, tolerance_abs_cents=s.reconcile_tolerance_abs_cents,
                     tolerance_pct=s.reconcile_tolerance_pct, fifo=s.reconcile_fifo)


def _identify(store: Store, ctx: _Context) -> ChunkResult | None:
    """The identification pass over payments without a customer: route each to its customer's chunk."""
    raw = _raw(store, "payments", "WHERE customer_id IS NULL", (), ctx.lang)
    payments = _unposted(store, _frames(ctx, _only_payments(store, ctx, raw))["payments"])
    if not len(payments):
        ctx.unknown = payments
        return None
    invoices = _context_invoices(store, ctx, payments, None)
    result = _engine(ctx, invoices, payments)
    cash = result.allocations[result.allocations["rule"] != "credit_note"]
    ctx.routes = dict(zip(cash["payment_id"].astype(str), cash["customer_id"].astype(str)))
    left = result.unapplied[result.unapplied["customer_id"].astype(str) != ""]
    ctx.routes.update(dict(zip(left["payment_id"].astype(str), left["customer_id"].astype(str))))
    unknown_ids = set(payments["payment_id"].astype(str)) - set(ctx.routes)
    ctx.unknown = payments[payments["payment_id"].astype(str).isin(unknown_ids)].reset_index(drop=True)
    unapplied = result.unapplied[result.unapplied["payment_id"].astype(str).isin(unknown_ids)]
    empty = result.allocations.iloc[0:0]
    return ChunkResult(None, ReconcileResult(empty, unapplied.reset_index(drop=True), result.writeoffs.iloc[0:0]),
                       ctx.unknown)


def _probes(unknown: pd.DataFrame) -> pd.DataFrame:
    """The unidentified payments with their texts blanked: the engine lists candidates and changes nothing."""
    blank = {c: None for c in ("customer_id", "payer_name", *_TEXT_COLUMNS) if c in unknown.columns}
    return unknown.assign(**blank)


def _chunk(store: Store, ctx: _Context, chunk: Chunk) -> tuple[ChunkResult, pd.DataFrame]:
    """Reconcile one chunk; returns its result and the probes' unapplied rows (their candidates)."""
    rng = "WHERE customer_id BETWEEN %s AND %s"
    params = (chunk.lo, chunk.hi)
    routed = sorted(p for p, c in ctx.routes.items() if c in chunk.members)
    raws = {key: _raw(store, key, rng, params, ctx.lang) for key in ("customers", "invoices", "payments")}
    frames = _frames(ctx, raws)
    invoices = _still_open(store, frames["invoices"], chunk)
    payments = frames["payments"]
    if routed:
        extra = _raw(store, "payments", "WHERE customer_id IS NULL AND payment_id IN (SELECT k FROM xlfin_routed)", (),
                     ctx.lang, temp=("xlfin_routed", pd.DataFrame({"k": routed})))
        routed_frame = _frames(ctx, _only_payments(store, ctx, extra))["payments"]
        payments = pd.concat([payments, routed_frame], ignore_index=True)
    payments = _unposted(store, payments)
    context = _context_invoices(store, ctx, payments, chunk)
    if len(context):
        invoices = pd.concat([invoices, context[[c for c in context.columns if c in invoices.columns or
                                                 c == "disputed"]]], ignore_index=True)
    probes = _probes(ctx.unknown) if ctx.unknown is not None and len(ctx.unknown) else payments.iloc[0:0]
    result = _engine(ctx, invoices, pd.concat([payments, probes], ignore_index=True) if len(probes) else payments)
    probe_ids = set(probes["payment_id"].astype(str)) if len(probes) else set()
    is_probe = result.unapplied["payment_id"].astype(str).isin(probe_ids)
    own = ReconcileResult(result.allocations, result.unapplied[~is_probe].reset_index(drop=True), result.writeoffs)
    return ChunkResult(chunk, own, payments), result.unapplied[is_probe]


def chunk_results(store: Store, settings: Settings, as_of: dt.date, chunk_rows: int = CHUNK_ROWS,
                  lang: str = "en") -> Iterator[ChunkResult]:
    """The chunked run: the identification pass's unidentified payments first (their candidates completed at the
    end), then one result per chunk. Posted allocations count as applied; posted payments are skipped."""
    fill_keys(store)
    customers = store.frame("SELECT customer_id, name FROM customers ORDER BY _seq, customer_id")
    ctx = _Context(settings, as_of, lang, customers)
    ctx.prefixes = _prefix_invoices(store, as_of)
    identified = _identify(store, ctx)
    candidates: list[pd.DataFrame] = []
    for chunk in plan(store, chunk_rows):
        result, probe_rows = _chunk(store, ctx, chunk)
        candidates.append(probe_rows[["payment_id", "candidates"]])
        yield result
    if identified is not None:
        yield ChunkResult(None, _with_candidates(identified.result, candidates), identified.payments)


def _with_candidates(result: ReconcileResult, lists: list[pd.DataFrame]) -> ReconcileResult:
    """The unidentified payments' candidates: every chunk's list merged, sorted, first ten (join_numbers)."""
    merged: dict[str, list[str]] = {}
    truncated: set[str] = set()
    for frame in lists:
        for pid, text in zip(frame["payment_id"].astype(str), frame["candidates"].astype(str)):
            items = [x for x in text.split(", ") if x] if text else []
            if items and items[-1] == _TRUNCATED:
                truncated.add(pid)
                items = items[:-1]
            merged.setdefault(pid, []).extend(items)
    texts = []
    for pid in result.unapplied["payment_id"].astype(str):
        numbers = sorted(set(merged.get(pid, [])))
        text = join_numbers(numbers)
        if pid in truncated and len(numbers) <= 10:
            text += ", " + _TRUNCATED
        texts.append(text)
    unapplied = result.unapplied.assign(candidates=pd.Series(texts, dtype="str", index=result.unapplied.index))
    return ReconcileResult(result.allocations, unapplied, result.writeoffs)


def reconcile_ledger(store: Store, settings: Settings, as_of: dt.date, chunk_rows: int = CHUNK_ROWS,
                     lang: str = "en") -> ReconcileResult:
    """All chunks' results together (for tests and small ledgers; posting consumes `chunk_results` one by one)."""
    parts = [r.result for r in chunk_results(store, settings, as_of, chunk_rows, lang)]
    if not parts:
        empty = reconcile(pd.DataFrame(), pd.DataFrame())
        return empty
    return ReconcileResult(*(pd.concat([getattr(p, f) for p in parts], ignore_index=True)
                             for f in ("allocations", "unapplied", "writeoffs")))


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A result frame in a fixed row order, for comparing chunked and whole runs."""
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


__all__ = ["CHUNK_ROWS", "Chunk", "ChunkResult", "chunk_results", "plan", "reconcile_ledger", "sorted_rows",
           "text_keys"]
