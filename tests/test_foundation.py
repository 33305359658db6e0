"""Foundation modules: exact money, dates, the schema's header rules, Config parsing, cell addresses, atomic writes."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlfin import schema
from xlfin.xlsx.atomic import atomic_write, atomic_write_bytes
from xlfin.engine.dates import (
    DateError,
    date_to_serial,
    parse_date,
    serial_to_date,
    serials_to_datetime64,
)
from xlfin.engine.money import (
    MoneyError,
    cents_to_decimal,
    float_cents,
    round_half_up_array,
    to_cents,
    to_decimal,
)
from xlfin.schema import generated_header, match_headers
from xlfin.schema.settings import Settings, config_rows, defaults, settings_from_rows
from xlfin.schema.tables import RawTable, column_letter, quote_sheet, to_cells

# ---------------------------------------------------------------- money


@pytest.mark.parametrize("value, cents", [
    (0, 0), (1, 100), (12.34, 1234), ("1,234.56", 123456), ("¥1,000", 100000), ("$ 99.5", 9950),
    ("(12.00)", -1200), (2.675, 268), (-2.675, -268), (0.005, 1), (Decimal("10.005"), 1001), ("１２", 1200),
])
def test_to_cents_reads_what_people_type(value, cents) -> None:
    assert to_cents(value) == cents


@pytest.mark.parametrize("bad", ["abc", "12O0", True, None, float("nan"), float("inf"), "NaN", [1]])
def test_to_decimal_refuses_non_money(bad) -> None:
    with pytest.raises(MoneyError):
        to_decimal(bad)


def test_to_decimal_refuses_an_amount_too_large_to_quantize() -> None:
    with pytest.raises(MoneyError):
        to_decimal("1e999999")


def test_float_cents_and_rounding_half_up() -> None:
    assert float_cents(np.array([0.1 + 0.2, 2.675, -2.675, 1.005])).tolist() == [30, 268, -268, 101]
    out = round_half_up_array(np.array([0.125, 1.005, np.nan]))
    assert out[:2].tolist() == [0.13, 1.01] and np.isnan(out[2])
    assert cents_to_decimal(-1234) == Decimal("-12.34")


@given(st.integers(min_value=-10**13, max_value=10**13))
def test_cents_round_trip_through_float_and_decimal(cents: int) -> None:
    assert to_cents(cents / 100) == cents
    assert to_cents(cents_to_decimal(cents)) == cents
    assert to_cents(str(cents_to_decimal(cents))) == cents
    assert float_cents(np.array([cents / 100]))[0] == cents


@given(st.lists(st.integers(min_value=-10**9, max_value=10**9), max_size=50))
def test_sum_of_cents_is_exact(values: list[int]) -> None:
    arr = float_cents(np.array([v / 100 for v in values], dtype=float))
    assert int(arr.sum()) == sum(values)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("value, expected", [
    ("2026-03-05", dt.date(2026, 3, 5)), ("2026/3/5", dt.date(2026, 3, 5)), ("2026年3月5日", dt.date(2026, 3, 5)),
    ("2026.03.05", dt.date(2026, 3, 5)), ("3/13/2026", dt.date(2026, 3, 13)), ("13/3/2026", dt.date(2026, 3, 13)), (" 2026-03-05T10:30 ", dt.date(2026, 3, 5)),
    (46086, dt.date(2026, 3, 5)), (46086.75, dt.date(2026, 3, 5)), (dt.datetime(2026, 3, 5, 13), dt.date(2026, 3, 5)),
    (pd.Timestamp("2026-03-05"), dt.date(2026, 3, 5)), (np.datetime64("2026-03-05"), dt.date(2026, 3, 5)),
    (None, None), ("  ", None), (float("nan"), None), (1, dt.date(1900, 1, 1)), (59, dt.date(1900, 2, 28)),
    (61, dt.date(1900, 3, 1)),
])
def test_parse_date_accepts_both_locales_and_serials(value, expected) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("bad", ["2026-02-30", "tomorrow", "13/13/2026", "3/5/2026", True, 0, -5, 3_000_000, object()])
def test_parse_date_refuses_what_is_not_a_date(bad) -> None:
    with pytest.raises(DateError):
        parse_date(bad)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_serial_date_round_trip(day: dt.date) -> None:
    serial = date_to_serial(day)
    assert serial_to_date(serial) == day
    back = serials_to_datetime64(np.array([float(serial)]))[0]
    assert back == np.datetime64(day, "D")


def test_vectorised_serials_agree_with_scalar_before_the_leap_bug() -> None:
    serials = np.array([1.0, 59.0, 61.0, np.nan])
    out = serials_to_datetime64(serials)
    assert [str(d) for d in out[:3]] == [str(serial_to_date(s)) for s in serials[:3]]
    assert np.isnat(out[3])


# ---------------------------------------------------------------- schema


def test_headers_match_in_either_language_any_order_with_stray_spaces() -> None:
    t = schema.CUSTOMERS
    headers = ["  customer name ", "客户编号", "My Own Column", "PAYMENT TERMS (DAYS)", "信用额度", None, ""]
    m = match_headers(headers, t)
    assert m.positions == {"name": 0, "customer_id": 1, "payment_terms_days": 3, "credit_limit": 4}
    assert m.unknown == [(2, "My Own Column")] and m.ok


def test_full_width_parentheses_and_keys_themselves_match() -> None:
    m = match_headers(["付款周期（天）", "customer_id", "Customer_Name"], schema.CUSTOMERS)
    assert m.positions == {"payment_terms_days": 0, "customer_id": 1, "name": 2}


def test_header_language_votes_and_missing_and_duplicates() -> None:
    zh = match_headers([c.zh for c in schema.INVOICES.columns], schema.INVOICES)
    assert zh.language == "zh-CN" and zh.ok and not zh.unknown
    en = match_headers([c.en for c in schema.INVOICES.columns], schema.INVOICES)
    assert en.language == "en" and en.positions == zh.positions
    partial = match_headers(["Invoice No", "Amount", "金额"], schema.INVOICES)
    assert set(partial.missing_required) == {"customer_id", "invoice_date"} and not partial.ok
    assert partial.duplicates == [(2, "金额")]


@pytest.mark.parametrize("key, header", [
    ("customer_id", "Customer ID"), ("best_dso", "Best DSO"), ("overdue_pct", "Overdue %"), ("add", "ADD"),
    ("clv", "CLV"), ("abc_class", "ABC Class"), ("revenue_12m", "Revenue 12m"), ("max_days_overdue", "Max Days Overdue"),
    ("payment_id", "Payment ID"), ("eom", "EOM"),
])
def test_generated_header_rule(key: str, header: str) -> None:
    assert generated_header(key) == header


def test_every_generated_column_has_both_labels_and_en_follows_the_rule() -> None:
    for table in schema.GENERATED_TABLES:
        for c in table.columns:
            assert c.en and c.zh, (table.name, c.key)
        for c in table.columns:
            if c.key in schema.aging_bucket_labels():
                continue
            assert c.en == generated_header(c.key), (table.name, c.key)


def test_choices_map_both_languages_to_canonical_english() -> None:
    status = schema.CUSTOMERS.column("status")
    assert status.canonical("活跃") == "Active" and status.canonical(" on hold ") == "On Hold"
    assert status.canonical("nonsense") is None
    doc = schema.INVOICES.column("doc_type")
    assert doc.canonical("贷项通知单") == "Credit Note"


# ---------------------------------------------------------------- settings


def test_defaults_follow_spec_table() -> None:
    en, zh = defaults("en"), defaults("zh-CN")
    assert en.base_currency == "USD" and zh.base_currency == "CNY"
    assert en.as_of_date is None and en.default_terms_days == 30
    assert en.aging_edges == (30, 60, 90, 120) and en.aging_basis == "due"
    assert en.score_weights == (0.15, 0.15, 0.10, 0.10, 0.35, 0.15)
    assert en.grade_cutoffs == (80, 65, 50, 35)
    assert (en.limit_pct_net_worth, en.limit_pct_working_capital, en.limit_rounding) == (0.10, 0.20, 1000)
    assert en.abc_cutoffs == (0.80, 0.95) and en.payment_window_months == 24
    assert en.reconcile_tolerance_abs == Decimal("1.00") and en.reconcile_tolerance_pct == 0.005
    assert en.reconcile_fifo is True and en.dunning_min_amount == Decimal("100") and en.dunning_interest_pa == 0
    assert en.company_name == "" and en.language == "en" and zh.language == "zh-CN"


def test_config_rows_round_trip_to_defaults() -> None:
    for lang in ("en", "zh-CN"):
        rows = [(k, v) for k, v, _ in config_rows(lang)]
        s, problems = settings_from_rows(rows)
        assert problems == [] and s == defaults(lang)


def test_every_key_type_parses() -> None:
    s, problems = settings_from_rows([
        ("as_of_date", "2026年11月20日"), ("base_currency", " eur "), ("default_terms_days", 45.0),
        ("aging_edges", "15，45; 90"), ("aging_basis", "invoice"), ("score_weights", "1,1,1,1,1,1"),
        ("grade_cutoffs", "90, 70, 50, 30"), ("limit_pct_net_worth", "15%"), ("limit_rounding", 500),
        ("abc_cutoffs", "0.7,0.9"), ("reconcile_tolerance_abs", "2.50"), ("reconcile_fifo", "否"),
        ("dunning_min_amount", "1,000"), ("allow_mixed_currency", "是"), ("company_name", "  ACME  "),
        ("language", "zh-CN"),
    ])
    assert problems == []
    assert s.as_of_date == dt.date(2026, 11, 20) and s.base_currency == "EUR" and s.default_terms_days == 45
    assert s.aging_edges == (15, 45, 90) and s.aging_basis == "invoice" and s.score_weights == (1.0,) * 6
    assert s.grade_cutoffs == (90, 70, 50, 30) and s.limit_pct_net_worth == pytest.approx(0.15)
    assert s.limit_rounding == 500 and s.abc_cutoffs == (0.7, 0.9)
    assert s.reconcile_tolerance_abs == Decimal("2.50") and s.reconcile_fifo is False
    assert s.dunning_min_amount == Decimal("1000.00") and s.allow_mixed_currency is True
    assert s.company_name == "ACME" and s.language == "zh-CN"


@pytest.mark.parametrize("raw, expected", [(8, 8.0), ("8", 8.0), ("8%", 8.0), ("7.5 %", 7.5), (0, 0.0)])
def test_dunning_interest_is_already_a_percentage(raw, expected) -> None:
    s, problems = settings_from_rows([("dunning_interest_pa", raw)])
    assert problems == [] and s.dunning_interest_pa == pytest.approx(expected)


@pytest.mark.parametrize("key, raw", [
    ("as_of_date", "someday"), ("default_terms_days", "thirty"), ("default_terms_days", 12.5),
    ("default_terms_days", -1), ("aging_edges", "60,30"), ("aging_edges", "a,b"), ("aging_basis", "paid"),
    ("score_weights", "1,2,3"), ("grade_cutoffs", "10,20,30,40"), ("abc_cutoffs", "0.9,0.8"),
    ("limit_rounding", 0), ("reconcile_fifo", "maybe"), ("dunning_min_amount", "lots"), ("base_currency", "dollars"),
    ("payment_window_months", 0),
])
def test_bad_value_keeps_default_and_names_the_key(key: str, raw) -> None:
    s, problems = settings_from_rows([(key, raw), ("company_name", "kept")])
    assert getattr(s, key) == getattr(defaults("en"), key)
    assert s.company_name == "kept"
    assert [p.key for p in problems] == [key] and key in problems[0].message


@pytest.mark.parametrize("key, raw", [
    ("limit_pct_net_worth", -0.1), ("limit_pct_working_capital", "-5%"), ("limit_pct_net_worth", "nan"),
    ("reconcile_tolerance_abs", "-1"), ("reconcile_tolerance_pct", 1), ("reconcile_tolerance_pct", -0.01),
    ("dunning_interest_pa", -5), ("dunning_interest_pa", "inf"),
])
def test_values_the_engine_refuses_keep_the_default_instead_of_failing_the_run(key: str, raw) -> None:
    # the engine raises on these (CreditInputError, ReconcileInputError, DunningError): Config must catch them first
    s, problems = settings_from_rows([(key, raw), ("company_name", "kept")])
    assert getattr(s, key) == getattr(defaults("en"), key)
    assert s.company_name == "kept"
    assert [p.key for p in problems] == [key] and key in problems[0].message


def test_unknown_key_and_bad_language_are_problems() -> None:
    s, problems = settings_from_rows([("colour", "blue"), ("language", "fr"), (None, "ignored"), ("", 1)])
    assert s.language == "en"
    assert [(p.key, p.code) for p in problems] == [("colour", "unknown_key"), ("language", "bad_value")]
    s2, problems2 = settings_from_rows([("base_currency", "XYZ")])
    assert s2.base_currency == "XYZ" and problems2[0].code == "unusual_currency"


def test_fallback_language_sets_base_currency() -> None:
    s, _ = settings_from_rows([], "zh-CN")
    assert s.language == "zh-CN" and s.base_currency == "CNY"
    assert isinstance(s, Settings) and s.as_of() == dt.date.today()


# ---------------------------------------------------------------- tables


@pytest.mark.parametrize("n, letters", [(1, "A"), (26, "Z"), (27, "AA"), (28, "AB"), (702, "ZZ"), (703, "AAA"),
                                        (16384, "XFD")])
def test_column_letter(n: int, letters: str) -> None:
    assert column_letter(n) == letters


@pytest.mark.parametrize("sheet, quoted", [("Invoices", "Invoices"), ("Dunning Log", "'Dunning Log'"),
                                           ("应收发票", "'应收发票'"), ("Bob's", "'Bob''s'"), ("my_sheet", "my_sheet")])
def test_quote_sheet(sheet: str, quoted: str) -> None:
    assert quote_sheet(sheet) == quoted


def test_raw_table_cell_addresses() -> None:
    raw = RawTable(table=schema.INVOICES, frame=pd.DataFrame({"invoice_no": ["A", "B"]}), sheet="应收发票",
                   header_row=3, first_col=2, positions={"invoice_no": 0, "amount": 5})
    assert raw.cell("amount", 0) == "'应收发票'!G4"
    assert raw.cell("invoice_no", 1) == "'应收发票'!B5"
    assert raw.cell(None, 1) == "'应收发票'!B5" and len(raw) == 2


def test_to_cells_converts_engine_types_to_cell_values() -> None:
    df = pd.DataFrame({
        "customer_id": ["C1", None], "name": ["=cmd", np.nan], "total": np.array([12345, -5], dtype=np.int64),
        "overdue": pd.array([100, None], dtype="Int64"), "overdue_pct": [0.25, np.inf],
    })
    table = schema.AGING
    rows = to_cells(df, table)
    keys = table.keys
    first = dict(zip(keys, rows[0]))
    second = dict(zip(keys, rows[1]))
    assert first["customer_id"] == "C1" and first["name"] == "=cmd"  # text stays text; the writer escapes it
    assert first["total"] == 123.45 and second["total"] == -0.05
    assert first["overdue"] == 1.0 and second["overdue"] is None
    assert first["overdue_pct"] == 0.25 and second["overdue_pct"] is None
    assert second["customer_id"] is None and second["name"] is None
    assert first["Current"] is None  # a schema column the frame lacks is blank
    detail = to_cells(pd.DataFrame({"due_date": pd.to_datetime(["2026-01-02", None]),
                                    "days_overdue": [3.0, np.nan]}), schema.AGING_DETAIL)
    d = dict(zip(schema.AGING_DETAIL.keys, detail[0]))
    assert d["due_date"] == dt.date(2026, 1, 2) and d["days_overdue"] == 3
    assert dict(zip(schema.AGING_DETAIL.keys, detail[1]))["due_date"] is None
    flags = to_cells(pd.DataFrame({"over_limit": [True, False, None]}), schema.SCORECARD)
    col = schema.SCORECARD.keys.index("over_limit")
    assert [r[col] for r in flags] == ["Yes", "No", None]
    assert to_cells(pd.DataFrame(), schema.AGING) == []


# ---------------------------------------------------------------- atomic writes


def test_atomic_write_keeps_one_backup(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    atomic_write_bytes(target, b"one")
    assert target.read_bytes() == b"one" and not (tmp_path / "book.xlsx.bak").exists()
    atomic_write_bytes(target, b"two")
    atomic_write_bytes(target, b"three")
    assert target.read_bytes() == b"three" and (tmp_path / "book.xlsx.bak").read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "book.xlsx.bak"]


def test_atomic_write_failure_leaves_target_and_backup_intact(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    atomic_write_bytes(target, b"original")
    atomic_write_bytes(target, b"current")
    before = (target.stat().st_mtime_ns, target.read_bytes(), (tmp_path / "book.xlsx.bak").read_bytes())

    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, broken)
    assert (target.stat().st_mtime_ns, target.read_bytes(), (tmp_path / "book.xlsx.bak").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "book.xlsx.bak"]


def test_atomic_write_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"x")
    os.chmod(target, 0o640)
    atomic_write_bytes(target, b"y", backup=False)
    assert target.stat().st_mode & 0o777 == 0o640 and not (tmp_path / "book.xlsx.bak").exists()
