"""Domain records: typed fields, the schema's rules as validators, rows keyed by key or label in either language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from pydantic import ValidationError

from xlfin.frames import coerce_table, raw_table_from_frame
from xlfin.models import Customer, FinancialStatement, Invoice, Payment, records


def test_customer_from_row_with_english_labels_and_defaults():
    c = Customer.from_row({"Customer ID": 1001.0, "Customer Name": "  Acme Ltd ", "Credit Limit": "12,000",
                           "Currency": "usd", "Dunning Hold": "yes", "Payment Terms (days)": 45, "Phone": None})
    assert c.customer_id == "1001" and c.name == "Acme Ltd"
    assert c.credit_limit == Decimal("12000.00")
    assert c.currency == "USD" and c.dunning_hold is True and c.payment_terms_days == 45
    assert c.status == "Active" and c.phone is None


def test_customer_from_row_with_chinese_labels():
    c = Customer.from_row({"客户编号": "C1", "客户名称": "上海华信贸易有限公司", "状态": "暂停", "暂停催收": "否",
                           "币种": "人民币", "邮箱": "caiwu@huaxin.com.cn", "联系电话": "021-6234 5678"})
    assert (c.status, c.dunning_hold, c.currency) == ("On Hold", False, "CNY")


@pytest.mark.parametrize("row", [
    {"customer_id": "", "name": "A"},
    {"customer_id": "C1", "name": "A", "email": "not-an-email"},
    {"customer_id": "C1", "name": "A", "phone": "123"},
    {"customer_id": "C1", "name": "A", "credit_limit": -1},
    {"customer_id": "C1", "name": "A", "payment_terms_days": -30},
    {"customer_id": "C1", "name": "A", "status": "Dormant"},
    {"customer_id": "C1", "name": "A", "currency": "dollars"},
])
def test_customer_rules(row):
    with pytest.raises(ValidationError):
        Customer.from_row(row)


def test_invoice_money_is_exact_decimal_and_dates_parse_from_locale_text():
    inv = Invoice.from_row({"发票号": "INV-1", "类型": "贷项通知单", "客户编号": "C1", "开票日期": "2026年3月5日",
                            "到期日": "2026/4/4", "金额": "¥1,234.565", "争议": "是"})
    assert inv.is_credit_note and inv.disputed
    assert inv.amount == Decimal("1234.57")  # half-up
    assert inv.invoice_date == dt.date(2026, 3, 5) and inv.due_date == dt.date(2026, 4, 4)


def test_invoice_due_falls_back_to_terms():
    inv = Invoice.from_row({"invoice_no": "INV-2", "customer_id": "C1", "invoice_date": 46086, "amount": 10})
    assert inv.doc_type == "Invoice" and inv.due_date is None
    assert inv.due(30) == dt.date(2026, 4, 4)


@pytest.mark.parametrize("change", [
    {"amount": 0}, {"amount": -5}, {"amount": "abc"}, {"cost": -1}, {"due_date": "2026-01-01"},
    {"invoice_date": "5.3.2026"}, {"doc_type": "Receipt"}, {"disputed": "maybe"}, {"invoice_no": None},
])
def test_invoice_rules(change):
    row = {"invoice_no": "INV-1", "customer_id": "C1", "invoice_date": "2026-03-05", "amount": 10} | change
    with pytest.raises(ValidationError):
        Invoice.from_row(row)


def test_payment_applied_invoices_and_method_labels():
    p = Payment.from_row({"Payment ID": "P1", "Payment Date": dt.datetime(2026, 3, 5, 9, 30), "Amount": 99.999,
                          "Method": "转账", "Applied To": "INV-1, INV-2；INV-3"})
    assert p.method == "Bank Transfer" and p.amount == Decimal("100.00")
    assert p.payment_date == dt.date(2026, 3, 5)
    assert p.applied_invoices == ["INV-1", "INV-2", "INV-3"]
    assert p.customer_id is None
    with pytest.raises(ValidationError):
        Payment.from_row({"payment_id": "P2", "payment_date": "2026-03-05", "amount": 0})


def test_financial_statement_balances():
    fs = FinancialStatement.from_row({"customer_id": "C1", "period_end": "2025-12-31", "total_assets": 1000,
                                      "total_liabilities": 1200, "equity": -200, "ebit": -50})
    assert fs.balances() is True and fs.equity == Decimal("-200.00")
    off = fs.model_copy(update={"equity": Decimal(-150)})
    assert off.balances() is False
    assert FinancialStatement.from_row({"customer_id": "C1", "period_end": "2025-12-31"}).balances() is None
    with pytest.raises(ValidationError):
        FinancialStatement.from_row({"customer_id": "C1", "period_end": "2025-12-31", "total_assets": -1})


def test_records_from_a_typed_frame_turn_cents_back_into_decimals():
    frame = pd.DataFrame({"invoice_no": ["INV-1", "INV-2"], "customer_id": ["C1", "C2"],
                          "invoice_date": ["2026-03-05", "2026-03-06"], "amount": ["1,000.10", 5],
                          "cost": [None, 2.5], "disputed": ["yes", None], "extra": [1, 2]}).astype(object)
    df, problems = coerce_table(raw_table_from_frame("invoices", frame))
    assert problems == []
    got = records(df, Invoice)
    assert [r.amount for r in got] == [Decimal("1000.10"), Decimal("5.00")]
    assert [r.cost for r in got] == [None, Decimal("2.50")]
    assert got[0].disputed and not got[1].disputed
    assert got[1].invoice_date == dt.date(2026, 3, 6)
    assert records(df.iloc[0:0], Invoice) == []
