"""The Forecast from the posted ledger (history and demand in SQL, open invoices in customer chunks) equals the
engine's compute_forecast on the workbook-only run of the same book, on DuckDB and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import computed_run, posted_store  # noqa: E402
from test_ledger_chunks import _hard  # noqa: E402  (payments without a customer, remittances across customers)
from test_ledger_dashboard_sql import _later  # noqa: E402  (documents dated after as_of)

from xlfin.engine.forecast_report import ForecastResult  # noqa: E402
from xlfin.ledger.forecast_sql import forecast_from_ledger  # noqa: E402

BOOKS = {
    "hard": dict(seed=11, customers=30, invoices=400, payments=330, mutate=_hard),
    "later_documents": dict(seed=3, customers=15, invoices=200, payments=120, mutate=_later),
}


@pytest.fixture(scope="module", params=sorted(BOOKS))
def plain(request, tmp_path_factory):
    return computed_run(tmp_path_factory.mktemp("fc") / "book.xlsm", BOOKS[request.param], "forecast")


@pytest.fixture(params=["duckdb", "postgresql"])
def store(request, tmp_path, plain):
    store = posted_store(request, tmp_path, plain)
    yield store
    store.close()


def _same_model(got, want) -> None:
    for name in ("level", "dispute_effect", "portfolio_median", "n_history"):
        a, b = getattr(got, name), getattr(want, name)
        assert a == b or (np.isnan(a) and np.isnan(b)), name
    for name in ("customer_effect", "customer_median", "customer_count"):
        pd.testing.assert_series_equal(getattr(got, name), getattr(want, name), check_exact=True,
                                       check_names=False, obj=name)
    for name in ("residuals", "censored_residuals"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name


def _same(got: ForecastResult, want: ForecastResult) -> None:
    _same_model(got.model, want.model)
    pd.testing.assert_frame_equal(got.pay_dates, want.pay_dates, check_exact=True)
    pd.testing.assert_frame_equal(got.cash.weeks, want.cash.weeks, check_exact=True)
    assert (got.cash.excluded_items, got.cash.excluded_amount) == (want.cash.excluded_items,
                                                                   want.cash.excluded_amount)
    pd.testing.assert_frame_equal(got.demand, want.demand, check_exact=True)


def test_forecast_from_ledger_equals_the_engine(plain, store) -> None:
    """In one chunk, and in chunks of at most 12 open invoices (a customer is never split): the same model, pay
    dates, weeks, items not expected and demand."""
    want = plain.forecast
    assert len(want.pay_dates) > 36 and want.model.n_history > 20 and len(want.demand) > 10  # > 3 chunks of 12
    assert want.cash.weeks["expected_receipts"].sum() > 0
    assert set(want.pay_dates["basis"]) >= {"model"}
    _same(forecast_from_ledger(store, plain.settings, plain.as_of), want)
    _same(forecast_from_ledger(store, plain.settings, plain.as_of, chunk_rows=12), want)
