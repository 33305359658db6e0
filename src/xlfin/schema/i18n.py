"""User-facing strings that are not table headers (those live in xlfin.schema): dashboard, run summaries, alerts.

One catalogue, en and zh-CN side by side, so a missing translation is a failing test, not a surprise in a workbook.
"""

from __future__ import annotations

from xlfin.schema import Lang

STRINGS: dict[str, dict[str, str]] = {
    # dashboard
    "dashboard_title": {"en": "Receivables dashboard", "zh-CN": "应收账款仪表板"},
    "as_of": {"en": "As of", "zh-CN": "截至"},
    "kpi_total_ar": {"en": "Total receivables", "zh-CN": "应收账款总额"},
    "kpi_overdue": {"en": "Overdue", "zh-CN": "逾期金额"},
    "kpi_overdue_pct": {"en": "Overdue %", "zh-CN": "逾期占比"},
    "kpi_dso": {"en": "DSO (days, trailing 12 months)", "zh-CN": "应收账款周转天数(近12个月)"},
    "kpi_cei": {"en": "CEI % (trailing 12 months)", "zh-CN": "回款效率指数CEI %(近12个月)"},
    "kpi_over_limit": {"en": "Customers over credit limit", "zh-CN": "超信用额度客户数"},
    "kpi_customers": {"en": "Customers with open items", "zh-CN": "有未结项目的客户数"},
    "kpi_unapplied": {"en": "Unapplied cash", "zh-CN": "未核销收款"},
    "chart_aging": {"en": "Receivables by ageing bucket", "zh-CN": "账龄分布"},
    "chart_top_overdue": {"en": "Top 10 overdue customers", "zh-CN": "逾期金额前10名客户"},
    "chart_abc": {"en": "Revenue by ABC class (12 months)", "zh-CN": "ABC分类收入(近12个月)"},
    "chart_monthly": {"en": "Invoiced vs collected by month", "zh-CN": "每月开票与回款"},
    "col_bucket": {"en": "Bucket", "zh-CN": "账龄区间"},
    "col_amount": {"en": "Amount", "zh-CN": "金额"},
    "col_customer": {"en": "Customer", "zh-CN": "客户"},
    "col_overdue": {"en": "Overdue", "zh-CN": "逾期金额"},
    "col_class": {"en": "Class", "zh-CN": "分类"},
    "col_customers": {"en": "Customers", "zh-CN": "客户数"},
    "col_revenue": {"en": "Revenue", "zh-CN": "收入"},
    "col_month": {"en": "Month", "zh-CN": "月份"},
    "col_invoiced": {"en": "Invoiced", "zh-CN": "开票金额"},
    "col_collected": {"en": "Collected", "zh-CN": "回款金额"},
    "chart_cash_forecast": {"en": "Expected receipts, next 13 weeks", "zh-CN": "未来13周预计回款"},
    "col_week": {"en": "Week from", "zh-CN": "周起始日"},
    "col_expected": {"en": "Expected", "zh-CN": "预计回款"},
    "col_low": {"en": "Low", "zh-CN": "下限"},
    "col_high": {"en": "High", "zh-CN": "上限"},
    # run messages (CLI, ribbon alerts, Audit)
    "done": {"en": "{action}: done", "zh-CN": "{action}：完成"},
    "failed": {"en": "{action} failed: {message}", "zh-CN": "{action}失败：{message}"},
    "skipped_rows": {"en": "{count} row(s) with errors were left out of the calculation; see the Validation sheet",
                     "zh-CN": "有 {count} 行因数据错误未参与计算，请查看“校验结果”工作表"},
    "row_left_out": {"en": " (row left out of the calculations)", "zh-CN": "（该行未参与计算）"},
    "validation_summary": {"en": "{errors} error(s), {warnings} warning(s)", "zh-CN": "{errors} 个错误，{warnings} 个警告"},
    "about": {"en": "xlfin {version} (xlwings {xlwings}): customer finance inside Excel, powered by Python.",
              "zh-CN": "xlfin {version}(xlwings {xlwings})：基于 Python 的 Excel 客户财务管理工具。"},
    "settings_hint": {"en": "Settings live on the Config sheet (tblConfig and tblDunningLevels).",
                      "zh-CN": "设置位于“设置”工作表(tblConfig 与 tblDunningLevels)。"},
    # CLI human summary (xlfin.app.report)
    "cli_title": {"en": "{what}, as of {as_of}", "zh-CN": "{what}，截至 {as_of}"},
    "cli_days": {"en": "{n} days", "zh-CN": "{n} 天"},
    "cli_validation": {"en": "Validation", "zh-CN": "数据校验"},
    "cli_rows_left_out": {"en": "{count} row(s) left out of the calculation",
                          "zh-CN": "{count} 行未参与计算"},
    "cli_rows_after_as_of": {"en": "{count} row(s) dated after the as-of date not counted yet",
                             "zh-CN": "{count} 行日期晚于截止日，暂不计入"},
    "cli_payments_not_posted": {"en": "{count} payment(s) in the ledger not posted yet (xlfin ledger reconcile)",
                                "zh-CN": "台账中有 {count} 笔收款尚未过账（xlfin ledger reconcile）"},
    "cli_cash_label": {"en": "Cash application", "zh-CN": "收款核销"},
    "cli_cash": {"en": "{payments} payments, {pct} applied automatically, {unapplied} unapplied",
                 "zh-CN": "{payments} 笔收款，自动核销 {pct}，未核销 {unapplied}"},
    "cli_exceptions": {"en": "{count} to review on the Reconciliation sheet",
                       "zh-CN": "{count} 笔待在“核销”工作表中复核"},
    "cli_writeoffs": {"en": "short payments within tolerance: {amount} proposed for write-off (not booked)",
                      "zh-CN": "容差内少付：建议核销差额 {amount}(未入账)"},
    "cli_open_items": {"en": "{total} in {items} open items of {customers} customers",
                       "zh-CN": "{total}，{customers} 个客户共 {items} 笔未结项目"},
    "cli_most_overdue": {"en": "Most overdue", "zh-CN": "逾期最多"},
    "cli_list_sep": {"en": "; ", "zh-CN": "；"},
    "cli_scorecard": {"en": "Credit grades", "zh-CN": "信用等级"},
    "cli_grades": {"en": "{customers} customers: {grades}; {over} over their credit limit",
                   "zh-CN": "{customers} 个客户：{grades}；{over} 个超信用额度"},
    "cli_dunning": {"en": "Dunning", "zh-CN": "催收"},
    "cli_notices": {"en": "{count} notice(s), {total} due", "zh-CN": "{count} 份催收通知，应付合计 {total}"},
    "cli_level": {"en": "level {level}: {count}", "zh-CN": "第{level}级 {count} 份"},
    "cli_not_dunned": {"en": "{count} customer(s) not dunned: {reasons}", "zh-CN": "{count} 个客户未催收：{reasons}"},
    "cli_letters": {"en": "{count} letter(s) written to {folder}", "zh-CN": "已生成 {count} 份催款函，位于 {folder}"},
    "cli_written": {"en": "Written: {path} ({seconds} s)", "zh-CN": "已写入：{path}(用时 {seconds} 秒)"},
    "cli_next_fix": {"en": "Next: open the {sheet} sheet and fix the rows it lists, then run again.",
                     "zh-CN": "下一步：打开“{sheet}”工作表，修正所列的行后重新运行。"},
    "cli_next_open": {"en": "Next: open the {sheet} sheet.", "zh-CN": "下一步：打开“{sheet}”工作表。"},
    "cli_next_open2": {"en": "Next: open the {first} and {second} sheets.",
                       "zh-CN": "下一步：打开“{first}”和“{second}”工作表。"},
    "cli_problems_more": {"en": "… and {count} more: `xlfin validate --write` lists them all on the Validation sheet",
                          "zh-CN": "……另有 {count} 条：`xlfin validate --write` 会在“校验结果”工作表中全部列出"},
    "cli_created": {"en": "created {path}", "zh-CN": "已创建 {path}"},
    "cli_demo_title": {"en": "xlfin demo", "zh-CN": "xlfin 演示"},
    "cli_stage_read": {"en": "reading the workbook", "zh-CN": "读取工作簿"},
    "cli_stage_save": {"en": "saving", "zh-CN": "保存"},
}

