"""The Scorecard from the ledger in SQL (xlfin.ledger.scorecard_sql) equals the engine's build_scorecard (#16)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import computed_run, posted_store  # noqa: E402

from xlfin.app.demo import DEMO_AS_OF  # noqa: E402
from xlfin.engine import openitems  # noqa: E402
from xlfin.engine import payment_index as pix  # noqa: E402
from xlfin.engine.scorecard import build_scorecard, customer_figures  # noqa: E402
from xlfin.ledger import scorecard_sql  # noqa: E402
from xlfin.ledger.pushdown import Figures  # noqa: E402
from xlfin.ledger.chunks import frames_for  # noqa: E402
from xlfin.ledger.scorecard_sql import SCALE, fragile_customers, scaled_index, scaled_index_sql  # noqa: E402

BOOK = {"customers": 25, "invoices": 300, "payments": 260}


def _odd(data: dict) -> None:
    """Shapes the SQL must take as the engine does: customers without invoices, a repeated customer row (the
    first counts), customers without financials, more blank due dates, credit notes, blank costs, a closed
    customer, a customer without terms, invoices dated on as-of and exactly a year before."""
    cus, inv, fin = data["customers"], data["invoices"], data["financials"]
    extra = cus.iloc[[0, 1]].copy()
    extra["customer_id"] = ["C9001", "C9002"]
    extra["name"] = ["Nobody Buys Ltd", "Quiet Co"]
    repeat = cus.iloc[[2]].copy()
    repeat["name"] = "Second row of a customer"
    data["customers"] = cus = pd.concat([cus, extra, repeat], ignore_index=True)
    cus.loc[3, "status"] = "Closed"
    cus["payment_terms_days"] = cus["payment_terms_days"].astype(object)
    cus.loc[4, "payment_terms_days"] = None
    data["financials"] = fin[~fin["customer_id"].isin(cus["customer_id"].iloc[5:9])].reset_index(drop=True)
    inv["due_date"] = inv["due_date"].astype(object)
    inv.loc[inv.index % 4 == 1, "due_date"] = None
    inv["cost"] = inv["cost"].astype(object)
    inv.loc[inv.index % 5 == 2, "cost"] = None
    inv["doc_type"] = inv["doc_type"].astype(object)
    inv.loc[inv.index % 37 == 5, "doc_type"] = "Credit Note"
    inv["invoice_date"] = inv["invoice_date"].astype(object)
    inv.loc[11, "invoice_date"] = pd.Timestamp(DEMO_AS_OF)
    inv.loc[12, "invoice_date"] = pd.Timestamp(DEMO_AS_OF - dt.timedelta(days=365))
    inv.loc[12, "due_date"] = None


CASES = {"plain": None, "odd": _odd}


@pytest.fixture(params=["duckdb", "postgresql"])
def db(request):
    return request


def _reference(store, settings, as_of: dt.date) -> pd.DataFrame:
    """The engine over the whole posted ledger (the rows read and typed as a workbook run, in one chunk)."""
    f = frames_for(store, settings, as_of, "en", "", None, ("customers", "invoices", "financials"))
    allocations = store.frame("SELECT payment_id, invoice_no, customer_id, amount, rule, confidence "
                              "FROM ledger_allocations")
    allocations["amount"] = allocations["amount"].astype("int64")
    dates = store.frame("SELECT payment_id, payment_date FROM payments WHERE payment_id IN "
                        "(SELECT payment_id FROM ledger_allocations)")
    items = openitems.open_items(f["invoices"], openitems.invoice_payment_dates(allocations, dates, f["invoices"]),
                                 as_of)
    return build_scorecard(f["customers"], f["invoices"], items, pix.payment_experiences(items, as_of),
                           f["financials"], settings, as_of)


def _from_sql(store, settings, as_of: dt.date) -> pd.DataFrame:
    return scorecard_sql.scorecard_from_ledger(store, settings, as_of, Figures(store, settings, as_of).TABLE)


def _assert_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want) > 20
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_exact=True,
                                  check_dtype=False)


@pytest.mark.parametrize("case", sorted(CASES))
def test_scorecard_from_sql_equals_the_workbook_run(db, tmp_path, case) -> None:
    """Fresh ledger posted by `ledger reconcile`: the SQL scorecard is the workbook-only run's, every cell exact."""
    run = computed_run(tmp_path / "book.xlsm", BOOK | {"mutate": CASES[case]}, "scorecard")
    with posted_store(db, tmp_path, run) as store:
        got = _from_sql(store, run.settings, run.as_of)
        _assert_equal(got, run.scorecard)
        _assert_equal(got, _reference(store, run.settings, run.as_of))
    assert got["payment_index"].notna().sum() > 15 and got["credit_score"].notna().sum() > 15
    if case == "odd":
        row = got.set_index("customer_id")
        assert row.loc["C9001", "revenue_12m"] == 0 and row.loc["C9001", "outstanding"] == 0
        assert pd.isna(row.loc["C9001", "payment_index"])
        assert (got["customer_id"] == run.frames["customers"]["customer_id"].iloc[2]).sum() == 1


