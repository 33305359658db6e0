"""Draw the Dashboard sheet: KPI cells, the chart data blocks, and native Excel charts.

File mode writes a generated sheet with DrawingML chart parts (`xlsx.charts`, which LibreOffice also renders); live mode writes the
same cells through xlwings in bulk and adds charts with xlwings' chart API.
"""

from __future__ import annotations

import math

import pandas as pd

from xlfin.engine.dashboard import DashboardData
from xlfin.schema.i18n import t
from ..schema import DASHBOARD_SHEET, Lang, aging_bucket_label_zh
from .sheet import ChartSpec, GeneratedSheet
from .styles import CellStyle

MONEY_KPIS = {"kpi_total_ar", "kpi_overdue", "kpi_unapplied"}
PCT_KPIS = {"kpi_overdue_pct"}
MONEY_FMT = "#,##0.00"


def _kpi_rows(data: DashboardData, lang: Lang) -> list[tuple[str, object, str]]:
    rows = []
    for key, value in data.kpis.items():
        if value is None:
            shown, fmt = None, "General"
        elif key in MONEY_KPIS:
            shown, fmt = round(value / 100, 2), MONEY_FMT
        elif key in PCT_KPIS:
            shown, fmt = float(value), "0.0%"
        elif isinstance(value, float):
            shown, fmt = round(value, 1), "0.0"
        else:
            shown, fmt = value, "0"
        rows.append((t(key, lang), shown, fmt))
    return rows


def _blocks(data: DashboardData, lang: Lang) -> list[tuple[str, list[str], list[list[object]], list[str]]]:
    """(title key, headers, rows, number formats) for each chart's data block."""
    bucket = [aging_bucket_label_zh(b) if lang == "zh-CN" else b for b in data.aging["bucket"]]
    return [
        ("chart_aging", [t("col_bucket", lang), t("col_amount", lang)],
         [[b, a / 100] for b, a in zip(bucket, data.aging["amount"])], ["@", MONEY_FMT]),
        ("chart_top_overdue", [t("col_customer", lang), t("col_overdue", lang)],
         [[c, o / 100] for c, o in zip(data.top_overdue["customer"], data.top_overdue["overdue"])], ["@", MONEY_FMT]),
        ("chart_abc", [t("col_class", lang), t("col_revenue", lang), t("col_customers", lang)],
         [[c, r / 100, n] for c, r, n in zip(data.abc["class"], data.abc["revenue"], data.abc["customers"])],
         ["@", MONEY_FMT, "0"]),
        ("chart_monthly", [t("col_month", lang), t("col_invoiced", lang), t("col_collected", lang)],
         [[m.strftime("%Y-%m"), i / 100, c / 100]
          for m, i, c in zip(data.monthly["month"], data.monthly["invoiced"], data.monthly["collected"])],
         ["@", MONEY_FMT, MONEY_FMT]),
    ] + _cash_forecast_block(data, lang)


def _cash_forecast_block(data: DashboardData, lang: Lang) -> list[tuple[str, list[str], list[list[object]], list[str]]]:
    """The 13-week cash forecast (SPEC §10): expected receipts with the low/high band, per week."""
    cf = data.cash_forecast
    if cf is None:
        return []
    return [("chart_cash_forecast", [t("col_week", lang), t("col_expected", lang), t("col_low", lang),
                                     t("col_high", lang)],
             [[pd.Timestamp(w).strftime("%Y-%m-%d"), e / 100, lo / 100, hi / 100]
              for w, e, lo, hi in zip(cf["week_start"], cf["expected_receipts"], cf["low"], cf["high"])],
             ["@", MONEY_FMT, MONEY_FMT, MONEY_FMT])]


def render_dashboard(wb, data: DashboardData, lang: Lang) -> None:
    target = wb.sheet_for_charts(DASHBOARD_SHEET["en"], lang)
    if isinstance(target, GeneratedSheet):
        _render_file(target, data, lang)
    else:
        _render_xlwings(target, data, lang)


