"""xlsx.cells / engine.cellvalues: the one way a cell becomes a typed value (issue #12 item 1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlfin.engine import cellvalues
from xlfin.xlsx import cells
from xlfin.xlsx.cells import (
    NO_SPELLINGS,
    YES_SPELLINGS,
    AmbiguousDate,
    CellValueError,
    DateError,
    MoneyError,
    date_value,
    money_cents,
    money_value,
    number,
    whole_number,
    yes_no,
    yes_no_array,
)


def test_the_file_format_re_exports_the_engine_definitions_not_copies() -> None:
    for name in ("yes_no", "yes_no_array", "whole_number", "number", "money_cents", "date_value", "is_blank"):
        assert getattr(cells, name) is getattr(cellvalues, name)


# ---------------------------------------------------------------- yes/no


@pytest.mark.parametrize("value", [*YES_SPELLINGS, "YES", "是", "ｙｅｓ", " y ", "True", True, np.True_, 1, 1.0, "✓"])
def test_yes(value) -> None:
    assert yes_no(value) is True


@pytest.mark.parametrize("value", [*NO_SPELLINGS, "NO", "否", None, "", "  ", float("nan"), False, 0, 0.0, pd.NA])
def test_no(value) -> None:
    assert yes_no(value) is False


@pytest.mark.parametrize("value", ["maybe", "2", 2, -1, 0.5, "是的", "nein", dt.date(2026, 1, 1)])
def test_not_yes_no_is_an_error_never_no(value) -> None:
    with pytest.raises(CellValueError):
        yes_no(value)


def test_both_languages_are_in_the_one_table() -> None:
    assert {"Yes", "是", "y", "true", "1"} <= set(YES_SPELLINGS) and {"No", "否", "n", "false", "0"} <= set(NO_SPELLINGS)


def test_yes_no_array_marks_bad_cells_and_reads_each_value_once() -> None:
    flags, bad = yes_no_array(pd.Series(["Yes", "否", None, "maybe", True, "x"] * 1000, dtype=object))
    assert flags[:6].tolist() == [True, False, False, False, True, True]
    assert bad[:6].tolist() == [False, False, False, True, False, False] and bad.sum() == 1000


# ---------------------------------------------------------------- money


@pytest.mark.parametrize("value, cents", [
    ("1,234.50", 123450), ("¥1,234.50", 123450), ("￥1,234.50", 123450), ("$ 1 234.50", 123450),
    ("1 234.50", 123450), ("1\u00a0234.50", 123450), ("USD 1,000", 100000), ("1234.5元", 123450),
    ("(12.00)", -1200), ("-¥5", -500), ("¥-5", -500), ("１，２３４．５", 123450), (2.675, 268), (0.004, 0),
    (0.005, 1), (Decimal("10.005"), 1001), (12, 1200), ("12,345,678.9", 1234567890), (".5", 50),
])
def test_money_accepted(value, cents) -> None:
    assert money_cents(value) == cents


@pytest.mark.parametrize("value", ["$ 1 234,50", "1.234,50", "1234,50", "1,23", "12,3456", "1e3", "NaN", "abc",
                                   "(5", "--5", True, dt.date(2026, 1, 1), 1e14, "100000000000000"])
def test_money_refused_not_guessed(value) -> None:
    with pytest.raises(MoneyError):
        money_cents(value)


def test_money_value_is_a_two_place_decimal() -> None:
    assert money_value("¥1,234.5") == Decimal("1234.50") and money_value("  ") is None


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_money_round_trips_through_every_text_form(cents: int) -> None:
    d = Decimal(cents) / 100
    units, frac = divmod(abs(cents), 100)
    grouped = f"{units:,}.{frac:02d}"
    sign = "-" if cents < 0 else ""
    for text in (str(d), f"{sign}{grouped}", f"{sign}¥{grouped}", f"{sign}{grouped.replace(',', ' ')}",
                 f"({grouped})" if cents < 0 else grouped, f"USD {sign}{grouped}"):
        assert money_cents(text) == cents, text


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_money_of_a_double_is_the_decimal_it_shows(d: Decimal) -> None:
    assert money_cents(float(d)) == int(d * 100)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("value, expected", [
    ("2026-03-01", dt.date(2026, 3, 1)), ("2026/3/1", dt.date(2026, 3, 1)), ("2026.03.01", dt.date(2026, 3, 1)),
    ("2026年3月1日", dt.date(2026, 3, 1)), ("２０２６年３月１日", dt.date(2026, 3, 1)), ("13/03/2026", dt.date(2026, 3, 13)),
    ("03/13/2026", dt.date(2026, 3, 13)), ("13.03.2026", dt.date(2026, 3, 13)), ("03/03/2026", dt.date(2026, 3, 3)),
    ("1 Mar 2026", dt.date(2026, 3, 1)), ("March 1, 2026", dt.date(2026, 3, 1)), ("1-Mar-2026", dt.date(2026, 3, 1)),
    (46082, dt.date(2026, 3, 1)), (dt.datetime(2026, 3, 1, 9), dt.date(2026, 3, 1)), ("", None), (None, None),
])
def test_dates_accepted(value, expected) -> None:
    assert date_value(value) == expected


@pytest.mark.parametrize("value", ["01/03/2026", "03/01/2026", "5.3.2026", "1-2-2026"])
def test_day_month_order_in_doubt_is_refused(value) -> None:
    with pytest.raises(AmbiguousDate, match="YYYY-MM-DD"):
        date_value(value)


@pytest.mark.parametrize("value", ["2026-02-30", "13/13/2026", "Mayo 1 2026", "soon", True, 0])
def test_not_dates(value) -> None:
    with pytest.raises(DateError):
        date_value(value)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_dates_round_trip_through_unambiguous_text(d: dt.date) -> None:
    assert date_value(d.isoformat()) == d
    assert date_value(f"{d.year}年{d.month}月{d.day}日") == d
    assert date_value(f"{d.day} {d.strftime('%b')} {d.year}") == d
    if d.day > 12 or d.day == d.month:
        assert date_value(f"{d.day:02d}/{d.month:02d}/{d.year}") == d
        assert date_value(f"{d.month:02d}/{d.day:02d}/{d.year}") == d


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("value, expected", [(30, 30), (30.0, 30), ("30", 30), ("1,000", 1000), ("３０", 30)])
def test_whole_numbers(value, expected) -> None:
    assert whole_number(value) == expected


@pytest.mark.parametrize("value", [30.5, "thirty", True, float("inf"), 2.0**60])
def test_not_whole_numbers(value) -> None:
    with pytest.raises(CellValueError):
        whole_number(value)


def test_percent_text() -> None:
    assert number("12%", percent=True) == pytest.approx(0.12)
    assert number("12%") == 12.0 and number("1,234.5") == 1234.5
    with pytest.raises(CellValueError):
        number(True)
