"""Raw workbook tables -> typed frames: every type, every bad cell reported at its address, nothing guessed."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from xlfin.engine.dates import date_to_serial
from xlfin.schema.frames import (
    Problem,
    apply_defaults,
    coerce_table,
    empty_frame,
    problems_frame,
    raw_table_from_frame,
)
from xlfin.schema import INVOICES, PAYMENTS, TABLES
from xlfin.schema.settings import Settings
from xlfin.schema.tables import RawTable


def raw(table_key: str, columns: dict, header_row: int = 4, first_col: int = 2, sheet: str | None = None,
        lang: str = "en") -> RawTable:
    """A RawTable laid out like a worksheet: header on `header_row`, first column at `first_col` (2 = B)."""
    table = TABLES[table_key]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    return raw_table_from_frame(table, frame, lang=lang, sheet=sheet, header_row=header_row, first_col=first_col)


def invoices(**overrides) -> dict:
    base = {
        "invoice_no": ["INV-1", "INV-2", "INV-3"],
        "doc_type": ["Invoice", None, "Credit Note"],
        "customer_id": ["C1", "C1", "C2"],
        "invoice_date": [dt.date(2026, 1, 5), dt.date(2026, 2, 1), dt.date(2026, 2, 3)],
        "due_date": [dt.date(2026, 2, 4), None, dt.date(2026, 2, 3)],
        "amount": [100.0, 250.5, 30],
    }
    base.update(overrides)
    return base


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


# ---------------------------------------------------------------- money


def test_money_accepts_numbers_and_typed_text_as_int_cents():
    amounts = [1234.5, "1,234.50", "¥1,234.50", 12, Decimal("0.10"), " 7 ", "１２.５"]
    r = raw("invoices", invoices(invoice_no=[f"I{i}" for i in range(7)], doc_type=[None] * 7, customer_id=["C"] * 7,
                                 invoice_date=[dt.date(2026, 1, 1)] * 7, due_date=[None] * 7, amount=amounts))
    df, problems = coerce_table(r)
    assert problems == []
    assert df["amount"].dtype == np.int64  # required and every cell parsed
    assert df["amount"].tolist() == [123450, 123450, 123450, 1200, 10, 700, 1250]


def test_money_floats_round_half_up_to_cents():
    r = raw("invoices", invoices(amount=[2.675, 0.125, 1.005]))
    df, _ = coerce_table(r)
    assert df["amount"].tolist() == [268, 13, 101]


def test_bad_amount_is_reported_at_its_cell_and_set_to_na():
    r = raw("invoices", invoices(amount=[100, "abc", 5]))
    df, problems = coerce_table(r)
    assert df["amount"].dtype == "Int64"
    assert df["amount"].isna().tolist() == [False, True, False]
    (p,) = problems
    # amount is the 6th column (offset 5) from B -> G; data row 1 under a header on row 4 -> row 6
    assert p == Problem("error", "Invoices", "Invoices!G6", "Amount", "INV-2", "bad_amount",
                        "Amount: 'abc' is not an amount")


def test_optional_money_stays_nullable_int64():
    r = raw("customers", {"customer_id": ["C1", "C2"], "name": ["A", "B"], "credit_limit": [5000, None]})
    df, problems = coerce_table(r)
    assert problems == []
    assert df["credit_limit"].dtype == "Int64"
    assert df["credit_limit"].tolist()[0] == 500000 and pd.isna(df["credit_limit"].iloc[1])


def test_money_rejects_booleans_dates_and_infinity():
    r = raw("invoices", invoices(amount=[True, dt.date(2026, 1, 1), float("inf")]))
    df, problems = coerce_table(r)
    assert codes(problems) == ["bad_amount"] * 3
    assert df["amount"].isna().all()


# ---------------------------------------------------------------- dates


def test_dates_from_datetimes_serials_and_text_in_both_locales():
    values = [dt.datetime(2026, 3, 5, 14, 30), date_to_serial(dt.date(2026, 3, 5)), "2026-03-05", "2026/3/5",
              "2026年3月5日", "5 Mar 2026", pd.Timestamp("2026-03-05"), dt.date(2026, 3, 5)]
    n = len(values)
    r = raw("invoices", invoices(invoice_no=[f"I{i}" for i in range(n)], doc_type=[None] * n, customer_id=["C"] * n,
                                 invoice_date=values, due_date=[None] * n, amount=[1] * n))
    df, problems = coerce_table(r)
    assert problems == []
    assert df["invoice_date"].dtype == "datetime64[ns]"
    assert (df["invoice_date"] == pd.Timestamp("2026-03-05")).all()


def test_numeric_serial_column_takes_the_vectorised_path():
    table = raw_table_from_frame(INVOICES, pd.DataFrame({
        "invoice_no": ["A", "B"], "customer_id": ["C", "C"], "amount": [1.0, 2.0],
        "invoice_date": np.array([46086.0, 46087.75])}))
    table.frame["invoice_date"] = np.array([46086.0, 46087.75])
    df, problems = coerce_table(table)
    assert problems == []
    assert df["invoice_date"].tolist() == [pd.Timestamp("2026-03-05"), pd.Timestamp("2026-03-06")]


@pytest.mark.parametrize("bad", ["5.3.2026", "3/5/2026", "2026-02-30", "soon", 99999999, True])
def test_bad_dates_are_reported_never_guessed(bad):
    r = raw("invoices", invoices(due_date=[bad, None, None]))
    df, problems = coerce_table(r)
    assert codes(problems) == (["ambiguous_date"] if bad in ("5.3.2026", "3/5/2026") else ["bad_date"])
    assert problems[0].cell == "Invoices!F5"
    assert pd.isna(df["due_date"].iloc[0])


def test_dates_beyond_the_nanosecond_range_are_reported():
    r = raw("invoices", invoices(invoice_date=[dt.date(9999, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 1, 1)]))
    df, problems = coerce_table(r)
    assert codes(problems) == ["bad_date"]
    assert pd.isna(df["invoice_date"].iloc[0])


# ---------------------------------------------------------------- int, bool, enum, currency, text


def test_int_column_accepts_whole_numbers_only():
    r = raw("customers", {"customer_id": ["A", "B", "C", "D", "E"], "name": list("abcde"),
                          "payment_terms_days": [30, 45.0, "60", "30.5", "net 30"]})
    df, problems = coerce_table(r)
    assert df["payment_terms_days"].dtype == "Int64"
    assert df["payment_terms_days"].tolist()[:3] == [30, 45, 60]
    assert codes(problems) == ["bad_int", "bad_int"]
    assert [p.row_key for p in problems] == ["D", "E"]


def test_yes_no_in_both_languages_blank_is_false():
    values = ["Yes", "no", "是", "否", True, 1, None, "x", "maybe"]
    n = len(values)
    r = raw("invoices", invoices(invoice_no=[f"I{i}" for i in range(n)], doc_type=[None] * n, customer_id=["C"] * n,
                                 invoice_date=[dt.date(2026, 1, 1)] * n, due_date=[None] * n, amount=[1] * n,
                                 disputed=values))
    df, problems = coerce_table(r)
    assert df["disputed"].dtype == bool
    assert df["disputed"].tolist() == [True, False, True, False, True, True, False, True, False]
    assert codes(problems) == ["bad_choice"]
    assert "'maybe' is not one of Yes / No" in problems[0].message


def test_enum_maps_labels_and_aliases_to_the_canonical_english_value():
    r = raw("invoices", invoices(doc_type=["贷项通知单", " credit note ", None]))
    df, problems = coerce_table(r)
    assert problems == []
    assert df["doc_type"].tolist() == ["Credit Note", "Credit Note", None]


def test_enum_outside_the_list_is_an_error_listing_the_choices():
    r = raw("payments", {"payment_id": ["P1"], "payment_date": [dt.date(2026, 1, 1)], "amount": [5],
                         "method": ["Bitcoin"]})
    df, problems = coerce_table(r)
    assert df["method"].tolist() == [None]
    assert problems[0].message == "Method: 'Bitcoin' is not one of Bank Transfer / Cheque / Cash / Card / Other"


def test_currency_is_upper_case_three_letters_with_known_aliases():
    r = raw("invoices", invoices(currency=["usd", "RMB", "ＥＵＲ"]))
    df, problems = coerce_table(r)
    assert problems == []
    assert df["currency"].tolist() == ["USD", "CNY", "EUR"]
    bad = raw("invoices", invoices(currency=["US", "dollars", None]))
    df, problems = coerce_table(bad)
    assert codes(problems) == ["bad_currency", "bad_currency"]
    assert df["currency"].isna().all()


def test_text_is_stripped_and_integral_numbers_lose_their_decimal_point():
    r = raw("customers", {"customer_id": [1001.0, " C2 "], "name": ["  Acme  ", "B"], "notes": ["", 12.5]})
    df, problems = coerce_table(r)
    assert problems == []
    assert df["customer_id"].tolist() == ["1001", "C2"]
    assert df["name"].tolist() == ["Acme", "B"]
    assert df["notes"].tolist() == [None, "12.5"]


# ---------------------------------------------------------------- rows and columns


def test_blank_rows_are_dropped_and_row_numbers_kept():
    r = raw("invoices", {"invoice_no": ["INV-1", None, "  ", "INV-4", None],
                         "customer_id": ["C1", None, None, "C1", None],
                         "invoice_date": [dt.date(2026, 1, 1), None, None, dt.date(2026, 1, 1), None],
                         "amount": [1, None, "", "x", None]})
    df, problems = coerce_table(r)
    assert df["invoice_no"].tolist() == ["INV-1", "INV-4"]
    assert df["_row"].tolist() == [0, 3]
    assert problems[0].cell == "Invoices!E8"  # amount is the 4th column (B + 3); data row 3 -> row 4 + 1 + 3


def test_extra_columns_are_kept_and_computed_columns_ignored():
    frame = pd.DataFrame({"invoice_no": ["INV-1"], "My Note": ["keep me"], "customer_id": ["C1"],
                          "invoice_date": [dt.date(2026, 1, 1)], "amount": [10], "outstanding": ["=formula"],
                          "paid": [3]}).astype(object)
    df, problems = coerce_table(raw_table_from_frame(INVOICES, frame))
    assert problems == []
    assert df["My Note"].tolist() == ["keep me"]
    assert "outstanding" not in df.columns and "paid" not in df.columns
    assert list(df.columns[: len(INVOICES.input_columns)]) == [c.key for c in INVOICES.input_columns]
    assert df.columns[len(INVOICES.input_columns)] == "_row"


def test_missing_optional_columns_come_back_blank_and_typed():
    frame = pd.DataFrame({"invoice_no": ["INV-1"], "customer_id": ["C1"], "invoice_date": ["2026-01-01"],
                          "amount": ["10"]}).astype(object)
    df, problems = coerce_table(raw_table_from_frame(INVOICES, frame))
    assert problems == []
    assert df["cost"].dtype == "Int64" and df["due_date"].dtype == "datetime64[ns]"
    assert df["disputed"].tolist() == [False]
    assert df["doc_type"].tolist() == [None]


def test_missing_required_column_is_one_problem_not_an_exception():
    frame = pd.DataFrame({"invoice_no": ["INV-1"], "customer_id": ["C1"], "invoice_date": ["2026-01-01"]})
    df, problems = coerce_table(raw_table_from_frame(INVOICES, frame.astype(object)))
    assert codes(problems) == ["missing_column"]
    assert problems[0].column == "Amount"
    assert df["amount"].isna().all()


def test_empty_table_gives_empty_typed_frame():
    df, problems = coerce_table(raw("payments", {"payment_id": [], "payment_date": [], "amount": []}))
    assert problems == [] and len(df) == 0
    assert "payment_date" in df.columns and "_row" in df.columns
    assert list(empty_frame(PAYMENTS).columns) == [c.key for c in PAYMENTS.input_columns] + ["_row"]


def test_messages_follow_the_workbook_language_and_sheet_names_are_quoted():
    r = raw("invoices", invoices(amount=[100, "abc", 5]), lang="zh-CN")
    _, problems = coerce_table(r, Settings(language="zh-CN", base_currency="CNY"))
    (p,) = problems
    assert p.sheet == "应收发票" and p.cell == "'应收发票'!G6"
    assert p.column == "金额"
    assert p.message == "「金额」：'abc' 不是有效金额"


# ---------------------------------------------------------------- defaults and the problems frame


def test_apply_defaults_fills_the_blanks_spec_gives_a_meaning():
    settings = Settings(base_currency="EUR", default_terms_days=14)
    customers, _ = coerce_table(raw("customers", {"customer_id": ["C1", "C2"], "name": ["A", "B"],
                                                  "payment_terms_days": [45, None], "currency": ["GBP", None],
                                                  "status": [None, "On Hold"]}))
    inv, _ = coerce_table(raw("invoices", {
        "invoice_no": ["I1", "I2", "I3", "I4"], "doc_type": [None, "Credit Note", None, None],
        "customer_id": ["C1", "C2", "C9", "C1"],
        "invoice_date": [dt.date(2026, 1, 1)] * 4, "due_date": [None, None, None, dt.date(2026, 1, 10)],
        "amount": [1, 1, 1, 1], "currency": [None, None, None, "USD"]}))
    out = apply_defaults({"customers": customers, "invoices": inv}, settings)
    cus = out["customers"]
    assert cus["currency"].tolist() == ["GBP", "EUR"]
    assert cus["status"].tolist() == ["Active", "On Hold"]
    assert cus["payment_terms_days"].tolist() == [45, 14]
    got = out["invoices"]
    assert got["doc_type"].tolist() == ["Invoice", "Credit Note", "Invoice", "Invoice"]
    assert got["due_date"].dt.date.tolist() == [dt.date(2026, 2, 15), dt.date(2026, 1, 15), dt.date(2026, 1, 15),
                                                dt.date(2026, 1, 10)]
    assert got["currency"].tolist() == ["GBP", "EUR", "EUR", "USD"]
    assert inv["doc_type"].isna().sum() == 3  # the input frames are left alone


def test_problems_frame_sorts_errors_first_then_sheet_row_column():
    ps = [
        Problem("warning", "Customers", "Customers!I3", "Credit Limit", "C1", "over_credit_limit", "w"),
        Problem("error", "Invoices", "Invoices!B10", "Invoice No", "I9", "required", "b"),
        Problem("error", "Invoices", "Invoices!C9", "Customer ID", "I8", "unknown_customer", "a"),
        Problem("error", "Customers", "Customers!AA2", "X", "C1", "required", "c"),
        Problem("error", "Invoices", "Invoices!B9", "Invoice No", "I8", "required", "d"),
    ]
    df = problems_frame(ps)
    assert list(df.columns) == ["severity", "sheet", "cell", "column", "row_key", "code", "message"]
    assert df["cell"].tolist() == ["Customers!AA2", "Invoices!B9", "Invoices!C9", "Invoices!B10", "Customers!I3"]
    assert problems_frame(list(reversed(ps))).equals(df)
    assert len(problems_frame([])) == 0


# ---------------------------------------------------------------- properties and speed


@hsettings(max_examples=60, deadline=None)
@given(st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2,
                   allow_nan=False, allow_infinity=False))
def test_money_text_with_thousands_separators_is_exact(amount):
    text = f"{amount:,.2f}"
    r = raw("customers", {"customer_id": ["C1", "C2"], "name": ["A", "B"], "credit_limit": [text, float(amount)]})
    df, problems = coerce_table(r)
    assert problems == []
    assert df["credit_limit"].tolist() == [int(amount * 100)] * 2


def test_100k_invoices_coerce_quickly():
    n = 100_000
    rng = np.random.default_rng(0)
    issued = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 600, n), unit="D")
    frame = pd.DataFrame({
        "invoice_no": [f"INV-{i}" for i in range(n)],
        "doc_type": rng.choice(["Invoice", "Credit Note"], n),
        "customer_id": [f"C{i % 700:04d}" for i in range(n)],
        "invoice_date": list(issued.to_pydatetime()),
        "due_date": list((issued + pd.Timedelta(days=30)).to_pydatetime()),
        "amount": np.round(rng.uniform(1, 10000, n), 2),
        "currency": "USD",
        "cost": np.round(rng.uniform(1, 100, n), 2),
        "disputed": rng.choice(["Yes", "No", None], n),
    }).astype(object)  # what a file adapter hands over: Python objects
    table = raw_table_from_frame(INVOICES, frame)
    start = time.perf_counter()
    df, problems = coerce_table(table)
    elapsed = time.perf_counter() - start
    print(f"coerce_table: {n:,} invoices in {elapsed:.2f} s")
    assert problems == [] and len(df) == n
    assert df["amount"].dtype == np.int64
    assert elapsed < 10
