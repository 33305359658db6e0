"""Demo data: deterministic, the sizes asked for, consistent across tables, and clean under validation."""

from __future__ import annotations

import datetime as dt
import re
import time

import numpy as np
import pandas as pd
import pytest

from xlfin.app.demo_data import DEMO_AS_OF, generate_demo
from xlfin.schema.frames import raw_table_from_frame
from xlfin.schema import TABLES
from xlfin.schema.settings import settings_from_rows
from xlfin.schema.validate import validate_workbook


@pytest.fixture(scope="module", params=["en", "zh-CN"])
def demo(request):
    return request.param, generate_demo(lang=request.param)


def validate_demo(data: dict[str, pd.DataFrame], lang: str):
    settings, config_problems = settings_from_rows(list(zip(data["config"]["key"], data["config"]["value"])), lang)
    raws = {k: raw_table_from_frame(k, v, lang) for k, v in data.items() if k != "dunning_log"}
    return settings, validate_workbook(raws, settings, config_problems, settings.as_of())


def test_default_size_is_generated_quickly():
    start = time.perf_counter()
    data = generate_demo()
    elapsed = time.perf_counter() - start
    print(f"generate_demo(): {elapsed:.2f} s")
    assert elapsed < 3
    assert (len(data["customers"]), len(data["invoices"]), len(data["payments"])) == (200, 5000, 4500)


def test_same_seed_same_data_other_seed_other_data():
    a = generate_demo(seed=7, customers=30, invoices=400, payments=350)
    b = generate_demo(seed=7, customers=30, invoices=400, payments=350)
    c = generate_demo(seed=8, customers=30, invoices=400, payments=350)
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key])
    assert not a["invoices"].equals(c["invoices"])


@pytest.mark.parametrize("sizes", [(1, 0, 0), (3, 0, 5), (5, 20, 30), (20, 500, 40), (50, 300, 600)])
def test_sizes_are_exact_for_any_mix(sizes):
    customers, invoices, payments = sizes
    data = generate_demo(seed=1, customers=customers, invoices=invoices, payments=payments)
    assert (len(data["customers"]), len(data["invoices"]), len(data["payments"])) == sizes
    _, report = validate_demo(data, "en")
    assert report.errors == 0, report.problems[:5]


def test_tables_have_the_schema_keys(demo):
    _, data = demo
    for key in ("customers", "invoices", "payments", "financials", "payment_plans", "dunning_levels"):
        expected = [c.key for c in TABLES[key].input_columns]
        assert list(data[key].columns) == expected, key
    assert list(data["dunning_log"].columns) == TABLES["dunning_log"].keys and len(data["dunning_log"]) == 0
    assert set(data["config"]["key"]) >= {"as_of_date", "base_currency", "language", "company_name"}


def test_referential_integrity(demo):
    _, data = demo
    ids = set(data["customers"]["customer_id"])
    assert data["customers"]["customer_id"].is_unique and data["customers"]["name"].is_unique
    assert set(data["invoices"]["customer_id"]) <= ids
    assert set(data["payments"]["customer_id"].dropna()) <= ids
    assert set(data["financials"]["customer_id"]) <= ids
    assert set(data["payment_plans"]["customer_id"]) <= ids
    numbers = set(data["invoices"]["invoice_no"])
    assert data["invoices"]["invoice_no"].is_unique and data["payments"]["payment_id"].is_unique
    for text in data["payments"]["applied_to"].dropna():
        assert set(text.split(", ")) <= numbers
    for text in data["payment_plans"]["invoices"]:
        assert set(text.split(", ")) <= numbers


def test_validation_of_the_demo_gives_no_errors(demo):
    lang, data = demo
    settings, report = validate_demo(data, lang)
    assert settings.language == lang and settings.as_of_date == DEMO_AS_OF
    assert report.errors == 0, [p for p in report.problems if p.severity == "error"][:5]
    assert report.exit_code() == 0
    assert {p.code for p in report.problems} <= {"over_credit_limit", "credit_exceeds_invoices"}


