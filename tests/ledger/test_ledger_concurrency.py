"""Several users, one ledger: concurrent `xlfin ledger reconcile` runs never allocate a payment twice, and a run
killed in the middle of its write leaves nothing behind. Real processes, real DuckDB file, real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import write_book  # noqa: E402

from xlfin.adapters.file import open_workbook  # noqa: E402
from xlfin.app.operations import Run  # noqa: E402
from xlfin.ledger.ddl import init  # noqa: E402
from xlfin.ledger.load import load_raws  # noqa: E402
from xlfin.ledger.store import connect  # noqa: E402

XLFIN = str(Path(sys.executable).parent / "xlfin")


@pytest.fixture(params=["duckdb", "postgresql"])
def ledger(request, tmp_path) -> tuple[Path, str, pd.DataFrame]:
    """(book, source, the workbook-only reconciliation's allocations) with the book's data loaded in the ledger."""
    source = f"duckdb:{tmp_path / 'l.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("pg_db")
    book = write_book(tmp_path / "book.xlsm", customers=20, invoices=240, payments=220)
    wb = open_workbook(book, read_only=True)
    try:
        run = Run(wb)
        expected = run.reconciliation.allocations
        with connect(source) as store:
            init(store)
            load_raws(store, run.raws, run.validation, run.settings)
    finally:
        wb.close()
    return book, source, expected


def _posted(source: str) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    with connect(source) as store:
        alloc = store.frame("SELECT payment_id, invoice_no, customer_id, amount, rule, run_id FROM ledger_allocations")
        posted = store.frame("SELECT payment_id, run_id, allocated FROM ledger_posted")
        runs = store.rows("SELECT count(*) FROM ledger_runs")[0][0]
    return alloc, posted, int(runs)


def _start(book: Path, source: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([XLFIN, "ledger", "reconcile", str(book), "--source", source, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env})


def test_two_concurrent_runs_never_allocate_a_payment_twice(ledger) -> None:
    book, source, expected = ledger
    runs = [_start(book, source), _start(book, source)]
    for p in runs:
        _out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    alloc, posted, n_runs = _posted(source)
    assert n_runs == 2
    assert posted["payment_id"].is_unique
    assert alloc.groupby(["payment_id", "invoice_no"]).size().max() == 1
    # every payment's allocations come from ONE run, and add up to no more than the payment
    assert alloc.groupby("payment_id")["run_id"].nunique().max() == 1
    assert (alloc["run_id"].value_counts().size) == 1  # the second run found everything already posted
    # what was posted is exactly the workbook's own reconciliation
    cols = ["payment_id", "invoice_no", "customer_id", "amount", "rule"]
    got = alloc[cols].astype({"amount": "int64"}).sort_values(cols[:2]).reset_index(drop=True)
    want = expected[cols].astype({"amount": "int64"}).sort_values(cols[:2]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got.astype(str), want.astype(str))


def test_a_run_killed_during_its_write_leaves_no_partial_allocation(ledger) -> None:
    book, source, expected = ledger
    victim = _start(book, source, XLFIN_LEDGER_WRITE_DELAY="30")
    line = victim.stderr.readline()  # blocks until the first chunk is written inside the open transaction
    assert "chunk written" in line, line + victim.stderr.read()
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    alloc, posted, n_runs = _posted(source)
    assert (len(alloc), len(posted), n_runs) == (0, 0, 0)
    survivor = _start(book, source)
    _out, err = survivor.communicate(timeout=240)
    assert survivor.returncode == 0, err
    alloc, posted, n_runs = _posted(source)
    assert n_runs == 1 and len(alloc) == len(expected) and posted["payment_id"].is_unique
