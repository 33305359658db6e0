"""`xlfin forecast` and the Forecast / 预测 sheet, on small demo books through the file adapter."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
from test_cli import chart_parts, small_workbook, table_rows, xlfin

from xlfin import schema
from xlfin.schema.i18n import code_label

FORECAST_TABLES = (schema.CASH_FORECAST, schema.PAY_DATES, schema.DEMAND_FORECAST)


def test_forecast_verb_writes_the_three_tables_and_nothing_else(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "book.xlsm")
    before = openpyxl.load_workbook(path).sheetnames
    result = xlfin("forecast", path, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["actions"] == ["forecast"]
    res = summary["results"]["forecast"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == before  # the template already has the Forecast sheet; it is replaced in place
    ws = wb["Forecast"]
    assert set(ws.tables) == {t.name for t in FORECAST_TABLES}
    for table in FORECAST_TABLES:
        header = [c.value for c in ws[ws.tables[table.name].ref][0]]
        assert header == table.headers("en"), table.name

    weeks = table_rows(path, schema.CASH_FORECAST)
    assert len(weeks) == 13
    as_of = dt.datetime.fromisoformat(summary["as_of"])
    assert weeks[0]["week_start"] == as_of + dt.timedelta(days=1)
    for w in weeks:
        assert w["low"] <= w["expected_receipts"] <= w["high"]
        assert abs(w["from_overdue"] + w["from_not_due"] - w["expected_receipts"]) < 0.005
    assert abs(sum(w["expected_receipts"] for w in weeks) - res["expected_13_weeks"]) < 0.01

    pay_dates = table_rows(path, schema.PAY_DATES)
    assert len(pay_dates) == res["pay_dates"] > 0
    assert {r["basis"] for r in pay_dates} <= {"model", "customer_median", "portfolio_median", "due_date"}
    assert all(r["predicted_pay_date"] > as_of for r in pay_dates)

    demand = table_rows(path, schema.DEMAND_FORECAST)
    assert demand and {r["method"] for r in demand} <= {"exponential_smoothing", "seasonal_naive", "mean"}
    assert len({r["month"] for r in demand}) == 3


def test_regenerate_includes_forecast_and_the_dashboard_charts_it(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "book.xlsm")
    result = xlfin("regenerate", path, "--json")
    assert result.exit_code == 0, result.stderr
    actions = json.loads(result.stdout)["actions"]
    assert actions.index("forecast") < actions.index("dashboard")
    assert len(chart_parts(path, "Dashboard")) == 5
    ws = openpyxl.load_workbook(path)["Dashboard"]
    titles = [c.value for c in ws["W"] if isinstance(c.value, str)]
    assert "Expected receipts, next 13 weeks" in titles
    # one predicted pay date per open invoice that Aging lists as owing money
    owing = {r["invoice_no"] for r in table_rows(path, schema.AGING_DETAIL) if r["outstanding"] > 0}
    assert {r["invoice_no"] for r in table_rows(path, schema.PAY_DATES)} == owing


def test_zh_cn_forecast_sheet_uses_chinese_labels(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "账簿.xlsm", "zh-CN")
    assert xlfin("forecast", path).exit_code == 0
    wb = openpyxl.load_workbook(path)
    assert "预测" in wb.sheetnames and "Forecast" not in wb.sheetnames
    ws = wb["预测"]
    for table in FORECAST_TABLES:
        assert [c.value for c in ws[ws.tables[table.name].ref][0]] == table.headers("zh-CN")
    bases = {r["basis"] for r in table_rows(path, schema.PAY_DATES, "zh-CN")}
    assert bases and bases <= {code_label("basis", b, "zh-CN") for b in
                               ("model", "customer_median", "portfolio_median", "due_date")}
    methods = {r["method"] for r in table_rows(path, schema.DEMAND_FORECAST, "zh-CN")}
    assert methods <= {"指数平滑", "季节性同比", "历史均值"}
