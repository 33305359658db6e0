"""The ledger's tables, derived from the schema (SPEC §3.1 keys): one table per input table, same column keys.

Money is BIGINT cents (exact, summable in SQL), dates are DATE, yes/no is BOOLEAN; closed lists hold the canonical
(English) value the engine uses. `_seq` keeps the order rows had in the book they came from, because the engine's
tie-breaks (FIFO among equal due dates, the first of equal candidates) follow row order: a run on the ledger must
see the rows in the order the workbook-only run sees them.
"""

from __future__ import annotations

from xlfin import schema
from xlfin.schema import Column, Table

from xlfin.ledger.store import Store

SQL_TYPES: dict[str, str] = {"money": "BIGINT", "int": "BIGINT", "date": "DATE", "bool": "BOOLEAN",
                             "float": "DOUBLE PRECISION", "pct": "DOUBLE PRECISION"}
SEQ = "_seq"
# The invoice number's lookup key (xlfin.engine.reconcile.references: what two spellings of one number share),
# stored so that a chunked reconciliation can fetch, by key, the other customers' invoices a remittance names.
KEY = "_key"

# The key a row is upserted by: the schema's unique column, or (customer, period) for one balance sheet a period.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "invoices": ("invoice_no",),
    "payments": ("payment_id",),
    "financials": ("customer_id", "period_end"),
    "payment_plans": ("plan_id",),
}
LEDGER_TABLES: tuple[Table, ...] = tuple(t for t in schema.INPUT_TABLES if t.key in ROW_KEYS)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_type(column: Column) -> str:
    return SQL_TYPES.get(column.type, "TEXT")


def stored_columns(table: Table) -> tuple[Column, ...]:
    """The columns a user types (computed template columns are recomputed, never stored)."""
    return table.input_columns


def create_table_sql(table: Table) -> str:
    cols = [f"{quote(c.key)} {sql_type(c)}" + (" NOT NULL" if c.key in ROW_KEYS[table.key] else "")
            for c in stored_columns(table)]
    cols.append(f"{quote(SEQ)} BIGINT NOT NULL")
    if table.key == "invoices":
        cols.append(f"{quote(KEY)} TEXT")
    cols.append(f"PRIMARY KEY ({', '.join(quote(k) for k in ROW_KEYS[table.key])})")
    return f"CREATE TABLE IF NOT EXISTS {quote(table.key)} (\n  " + ",\n  ".join(cols) + "\n)"


# Cash application written by `xlfin ledger reconcile`: one row per (payment, invoice) settled. A payment's rows are
# written in one transaction under a lock, so no two runs allocate it twice and a killed run leaves none of its rows.
ALLOCATIONS_SQL = """CREATE TABLE IF NOT EXISTS ledger_allocations (
  payment_id TEXT NOT NULL,
  invoice_no TEXT NOT NULL,
  customer_id TEXT,
  amount BIGINT NOT NULL,
  rule TEXT,
  confidence TEXT,
  run_id TEXT NOT NULL,
  PRIMARY KEY (payment_id, invoice_no)
)"""
# One row per payment a posting run handled (allocated, in part or whole, or left unapplied for a person): a payment
# is handled once. The primary key is the database's own guard against a second run posting it again.
POSTED_SQL = """CREATE TABLE IF NOT EXISTS ledger_posted (
  payment_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  allocated BIGINT NOT NULL,
  unapplied BIGINT NOT NULL,
  reason TEXT,
  customer_id TEXT
)"""
# Rows of the last loaded book that could not be typed (validation left them out) or repeat a key: kept as the cells
# the user typed (JSON), so a run on the ledger finds and reports them exactly as the workbook-only run does.
REJECTS_SQL = """CREATE TABLE IF NOT EXISTS ledger_rejects (
  table_key TEXT NOT NULL,
  seq BIGINT NOT NULL,
  cells TEXT NOT NULL,
  PRIMARY KEY (table_key, seq)
)"""
RUNS_SQL = """CREATE TABLE IF NOT EXISTS ledger_runs (
  run_id TEXT PRIMARY KEY,
  started TIMESTAMP NOT NULL,
  payments BIGINT NOT NULL,
  allocations BIGINT NOT NULL
)"""


_PG_INDEXES = (
    ("xlfin_invoices_customer", "invoices", "customer_id"),
    ("xlfin_invoices_key", "invoices", quote(KEY)),
    ("xlfin_payments_customer", "payments", "customer_id"),
    ("xlfin_allocations_customer", "ledger_allocations", "customer_id"),
    ("xlfin_allocations_invoice", "ledger_allocations", "invoice_no"),
)


def init(store: Store) -> list[str]:
    """Create every ledger table that is missing (idempotent). Returns the table names."""
    with store.transaction():
        for table in LEDGER_TABLES:
            store.execute(create_table_sql(table))
        store.execute(ALLOCATIONS_SQL)
        store.execute(POSTED_SQL)
        store.execute(REJECTS_SQL)
        store.execute(RUNS_SQL)
        # a ledger created before these columns existed gets them (keys: filled by the next chunked reconciliation)
        store.execute(f"ALTER TABLE invoices ADD COLUMN IF NOT EXISTS {quote(KEY)} TEXT")
        store.execute("ALTER TABLE ledger_posted ADD COLUMN IF NOT EXISTS customer_id TEXT")
        if store.kind == "postgresql":  # chunks read by customer range and by key; DuckDB scans its zone maps
            for name, table, cols in _PG_INDEXES:
                store.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({cols})")
    return [t.key for t in LEDGER_TABLES] + ["ledger_allocations", "ledger_posted", "ledger_rejects",
                                                  "ledger_runs"]


def require_tables(store: Store) -> None:
    from xlfin.ledger.store import LedgerError

    missing = [t.key for t in LEDGER_TABLES if t.key not in store.tables()]
    if missing:
        raise LedgerError(f"{store.source}: ledger tables missing ({', '.join(missing)}); run `xlfin ledger init` first")