@pytest.mark.parametrize("days_back", [45, 200])
def test_an_earlier_as_of_leaves_later_cash_out_as_the_engine(db, tmp_path, days_back) -> None:
    """Reported as of an earlier day than the posting: cash received later is not counted, invoices settled later
    are open then, invoices dated later do not exist yet (the engine on the posted allocations, same day)."""
    run = computed_run(tmp_path / "book.xlsm", BOOK | {"mutate": _odd}, "scorecard")
    earlier = run.as_of - dt.timedelta(days=days_back)
    with posted_store(db, tmp_path, run) as store:
        _assert_equal(_from_sql(store, run.settings, earlier), _reference(store, run.settings, earlier))


def test_fragile_customers_take_the_engines_own_index(db, tmp_path, monkeypatch) -> None:
    """With the error margin made huge every customer with an index is "fragile": each index then comes from the
    engine on the customer's own rows, and the card is still the workbook run's."""
    run = computed_run(tmp_path / "book.xlsm", BOOK, "scorecard")
    monkeypatch.setattr(scorecard_sql, "_MARGIN_TERMS", 1e14)
    calls = []
    real = scorecard_sql._engine_indexes
    monkeypatch.setattr(scorecard_sql, "_engine_indexes", lambda *a: calls.append(a[3]) or real(*a))
    with posted_store(db, tmp_path, run) as store:
        _assert_equal(_from_sql(store, run.settings, run.as_of), run.scorecard)
    assert len(calls) == 1 and len(calls[0]) >= 20


def test_an_index_fall_of_exactly_ten_points_is_fragile() -> None:
    """90 → 80 is a fall of exactly 10 points: whether the engine's floats flag it depends on their last bits, so
    the engine decides; 88.4 → 80.3 is nowhere near a boundary."""
    from xlfin.schema.settings import Settings

    customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "name": ["a", "b", "c"],
                              "credit_limit": [np.nan, 1e6, np.nan], "status": ["Active"] * 3})
    figures = pd.DataFrame({"revenue_12m": [10_000, 10_000, 0], "gross_margin": [0.2, np.nan, np.nan],
                            "outstanding": [500, 0, 0], "overdue": [100, 0, 0], "max_days_overdue": [3.0, 0, 0],
                            "payment_index": [80.0, 80.3, np.nan], "payment_index_before": [90.0, 88.4, np.nan]},
                           index=pd.Index(customers["customer_id"], name="customer_id"))
    counts = np.array([[1.0, 1.0], [3.0, 2.0], [0.0, 0.0]])
    fragile = fragile_customers(customers, figures, counts, pd.DataFrame(columns=["customer_id", "period_end"]),
                                Settings(), DEMO_AS_OF)
    assert fragile.tolist() == [True, False, False]


def test_the_scaled_index_is_the_engines_index_exactly(db, tmp_path) -> None:
    """420 × index is whole for every whole number of days, equal in SQL (both databases) and in Python, and the
    engine's float index is that number ÷ 420 to within a few units in the last place."""
    from xlfin.ledger.store import connect

    assert SCALE == 420
    days = np.arange(-80, 420)
    exact = np.array([scaled_index(int(d)) for d in days])
    engine = pix.index_from_days(days)
    np.testing.assert_allclose(exact / SCALE, engine, rtol=1e-13, atol=0)
    assert exact[days == 23][0] == 58.75 * SCALE and exact[-1] == SCALE  # 1 point at least
    source = f"duckdb:{tmp_path / 'x.duckdb'}" if db.param == "duckdb" else db.getfixturevalue("pg_db")
    with connect(source) as store:
        got = store.rows(f"SELECT d, {scaled_index_sql('d')} FROM generate_series(-80, 419) AS t(d) ORDER BY d")
    assert [int(v) for _, v in got] == exact.tolist()


