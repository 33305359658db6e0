"""The one definition of every table xlfin reads or writes: keys, types, rules and labels (en / zh-CN).

Readers, validation, the template builder, report writers and the docs all derive from this module.
Input tables follow SPEC §3.1; generated tables follow §3.2, whose English headers are derived from the key
(Title Case, underscores as spaces, ID/DSO/ADD/CLV/ABC/EOM in capitals, `_pct` as `%`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

# The closed lists are plain data the engine shares (xlfin.engine.vocabulary); they stay importable from here.
from xlfin.engine.vocabulary import (  # noqa: F401 - re-exported
    CONFIDENCE,
    CURRENCIES,
    CUSTOMER_STATUS,
    DOC_TYPE,
    FREQUENCY,
    INVOICE_STATUS,
    LANGS,
    PAYMENT_METHOD,
    SEVERITY,
    YES_NO,
    Choice,
    Lang,
    canonical,
)
from xlfin.engine.vocabulary import comparison_form as _norm

ColumnType = Literal["text", "int", "money", "date", "bool", "enum", "currency", "email", "phone", "float", "pct",
                     "link"]  # link: a file path shown as a clickable hyperlink (generated letters)
TableKind = Literal["input", "config", "generated"]


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    type: ColumnType = "text"
    required: bool = False
    unique: bool = False
    choices: tuple[Choice, ...] = ()
    computed: bool = False  # a native Excel formula column in the template; readers ignore it, Python recomputes
    minimum: float | None = None  # inclusive lower bound for numbers
    positive: bool = False  # strictly > 0
    width: float | None = None
    note: str = ""

    def label(self, lang: Lang) -> str:
        return self.zh if lang == "zh-CN" else self.en

    def canonical(self, value: object) -> str | None:
        """Map a cell value of a closed list to its canonical value; None when it is not in the list."""
        return canonical(self.choices, value)


@dataclass(frozen=True)
class Table:
    key: str  # short key used in code: "customers"
    name: str  # the Excel table (ListObject) name: "tblCustomers"
    sheet_en: str
    sheet_zh: str
    kind: TableKind
    columns: tuple[Column, ...]
    row_key: str | None = None  # the column that identifies a row in messages (e.g. invoice_no)

    def sheet(self, lang: Lang) -> str:
        return self.sheet_zh if lang == "zh-CN" else self.sheet_en

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"{self.name} has no column {key!r}")

    def headers(self, lang: Lang) -> list[str]:
        return [c.label(lang) for c in self.columns]

    @property
    def input_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.computed)


def C(key: str, en: str, zh: str, type: ColumnType = "text", **kw) -> Column:  # noqa: N802 - table literal helper
    return Column(key, en, zh, type, **kw)


# ---------------------------------------------------------------- input tables (SPEC §3.1)

CUSTOMERS = Table(
    "customers", "tblCustomers", "Customers", "客户", "input",
    (
        C("customer_id", "Customer ID", "客户编号", required=True, unique=True, width=14),
        C("name", "Customer Name", "客户名称", required=True, width=30),
        C("contact", "Contact", "联系人", width=16),
        C("phone", "Phone", "联系电话", "phone", width=16),
        C("email", "Email", "邮箱", "email", width=26),
        C("industry", "Industry", "行业", width=16),
        C("region", "Region", "地区", width=12),
        C("payment_terms_days", "Payment Terms (days)", "付款周期(天)", "int", minimum=0, width=12,
          note="blank = Config default_terms_days"),
        C("credit_limit", "Credit Limit", "信用额度", "money", minimum=0, width=14),
        C("currency", "Currency", "币种", "currency", width=9, note="blank = Config base_currency"),
        C("status", "Status", "状态", "enum", choices=CUSTOMER_STATUS, width=10),
        C("dunning_hold", "Dunning Hold", "暂停催收", "bool", choices=YES_NO, width=10),
        C("notes", "Notes", "备注", width=30),
    ),
    row_key="customer_id",
)

INVOICES = Table(
    "invoices", "tblInvoices", "Invoices", "应收发票", "input",
    (
        C("invoice_no", "Invoice No", "发票号", required=True, unique=True, width=14),
        C("doc_type", "Type", "类型", "enum", choices=DOC_TYPE, width=12, note="blank = Invoice"),
        C("customer_id", "Customer ID", "客户编号", required=True, width=14),
        C("invoice_date", "Invoice Date", "开票日期", "date", required=True, width=12),
        C("due_date", "Due Date", "到期日", "date", width=12, note="blank = invoice date + terms"),
        C("amount", "Amount", "金额", "money", required=True, positive=True, width=14),
        C("currency", "Currency", "币种", "currency", width=9),
        C("cost", "Cost", "成本", "money", minimum=0, width=14),
        C("project", "Project", "合作项目", width=18),
        C("contract_no", "Contract No", "合同编号", width=14),
        C("disputed", "Disputed", "争议", "bool", choices=YES_NO, width=10),
        C("notes", "Notes", "备注", width=24),
        C("paid", "Paid", "已付金额", "money", computed=True, width=14),
        C("outstanding", "Outstanding", "未付金额", "money", computed=True, width=14),
        C("days_overdue", "Days Overdue", "逾期天数", "int", computed=True, width=10),
        C("status", "Status", "状态", "enum", choices=INVOICE_STATUS, computed=True, width=12),
    ),
    row_key="invoice_no",
)

PAYMENTS = Table(
    "payments", "tblPayments", "Payments", "收款", "input",
    (
        C("payment_id", "Payment ID", "收款编号", required=True, unique=True, width=14),
        C("payment_date", "Payment Date", "收款日期", "date", required=True, width=12),
        C("customer_id", "Customer ID", "客户编号", width=14, note="may be blank: reconciliation identifies the payer"),
        C("payer_name", "Payer", "付款方", width=26),
        C("amount", "Amount", "金额", "money", required=True, positive=True, width=14),
        C("currency", "Currency", "币种", "currency", width=9),
        C("method", "Method", "付款方式", "enum", choices=PAYMENT_METHOD, width=14),
        C("reference", "Reference", "付款附言", width=30),
        C("applied_to", "Applied To", "指定核销发票", width=20),
        C("notes", "Notes", "备注", width=24),
        C("bank_ref", "Bank Ref", "银行流水号", unique=True, width=20, note="set by bank import; unique when present"),
        C("payer_account", "Payer Account", "付款账号", width=24, note="IBAN or account number from the bank file"),
    ),
    row_key="payment_id",
)

_FIN = [
    ("current_assets", "Current Assets", "流动资产"),
    ("current_liabilities", "Current Liabilities", "流动负债"),
    ("inventory", "Inventory", "存货"),
    ("cash", "Cash", "货币资金"),
    ("total_assets", "Total Assets", "资产总额"),
    ("total_liabilities", "Total Liabilities", "负债总额"),
    ("equity", "Equity", "所有者权益"),
    ("retained_earnings", "Retained Earnings", "留存收益"),
    ("revenue", "Revenue", "营业收入"),
    ("ebit", "EBIT", "息税前利润"),
    ("interest_expense", "Interest Expense", "利息费用"),
    ("net_income", "Net Income", "净利润"),
    ("operating_cash_flow", "Operating Cash Flow", "经营活动现金流量"),
    ("market_value_equity", "Market Value Equity", "股权市值"),
]
FINANCIALS = Table(
    "financials", "tblFinancials", "Financials", "财务报表", "input",
    (
        C("customer_id", "Customer ID", "客户编号", required=True, width=14),
        C("period_end", "Period End", "报表截止日", "date", required=True, width=12),
        *(C(k, en, zh, "money", width=16) for k, en, zh in _FIN),
    ),
    row_key="customer_id",
)

PAYMENT_PLANS = Table(
    "payment_plans", "tblPaymentPlans", "Payment Plans", "分期计划", "input",
    (
        C("plan_id", "Plan ID", "计划编号", required=True, unique=True, width=12),
        C("customer_id", "Customer ID", "客户编号", required=True, width=14),
        C("total", "Total", "计划总额", "money", required=True, positive=True, width=14),
        C("instalments", "Instalments", "分期数", "int", required=True, minimum=1, width=10),
        C("first_date", "First Date", "首期日期", "date", required=True, width=12),
        C("frequency", "Frequency", "频率", "enum", choices=FREQUENCY, width=12, note="blank = Monthly"),
        C("invoices", "Invoices", "涵盖发票", width=24, note="invoice numbers the plan covers; blank = all overdue"),
        C("notes", "Notes", "备注", width=24),
    ),
    row_key="plan_id",
)

CONFIG = Table(
    "config", "tblConfig", "Config", "设置", "config",
    (
        C("key", "Key", "参数", required=True, unique=True, width=26),
        C("value", "Value", "值", width=24),
        C("description", "Description", "说明", width=60),
    ),
    row_key="key",
)

DUNNING_LEVELS = Table(
    "dunning_levels", "tblDunningLevels", "Config", "设置", "config",
    (
        C("level", "Level", "级别", "int", required=True, unique=True, minimum=1, width=8),
        C("from_days", "From Days Overdue", "起始逾期天数", "int", required=True, minimum=1, width=12),
        C("action", "Action", "催收措施", width=34),
        C("template", "Template", "函件模板", width=12),
        C("fee", "Fee", "催收费用", "money", minimum=0, width=10),
    ),
    row_key="level",
)

# ---------------------------------------------------------------- generated tables (SPEC §3.2)

_ABBREV = {"id": "ID", "dso": "DSO", "add": "ADD", "clv": "CLV", "abc": "ABC", "eom": "EOM"}


def generated_header(key: str) -> str:
    """SPEC §3.2 header rule: `customer_id` → Customer ID, `best_dso` → Best DSO, `overdue_pct` → Overdue %."""
    words = key.split("_")
    out = []
    for w in words:
        if w == "pct":
            out.append("%")
        else:
            out.append(_ABBREV.get(w, w[:1].upper() + w[1:]))
    return " ".join(out)


# zh-CN labels of generated columns: the project's choice (SPEC §3.2), kept here once.
GENERATED_ZH = {
    "severity": "严重程度", "sheet": "工作表", "cell": "单元格", "column": "列", "row_key": "行标识", "code": "代码",
    "message": "说明", "payment_id": "收款编号", "invoice_no": "发票号", "customer_id": "客户编号", "amount": "金额",
    "rule": "核销规则", "confidence": "可信度", "unapplied_amount": "未核销金额", "reason": "原因", "candidates": "候选发票",
    "name": "客户名称", "total": "合计", "overdue": "逾期金额", "overdue_pct": "逾期占比", "due_date": "到期日",
    "days_overdue": "逾期天数", "bucket": "账龄区间", "outstanding": "未付金额", "revenue_12m": "近12个月收入",
    "gross_margin": "毛利率", "dso": "应收账款周转天数", "best_dso": "最佳周转天数", "add": "平均拖欠天数",
    "payment_index": "付款指数", "current_ratio": "流动比率", "quick_ratio": "速动比率", "debt_ratio": "资产负债率",
    "interest_coverage": "利息保障倍数", "net_margin": "净利率", "altman_z": "Altman Z值", "credit_score": "信用评分",
    "grade": "信用等级", "credit_limit": "信用额度", "suggested_limit": "建议额度", "utilization": "额度使用率",
    "over_limit": "超额度", "abc_class": "ABC分类", "clv": "客户终身价值", "risk_flags": "风险提示", "level": "催收级别",
    "invoices": "发票", "overdue_amount": "逾期金额", "max_days_overdue": "最长逾期天数", "interest": "逾期利息",
    "fee": "催收费用", "total_due": "应付总额", "contact": "联系人", "email": "邮箱", "action": "催收措施",
    "letter": "催款函", "date": "日期", "timestamp": "时间", "user": "用户", "source": "来源", "rows_in": "输入行数",
    "rows_out": "输出行数", "status": "状态", "writeoff_amount": "建议核销差额", "plan_id": "计划编号",
    # Forecast sheet (SPEC §10)
    "week_start": "周起始日", "week_end": "周截止日", "expected_receipts": "预计回款", "low": "下限", "high": "上限",
    "from_overdue": "其中来自逾期", "from_not_due": "其中来自未到期", "open_items": "预计到账发票数",
    "predicted_pay_date": "预计付款日", "predicted_days_late": "预计逾期天数", "basis": "预测依据",
    "month": "月份", "forecast_revenue": "预测收入", "method": "预测方法",
    "message_id": "邮件编号", "created": "创建时间", "kind": "类型", "to": "收件人", "subject": "主题",
    "attempts": "尝试次数", "sent_at": "发送时间", "error": "错误信息", "file": "邮件文件",
}
GENERATED_ZH["paid"] = "已付金额"  # tblInvoicePaid (the Invoices sheet's Paid column looks it up)
# The access log's columns (issue #17): who ran what on which machine, on which version of the book, sent to whom.
GENERATED_ZH |= {"machine": "计算机", "verb": "命令", "encrypted": "已加密", "hash_before": "运行前哈希",
                 "hash_after": "运行后哈希", "recipients": "收件人"}


def G(key: str, type: ColumnType = "text", **kw) -> Column:  # noqa: N802 - table literal helper
    return Column(key, generated_header(key), GENERATED_ZH[key], type, **kw)


VALIDATION = Table(
    "validation", "tblValidation", "Validation", "校验结果", "generated",
    (G("severity", "enum", choices=SEVERITY), G("sheet"), G("cell"), G("column"), G("row_key"), G("code"),
     G("message", width=70)),
)
ALLOCATIONS = Table(
    "allocations", "tblAllocations", "Reconciliation", "核销", "generated",
    (G("payment_id"), G("invoice_no"), G("customer_id"), G("amount", "money"), G("rule"),
     G("confidence", "enum", choices=CONFIDENCE)),
)
UNAPPLIED = Table(
    "unapplied", "tblUnapplied", "Reconciliation", "核销", "generated",
    (G("payment_id"), G("customer_id"), G("unapplied_amount", "money"), G("reason", width=40),
     G("candidates", width=30)),
)
WRITEOFFS = Table(
    "writeoffs", "tblWriteoffs", "Reconciliation", "核销", "generated",
    (G("payment_id"), G("invoice_no"), G("customer_id"), G("writeoff_amount", "money"), G("rule")),
)
# One row per data row of tblInvoices, in its order, with the engine's amount paid: the Invoices sheet's Paid column
# reads the row at its own position instead of scanning tblAllocations for every row (issue 12 item 3,
# docs/excel-recalc.md).
INVOICE_PAID = Table(
    "invoice_paid", "tblInvoicePaid", "Reconciliation", "核销", "generated",
    (G("invoice_no"), G("paid", "money"), G("due_date", "date")),  # due_date: the engine's, terms applied
)
AGING_DETAIL = Table(
    "aging_detail", "tblAgingDetail", "Aging", "账龄", "generated",
    (G("invoice_no"), G("customer_id"), G("due_date", "date"), G("days_overdue", "int"), G("bucket"),
     G("outstanding", "money")),
)
SCORECARD = Table(
    "scorecard", "tblScorecard", "Scorecard", "信用评估", "generated",
    (
        G("customer_id"), G("name", width=28), G("revenue_12m", "money"), G("gross_margin", "pct"),
        G("outstanding", "money"), G("overdue", "money"), G("dso", "float"), G("best_dso", "float"),
        G("add", "float"), G("payment_index", "float"), G("current_ratio", "float"), G("quick_ratio", "float"),
        G("debt_ratio", "float"), G("interest_coverage", "float"), G("net_margin", "pct"), G("altman_z", "float"),
        G("credit_score", "float"), G("grade"), G("credit_limit", "money"), G("suggested_limit", "money"),
        G("utilization", "pct"), G("over_limit", "bool"), G("abc_class"), G("clv", "money"), G("risk_flags", width=40),
    ),
)
DUNNING = Table(
    "dunning", "tblDunning", "Dunning", "催收", "generated",
    (
        G("customer_id"), G("name", width=28), G("level", "int"), G("invoices", width=30), G("overdue_amount", "money"),
        G("max_days_overdue", "int"), G("interest", "money"), G("fee", "money"), G("total_due", "money"),
        G("contact"), G("email", width=26), G("action", width=34), G("letter", "link", width=40),
    ),
)
DUNNING_LOG = Table(
    "dunning_log", "tblDunningLog", "Dunning Log", "催收记录", "generated",
    (G("date", "date"), G("customer_id"), G("level", "int"), G("invoices", width=30), G("total_due", "money"),
     G("letter", "link", width=40)),
)
CASH_FORECAST = Table(
    "cash_forecast", "tblCashForecast", "Forecast", "预测", "generated",
    (G("week_start", "date"), G("week_end", "date"), G("expected_receipts", "money"), G("low", "money"),
     G("high", "money"), G("from_overdue", "money"), G("from_not_due", "money"), G("open_items", "int")),
)
PAY_DATES = Table(
    "pay_dates", "tblPayDates", "Forecast", "预测", "generated",
    (G("invoice_no"), G("customer_id"), G("due_date", "date"), G("outstanding", "money"),
     G("predicted_pay_date", "date"), G("predicted_days_late", "int"), G("basis", width=18)),
)
DEMAND_FORECAST = Table(
    "demand_forecast", "tblDemandForecast", "Forecast", "预测", "generated",
    (G("customer_id"), G("month", "date"), G("forecast_revenue", "money"), G("low", "money"), G("high", "money"),
     G("method", width=18)),
)
OUTBOX = Table(  # SPEC §3.2; `file` (the queued .eml, what `send` delivers) is the project's addition
    "outbox", "tblOutbox", "Outbox", "发送记录", "generated",
    (G("message_id", width=44), G("created"), G("customer_id"), G("kind"), G("to", width=26), G("subject", width=40),
     G("status"), G("attempts", "int"), G("sent_at"), G("error", width=40), G("file", "link", width=40)),
)
AUDIT = Table(
    "audit", "tblAudit", "Audit", "操作日志", "generated",
    (G("timestamp"), G("user"), G("action"), G("source", width=30), G("rows_in", "int"), G("rows_out", "int"),
     G("status"), G("message", width=60), G("machine"), G("verb"), G("encrypted", "bool"),
     G("hash_before", width=66), G("hash_after", width=66), G("recipients", width=60)),
)


def aging_bucket_labels(edges: Sequence[int] = (30, 60, 90, 120)) -> list[str]:
    """Current, 1-30, 31-60, ..., <last>+ — the label set follows the Config edges."""
    labels = ["Current"]
    lower = 1
    for e in edges:
        labels.append(f"{lower}-{e}")
        lower = e + 1
    labels.append(f"{edges[-1]}+" if edges else "1+")
    return labels


def aging_bucket_label_zh(label: str) -> str:
    return "未到期" if label == "Current" else f"{label}天"


def aging_table(edges: Sequence[int] = (30, 60, 90, 120)) -> Table:
    """tblAging has one column per bucket, so its shape follows the Config edges."""
    buckets = tuple(Column(lbl, lbl, aging_bucket_label_zh(lbl), "money") for lbl in aging_bucket_labels(edges))
    return Table(
        "aging", "tblAging", "Aging", "账龄", "generated",
        (G("customer_id"), G("name", width=28), *buckets, G("total", "money"), G("overdue", "money"),
         G("overdue_pct", "pct")),
    )


AGING = aging_table()

INPUT_TABLES: tuple[Table, ...] = (CUSTOMERS, INVOICES, PAYMENTS, FINANCIALS, PAYMENT_PLANS)
CONFIG_TABLES: tuple[Table, ...] = (CONFIG, DUNNING_LEVELS)
GENERATED_TABLES: tuple[Table, ...] = (VALIDATION, ALLOCATIONS, UNAPPLIED, WRITEOFFS, AGING, AGING_DETAIL, SCORECARD, DUNNING,
                                       DUNNING_LOG, CASH_FORECAST, PAY_DATES, DEMAND_FORECAST, OUTBOX, AUDIT)
GENERATED_TABLES += (INVOICE_PAID,)
ALL_TABLES: tuple[Table, ...] = INPUT_TABLES + CONFIG_TABLES + GENERATED_TABLES
TABLES: dict[str, Table] = {t.key: t for t in ALL_TABLES}
BY_NAME: dict[str, Table] = {t.name.lower(): t for t in ALL_TABLES}

# Sheets without a table of their own, with their labels.
START_SHEET = {"en": "Start", "zh-CN": "开始"}
DASHBOARD_SHEET = {"en": "Dashboard", "zh-CN": "仪表板"}


def table_by_name(name: str) -> Table:
    try:
        return BY_NAME[name.lower()]
    except KeyError:
        raise KeyError(f"unknown table {name!r}") from None


# ---------------------------------------------------------------- header matching


@dataclass
class HeaderMatch:
    """Which worksheet column holds which key. Unknown columns are kept (a user's own columns), never dropped."""

    table: Table
    positions: dict[str, int] = field(default_factory=dict)  # key -> 0-based column index in the header row
    unknown: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    language: Lang | None = None

    @property
    def missing_required(self) -> list[str]:
        return [c.key for c in self.table.columns if c.required and c.key not in self.positions]

    @property
    def ok(self) -> bool:
        return not self.missing_required


def _label_index(table: Table) -> dict[str, tuple[str, Lang | None]]:
    index: dict[str, tuple[str, Lang | None]] = {}
    for c in table.columns:
        index.setdefault(_norm(c.key), (c.key, None))
        index.setdefault(_norm(c.en), (c.key, "en"))
        index.setdefault(_norm(c.zh), (c.key, "zh-CN"))
    return index


def match_headers(headers: Iterable[object], table: Table) -> HeaderMatch:
    """Map a header row to column keys: either language, any order, stray spaces/case, the key itself too."""
    index = _label_index(table)
    result = HeaderMatch(table)
    votes = {"en": 0, "zh-CN": 0}
    for i, h in enumerate(headers):
        if h is None or str(h).strip() == "":
            continue
        hit = index.get(_norm(str(h)))
        if hit is None:
            result.unknown.append((i, str(h)))
            continue
        key, lang = hit
        if key in result.positions:
            result.duplicates.append((i, str(h)))
            continue
        result.positions[key] = i
        if lang:
            votes[lang] += 1
    if votes["en"] or votes["zh-CN"]:
        result.language = "zh-CN" if votes["zh-CN"] > votes["en"] else "en"
    return result


def header_score(headers: Iterable[object], table: Table) -> int:
    """How many of a table's columns a row of headers names; used to find a table by its header row."""
    return len(match_headers(headers, table).positions)


def all_labels() -> dict[str, dict[str, str]]:
    """Every user-facing label of every table, for docs and the completeness test: {table: {key: 'en | zh'}}."""
    return {t.name: {c.key: f"{c.en} | {c.zh}" for c in t.columns} for t in ALL_TABLES}
