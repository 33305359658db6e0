"""Validation rules of SPEC §3.1: one test per rule and code, messages in both languages, the exit code."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from xlfin.schema import validate as V
from xlfin.schema.frames import raw_table_from_frame
from xlfin.schema.settings import ConfigProblem, Settings, settings_from_rows
from xlfin.schema.tables import RawTable
from xlfin.schema.validate import MESSAGES, SEVERITY, ValidationReport, message, validate_workbook

AS_OF = dt.date(2026, 6, 30)


def base_tables() -> dict[str, dict]:
    """A small workbook with no problems at all; tests change one thing each."""
    return {
        "customers": {
            "customer_id": ["C1", "C2"], "name": ["Acme Ltd", "Beta Inc."],
            "phone": ["+1 (415) 555-0100", "021-6234 5678"], "email": ["ar@acme.com", None],
            "payment_terms_days": [30, None], "credit_limit": [10000, None], "currency": ["USD", None],
            "status": ["Active", None],
        },
        "invoices": {
            "invoice_no": ["INV-1", "INV-2", "CN-1"], "doc_type": [None, "Invoice", "Credit Note"],
            "customer_id": ["C1", "C2", "C1"],
            "invoice_date": [dt.date(2026, 5, 1), dt.date(2026, 5, 2), dt.date(2026, 5, 20)],
            "due_date": [dt.date(2026, 5, 31), None, None], "amount": [1000, 500, 100],
            "currency": ["USD", None, None],
        },
        "payments": {
            "payment_id": ["P1", "P2"], "payment_date": [dt.date(2026, 6, 1), dt.date(2026, 6, 2)],
            "customer_id": ["C1", None], "payer_name": ["ACME", "Beta"], "amount": [900, 500],
            "method": ["Bank Transfer", None], "reference": ["INV-1", "inv 2"], "applied_to": ["INV-1", None],
        },
        "financials": {
            "customer_id": ["C1"], "period_end": [dt.date(2025, 12, 31)], "total_assets": [1000],
            "total_liabilities": [600], "equity": [400],
        },
        "payment_plans": {
            "plan_id": ["PP-1"], "customer_id": ["C2"], "total": [500], "instalments": [2],
            "first_date": [dt.date(2026, 7, 15)], "invoices": ["INV-2"],
        },
    }


def build(tables: dict[str, dict], lang: str = "en") -> dict[str, RawTable]:
    return {key: raw_table_from_frame(key, pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()}),
                                      lang=lang)
            for key, cols in tables.items()}


def run(tables: dict[str, dict] | None = None, lang: str = "en", config_problems=(), **settings) -> ValidationReport:
    settings.setdefault("language", lang)
    settings.setdefault("base_currency", "USD")
    return validate_workbook(build(tables or base_tables(), lang), Settings(**settings), list(config_problems), AS_OF)


def only(report: ValidationReport, code: str) -> list:
    return [p for p in report.problems if p.code == code]


# ---------------------------------------------------------------- clean workbook


def test_clean_workbook_has_no_problems_and_typed_frames_with_defaults():
    report = run()
    assert report.problems == []
    assert (report.errors, report.warnings, report.exit_code()) == (0, 0, 0)
    inv = report.frames["invoices"]
    assert inv["doc_type"].tolist() == ["Invoice", "Invoice", "Credit Note"]
    assert inv["due_date"].dt.date.tolist() == [dt.date(2026, 5, 31), dt.date(2026, 6, 1), dt.date(2026, 6, 19)]
    assert inv["amount"].tolist() == [100000, 50000, 10000]
    assert report.frames["customers"]["currency"].tolist() == ["USD", "USD"]
    assert report.frames["dunning_levels"]["level"].tolist() == [1, 2, 3, 4]  # defaults when the table is absent


def test_missing_tables_come_back_as_empty_typed_frames():
    tables = base_tables()
    del tables["financials"], tables["payment_plans"]
    report = run(tables)
    assert report.problems == []
    assert len(report.frames["financials"]) == 0 and "period_end" in report.frames["financials"].columns
    assert len(report.frames["payment_plans"]) == 0


# ---------------------------------------------------------------- per-column rules


def test_required_cell_blank():
    tables = base_tables()
    tables["customers"]["name"][1] = "  "
    (p,) = run(tables).problems
    assert (p.code, p.cell, p.column, p.row_key, p.severity) == ("required", "Customers!B3", "Customer Name", "C2",
                                                                 "error")
    assert p.message == "Customer Name is required"


def test_duplicate_key_reports_every_duplicate_row():
    tables = base_tables()
    tables["invoices"]["invoice_no"][2] = "INV-1"
    report = run(tables)
    dups = only(report, "duplicate_key")
    assert [p.cell for p in dups] == ["Invoices!A2", "Invoices!A4"]
    assert dups[0].message == "Invoice No 'INV-1' appears 2 times; it must be unique (row left out of the calculations)"
    assert report.exit_code() == 1


def test_financials_one_row_per_customer_and_period():
    tables = base_tables()
    fin = tables["financials"]
    for k in fin:
        fin[k] = fin[k] * 2
    dups = only(run(tables), "duplicate_key")
    assert [p.cell for p in dups] == ["Financials!B2", "Financials!B3"]


def test_type_problems_from_coercion_are_part_of_the_report():
    tables = base_tables()
    tables["payments"]["amount"][0] = "lots"
    report = run(tables)
    assert [p.code for p in report.problems] == ["bad_amount"]
    assert report.problems[0].cell == "Payments!E2"
    assert report.exit_code() == 1


def test_below_minimum():
    tables = base_tables()
    tables["customers"]["credit_limit"][0] = -5
    tables["customers"]["payment_terms_days"][0] = -1
    tables["invoices"]["cost"] = [-1, None, None]
    report = run(tables)
    got = {(p.cell, p.message) for p in only(report, "below_minimum")}
    assert got == {("Customers!F2", "Credit Limit: -5.00 must be at least 0.00"),
                   ("Customers!E2", "Payment Terms (days): -1 must be at least 0"),
                   ("Invoices!H2", "Cost: -1.00 must be at least 0.00")}


def test_not_positive():
    tables = base_tables()
    tables["invoices"]["amount"][:2] = [0, -5]
    report = run(tables)
    bad = only(report, "not_positive")
    assert [p.cell for p in bad] == ["Invoices!F2", "Invoices!F3"]
    assert bad[1].message == "Amount: -5.00 must be greater than zero (row left out of the calculations)"
    assert not only(report, "below_minimum")


@pytest.mark.parametrize("email, ok", [
    ("ar@acme.com", True), ("first.last+tag@sub.example.co.uk", True), ("ar@acme", False), ("a b@x.com", False),
    ("a@@x.com", False), ("@x.com", False), ("a@x..com", False), (".a@x.com", False), ("a@-x.com", False),
])
def test_email_rule(email, ok):
    assert V.is_valid_email(email) is ok
    tables = base_tables()
    tables["customers"]["email"][0] = email
    problems = only(run(tables), "bad_email")
    assert (problems == []) is ok
    if not ok:
        assert problems[0].cell == "Customers!D2"


@pytest.mark.parametrize("phone, ok", [
    ("+1 (415) 555-0100", True), ("021-6234 5678", True), ("138 1234 5678", True), ("+86 21 6234 5678 ext. 12", True),
    ("0755-8888 6666转801", True), ("555.0100 x12", True), ("12345", False), ("call me", False),
    ("+1 415 555 0100 0000 0000 0000", False), ("021-6234-567A", False),
])
def test_phone_rule(phone, ok):
    assert V.is_plausible_phone(phone) is ok
    tables = base_tables()
    tables["customers"]["phone"][1] = phone
    problems = only(run(tables), "bad_phone")
    assert (problems == []) is ok
    if not ok:
        assert problems[0].cell == "Customers!C3"


def test_unknown_currency_is_a_warning_bad_currency_an_error():
    tables = base_tables()
    tables["customers"]["currency"] = ["USD", "XYZ"]
    tables["invoices"]["currency"] = ["USD", "XYZ", "U$"]
    report = run(tables)
    warn = only(report, "unknown_currency")
    assert {p.cell for p in warn} == {"Customers!G3", "Invoices!G3"}
    assert all(p.severity == "warning" for p in warn)
    assert [p.cell for p in only(report, "bad_currency")] == ["Invoices!G4"]


# ---------------------------------------------------------------- cross-table rules


def test_unknown_customer_on_every_table_that_names_one():
    tables = base_tables()
    tables["invoices"]["customer_id"][1] = "C9"
    tables["payments"]["customer_id"][1] = "C9"
    tables["financials"]["customer_id"][0] = "C9"
    tables["payment_plans"]["customer_id"][0] = "C9"
    report = run(tables)
    cells = [p.cell for p in only(report, "unknown_customer")]
    assert cells == ["Invoices!C3", "Payments!C3", "Financials!A2", "'Payment Plans'!B2"]
    assert only(report, "unknown_customer")[0].message == "Customer ID: customer 'C9' is not in the Customers table (row left out of the calculations)"


def test_blank_customer_on_a_payment_is_allowed():
    assert only(run(), "unknown_customer") == [] and only(run(), "required") == []


def test_due_date_before_invoice_date():
    tables = base_tables()
    tables["invoices"]["due_date"][0] = dt.date(2026, 4, 1)
    (p,) = run(tables).problems
    assert (p.code, p.cell) == ("due_before_invoice", "Invoices!E2")
    assert p.message == "Due Date: 2026-04-01 is before the invoice date 2026-05-01 (row left out of the calculations)"


def test_invoice_currency_must_match_the_customers_unless_config_allows():
    tables = base_tables()
    tables["invoices"]["currency"] = ["EUR", "EUR", None]  # C2 has no currency: the base (USD) applies
    report = run(tables)
    mismatch = only(report, "currency_mismatch")
    assert [p.cell for p in mismatch] == ["Invoices!G2", "Invoices!G3"]
    assert mismatch[0].message == "Currency: 'EUR' differs from the customer's currency USD"
    assert only(run(tables, allow_mixed_currency=True), "currency_mismatch") == []


def test_applied_to_and_plan_invoices_must_exist():
    tables = base_tables()
    tables["payments"]["applied_to"] = ["inv-1; INV-99", "INV-2，INV-77"]
    tables["payment_plans"]["invoices"] = ["INV-2 INV-404"]
    report = run(tables)
    got = [(p.cell, p.message) for p in only(report, "unknown_invoice")]
    assert got == [("Payments!H2", "Applied To: invoice INV-99 does not exist"),
                   ("Payments!H3", "Applied To: invoice INV-77 does not exist"),
                   ("'Payment Plans'!F2", "Invoices: invoice INV-404 does not exist")]


def test_future_dated_payment():
    tables = base_tables()
    tables["payments"]["payment_date"][1] = dt.date(2026, 7, 1)
    (p,) = run(tables).problems
    assert (p.code, p.cell, p.severity) == ("future_payment", "Payments!B3", "error")
    assert p.message == "Payment Date: 2026-07-01 is after the as-of date 2026-06-30 (row left out of the calculations)"


def test_balance_sheet_must_balance_within_one_percent():
    tables = base_tables()
    tables["financials"]["equity"] = [395]  # 0.5 % off: fine
    assert run(tables).problems == []
    tables["financials"]["equity"] = [350]
    (p,) = run(tables).problems
    assert (p.code, p.severity, p.cell) == ("unbalanced_balance_sheet", "warning", "Financials!C2")
    assert p.message == ("Balance sheet of 2025-12-31: total assets 1,000.00 ≠ total liabilities 600.00 + equity "
                         "350.00 (difference 50.00)")


def test_customer_over_credit_limit_is_a_warning():
    tables = base_tables()
    tables["customers"]["credit_limit"] = [50, 100]
    tables["payments"]["amount"][0] = 500  # C1 owes 1000 - 100 (credit note) - 500 = 400; C2's payment has no ID
    report = run(tables)
    over = only(report, "over_credit_limit")
    assert [(p.cell, p.severity) for p in over] == [("Customers!F2", "warning"), ("Customers!F3", "warning")]
    assert over[0].message == "Balance of about 400.00 exceeds the credit limit 50.00"
    assert report.exit_code() == 0


def test_credit_notes_larger_than_the_customers_invoices():
    tables = base_tables()
    tables["invoices"]["amount"][2] = 1500
    (p,) = only(run(tables), "credit_exceeds_invoices")
    assert (p.cell, p.severity, p.row_key) == ("Invoices!F4", "warning", "CN-1")
    assert p.message == "Credit notes of customer C1 total 1,500.00, more than its invoices (1,000.00)"


def test_dunning_levels_must_start_later_level_by_level():
    tables = base_tables()
    tables["dunning_levels"] = {"level": [1, 2, 3], "from_days": [1, 30, 20], "action": ["a", "b", "c"],
                                "template": ["reminder", "firm", "final"], "fee": [0, 0, 50]}
    report = run(tables)
    (p,) = report.problems
    assert (p.code, p.cell, p.sheet) == ("dunning_levels_order", "Config!B4", "Config")
    assert p.severity == "error" and report.exit_code() == 1  # dunning cannot run on this ladder
    assert report.frames["dunning_levels"]["fee"].tolist() == [0, 0, 5000]


def test_config_problems_point_at_the_value_cell():
    rows = [("as_of_date", "2026-06-30"), ("aging_edges", "30,abc"), ("colour", "blue"), ("base_currency", "XYZ")]
    settings, problems = settings_from_rows(rows)
    config = raw_table_from_frame("config", pd.DataFrame({"key": [r[0] for r in rows],
                                                          "value": [r[1] for r in rows]}).astype(object),
                                  header_row=3)
    raws = build(base_tables())
    raws["config"] = config
    report = validate_workbook(raws, settings, problems, AS_OF)
    got = {p.code: (p.severity, p.cell) for p in report.problems if p.sheet == "Config"}
    # header on row 3: the second key/value row (index 1) is worksheet row 5
    assert got == {"config_bad_value": ("error", "Config!B5"), "config_unknown_key": ("warning", "Config!A6"),
                   "config_unusual_currency": ("warning", "Config!B7")}
    assert report.exit_code() == 1


def test_config_problem_without_the_config_table_still_names_the_sheet():
    report = run(config_problems=[ConfigProblem("grade_cutoffs", None, "grade_cutoffs: four decreasing cut-offs")])
    (p,) = report.problems
    assert (p.sheet, p.cell, p.code) == ("Config", "Config", "config_bad_value")
    assert p.message == "Config grade_cutoffs: four decreasing cut-offs; the default is used"


# ---------------------------------------------------------------- languages, catalogue, exit code


def test_messages_and_labels_in_chinese():
    tables = base_tables()
    tables["invoices"]["customer_id"][1] = "C9"
    tables["payments"]["payment_date"][1] = dt.date(2026, 7, 1)
    report = run(tables, lang="zh-CN", base_currency="CNY")
    tables_zh = {p.code: p for p in report.problems}
    p = tables_zh["unknown_customer"]
    assert (p.sheet, p.cell, p.column) == ("应收发票", "'应收发票'!C3", "客户编号")
    assert p.message == "「客户编号」：客户 'C9' 不在客户表中（该行未参与计算）"
    assert tables_zh["future_payment"].message == "「收款日期」：2026-07-01 晚于账龄基准日 2026-06-30（该行未参与计算）"


def test_every_code_has_both_languages_the_same_placeholders_and_a_documented_meaning():
    doc = V.__doc__
    for code, texts in MESSAGES.items():
        assert set(texts) == {"en", "zh-CN"}, code
        assert set(re.findall(r"{(\w+)}", texts["en"])) >= set(re.findall(r"{(\w+)}", texts["zh-CN"])), code
        assert re.search(rf"^\| {code} +\| {SEVERITY[code]} ", doc, re.MULTILINE), code


def test_message_falls_back_to_english_and_keeps_unknown_placeholders_visible():
    assert message("required", "fr", column="X") == "X is required"  # type: ignore[arg-type]
    assert message("bad_choice", "en", column="Type", value="'x'") == "Type: 'x' is not one of {allowed}"


def test_exit_code_is_zero_for_warnings_only_and_one_for_errors():
    assert ValidationReport([], {}, 0, 3).exit_code() == 0
    assert ValidationReport([], {}, 1, 0).exit_code() == 1


def test_report_order_is_deterministic():
    tables = base_tables()
    tables["invoices"]["customer_id"] = ["C9", "C8", "C7"]
    tables["customers"]["email"] = ["bad", "worse"]
    a = run(tables).problems_frame()
    b = run(tables).problems_frame()
    assert a.equals(b)
    assert a["severity"].tolist() == sorted(a["severity"].tolist(), key=lambda s: s != "error")