def test_customer_figures_of_the_engine_match_the_sums(tmp_path) -> None:
    """The engine's own part (a) of the workbook run and the SQL's: integers equal, indexes within float error."""
    run = computed_run(tmp_path / "book.xlsm", BOOK, "scorecard")
    f = run.frames
    cust = f["customers"].drop_duplicates("customer_id")
    ids = pd.Index(cust["customer_id"].to_numpy(dtype=object), name="customer_id")
    engine = customer_figures(ids, f["invoices"], run.open_items, run.experiences, run.settings, run.as_of)

    class _Req:
        param = "duckdb"

    with posted_store(_Req(), tmp_path, run) as store:
        got = store.frame(scorecard_sql.scorecard_figures_sql(run.settings, run.as_of))
    _, sql, _ = scorecard_sql._figures(got)
    for column in ("revenue_12m", "outstanding", "overdue", "max_days_overdue"):
        assert sql[column].tolist() == engine[column].tolist(), column
    np.testing.assert_array_equal(np.isnan(sql["gross_margin"]), np.isnan(engine["gross_margin"]))
    for column in ("payment_index", "payment_index_before"):
        np.testing.assert_allclose(sql[column].to_numpy(), engine[column].to_numpy(), rtol=1e-13, atol=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(-60, 500), st.integers(1, 10**9)), min_size=1, max_size=12),
                min_size=1, max_size=8),
       st.lists(st.integers(0, 10**8), min_size=8, max_size=8))
def test_where_no_customer_is_fragile_the_exact_index_gives_the_engines_row(experiences, overdue) -> None:
    """The claim the SQL path rests on: the engine's float index is within the error bound of the exact quotient,
    and where `fragile_customers` finds no boundary within the margin the row is the same with either index."""
    from xlfin.engine.scorecard import score_customers
    from xlfin.schema.settings import Settings

    ids = [f"C{i}" for i in range(len(experiences))]
    rows = [(c, w, d) for c, exp in zip(ids, experiences) for d, w in exp]
    frame = pd.DataFrame({"customer_id": [r[0] for r in rows], "amount": [r[1] for r in rows],
                          "days_beyond_terms": [r[2] for r in rows],
                          "experience_date": pd.Timestamp(DEMO_AS_OF) - pd.Timedelta(days=3)})
    engine = pix.customer_payment_index(frame, DEMO_AS_OF).reindex(ids).to_numpy()
    exact = np.array([sum(w * scaled_index(d) for d, w in exp) / (SCALE * sum(w for _, w in exp))
                      for exp in experiences])
    n = np.array([len(exp) for exp in experiences], dtype=np.float64)
    assert np.all(np.abs(engine - exact) <= exact * (n + 26) * 2.0 ** -53)
    customers = pd.DataFrame({"customer_id": ids, "name": ids, "credit_limit": np.nan, "status": "Active"})
    k = len(ids)

    def figures(now: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"revenue_12m": 10**9, "gross_margin": np.nan, "outstanding": 10**8,
                             "overdue": overdue[:k], "max_days_overdue": 0.0, "payment_index": now,
                             "payment_index_before": exact[::-1] + 10.0}, index=pd.Index(ids, name="customer_id"))

    fin = pd.DataFrame(columns=["customer_id", "period_end"])
    fragile = fragile_customers(customers, figures(exact), np.column_stack([n, n[::-1]]), fin, Settings(),
                                DEMO_AS_OF)
    with_exact = score_customers(customers, figures(exact), fin, Settings(), DEMO_AS_OF)
    with_engine = score_customers(customers, figures(engine), fin, Settings(), DEMO_AS_OF)
    for column in ("payment_index", "credit_score", "grade", "suggested_limit", "risk_flags"):
        same = scorecard_sql._same(with_exact[column], with_engine[column])
        assert same[~fragile].all(), column
