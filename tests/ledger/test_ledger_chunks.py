"""Reconciliation in customer chunks (issue #16 item 2): the same allocations, unapplied cash and write-off
proposals as one pass over the whole ledger, and as the workbook-only run on a fresh ledger."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import write_book  # noqa: E402

from xlfin.adapters.file import open_workbook  # noqa: E402
from xlfin.app.operations import Run  # noqa: E402
from xlfin.ledger.chunks import plan, reconcile_ledger, sorted_rows, text_keys  # noqa: E402
from xlfin.ledger.ddl import init  # noqa: E402
from xlfin.ledger.load import load_raws  # noqa: E402
from xlfin.ledger.store import connect  # noqa: E402

FIELDS = ("allocations", "unapplied", "writeoffs")


def _hard(data: dict) -> None:
    """Payments that cross customers: nobody identifiable (candidates from every customer), remittances naming
    two customers' invoices, a payer known by name only, a prefixed number followed by a bare one."""
    inv, pay = data["invoices"], data["payments"]
    rows = []
    amounts = inv["amount"].iloc[[3, 40, 41, 390]].tolist()
    for i, amount in enumerate(amounts):  # unknown payer: candidates are open invoices of any customer
        rows.append({"payment_id": f"PX-{i}", "payment_date": pay["payment_date"].iloc[50 + 40 * i],
                     "amount": amount, "payer_name": "Nobody Known Ltd", "currency": "USD"})
    a, b = inv["invoice_no"].iloc[5], inv["invoice_no"].iloc[6]
    rows.append({"payment_id": "PX-AMB", "payment_date": pay["payment_date"].iloc[120], "amount": 100.0,
                 "reference": f"{a} {b}", "currency": "USD"})
    rows.append({"payment_id": "PX-NAME", "payment_date": pay["payment_date"].iloc[130],
                 "amount": float(inv["amount"].iloc[200]), "payer_name": data["customers"]["name"].iloc[4],
                 "currency": "USD"})
    no = inv["invoice_no"].iloc[210]
    rows.append({"payment_id": "PX-PFX", "payment_date": pay["payment_date"].iloc[140], "amount": 50.0,
                 "customer_id": inv["customer_id"].iloc[211], "reference": f"{no}/{int(no[-5:]) + 1}",
                 "currency": "USD"})
    data["payments"] = pd.concat([pay, pd.DataFrame(rows)], ignore_index=True)


@pytest.fixture(scope="module")
def book_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("chunks")
    book = write_book(d / "book.xlsm", seed=11, customers=30, invoices=400, payments=330, mutate=_hard)
    wb = open_workbook(book, read_only=True)
    run = Run(wb)
    _ = run.reconciliation
    wb.close()
    return run


def _fresh(source: str, run: Run):
    store = connect(source)
    init(store)
    load_raws(store, run.raws, run.validation, run.settings)
    return store


def _same(a, b) -> None:
    for f in FIELDS:
        pd.testing.assert_frame_equal(sorted_rows(getattr(a, f)), sorted_rows(getattr(b, f)), obj=f)


@pytest.mark.parametrize("kind", ["duckdb", "postgresql"])
def test_chunks_equal_the_whole_ledger_and_the_workbook_run(book_run, kind, tmp_path, request) -> None:
    run = book_run
    reasons = run.reconciliation.unapplied["reason"].str.split(":").str[0]
    assert {"unknown_payer", "ambiguous_payer", "named_other_customer"} <= set(reasons)  # the data is hard
    source = f"duckdb:{tmp_path / 'l.duckdb'}" if kind == "duckdb" else request.getfixturevalue("pg_db")
    with _fresh(source, run) as store:
        assert len(plan(store, 150)) >= 4
        whole = reconcile_ledger(store, run.settings, run.as_of, chunk_rows=10**9)
        chunked = reconcile_ledger(store, run.settings, run.as_of, chunk_rows=150)
    _same(whole, run.reconciliation)
    _same(chunked, whole)
    unknown = chunked.unapplied[chunked.unapplied["payment_id"].str.startswith("PX-")]
    assert unknown["candidates"].str.len().max() > 0  # candidates gathered from every chunk


def test_text_keys_cover_what_the_scanner_looks_up() -> None:
    keys = text_keys(["INV-10002 / 10003 less CN-7", "发票号 SI/2026/0042"])
    assert {"10002", "10003", "CN7", "SI20260042"} <= keys


@pytest.mark.parametrize("kind", ["duckdb", "postgresql"])
def test_dunning_from_the_ledger_reads_candidates_only_and_equals_the_workbook_run(tmp_path, kind, request) -> None:
    from xlfin.ledger.allocate import post_reconciliation
    from xlfin.ledger.dunning_sql import dunning_from_ledger

    book = write_book(tmp_path / "book.xlsm", seed=5, customers=40, invoices=500, payments=380)
    wb = open_workbook(book, read_only=True)
    run = Run(wb)
    _ = run.dunning
    wb.close()
    source = f"duckdb:{tmp_path / 'l.duckdb'}" if kind == "duckdb" else request.getfixturevalue("pg_db")
    with _fresh(source, run) as store:
        post_reconciliation(store, run.settings, run.as_of, chunk_rows=200)
        runs = [dunning_from_ledger(store, run.settings, run.as_of, run.config[2], run.dunning_log),
                dunning_from_ledger(store, run.settings, run.as_of, run.config[2], run.dunning_log, chunk_rows=60)]
        assert len(plan(store, 60)) > 5  # the second run merges many chunks' notices
    want = run.dunning
    assert len(want.notices) >= 3
    for got in runs:
        pd.testing.assert_frame_equal(got.notices.reset_index(drop=True), want.notices.reset_index(drop=True))
        pd.testing.assert_frame_equal(got.items.reset_index(drop=True), want.items.reset_index(drop=True))
        # who was left out is reported for the candidates only: a subset of the whole run's list
        assert set(map(tuple, got.excluded.to_numpy())) <= set(map(tuple, want.excluded.to_numpy()))
    pd.testing.assert_frame_equal(runs[1].excluded, runs[0].excluded)


def test_keys_missing_from_an_older_ledger_are_filled(book_run, tmp_path) -> None:
    from xlfin.ledger.chunks import fill_keys
    from xlfin.ledger.load import invoice_keys

    with _fresh(f"duckdb:{tmp_path / 'l.duckdb'}", book_run) as store:
        store.execute('UPDATE invoices SET "_key" = NULL WHERE _seq % 2 = 0')
        assert fill_keys(store, batch=50) > 50
        nos, keys = zip(*store.rows('SELECT invoice_no, "_key" FROM invoices ORDER BY invoice_no'))
        assert list(keys) == invoice_keys(list(nos))
