import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.engine.aging import (
    DEFAULT_EDGES,
    AgingError,
    age_days,
    aging_bucket,
    aging_detail,
    aging_summary,
    bucket_labels,
    days_overdue,
    parse_edges,
)
from xlfin.engine.openitems import open_items

AS_OF = dt.date(2026, 6, 30)


def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def test_default_labels():
    assert bucket_labels() == ["Current", "1-30", "31-60", "61-90", "91-120", "120+"]
    assert bucket_labels(DEFAULT_EDGES) == bucket_labels("30,60,90,120")


def test_labels_follow_the_edges():
    assert bucket_labels((30, 60)) == ["Current", "1-30", "31-60", "60+"]
    assert bucket_labels([7]) == ["Current", "1-7", "7+"]
    assert bucket_labels("7; 14, 30") == ["Current", "1-7", "8-14", "15-30", "30+"]


@pytest.mark.parametrize("edges", ["", "30,30", "60,30", "0,30", "a,b", [30.5], [-1, 5]])
def test_bad_edges_are_rejected(edges):
    with pytest.raises(AgingError):
        parse_edges(edges)


@pytest.mark.parametrize(
    "age, label",
    [(-10, "Current"), (0, "Current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
     (90, "61-90"), (91, "91-120"), (120, "91-120"), (121, "120+"), (5000, "120+")],
)
def test_bucket_boundaries(age, label):
    assert aging_bucket(ago(age), AS_OF) == label
    assert aging_bucket([ago(age)], AS_OF).tolist() == [label]


def test_custom_edges_and_beyond_last_edge():
    dates = [ago(0), ago(30), ago(31), ago(60), ago(61)]
    assert aging_bucket(dates, AS_OF, (30, 60)).tolist() == ["Current", "1-30", "31-60", "31-60", "60+"]


def test_blank_dates_have_no_age_and_no_bucket():
    dates = pd.Series([ago(5), None, pd.NaT], dtype=object)
    assert aging_bucket(dates, AS_OF).tolist() == ["1-30", None, None]
    overdue = days_overdue(dates, AS_OF)
    assert overdue[0] == 5 and np.isnan(overdue[1]) and np.isnan(overdue[2])
    assert aging_bucket([], AS_OF).tolist() == []
    assert days_overdue(pd.Series([], dtype="datetime64[s]"), AS_OF).size == 0
    assert all(b is None for b in aging_bucket([None, None], AS_OF))


def test_days_overdue_is_never_negative_and_age_is_signed():
    dates = np.array([ago(-5), ago(0), ago(45)], dtype="datetime64[ns]")
    assert days_overdue(dates, AS_OF).tolist() == [0.0, 0.0, 45.0]
    assert age_days(dates, AS_OF).tolist() == [-5.0, 0.0, 45.0]


def test_as_of_forms_agree():
    for as_of in (AS_OF, dt.datetime(2026, 6, 30, 17, 5), pd.Timestamp("2026-06-30"), "2026-06-30",
                  np.datetime64("2026-06-30")):
        assert days_overdue([ago(10)], as_of).tolist() == [10.0]
    with pytest.raises(AgingError):
        days_overdue([ago(1)], None)


def test_as_of_per_item_broadcasts():
    due = np.array([ago(10), ago(10), ago(40), None], dtype="datetime64[D]")
    as_of = np.array([AS_OF, ago(20), AS_OF, AS_OF], dtype="datetime64[D]")  # e.g. each item's payment date
    assert age_days(due, as_of).tolist()[:3] == [10.0, -10.0, 40.0] and np.isnan(age_days(due, as_of)[3])
    assert days_overdue(due, as_of).tolist()[:3] == [10.0, 0.0, 40.0]
    assert aging_bucket(due, as_of).tolist() == ["1-30", "Current", "31-60", None]
    # a blank among the as_of dates has no age there (a single blank as_of stays an error, above)
    as_of[1] = np.datetime64("NaT")
    assert aging_bucket(due, as_of).tolist() == ["1-30", None, "31-60", None]
    # a column of due dates against a row of as_of dates gives the table of ages
    table = age_days(due[:3].reshape(3, 1), pd.to_datetime([AS_OF, ago(-30)]).to_numpy())
    assert table.tolist() == [[10.0, 40.0], [10.0, 40.0], [40.0, 70.0]]
    with pytest.raises(AgingError, match="as_of"):
        age_days(due, as_of[:2])


def test_a_million_dates_bucket_well_under_half_a_second():
    rng = np.random.default_rng(7)
    dates = np.datetime64(AS_OF) - rng.integers(-60, 400, 1_000_000).astype("timedelta64[D]")
    dates[::97] = np.datetime64("NaT")
    series = pd.Series(dates).astype("datetime64[s]")
    aging_bucket(dates[:10], AS_OF)  # warm-up (imports, caches)
    t0 = time.perf_counter()
    buckets = aging_bucket(series, AS_OF)
    overdue = days_overdue(series, AS_OF)
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.5, f"{elapsed:.3f}s"
    assert buckets.shape == overdue.shape == (1_000_000,)
    assert buckets[0] is None and np.isnan(overdue[0])


def items(*rows, doc_types=None):
    """rows: (invoice_no, customer_id, due_days_ago, amount_cents, paid_cents)"""
    inv = pd.DataFrame({
        "invoice_no": [r[0] for r in rows],
        "customer_id": [r[1] for r in rows],
        "invoice_date": [ago((r[2] or 0) + 30) for r in rows],
        "due_date": [ago(r[2]) if r[2] is not None else None for r in rows],
        "amount": np.array([r[3] for r in rows], dtype=np.int64),
    })
    if doc_types:
        inv["doc_type"] = doc_types
    paid = [(f"P{r[0]}", r[0], r[4]) for r in rows if r[4]]
    alloc = pd.DataFrame({"payment_id": [p[0] for p in paid], "invoice_no": [p[1] for p in paid],
                          "amount": np.array([p[2] for p in paid], dtype=np.int64)})
    return open_items(inv, alloc if paid else None)


def test_detail_ages_only_open_items_and_includes_credit_notes():
    oi = items(("A", "C1", 10, 10000, 0), ("B", "C1", 40, 5000, 5000), ("C", "C2", -3, 2500, 500),
               ("CN", "C1", 35, 700, 0), doc_types=["Invoice", "Invoice", "Invoice", "Credit Note"])
    detail = aging_detail(oi, AS_OF)
    assert list(detail.columns) == ["invoice_no", "customer_id", "due_date", "days_overdue", "bucket", "outstanding"]
    assert detail["invoice_no"].tolist() == ["CN", "A", "C"]  # by customer, then due date
    assert detail["bucket"].tolist() == ["31-60", "1-30", "Current"]
    assert detail["outstanding"].tolist() == [-700, 10000, 2000]
    assert detail["days_overdue"].tolist() == [35.0, 10.0, 0.0]


def test_basis_invoice_uses_invoice_date_but_days_overdue_stays_from_due():
    oi = items(("A", "C1", 10, 10000, 0))
    detail = aging_detail(oi, AS_OF, basis="invoice")
    assert detail["bucket"].tolist() == ["31-60"]  # invoiced 40 days ago
    assert detail["days_overdue"].tolist() == [10.0]
    with pytest.raises(AgingError):
        aging_detail(oi, AS_OF, basis="posting")


def test_blank_due_date_falls_back_to_invoice_date():
    oi = items(("A", "C1", None, 10000, 0))
    oi["invoice_date"] = pd.Timestamp(ago(65))
    detail = aging_detail(oi, AS_OF)
    assert detail["bucket"].tolist() == ["61-90"]
    assert np.isnan(detail["days_overdue"].iloc[0])


def test_empty_and_fully_paid_give_empty_detail_and_summary():
    for oi in (items(("A", "C1", 10, 100, 100)), open_items(None, None)):
        detail = aging_detail(oi, AS_OF)
        assert detail.empty and "bucket" in detail.columns
        summary = aging_summary(detail, None)
        assert summary.empty
        assert list(summary.columns) == ["customer_id", "name", *bucket_labels(), "total", "overdue", "overdue_pct"]


def test_summary_per_customer():
    oi = items(("A", "C1", 10, 10000, 0), ("B", "C1", 200, 3000, 1000), ("C", "C1", -5, 1234, 0),
               ("D", "C2", 95, 4000, 0), ("E", "C3", -1, 999, 0),
               ("CN", "C2", 50, 6000, 0), doc_types=["Invoice"] * 5 + ["Credit Note"])
    customers = pd.DataFrame({"customer_id": ["C2", "C1", "C3"], "name": ["Beta", "Alpha", "Gamma"]})
    s = aging_summary(aging_detail(oi, AS_OF), customers).set_index("customer_id")
    assert s.loc["C1", "name"] == "Alpha"
    assert s.loc["C1", ["Current", "1-30", "31-60", "61-90", "91-120", "120+"]].tolist() == [1234, 10000, 0, 0, 0, 2000]
    assert (s.loc["C1", "total"], s.loc["C1", "overdue"]) == (13234, 12000)
    assert s.loc["C1", "overdue_pct"] == pytest.approx(12000 / 13234)
    # C2: 4000 overdue, credit of 6000 in 31-60 -> owes nothing net
    assert (s.loc["C2", "total"], s.loc["C2", "overdue"], s.loc["C2", "overdue_pct"]) == (-2000, -2000, 0.0)
    assert (s.loc["C3", "total"], s.loc["C3", "overdue"], s.loc["C3", "overdue_pct"]) == (999, 0, 0.0)
    assert s["total"].dtype == np.int64


def test_summary_clips_overdue_share_when_credits_are_current():
    oi = items(("A", "C1", 10, 10000, 0), ("CN", "C1", -10, 5000, 0), doc_types=["Invoice", "Credit Note"])
    s = aging_summary(aging_detail(oi, AS_OF), None)
    assert s["overdue_pct"].tolist() == [1.0]
    assert s["name"].isna().all()


def test_summary_rejects_buckets_of_other_edges():
    detail = aging_detail(items(("A", "C1", 100, 10000, 0)), AS_OF)
    with pytest.raises(AgingError, match="edges"):
        aging_summary(detail, None, edges=(30, 60))
    assert aging_summary(aging_detail(items(("A", "C1", 100, 1, 0)), AS_OF, (30, 60)), None, (30, 60))["60+"].tolist() == [1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-100, 400), st.integers(1, 10**10), st.booleans()),
                min_size=1, max_size=30))
def test_ageing_conserves_every_cent(rows):
    oi = items(*[(f"D{i}", f"C{c}", age, amt, 0) for i, (c, age, amt, _) in enumerate(rows)],
               doc_types=["Credit Note" if cn else "Invoice" for *_, cn in rows])
    detail = aging_detail(oi, AS_OF)
    summary = aging_summary(detail, None)
    expected = sum(-amt if cn else amt for _, _, amt, cn in rows)
    assert int(detail["outstanding"].sum()) == expected
    assert int(summary["total"].sum()) == expected
    assert int(summary[bucket_labels()].to_numpy().sum()) == expected
    assert (summary["overdue"] == summary["total"] - summary["Current"]).all()
    assert summary["overdue_pct"].between(0, 1).all()
