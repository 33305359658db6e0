"""build_dunning on integer customer codes (issue #16: the ledger's Dunning at 10 M) gives exactly what it gave
before: every frame equal, dtypes included, to the frozen copy in tests/support/dunning_reference.py, on random
books with every odd shape the engine reads (unknown, closed and held customers, disputes, credit notes, plans kept
and broken, a log with earlier levels, unapplied cash, payments left out, mixed and blank currencies, equal due
dates, invoice numbers typed as numbers and repeated, blank due dates, custom ladders)."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import dunning_reference as reference  # noqa: E402

from xlfin.engine.dunning import EXCLUSION_REASONS, DunningError, DunningRun, build_dunning, check_ladder  # noqa: E402
from xlfin.schema.settings import DEFAULT_DUNNING_LEVELS, DunningLevel, Settings  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
CUSTOM = (DunningLevel(level=5, from_days=90, action="Lawyer", template="legal", fee=Decimal("75.5")),
          DunningLevel(level=1, from_days=3, action="Reminder", template="reminder"),
          DunningLevel(level=2, from_days=20, action="Firm", template="firm", fee=Decimal("12.345")))


def _pick(rng: np.random.Generator, values: list, n: int) -> list:
    return [values[i] for i in rng.integers(0, len(values), n)]


def _book(seed: int, *, text_dtype: bool = False) -> dict:
    """Inputs of build_dunning with every shape it reads, drawn at random."""
    rng = np.random.default_rng(seed)
    n_cust, n = int(rng.integers(3, 30)), int(rng.integers(20, 400))
    ids = [f"C{i:03d}" for i in range(n_cust)]
    known = ids[: max(1, n_cust - 2)]  # the last two customers are not in the Customers table
    customers = pd.DataFrame({
        "customer_id": known,
        "name": _pick(rng, ["Acme", "Beta Ltd", None, " 华为 "], len(known)),
        "contact": _pick(rng, ["Ann", None, ""], len(known)),
        "email": _pick(rng, ["a@x.test", None], len(known)),
        "status": _pick(rng, ["Active", "On Hold", "Closed", None, "closed"], len(known)),
        "dunning_hold": _pick(rng, [False, False, False, True, None, "Yes"], len(known)),
        "currency": _pick(rng, ["USD", "USD", "EUR", None, "usd", ""], len(known)),
    })
    numbers: list = [f"INV-{i:04d}" for i in rng.permutation(n)]
    for i in rng.integers(0, n, n // 10):
        numbers[i] = int(rng.integers(1000, 1010))  # typed as numbers: some repeat, some equal as text
    for i in rng.integers(0, n, n // 20):
        numbers[i] = float(rng.integers(1000, 1010))
    due = pd.Timestamp(AS_OF) - pd.to_timedelta(rng.choice([-10, 0, 1, 5, 16, 31, 45, 61, 90, 120], n), unit="D")
    due = pd.Series(due).where(rng.random(n) > 0.03)  # a few blank due dates
    cust = _pick(rng, ids + [" C001 ", None], n)
    outstanding = rng.integers(-60_000, 400_000, n)
    outstanding[rng.random(n) < 0.1] = 0
    items = pd.DataFrame({
        "invoice_no": numbers,
        "customer_id": cust,
        "invoice_date": (pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(140, 200, n), unit="D")),
        "due_date": due,
        "outstanding": outstanding.astype(np.int64),
        "disputed": _pick(rng, [False] * 8 + [True, None, "Yes"], n),
        "doc_type": _pick(rng, ["Invoice"] * 6 + ["Credit Note", None, "credit note"], n),
        "currency": _pick(rng, ["USD"] * 6 + ["EUR", None, "", " usd "], n),
    })
    # a customer whose only item is two days overdue (below a ladder starting at three days)
    items.loc[len(items)] = ["NEW-1", "C999", pd.Timestamp(AS_OF) - pd.Timedelta(days=40),
                             pd.Timestamp(AS_OF) - pd.Timedelta(days=2), 500_000, False, "Invoice", "USD"]
    customers.loc[len(customers)] = ["C999", "Fresh", None, None, "Active", False, "USD"]
    if text_dtype:  # as DuckDB hands text over: pandas' str dtype
        for c in ("customer_id", "doc_type"):
            items[c] = items[c].astype("str").where(items[c].notna())
        customers["customer_id"] = customers["customer_id"].astype("str")
    plan_customers = _pick(rng, ids, 4)
    plans = pd.DataFrame({
        "plan_id": [f"P{i}" for i in range(4)],
        "customer_id": plan_customers,
        "total": rng.integers(10_000, 900_000, 4).astype(np.int64),
        "instalments": rng.integers(1, 6, 4).astype(np.int64),
        "first_date": [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(-30, 90, 4)],
        "frequency": _pick(rng, ["Monthly", "Weekly", None], 4),
        "invoices": [None, ", ".join(str(x) for x in _pick(rng, numbers, 3)), None, str(numbers[0])],
    })
    log = pd.DataFrame({
        "date": [pd.Timestamp(AS_OF - dt.timedelta(days=int(d))) for d in rng.integers(0, 90, 12)],
        "customer_id": _pick(rng, ids, 12),
        "level": rng.integers(1, 4, 12),
    })
    unapplied = pd.DataFrame({"customer_id": _pick(rng, ids + [""], 6),
                              "unapplied_amount": rng.integers(0, 3_000_000, 6).astype(np.int64)})
    return {"open_items": items, "customers": customers, "plans": plans, "log": log, "unapplied": unapplied,
            "payments_left_out": _pick(rng, ids, 1)}


def _both(book: dict, levels, settings: Settings) -> tuple[DunningRun, reference.DunningRun]:
    args = (book["open_items"], book["customers"], levels, book["log"], settings, AS_OF)
    kw = {"unapplied": book["unapplied"], "plans": book["plans"], "payments_left_out": book["payments_left_out"]}
    return build_dunning(*args, **kw), reference.build_dunning(*args, **kw)


def _assert_equal(new: DunningRun, old) -> None:
    pd.testing.assert_frame_equal(new.notices, old.notices)
    pd.testing.assert_frame_equal(new.items, old.items)
    pd.testing.assert_frame_equal(new.excluded, old.excluded)
    assert [lv.model_dump() for lv in new.levels] == [lv.model_dump() for lv in old.levels]


@pytest.mark.parametrize("seed", range(40))
def test_random_books_equal_the_frozen_engine(seed: int) -> None:
    book = _book(seed, text_dtype=seed % 2 == 1)
    levels = CUSTOM if seed % 3 == 0 else DEFAULT_DUNNING_LEVELS["en"]
    settings = Settings(dunning_interest_pa=[0, 8.25, 12][seed % 3], dunning_min_amount=[0, 50, 2000][seed % 3])
    new, old = _both(book, levels, settings)
    _assert_equal(new, old)


def test_the_random_books_reach_every_branch() -> None:
    """The books above are not trivially equal: together they give every exclusion reason, notices with many
    lines, tied due dates and lines of broken plans."""
    reasons, lines, ties, plans = set(), 0, 0, 0
    for seed in range(40):
        book = _book(seed)
        new, _old = _both(book, CUSTOM if seed % 2 else DEFAULT_DUNNING_LEVELS["en"], Settings(dunning_min_amount=2000))
        reasons |= set(new.excluded["reason"])
        lines = max(lines, int(new.items.groupby("customer_id").size().max()) if len(new.items) else 0)
        ties += int(new.items.duplicated(["customer_id", "due_date"]).sum())
        plans += int((new.items["plan_id"] != "").sum())
    assert reasons == set(EXCLUSION_REASONS)
    assert lines > 10 and ties > 20 and plans > 10


def test_empty_and_all_excluded_books_equal_the_frozen_engine() -> None:
    book = _book(3)
    settings = Settings()
    nothing_due = dict(book, open_items=book["open_items"].assign(outstanding=np.int64(-5)))
    _assert_equal(*_both(nothing_due, DEFAULT_DUNNING_LEVELS["en"], settings))
    held = dict(book, customers=book["customers"].assign(dunning_hold=True))
    _assert_equal(*_both(held, DEFAULT_DUNNING_LEVELS["en"], settings))
    empty = dict(book, open_items=book["open_items"].iloc[0:0])
    _assert_equal(*_both(empty, DEFAULT_DUNNING_LEVELS["en"], settings))


def test_check_ladder_is_the_runs_own_check() -> None:
    assert [lv.level for lv in check_ladder(CUSTOM)] == [1, 2, 5]
    twice = (*CUSTOM, CUSTOM[1])
    with pytest.raises(DunningError, match="unique"):
        check_ladder(twice)
    with pytest.raises(DunningError, match="unique"):
        build_dunning(_book(1)["open_items"], _book(1)["customers"], twice, None, Settings(), AS_OF)
