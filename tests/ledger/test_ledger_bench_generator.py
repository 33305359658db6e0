"""benchmarks/ledger.py generates the same ledger in DuckDB and PostgreSQL (integer division is not the same
operator in both: DuckDB's `/` divides as floats)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from xlfin.ledger.store import connect

ROOT = Path(__file__).resolve().parents[2]
DIGEST = {
    "customers": "COUNT(*), SUM(COALESCE(payment_terms_days, 0)), SUM(credit_limit)",
    "invoices": "COUNT(*), SUM(amount), SUM(CASE WHEN due_date IS NULL THEN 1 ELSE 0 END)",
    "payments": "COUNT(*), SUM(amount), SUM(LENGTH(payment_id) * 7 + LENGTH(customer_id))",
    "ledger_allocations": "COUNT(*), SUM(amount), SUM(LENGTH(payment_id) * 7 + LENGTH(invoice_no))",
}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_ledger", ROOT / "benchmarks" / "ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digest(source: str) -> dict[str, tuple]:
    with connect(source) as store:
        return {t: tuple(int(v) for v in store.rows(f"SELECT {sql} FROM {t}")[0]) for t, sql in DIGEST.items()}


def test_generator_posts_the_same_rows_on_duckdb_and_postgresql(tmp_path, pg_db) -> None:
    bench = _bench()
    duck = f"duckdb:{tmp_path / 'b.duckdb'}"
    for source in (duck, pg_db):
        bench.generate(source, 2_000, 1_600)
    got_duck, got_pg = _digest(duck), _digest(pg_db)
    # payment p settles invoice p × 2000 // 1600 (integer division), except those naming a credit note
    assert got_duck["ledger_allocations"][0] == sum(1 for p in range(1_600) if p * 2_000 // 1_600 % 100 != 7)
    assert got_duck == got_pg
