"""tblScorecard assembly: exact SPEC columns and hand-checked figures per customer."""

import datetime as dt
import types
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from xlfin.engine import openitems, payment_index
from xlfin.engine.scorecard import SCORECARD_COLUMNS, build_scorecard, score_errors

AS_OF = dt.date(2026, 3, 31)
SPEC_COLUMNS = ["customer_id", "name", "revenue_12m", "gross_margin", "outstanding", "overdue", "dso", "best_dso", "add", "payment_index", "current_ratio", "quick_ratio", "debt_ratio", "interest_coverage", "net_margin", "altman_z", "credit_score", "grade", "credit_limit", "suggested_limit", "utilization", "over_limit", "abc_class", "clv", "risk_flags"]
SETTINGS = types.SimpleNamespace(
    score_weights=(0.15, 0.15, 0.10, 0.10, 0.35, 0.15), grade_cutoffs=(80, 65, 50, 35), limit_pct_net_worth=0.10,
    limit_pct_working_capital=0.20, limit_rounding=1000, abc_cutoffs=(0.80, 0.95), payment_window_months=24,
    aging_edges=(30, 60, 90, 120), overdue_flag_amount=Decimal(10000), dunning_min_amount=Decimal(100))


def _customers():
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4"], "name": ["Acme", "Beta", "Gamma", "Delta"],
        "credit_limit": pd.array([50_000_00, None, 1_000_00, None], dtype="Int64"),
        "status": ["Active", "Active", "Closed", "Active"]})


def _invoices():
    return pd.DataFrame({
        "invoice_no": ["I1", "I2", "I3", "I4", "CN1", "D1", "D2"],
        "doc_type": ["Invoice", "Invoice", "Invoice", "Invoice", "Credit Note", "Invoice", "Invoice"],
        "customer_id": ["C1", "C1", "C1", "C2", "C1", "C4", "C4"],
        "invoice_date": pd.to_datetime(["2025-10-01", "2026-02-01", "2026-03-20", "2026-01-15", "2026-03-01",
                                        "2025-06-01", "2025-11-01"]),
        "due_date": pd.to_datetime(["2025-10-31", "2026-03-03", "2026-04-19", "2026-02-14", "2026-03-01",
                                    "2025-07-01", "2025-12-01"]),
        "amount": [100_000_00, 40_000_00, 20_000_00, 10_000_00, 5_000_00, 1_000_00, 1_000_00],
        "cost": pd.array([60_000_00, 24_000_00, None, None, 3_000_00, None, None], dtype="Int64"),
    })


def _financials():
    newest = {
        "period_end": "2025-12-31", "current_assets": 2_000_000_00, "current_liabilities": 1_000_000_00,
        "inventory": 500_000_00, "cash": 100_000_00, "total_assets": 5_000_000_00,
        "total_liabilities": 2_500_000_00, "equity": 2_500_000_00, "retained_earnings": 1_000_000_00,
        "revenue": 8_000_000_00, "ebit": 600_000_00, "interest_expense": 200_000_00, "net_income": 400_000_00,
        "operating_cash_flow": 300_000_00, "market_value_equity": None,
    }
    older = {k: (1 if isinstance(v, int) else v) for k, v in newest.items()} | {"period_end": "2024-12-31"}
    df = pd.DataFrame([{"customer_id": "C1", **older}, {"customer_id": "C1", **newest}])
    df["period_end"] = pd.to_datetime(df["period_end"])
    return df


def _allocations():
    return pd.DataFrame({"payment_id": ["P1", "P2"], "invoice_no": ["I1", "D1"], "amount": [100_000_00, 1_000_00],
                         "payment_date": pd.to_datetime(["2025-11-10", "2025-07-01"])})


@pytest.fixture(scope="module")
def scorecard():
    items = openitems.open_items(_invoices(), _allocations(), AS_OF)
    experiences = payment_index.payment_experiences(items, AS_OF)
    return build_scorecard(_customers(), _invoices(), items, experiences, _financials(), SETTINGS,
                           AS_OF).set_index("customer_id", drop=False)


def test_columns_are_exactly_the_spec(scorecard):
    assert list(SCORECARD_COLUMNS) == SPEC_COLUMNS
    assert list(scorecard.columns) == SPEC_COLUMNS
    from xlfin.schema import SCORECARD  # the schema is the single source of labels; keys must agree
    assert [c.key for c in SCORECARD.columns] == SPEC_COLUMNS