# `xlfin audit` (issue #17): how the book compares with the last run's hash
STRINGS |= {
    "audit_unchanged": {"en": "unchanged since the last run", "zh-CN": "自上次运行以来未被修改"},
    "audit_changed": {"en": "changed since the last run (edited or saved outside xlfin)",
                      "zh-CN": "自上次运行以来已被修改(在 xlfin 之外编辑或保存)"},
    "audit_unknown": {"en": "no recorded hash to compare with", "zh-CN": "没有可比较的哈希记录"},
    "audit_summary": {"en": "{n} run(s) recorded; hash now {hash}: {status}",
                      "zh-CN": "共记录 {n} 次运行；当前哈希 {hash}：{status}"},
}

# Codes written into generated tables: a zh-CN workbook shows the Chinese label, an English one the stable code
# (documented in docs/finance-rules.md), which filters and formulas can rely on.
CODE_LABELS: dict[str, dict[str, str]] = {
    "risk_over_limit": {"en": "over_limit", "zh-CN": "超信用额度"},
    "risk_overdue_90": {"en": "overdue_90", "zh-CN": "逾期超90天"},
    "risk_overdue_amount": {"en": "overdue_amount", "zh-CN": "逾期金额超限"},
    "risk_payment_index_falling": {"en": "payment_index_falling", "zh-CN": "付款指数下降"},
    "risk_stale_financials": {"en": "stale_financials", "zh-CN": "财务报表过期"},
    "rule_explicit": {"en": "explicit", "zh-CN": "指定发票"},
    "rule_reference": {"en": "reference", "zh-CN": "附言匹配"},
    "rule_credit_note": {"en": "credit_note", "zh-CN": "贷项抵扣"},
    "rule_exact_amount": {"en": "exact_amount", "zh-CN": "金额相等"},
    "rule_combination": {"en": "combination", "zh-CN": "组合匹配"},
    "rule_tolerance": {"en": "tolerance", "zh-CN": "容差内少付"},
    "rule_fifo": {"en": "fifo", "zh-CN": "先到期先核销"},
    "basis_model": {"en": "model", "zh-CN": "模型预测"},
    "basis_customer_median": {"en": "customer_median", "zh-CN": "客户历史中位数"},
    "basis_portfolio_median": {"en": "portfolio_median", "zh-CN": "全体客户中位数"},
    "basis_due_date": {"en": "due_date", "zh-CN": "按到期日"},
    "method_exponential_smoothing": {"en": "exponential_smoothing", "zh-CN": "指数平滑"},
    "method_seasonal_naive": {"en": "seasonal_naive", "zh-CN": "季节性同比"},
    "method_mean": {"en": "mean", "zh-CN": "历史均值"},
}
# A ledger run's detail larger than a sheet (issue #16): the note row above the top rows the sheet keeps.
STRINGS |= {
    "detail_note": {"en": "{total} rows in all; the {shown} below are the {order}. All rows: database table {table}, "
                          "run {run_id}: {query}",
                    "zh-CN": "共 {total} 行；下面是{order}的 {shown} 行。全部明细在数据库表 {table}（运行编号 {run_id}）："
                             "{query}"},
    "detail_note_oldest": {"en": "oldest (most days overdue) first", "zh-CN": "逾期天数最长"},
    "detail_note_largest": {"en": "largest amounts first", "zh-CN": "金额最大"},
}

