"""Draw the Dashboard sheet: KPI cells, the chart data blocks, and native Excel charts.

File mode draws openpyxl charts (real Excel chart parts, which LibreOffice also renders); live mode writes the
same cells through xlwings in bulk and adds charts with xlwings' chart API.
"""

from __future__ import annotations

from xlfin.engine.dashboard import DashboardData
from xlfin.schema.i18n import t
from .schema import DASHBOARD_SHEET, Lang, aging_bucket_label_zh

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
    ]


def render_dashboard(wb, data: DashboardData, lang: Lang) -> None:
    target = wb.sheet_for_charts(DASHBOARD_SHEET["en"], lang)
    if target.__class__.__module__.startswith("openpyxl"):
        _render_openpyxl(target, data, lang)
    else:
        _render_xlwings(target, data, lang)


def _render_openpyxl(ws, data: DashboardData, lang: Lang) -> None:
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    title_font = Font(bold=True, size=16)
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E78")
    ws["A1"] = t("dashboard_title", lang)
    ws["A1"].font = title_font
    ws["A2"] = t("as_of", lang)
    ws["B2"] = data.as_of
    ws["B2"].number_format = "yyyy-mm-dd"
    row = 4
    for label, value, fmt in _kpi_rows(data, lang):
        ws.cell(row, 1, label).font = Font(bold=True)
        c = ws.cell(row, 2, value)
        c.number_format = fmt
        row += 1
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 18
    # Charts in a 2x2 grid right of the KPIs (D:U); their data blocks further right, from column W.
    col0, data_row = 23, 1
    anchors = ["D3", "M3", "D21", "M21"]
    charts = []
    for (title_key, headers, rows, fmts), anchor in zip(_blocks(data, lang), anchors):
        ws.cell(data_row, col0, t(title_key, lang)).font = Font(bold=True)
        for j, h in enumerate(headers):
            cell = ws.cell(data_row + 1, col0 + j, h)
            cell.font, cell.fill = head_font, head_fill
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                cell = ws.cell(data_row + 2 + i, col0 + j, v)
                if isinstance(v, str):
                    cell.data_type = "s"  # names from the workbook are text, never formulas
                elif fmts[j] != "@":
                    cell.number_format = fmts[j]
        first, last = data_row + 1, data_row + 1 + max(len(rows), 1)
        charts.append((title_key, first, last, anchor))
        data_row = last + 2
    for title_key, first, last, anchor in charts:
        cats = Reference(ws, min_col=col0, min_row=first + 1, max_row=last)
        if title_key == "chart_abc":
            chart = PieChart()
            chart.add_data(Reference(ws, min_col=col0 + 1, min_row=first, max_row=last), titles_from_data=True)
        elif title_key == "chart_monthly":
            chart = LineChart()
            chart.add_data(Reference(ws, min_col=col0 + 1, max_col=col0 + 2, min_row=first, max_row=last),
                           titles_from_data=True)
            chart.y_axis.numFmt = MONEY_FMT
            for series in chart.series:
                series.smooth = False  # a smoothed line invents values between months
        else:
            chart = BarChart()
            chart.type = "bar" if title_key == "chart_top_overdue" else "col"
            chart.add_data(Reference(ws, min_col=col0 + 1, min_row=first, max_row=last), titles_from_data=True)
            chart.legend = None
            chart.y_axis.numFmt = MONEY_FMT
        chart.set_categories(cats)
        chart.title = t(title_key, lang)
        chart.width, chart.height = 15, 8.5
        ws.add_chart(chart, anchor)
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_area = f"A1:{get_column_letter(col0 - 2)}40"


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
            chart.chart_type = {"chart_abc": "pie", "chart_monthly": "line"}.get(title_key, "column_clustered")
        except Exception:  # noqa: BLE001 - a missing chart must not lose the figures already written
            pass
        row += len(block) + 2