def test_sales_receivables_and_dso(scorecard):
    c1 = scorecard.loc["C1"]
    assert c1["revenue_12m"] == 155_000_00  # 100,000 + 40,000 + 20,000 − 5,000
    assert c1["gross_margin"] == pytest.approx(0.4)  # (135,000 − 81,000) / 135,000 over costed documents
    assert c1["outstanding"] == 55_000_00 and c1["overdue"] == 35_000_00  # I2 40,000 overdue, CN1 −5,000
    assert c1["dso"] == pytest.approx(129.52)  # 55,000 / 155,000 × 365
    assert c1["best_dso"] == pytest.approx(47.10)
    assert c1["add"] == pytest.approx(82.42)
    assert scorecard["revenue_12m"].dtype == np.int64 and scorecard["outstanding"].dtype == np.int64


def test_payment_index_ratios_and_altman(scorecard):
    c1 = scorecard.loc["C1"]
    # I1 paid 10 days late (73.33) weighted 100,000; I2 open 28 days overdue (52.5) weighted 40,000
    assert c1["payment_index"] == pytest.approx(67.4)
    assert (c1["current_ratio"], c1["quick_ratio"], c1["debt_ratio"]) == (2.0, 1.5, 0.5)
    assert (c1["interest_coverage"], c1["net_margin"]) == (3.0, 0.05)
    assert c1["altman_z"] == pytest.approx(3.82)  # 6.56·0.2 + 3.26·0.2 + 6.72·0.12 + 1.05·1


def test_score_grade_and_limits(scorecard):
    c1 = scorecard.loc["C1"]
    # 100·.15 + 70·.15 + 70·.10 + 70·.10 + 67.38·.35 + 0·.15 (overdue share 35/55 > 0.5)
    assert c1["credit_score"] == 63.1 and c1["grade"] == "C"
    assert c1["suggested_limit"] == 100_000_00  # min(250,000, 200,000) × 0.5
    assert c1["credit_limit"] == 50_000_00 and c1["utilization"] == pytest.approx(1.1) and c1["over_limit"]
    c2 = scorecard.loc["C2"]  # no financials: payment (45) and arrears (0) only
    assert c2["credit_score"] == pytest.approx(round((0.35 * 45 + 0.15 * 0) / 0.5, 1))
    assert pd.isna(c2["suggested_limit"]) and np.isnan(c2["current_ratio"]) and not c2["over_limit"]
    c3 = scorecard.loc["C3"]  # nothing at all: no score, no grade, and a reason
    assert np.isnan(c3["credit_score"]) and pd.isna(c3["grade"])
    reasons = score_errors(scorecard, SETTINGS)
    assert "at least two" in reasons["C3"] and reasons["C1"] is None


def test_value_and_clv(scorecard):
    assert dict(scorecard["abc_class"]) == {"C1": "A", "C2": "B", "C3": "C", "C4": "C"}
    assert scorecard.loc["C1", "clv"] == round(62_000_00 * 0.8 / 0.3)  # gross profit 62,000 × 2.6667
    assert pd.isna(scorecard.loc["C2", "clv"])  # no cost known
    assert scorecard.loc["C3", "clv"] == 0  # closed, no sales


def test_risk_flags(scorecard):
    assert scorecard.loc["C1", "risk_flags"] == "over_limit; overdue_amount"
    assert scorecard.loc["C2", "risk_flags"] == "overdue_amount; stale_financials"
    assert scorecard.loc["C3", "risk_flags"] == "stale_financials"
    # C4 paid on time in July (80) and now owes an item 120 days overdue (20): index 50 against 80 six months ago
    assert scorecard.loc["C4", "payment_index"] == pytest.approx(50.0)
    assert scorecard.loc["C4", "risk_flags"] == "overdue_90; payment_index_falling; stale_financials"


def test_experiences_computed_when_not_given_and_empty_inputs():
    items = openitems.open_items(_invoices(), _allocations(), AS_OF)
    built = build_scorecard(_customers(), _invoices(), items, None, None, SETTINGS, AS_OF)
    assert list(built.columns) == SPEC_COLUMNS and len(built) == 4
    empty = build_scorecard(_customers().iloc[:0], _invoices(), items, None, None, SETTINGS, AS_OF)
    assert list(empty.columns) == SPEC_COLUMNS and empty.empty
    no_activity = build_scorecard(_customers(), _invoices().iloc[:0], openitems.open_items(_invoices().iloc[:0], None),
                                  None, None, SETTINGS, AS_OF)
    assert (no_activity["outstanding"] == 0).all() and (no_activity["abc_class"] == "C").all()