STRINGS.update(CODE_LABELS)


def code_label(prefix: str, code: str, lang: Lang = "en") -> str:
    """A rule or flag code as the workbook shows it; unknown codes pass through unchanged."""
    entry = CODE_LABELS.get(f"{prefix}_{code}")
    return entry[lang] if entry and lang in entry else code


def code_labels(prefix: str, joined: str | None, lang: Lang = "en", sep: str = "; ") -> str | None:
    """Translate a `sep`-joined list of codes (e.g. Scorecard risk_flags)."""
    if not joined:
        return joined
    return sep.join(code_label(prefix, c.strip(), lang) for c in str(joined).split(sep.strip()) if c.strip())


ACTION_LABELS: dict[str, dict[str, str]] = {
    "validate": {"en": "Validate", "zh-CN": "校验"},
    "reconcile": {"en": "Reconcile", "zh-CN": "核销"},
    "aging": {"en": "Aging", "zh-CN": "账龄"},
    "scorecard": {"en": "Scorecard", "zh-CN": "信用评估"},
    "dunning": {"en": "Dunning List", "zh-CN": "催收清单"},
    "letters": {"en": "Letters", "zh-CN": "催款函"},
    "dashboard": {"en": "Dashboard", "zh-CN": "仪表板"},
    "forecast": {"en": "Forecast", "zh-CN": "预测"},
    "regenerate": {"en": "Regenerate All", "zh-CN": "全部重算"},
    "import_bank": {"en": "Import Bank File", "zh-CN": "导入银行流水"},
    "statements": {"en": "Statements", "zh-CN": "对账单"},
    "send": {"en": "Send", "zh-CN": "发送"},
}

