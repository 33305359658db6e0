"""Every spelling of "credit note" that the schema accepts is a credit note in every module that tells invoices
from credit notes (one helper, :func:`xlfin.engine.openitems.is_credit_note`, behind all of them)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xlfin.engine.dunning import build_dunning
from xlfin.engine.forecast import purchase_forecast
from xlfin.engine.forecast_paydates import predict_pay_dates
from xlfin.engine.openitems import CREDIT_NOTE, INVOICE, OpenItemsError, doc_types, is_credit_note, open_items
from xlfin.engine.payment_index import payment_experiences
from xlfin.engine.profitability import customer_revenue, document_sign
from xlfin.engine.payment_plans import plan_coverage
from xlfin.engine.reconcile import invoice_balances, reconcile
from xlfin.schema import DOC_TYPE
from xlfin.schema.settings import DEFAULT_DUNNING_LEVELS, Settings

_CN = next(c for c in DOC_TYPE if c.value == CREDIT_NOTE)
_INV = next(c for c in DOC_TYPE if c.value == INVOICE)
# the canonical value, both labels and every alias, as typed and as a user might vary them (case, spaces, width)
BASE = sorted({_CN.value, _CN.en, _CN.zh, *_CN.aliases})
SPELLINGS = sorted({*BASE, *(s.upper() for s in BASE), *(f"  {s} " for s in BASE), "ＣＮ", "credit_note"})
INVOICE_SPELLINGS = [*sorted({_INV.value, _INV.en, _INV.zh, *_INV.aliases, "", "  "}), None, np.nan]
AS_OF = dt.date(2026, 6, 30)


def test_the_schema_lists_english_chinese_and_short_forms():
    # what SPEC §3.1 promises users can type, so that the spellings below are not an empty or partial list
    assert {"Credit Note", "贷项通知单", "credit", "cn"} <= set(BASE)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_helper_reads_every_spelling(spelling):
    assert is_credit_note([spelling]).tolist() == [True]
    assert doc_types(pd.Series([spelling, "Invoice"])).tolist() == [CREDIT_NOTE, INVOICE]


@pytest.mark.parametrize("spelling", INVOICE_SPELLINGS)
def test_invoices_and_blanks_are_not_credit_notes(spelling):
    assert is_credit_note([spelling]).tolist() == [False]
    assert doc_types([spelling]).tolist() == [INVOICE]


def test_an_unknown_type_is_no_credit_note_and_open_items_reject_it():
    assert is_credit_note(["Receipt", 7]).tolist() == [False, False]
    with pytest.raises(OpenItemsError, match="doc_type"):
        open_items(_invoices("Receipt"), None)


def _invoices(spelling) -> pd.DataFrame:
    """INV-1 (1,000.00, due 60 days before AS_OF) and CN-1 (200.00) typed as ``spelling``, customer C1."""
    return pd.DataFrame({
        "invoice_no": ["INV-1", "CN-1"],
        "doc_type": ["Invoice", spelling],
        "customer_id": ["C1", "C1"],
        "invoice_date": pd.to_datetime([AS_OF - dt.timedelta(days=90)] * 2),
        "due_date": pd.to_datetime([AS_OF - dt.timedelta(days=60)] * 2),
        "amount": np.array([100_000, 20_000], dtype=np.int64),
    })


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_open_items_revenue_forecast_and_payment_index(spelling):
    docs = _invoices(spelling)
    items = open_items(docs, None, AS_OF).set_index("invoice_no")
    assert items.loc["CN-1", "outstanding"] == -20_000 and items.loc["CN-1", "status"] == "Credit"
    assert document_sign(docs["doc_type"]).tolist() == [1, -1]
    assert customer_revenue(docs, AS_OF)["revenue_12m"].tolist() == [80_000]
    this_month = docs.assign(invoice_date=pd.to_datetime([AS_OF - dt.timedelta(days=20)] * 2))
    assert purchase_forecast(this_month, AS_OF)["forecast"].tolist() == [80_000] * 3  # net purchases: 1,000 − 200
    raw_items = open_items(docs, None, AS_OF).assign(doc_type=docs["doc_type"].to_numpy())
    assert payment_experiences(raw_items, AS_OF)["invoice_no"].tolist() == ["INV-1"]
    assert predict_pay_dates(raw_items, AS_OF)["invoice_no"].tolist() == ["INV-1"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_reconcile_nets_the_credit_note_a_payment_names(spelling):
    docs = _invoices(spelling)
    payments = pd.DataFrame({"payment_id": ["P1"], "payment_date": pd.to_datetime([AS_OF]), "customer_id": ["C1"],
                             "amount": np.array([80_000], dtype=np.int64), "reference": ["INV-1 less CN-1"]})
    customers = pd.DataFrame({"customer_id": ["C1"], "name": ["Acme Ltd"]})
    result = reconcile(docs, payments, customers)
    got = sorted(zip(result.allocations["payment_id"], result.allocations["invoice_no"],
                     result.allocations["amount"].tolist(), result.allocations["rule"]))
    assert got == [("CN-1", "INV-1", 20_000, "credit_note"), ("P1", "INV-1", 80_000, "reference")]
    balances = invoice_balances(docs, result.allocations)
    assert balances["outstanding"].tolist() == [0, 0]
    assert invoice_balances(docs, result.allocations.iloc[0:0])["outstanding"].tolist() == [100_000, -20_000]


def _open_items_frame(spelling) -> pd.DataFrame:
    """An overdue invoice and a credit note of C1, both with money outstanding as an outside ledger may sign it."""
    return pd.DataFrame({
        "invoice_no": ["INV-1", "CN-1"],
        "doc_type": ["Invoice", spelling],
        "customer_id": ["C1", "C1"],
        "invoice_date": pd.to_datetime([AS_OF - dt.timedelta(days=90)] * 2).astype("datetime64[s]"),
        "due_date": pd.to_datetime([AS_OF - dt.timedelta(days=40)] * 2).astype("datetime64[s]"),
        "amount": np.array([100_000, 20_000], dtype=np.int64),
        "outstanding": np.array([100_000, 20_000], dtype=np.int64),
        "disputed": [False, False],
        "currency": ["USD", "USD"],
    })


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_dunning_never_duns_a_credit_note(spelling):
    customers = pd.DataFrame({"customer_id": ["C1"], "name": ["Acme Ltd"], "email": ["ap@acme.example"],
                              "status": ["Active"], "dunning_hold": [False], "currency": ["USD"]})
    run = build_dunning(_open_items_frame(spelling), customers, DEFAULT_DUNNING_LEVELS["en"], None, Settings(),
                        AS_OF)
    assert run.items["invoice_no"].tolist() == ["INV-1"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_payment_plan_covers_invoices_only(spelling):
    plans = pd.DataFrame([{"plan_id": "PL1", "customer_id": "C1", "total": 100_000, "instalments": 2,
                           "first_date": AS_OF, "frequency": "Monthly", "invoices": ""}])
    assert plan_coverage(plans, _open_items_frame(spelling))["invoice_no"].tolist() == ["INV-1"]
