"""The engine keeps its own column names and closed lists (it may not import the schema layer); these tests hold them
to :mod:`xlfin.schema`, so the two cannot drift apart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from xlfin.engine import dunning, payment_plans, vocabulary
from xlfin import schema
from xlfin.schema import settings
from support import synth


@pytest.mark.parametrize(("what", "keys", "table"), [
    ("dunning notices", dunning.NOTICE_COLUMNS, schema.DUNNING),
    ("dunning log", dunning.LOG_COLUMNS, schema.DUNNING_LOG),
], ids=["dunning", "dunning_log"])
def test_dunning_writes_exactly_the_schema_columns(what: str, keys: tuple[str, ...], table: schema.Table) -> None:
    assert list(keys) == table.keys, f"{what}: engine columns differ from {table.name}"


def test_synthetic_payments_fill_the_bank_statement_columns_of_tblpayments() -> None:
    expected = tuple(c.key for c in schema.PAYMENTS.input_columns if c.key not in ("method", "notes"))
    assert synth.PAYMENT_COLUMNS == expected


def test_synthetic_payments_frame_has_those_columns() -> None:
    data = synth.generate(n_payments=20, n_invoices=40, seed=3)
    assert tuple(data.payments.columns[: len(synth.PAYMENT_COLUMNS)]) == synth.PAYMENT_COLUMNS


def test_payment_plan_columns_are_tblpaymentplans_columns_in_order() -> None:
    keys = schema.PAYMENT_PLANS.keys
    assert set(payment_plans.PLAN_COLUMNS) <= set(keys)
    assert sorted(payment_plans.PLAN_COLUMNS, key=keys.index) == list(payment_plans.PLAN_COLUMNS)


@pytest.mark.parametrize(("table", "key", "choices"), [
    (schema.INVOICES, "doc_type", vocabulary.DOC_TYPE),
    (schema.INVOICES, "disputed", vocabulary.YES_NO),
    (schema.INVOICES, "status", vocabulary.INVOICE_STATUS),
    (schema.CUSTOMERS, "status", vocabulary.CUSTOMER_STATUS),
    (schema.CUSTOMERS, "dunning_hold", vocabulary.YES_NO),
    (schema.PAYMENTS, "method", vocabulary.PAYMENT_METHOD),
    (schema.PAYMENT_PLANS, "frequency", vocabulary.FREQUENCY),
    (schema.VALIDATION, "severity", vocabulary.SEVERITY),
    (schema.ALLOCATIONS, "confidence", vocabulary.CONFIDENCE),
], ids=lambda v: v if isinstance(v, str) else None)
def test_schema_columns_use_the_engine_closed_lists(table: schema.Table, key: str,
                                                    choices: tuple[vocabulary.Choice, ...]) -> None:
    assert table.column(key).choices is choices


def test_schema_reexports_the_vocabulary() -> None:
    for name in ("Choice", "Lang", "LANGS", "CURRENCIES", "DOC_TYPE", "CUSTOMER_STATUS", "YES_NO", "PAYMENT_METHOD",
                 "INVOICE_STATUS", "SEVERITY", "CONFIDENCE", "FREQUENCY"):
        assert getattr(schema, name) is getattr(vocabulary, name), name


def test_settings_reexports_the_engine_dunning_level() -> None:
    assert settings.DunningLevel is dunning.DunningLevel
    assert all(isinstance(lv, dunning.DunningLevel) for lv in settings.DEFAULT_DUNNING_LEVELS["en"])


def test_settings_satisfy_what_the_dunning_run_reads() -> None:
    assert isinstance(settings.defaults(), dunning.DunningSettings)


def test_dunning_runs_on_any_object_with_the_settings_it_reads() -> None:
    class Plain:  # not xlfin.schema.settings.Settings: the engine only reads three attributes
        base_currency = "USD"
        dunning_min_amount_cents = 0
        dunning_interest_pa = 0.0

    items = pd.DataFrame({"invoice_no": ["INV-1"], "customer_id": ["C1"], "due_date": [pd.Timestamp("2026-01-01")],
                          "outstanding": [10_000]})
    customers = pd.DataFrame({"customer_id": ["C1"], "name": ["Acme"]})
    levels = [dunning.DunningLevel(level=1, from_days=1, action="remind", template="reminder", fee=Decimal("5"))]
    run = dunning.build_dunning(items, customers, levels, None, Plain(), dt.date(2026, 2, 1))
    assert run.notices[["customer_id", "level", "total_due"]].values.tolist() == [["C1", 1, 10_500]]


@pytest.mark.parametrize(("cell", "expected"), [
    ("Credit Note", "Credit Note"), ("ＣＮ", "Credit Note"), ("credit_memo", "Credit Note"), ("红字发票", "Credit Note"),
    ("inv", "Invoice"), ("receipt", None), (None, None),
])
def test_canonical_matches_the_schema_column(cell: object, expected: str | None) -> None:
    assert vocabulary.canonical(vocabulary.DOC_TYPE, cell) == expected
    assert schema.INVOICES.column("doc_type").canonical(cell) == expected


def test_canonical_of_an_empty_list_is_none() -> None:
    assert vocabulary.canonical((), "anything") is None


def test_earlier_choice_wins_a_shared_spelling() -> None:
    shared = (vocabulary.Choice("A", "A", "甲", ("x",)), vocabulary.Choice("B", "B", "乙", ("X",)))
    assert vocabulary.canonical(shared, "x") == "A"


def test_forecast_tables_are_the_schema_columns() -> None:
    from xlfin.engine.forecast_cash import CASH_COLUMNS
    from xlfin.engine.forecast_demand import DEMAND_COLUMNS
    from xlfin.engine.forecast_paydates import BASES, PAY_DATE_COLUMNS
    from xlfin.schema.i18n import CODE_LABELS

    assert CASH_COLUMNS == schema.CASH_FORECAST.keys
    assert PAY_DATE_COLUMNS == schema.PAY_DATES.keys
    assert DEMAND_COLUMNS == schema.DEMAND_FORECAST.keys
    # every basis and method code the engine writes has its zh-CN label
    assert all(f"basis_{b}" in CODE_LABELS for b in BASES)
    assert all(f"method_{m}" in CODE_LABELS for m in ("exponential_smoothing", "seasonal_naive", "mean"))