# The ribbon's Ledger group (issue #16): its buttons' labels (ribbon and alerts) and what their alerts say.
ACTION_LABELS |= {
    "ledger_load": {"en": "Load into Ledger", "zh-CN": "载入台账"},
    "ledger_reconcile": {"en": "Post Cash", "zh-CN": "收款过账"},
    "ledger_report": {"en": "Reports from Ledger", "zh-CN": "台账报表"},
    "ledger_export": {"en": "Export Ledger", "zh-CN": "导出台账"},
}
STRINGS |= {
    "ribbon_group_ledger": {"en": "Ledger", "zh-CN": "台账"},
    "ledger_none": {"en": "This workbook has no ledger: Config ledger_source is workbook (the rows live in this "
                          "workbook). {action} works on a ledger in a database: set ledger_source on the {sheet} "
                          "sheet to a DuckDB file (duckdb:ledger.duckdb is a file next to this workbook) or a "
                          "PostgreSQL URL (postgresql://user@server/database; the password comes from PGPASSWORD or "
                          "pgpass, never from the workbook), then click {action} again.",
                    "zh-CN": "本工作簿没有台账：设置中 ledger_source 为 workbook(数据保存在本工作簿内)。“{action}”"
                             "作用于数据库中的台账：请在“{sheet}”工作表中将 ledger_source 设为 DuckDB 文件"
                             "(duckdb:ledger.duckdb 即与本工作簿同一文件夹中的文件)或 PostgreSQL 地址"
                             "(postgresql://用户@服务器/数据库；密码来自 PGPASSWORD 或 pgpass，绝不写入工作簿)，"
                             "然后再次点击“{action}”。"},
    "ledger_config_problem": {"en": "Config: {message}", "zh-CN": "设置问题：{message}"},
    "ledger_where": {"en": "Ledger: {source}", "zh-CN": "台账：{source}"},
    "ledger_loaded": {"en": "{rows} row(s) loaded or updated: {tables}", "zh-CN": "已载入或更新 {rows} 行：{tables}"},
    "ledger_not_loaded": {"en": "{count} row(s) not loaded (unusable values, missing or repeated keys): kept in the "
                                "ledger's ledger_rejects table; {validate} lists them on the {sheet} sheet",
                          "zh-CN": "有 {count} 行未载入(数据不可用、缺少或重复的键)：保存在台账的 ledger_rejects 表中；"
                                   "“{validate}”会在“{sheet}”工作表中列出"},
    "ledger_posted": {"en": "{payments} payment(s) handled by this run: {allocations} allocation(s), {amount} applied; "
                            "{already} payment(s) handled by earlier runs",
                      "zh-CN": "本次处理 {payments} 笔收款：{allocations} 条核销记录，核销金额 {amount}；"
                               "此前已处理 {already} 笔"},
    "ledger_post_first": {"en": "No cash has been posted to the ledger yet: click {post} first, then {report}.",
                          "zh-CN": "台账尚未进行收款过账：请先点击“{post}”，再点击“{report}”。"},
    "ledger_load_first": {"en": "The ledger {source} has no tables yet: click {load} first.",
                          "zh-CN": "台账 {source} 中还没有数据表：请先点击“{load}”。"},
    "ledger_exported": {"en": "{rows} row(s) written to {path}", "zh-CN": "已将 {rows} 行写入 {path}"},
    "ledger_export_title": {"en": "Export the ledger to a new workbook", "zh-CN": "将台账导出为新工作簿"},
    "ledger_export_replace": {"en": "{path} exists. Replace it?", "zh-CN": "{path} 已存在。是否替换？"},
    "ledger_export_is_open": {"en": "{path} is this workbook: choose another file name",
                              "zh-CN": "{path} 就是当前工作簿：请另选文件名"},
}


def translate(catalogue: dict[str, dict[str, str]], key: str, lang: Lang = "en", **fmt: object) -> str:
    """`key` of a catalogue in `lang` (English when that language lacks it), with `fmt` filled in."""
    entry = catalogue[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fmt) if fmt else text


def t(key: str, lang: Lang = "en", **fmt: object) -> str:
    return translate(STRINGS, key, lang, **fmt)


def action_label(action: str, lang: Lang = "en") -> str:
    entry = ACTION_LABELS.get(action)
    return (entry.get(lang) or entry["en"]) if entry else action