def test_realistic_shape(demo):
    lang, data = demo
    cus, inv, pay, fin = data["customers"], data["invoices"], data["payments"], data["financials"]
    as_of = pd.Timestamp(DEMO_AS_OF)
    # two years of invoices, nothing after as_of; ~3 % credit notes; some disputed; costs for most
    assert inv["invoice_date"].max() <= as_of and inv["invoice_date"].min() >= as_of - pd.Timedelta(days=731)
    cn_label = "贷项通知单" if lang == "zh-CN" else "Credit Note"
    assert 0.02 <= (inv["doc_type"] == cn_label).mean() <= 0.04
    assert 0 < (inv["disputed"] == ("是" if lang == "zh-CN" else "Yes")).sum() < 0.05 * len(inv)
    assert inv["cost"].notna().mean() > 0.75
    assert (inv["amount"] == inv["amount"].round(2)).all() and (inv["amount"] > 0).all()
    # Pareto-like: the top fifth of customers buys well over half
    by_customer = inv.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    assert by_customer.iloc[: len(by_customer) // 5].sum() > 0.45 * by_customer.sum()
    # customers: terms, some on hold or closed, a few on dunning hold
    assert set(cus["payment_terms_days"].dropna()) <= {30, 45, 60, 90}
    assert cus["status"].nunique() >= 2 and 0 < cus["dunning_hold"].isin(["Yes", "是"]).sum() < 20
    # payments: ~10 % without customer, ~20 % explicit applied_to, messy references, payer names differ
    assert 0.06 <= pay["customer_id"].isna().mean() <= 0.14
    assert 0.15 <= pay["applied_to"].notna().mean() <= 0.25
    assert pay["reference"].isna().sum() > 0
    assert (pay["payment_date"] <= as_of).all()
    merged = pay.dropna(subset=["customer_id", "payer_name"]).merge(cus[["customer_id", "name"]], on="customer_id")
    assert 0.2 < (merged["payer_name"] != merged["name"]).mean() < 0.9
    refs = " | ".join(pay["reference"].dropna())
    if lang == "zh-CN":
        assert "货款 发票号" in refs
        assert cus["name"].str.endswith("有限公司").all()
    else:
        assert re.search(r"\binv \d{5}\b", refs) and "Payment for invoice" in refs
        assert cus["name"].str.contains(r" (?:Ltd|Inc\.|LLC|Co\.|Corp\.|PLC|Limited)$").all()
    # financials for ~80 % of customers, two period ends each, balanced, some distressed
    assert 0.65 <= fin["customer_id"].nunique() / len(cus) <= 0.95
    assert (fin.groupby("customer_id").size() == 2).all()
    assert np.allclose(fin["total_assets"], fin["total_liabilities"] + fin["equity"], atol=0.005)
    assert (fin["total_liabilities"] / fin["total_assets"] > 0.8).any()
    assert 1 <= len(data["payment_plans"]) <= 3


def test_payment_amounts_reflect_partial_over_and_multi_invoice_payments():
    data = generate_demo()
    pay = data["payments"]
    notes = pay["notes"].value_counts()
    assert notes.get("Instalment", 0) > 0 and notes.get("Overpaid", 0) > 0
    assert notes.get("Bank charges deducted", 0) > 0 and notes.get("Advance payment", 0) > 0
    multi = pay["applied_to"].dropna().str.contains(",").sum()
    assert multi > 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        generate_demo(lang="fr")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        generate_demo(customers=0)


def test_as_of_moves_the_whole_ledger():
    data = generate_demo(customers=10, invoices=100, payments=80, as_of=dt.date(2025, 2, 15))
    assert data["invoices"]["invoice_date"].max() <= pd.Timestamp("2025-02-15")
    # statements for 2024 are not out six weeks after year end: the newest is 2023
    assert data["financials"]["period_end"].max() == pd.Timestamp("2023-12-31")