def _render_file(sheet: GeneratedSheet, data: DashboardData, lang: Lang) -> None:
    """The Dashboard as a generated sheet: KPI cells, the chart data blocks, and DrawingML charts on them."""
    sheet.cell(1, 1, t("dashboard_title", lang), CellStyle(bold=True, size=16))
    sheet.cell(2, 1, t("as_of", lang))
    sheet.cell(2, 2, data.as_of, CellStyle("yyyy-mm-dd"))
    row = 4
    for label, value, fmt in _kpi_rows(data, lang):
        sheet.cell(row, 1, label, CellStyle(bold=True))
        sheet.cell(row, 2, value, CellStyle(None if fmt == "General" else fmt))
        row += 1
    sheet.width(1, 34)
    sheet.width(2, 18)
    # Charts in a 2x2 grid right of the KPIs (D:U); their data blocks further right, from column W.
    col0, data_row = 23, 1
    anchors = [(3, 4), (3, 13), (21, 4), (21, 13), (39, 4)]
    head = CellStyle(bold=True, color="FFFFFFFF", fill="FF1F4E78")
    for (title_key, headers, rows, fmts), anchor in zip(_blocks(data, lang), anchors):
        sheet.cell(data_row, col0, t(title_key, lang), CellStyle(bold=True))
        for j, h in enumerate(headers):
            sheet.cell(data_row + 1, col0 + j, h, head)
        for j, fmt in enumerate(fmts):
            sheet.column(data_row + 2, col0 + j, [r[j] for r in rows], CellStyle(None if fmt == "@" else fmt))
        first, last = data_row + 1, data_row + 1 + max(len(rows), 1)
        kind = {"chart_abc": "pie", "chart_monthly": "line", "chart_top_overdue": "bar",
                "chart_cash_forecast": "line"}.get(title_key, "col")
        values = [col0 + 1 + k for k in range(len(headers) - 1)] if kind == "line" else [col0 + 1]
        sheet.charts.append(ChartSpec(kind, t(title_key, lang), first, first + 1, last, col0, values, anchor,
                                      None if kind == "pie" else MONEY_FMT))
        data_row = last + 2
    sheet.landscape_fit = True
    sheet.print_area = _print_area(sheet.charts, row - 1)


# Excel's default column (8.43 characters, 64 px) and row (15 pt, 20 px) at 96 dpi, in cm: how many cells a chart
# of a given size in cm covers when it sits on default-sized cells (the charts do, from column D on).
DEFAULT_COLUMN_CM = 64 / 96 * 2.54
DEFAULT_ROW_CM = 20 / 96 * 2.54


def _print_area(charts: list[ChartSpec], last_kpi_row: int) -> tuple[int, int, int, int]:
    """What the Dashboard prints: from A1 over the KPIs and every chart; the charts' data blocks to the right
    are left out (they are the charts' source, not the page)."""
    last_row, last_col = max(last_kpi_row, 2), 2
    for chart in charts:
        row, col = chart.anchor
        last_col = max(last_col, col + math.ceil(chart.size_cm[0] / DEFAULT_COLUMN_CM) - 1)
        last_row = max(last_row, row + math.ceil(chart.size_cm[1] / DEFAULT_ROW_CM) - 1)
    return 1, 1, last_row, last_col


def _render_xlwings(sheet, data: DashboardData, lang: Lang) -> None:
    sheet["A1"].value = t("dashboard_title", lang)
    sheet["A2"].value = [t("as_of", lang), data.as_of]
    kpis = _kpi_rows(data, lang)
    sheet["A4"].value = [[label, value] for label, value, _ in kpis]
    row = 1
    for title_key, headers, rows, _fmts in _blocks(data, lang):
        sheet.range((row, 23)).value = t(title_key, lang)
        block = [headers] + rows
        rng = sheet.range((row + 1, 23)).resize(len(block), len(headers))
        rng.value = block
        try:  # charts need a real Excel; the in-memory engine used in tests has none
            chart = sheet.charts.add()
            chart.set_source_data(rng)
            chart.chart_type = {"chart_abc": "pie", "chart_monthly": "line",
                                "chart_cash_forecast": "line"}.get(title_key, "column_clustered")
        except Exception:  # noqa: BLE001 - a missing chart must not lose the figures already written
            pass
        row += len(block) + 2
