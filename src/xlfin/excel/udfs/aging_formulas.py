"""Ageing formulas: AGING_BUCKET, DAYS_OVERDUE."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from xlfin.engine import aging
from xlfin.engine import dates as xdates

from .broadcast import _engine_error, _flat, _Grid, _grid
from .coerce import _dates, _list
from .registry import Example, _docs, udf

# ----------------------------------------------------------------------------------------------------------------
# ageing


def _due_and_as_of(f: str, due_date: Any, as_of: Any) -> tuple[_Grid, np.ndarray, np.ndarray]:
    """The grid of an ageing formula and its due and as_of columns (a blank as_of is today)."""
    due = _dates(f, "due_date", due_date)
    when = _dates(f, "as_of", as_of, blank_is_today=True)
    g = _grid(f, due, when)
    return g, _flat(g.values(due, np.datetime64("NaT"))), _flat(g.values(when, np.datetime64(xdates.today(), "D")))


@udf(
    zh="到期日的账龄区间（未到期、1-30、31-60、61-90、91-120、120+），按截止日计算；区间由 edges 决定。",
    returns=("Bucket label: Current, 1-30, 31-60, 61-90, 91-120 or 120+ (labels follow edges).",
             "账龄区间名称：Current、1-30、31-60、61-90、91-120 或 120+（随 edges 变化）。"),
    args={
        **_docs("due_date"),
        "as_of": ("Date to age at (default today; use the AsOfDate name). A range ages each row at its own date.",
                  "账龄截止日（默认今天，可用 AsOfDate 名称）；给区域时逐行使用各自日期。"),
        "edges": ("Upper bounds of the buckets in days, e.g. \"30,60,90,120\" or a range (default 30,60,90,120).",
                  "区间上限天数，如 \"30,60,90,120\" 或区域（默认 30,60,90,120）。", "list"),
    },
    example=Example(([[dt.date(2026, 4, 15)], [dt.date(2026, 3, 10)], [dt.date(2026, 2, 1)],
                      [dt.date(2025, 12, 20)], [dt.date(2025, 10, 1)], [None]], dt.date(2026, 3, 31)),
                    "One formula over the column spills one label per due date; the blank stays blank.",
                    "一个公式覆盖整列，逐个到期日溢出结果；空白保持空白。"),
    costly=True,
)
def AGING_BUCKET(due_date, as_of=None, edges=None):
    """Ageing bucket of each due date as of as_of (default today): Current when not yet overdue, else the first
    bucket whose upper bound (edges, default 30,60,90,120) covers the days overdue."""
    f = "AGING_BUCKET"
    edge_list = _list(f, "edges", edges)
    try:
        labels_edges = aging.parse_edges(edge_list)
    except ValueError as exc:
        raise _engine_error(f, "edges", exc) from None
    g, due, when = _due_and_as_of(f, due_date, as_of)
    return g.result(aging.aging_bucket(due, when, labels_edges).reshape(g.shape), kind="object")


@udf(
    zh="到期日至截止日的逾期天数（整数，未到期为 0）。",
    returns=("Whole days overdue, 0 when not yet due.", "逾期整天数，未到期为 0。"),
    args={
        **_docs("due_date"),
        "as_of": (("Date to count to (default today; use the AsOfDate name). A range counts each row to its own "
                  "date, e.g. payment dates."), "计算截止日（默认今天）；给区域时逐行使用各自日期，例如收款日。"),
    },
    example=Example(([[dt.date(2026, 4, 15)], [dt.date(2026, 3, 10)], [dt.date(2026, 2, 1)],
                      [dt.date(2025, 12, 20)], [dt.date(2025, 10, 1)], [None]], dt.date(2026, 3, 31))),
    costly=True,
)
def DAYS_OVERDUE(due_date, as_of=None):
    """Whole days from each due date to as_of (default today), 0 when not yet due."""
    g, due, when = _due_and_as_of("DAYS_OVERDUE", due_date, as_of)
    return g.result(aging.days_overdue(due, when).reshape(g.shape), kind="int")
