"""The Dashboard's totals and monthly series computed in SQL over the posted ledger equal the engine's
build_dashboard on the workbook-only run of the same book (DuckDB and PostgreSQL, posted by `ledger reconcile` on a
fresh ledger)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import computed_run, posted_store  # noqa: E402
from test_ledger_chunks import _hard  # noqa: E402  (payments without a customer, remittances across customers)

from xlfin import schema  # noqa: E402
from xlfin.engine.dashboard import DashboardData  # noqa: E402
from xlfin.ledger.dashboard_sql import dashboard_from_ledger  # noqa: E402

def _later(data: dict) -> None:
    """Documents raised after as_of (an invoice and a credit note): not receivables yet in either run."""
    inv = data["invoices"]
    later = inv.iloc[[0, 1]].copy()
    later["invoice_no"] = ["INV-LATER-1", "CN-LATER-1"]
    later["doc_type"] = ["Invoice", "Credit Note"]
    later["invoice_date"] = pd.Timestamp("2026-12-01")
    later["due_date"] = pd.Timestamp("2026-12-31")
    data["invoices"] = pd.concat([inv, later], ignore_index=True)


BOOKS = {
    # credit notes and disputes come with every demo book; this one adds payers nobody can name
    "hard": dict(seed=11, customers=30, invoices=400, payments=330, mutate=_hard),
    "zh": dict(seed=5, customers=20, invoices=300, payments=250, lang="zh-CN"),
    "few_payments_later_documents": dict(seed=3, customers=15, invoices=200, payments=40, mutate=_later),
}


@pytest.fixture(scope="module", params=sorted(BOOKS))
def plain(request, tmp_path_factory):
    """The workbook-only run of a book, with its Dashboard computed by the engine."""
    return computed_run(tmp_path_factory.mktemp("dash") / "book.xlsm", BOOKS[request.param], "dashboard")


@pytest.fixture(params=["duckdb", "postgresql"])
def store(request, tmp_path, plain):
    store = posted_store(request, tmp_path, plain)
    yield store
    store.close()


def _same(got: DashboardData, want: DashboardData) -> None:
    assert got.as_of == want.as_of
    assert got.kpis.keys() == want.kpis.keys()
    for key, value in want.kpis.items():
        mine = got.kpis[key]
        if isinstance(value, float):
            assert isinstance(mine, float) and (mine == value or math.isnan(mine) and math.isnan(value)), key
        else:
            assert mine == value and type(mine) is type(value), key
    for name in ("aging", "top_overdue", "abc", "monthly", "cash_forecast"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True, obj=name)


def test_dashboard_in_sql_equals_the_engine(plain, store) -> None:
    run = plain
    summary, _detail = run.aging
    want = run.dashboard
    got = dashboard_from_ledger(
        store, run.settings, run.as_of, aging_summary=summary, scorecard=run.scorecard,
        unapplied_total=int(run.reconciliation.unapplied["unapplied_amount"].sum()),
        bucket_labels=schema.aging_bucket_labels(run.settings.aging_edges), cash_forecast=run.forecast.cash.weeks)
    assert want.kpis["kpi_total_ar"] > 0 and want.kpis["kpi_cei"] is not None
    assert (want.monthly["invoiced"] != 0).sum() > 6 and (want.monthly["collected"] != 0).sum() > 3
    _same(got, want)
