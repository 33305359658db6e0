"""Ageing, open items and the dunning candidates computed in SQL equal the engine's results on the same data."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import write_book  # noqa: E402

from xlfin.adapters.file import open_workbook  # noqa: E402
from xlfin.app.operations import Run  # noqa: E402
from xlfin.engine.aging import bucket_labels  # noqa: E402
from xlfin.ledger import pushdown  # noqa: E402
from xlfin.ledger.allocate import post_reconciliation  # noqa: E402
from xlfin.ledger.ddl import init  # noqa: E402
from xlfin.ledger.load import load_raws  # noqa: E402
from xlfin.ledger.store import connect  # noqa: E402


@pytest.fixture(params=["duckdb", "postgresql"])
def posted(request, tmp_path):
    """(run of the workbook-only engine, store) with the book loaded and its cash application posted."""
    source = f"duckdb:{tmp_path / 'l.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("pg_db")
    book = write_book(tmp_path / "book.xlsm", seed=11, customers=30, invoices=400, payments=330)
    wb = open_workbook(book, read_only=True)
    run = Run(wb)
    _ = run.aging, run.dunning
    wb.close()
    store = connect(source)
    init(store)
    load_raws(store, run.raws, run.validation, run.settings)
    post_reconciliation(store, run.settings, run.as_of, chunk_rows=60)
    yield run, store
    store.close()


def test_aging_summary_in_sql_equals_the_engine(posted) -> None:
    run, store = posted
    summary, _detail = run.aging
    got = pushdown.aging_summary(store, run.settings, run.as_of)
    labels = bucket_labels(run.settings.aging_edges)
    assert len(summary) > 10
    assert list(got["customer_id"]) == list(summary["customer_id"])
    for i, label in enumerate(labels):
        assert got[f"b{i}"].astype("int64").tolist() == summary[label].astype("int64").tolist(), label
    assert got["total"].astype("int64").tolist() == summary["total"].astype("int64").tolist()
    assert got["overdue"].astype("int64").tolist() == summary["overdue"].astype("int64").tolist()


def test_open_items_in_sql_equal_the_aging_detail(posted) -> None:
    run, store = posted
    _summary, detail = run.aging
    got = pushdown.open_items(store, run.settings, run.as_of)
    assert list(got["invoice_no"]) == list(detail["invoice_no"])
    assert got["outstanding"].astype("int64").tolist() == detail["outstanding"].astype("int64").tolist()
    assert np.array_equal(got["days_overdue"].astype("float64").to_numpy(), detail["days_overdue"].to_numpy())
    labels = np.array(bucket_labels(run.settings.aging_edges), dtype=object)
    assert list(labels[got["bucket"].astype("int64").to_numpy()]) == list(detail["bucket"])
    due = pd.to_datetime(got["due_date"]).dt.date.tolist()
    assert due == pd.to_datetime(detail["due_date"]).dt.date.tolist()


def test_every_dunned_customer_is_a_sql_candidate(posted) -> None:
    run, store = posted
    notices = run.dunning.notices
    candidates = set(pushdown.dunning_candidates(store, run.settings, run.as_of)["customer_id"])
    assert len(notices) > 0
    assert set(notices["customer_id"]) <= candidates


def test_customer_figures_in_sql_equal_the_scorecard(posted) -> None:
    run, store = posted
    card = run.scorecard.sort_values("customer_id").reset_index(drop=True)
    got = pushdown.customer_figures(store, run.settings, run.as_of)
    assert list(got["customer_id"]) == list(card["customer_id"])
    for col in ("revenue_12m", "outstanding", "overdue"):
        assert got[col].astype("int64").tolist() == card[col].astype("int64").tolist(), col
    for col in ("dso", "add"):
        want = card[col].astype("float64").to_numpy()
        mine = got[col].astype("float64").to_numpy()
        assert np.array_equal(np.isnan(mine), np.isnan(want)), col
        assert np.allclose(np.round(mine[~np.isnan(mine)], 2), want[~np.isnan(want)], atol=0.0051), col


def test_materialised_open_items_give_the_same_figures(posted) -> None:
    run, store = posted
    figures = pushdown.Figures(store, run.settings, run.as_of)
    pd.testing.assert_frame_equal(figures.aging_summary(), pushdown.aging_summary(store, run.settings, run.as_of))
    pd.testing.assert_frame_equal(figures.customer_figures(),
                                  pushdown.customer_figures(store, run.settings, run.as_of))
    pd.testing.assert_frame_equal(figures.dunning_candidates(),
                                  pushdown.dunning_candidates(store, run.settings, run.as_of))
