"""The words of the template's Start sheet and sheet notes, en and zh-CN side by side (one entry, two languages)."""

from __future__ import annotations

from ..schema import Lang

# (en, zh-CN)
TITLE = ("xlfin: customer finance workbook", "xlfin 客户财务工作簿")
INTRO = (
    "Keep customers, invoices and payments in the tables of this workbook. The xlfin tab on the ribbon checks the "
    "data, applies payments to invoices, ages the receivables, scores customers' credit and prepares dunning "
    "letters. The xlfin cell formulas work in any cell. The same jobs run without Excel through the `xlfin` "
    "command line.",
    "在本工作簿的表格中维护客户、发票和收款。功能区的“客户财务”选项卡可以校验数据、将收款核销到发票、计算账龄、"
    "评估客户信用并生成催款函。xlfin 单元格公式可在任意单元格中使用。不打开 Excel 时，可用命令行 `xlfin` 完成同样的工作。",
)
HEAD_INPUT = ("Where you type (your data; xlfin never changes these cells)", "数据录入(您的数据；xlfin 从不改写这些单元格)")
HEAD_GENERATED = ("Sheets xlfin writes (replaced on every run; do not type here)", "xlfin 生成的工作表(每次运行整体重写；请勿在此录入)")
HEAD_FORMULAS = ("Cell formulas (category xlfin)", "单元格公式(类别 xlfin)")
HEAD_COMPUTED = ("Computed columns on the Invoices sheet", "“应收发票”表中的计算列")
HEAD_SETUP = ("Set-up", "安装与设置")
COL_SHEET = ("Sheet", "工作表")
COL_WHAT = ("What it holds", "内容")
COL_GROUP = ("Group", "组")
COL_BUTTON = ("Button", "按钮")
COL_DOES = ("What it does", "作用")
COL_FORMULA = ("Formula", "公式")
COL_RETURNS = ("Returns", "返回")

SHEET_NOTES: dict[str, tuple[str, str]] = {
    "customers": ("One row per customer: ID, name, contacts, payment terms, credit limit, status.",
                  "每个客户一行：编号、名称、联系方式、付款周期、信用额度、状态。"),
    "invoices": ("Invoices and credit notes. Paid, Outstanding, Days Overdue and Status are formulas: do not type "
                 "in them.", "发票和贷项通知单。已付金额、未付金额、逾期天数和状态为公式列，请勿录入。"),
    "payments": ("Money received. Leave Customer ID blank when unknown: Reconcile identifies the payer.",
                 "收到的款项。客户未知时客户编号可留空，核销时会识别付款方。"),
    "financials": ("Customers' balance sheet and income figures, one row per customer and period end.",
                   "客户的资产负债表和利润表数据，每个客户每个报表期一行。"),
    "payment_plans": ("Instalment plans agreed with customers.", "与客户约定的分期付款计划。"),
    "config": ("Settings: as-of date, currency, ageing buckets, score weights, tolerances, dunning levels, letterhead. "
               "Each setting is also a workbook name (e.g. AsOfDate).",
               "参数设置：基准日、币种、账龄区间、评分权重、容差、催收级别、信头。每个参数同时是一个工作簿名称(如 AsOfDate)。"),
    "validation": ("Every problem found in the data, with the cell to fix.", "数据中发现的每个问题及需要修改的单元格。"),
    "reconciliation": ("Which payment settled which invoice (and why), and money not yet applied.",
                       "每笔收款核销了哪些发票(及依据)，以及尚未核销的款项。"),
    "aging": ("Receivables by customer and ageing bucket, and every open item.", "按客户和账龄区间汇总的应收账款及每个未结项目。"),
    "scorecard": ("Credit score, grade, suggested limit, DSO, payment index and risk flags per customer.",
                  "每个客户的信用评分、等级、建议额度、周转天数、付款指数和风险提示。"),
    "dunning": ("Customers to chase today, with level, amounts and the letter file.", "今天需要催收的客户、催收级别、金额和催款函文件。"),
    "dunning_log": ("Every notice sent (appended, never rewritten).", "已发出的每份催收通知(只追加，不改写)。"),
    "forecast": ("Predicted pay date of each open invoice, expected receipts for 13 weeks, demand for 3 months.",
                 "每张未结发票的预计付款日、未来13周预计回款、未来3个月客户采购需求预测。"),
    "outbox": ("Dunning notices, statements and confirmations queued for e-mail, and whether each was sent.",
               "待发送的催收通知、对账单和询证函，以及每封邮件的发送状态。"),
    "dashboard": ("Key figures and charts.", "关键指标和图表。"),
    "audit": ("Every run: who, when, what, how many rows.", "每次运行的记录：谁、何时、做了什么、多少行。"),
}

# What each ribbon button does, by its entry in xlfin.excel.ribbon (the labels themselves live there).
RIBBON_DOES: dict[str, tuple[str, str]] = {
    "validate": ("Checks every input table and lists the problems on Validation.", "检查所有录入表，将问题列在“校验结果”中。"),
    "reconcile": ("Applies payments to invoices; writes Reconciliation.", "将收款核销到发票，写入“核销”。"),
    "aging": ("Ages open items as of the Config date; writes Aging.", "按设置的基准日计算账龄，写入“账龄”。"),
    "dunning": ("Lists the customers to chase and their level; writes Dunning.", "列出需要催收的客户及级别，写入“催收”。"),
    "letters": ("Writes a dunning letter per customer (.html, .txt, .eml) and logs it.",
                "为每个客户生成催款函(.html、.txt、.eml)并记入催收记录。"),
    "import_bank": ("Appends new incoming payments from bank files (camt.053/054, MT940, CSV) to Payments; a file "
                    "imported twice adds nothing.", "从银行文件(camt.053/054、MT940、CSV)把新的入账收款追加到“收款”表；同一文件重复导入不会重复添加。"),
    "statements": ("Writes a statement of account per customer (PDF and HTML) and queues it in the Outbox.",
                   "为每个客户生成对账单(PDF 和 HTML)并加入“发送记录”待发送。"),
    "send": ("Sends what the Outbox has queued by e-mail (SMTP), never a message twice.",
             "通过邮件(SMTP)发送“发送记录”中待发送的邮件，同一邮件绝不重复发送。"),
    "scorecard": ("Scores credit, suggests limits, flags risks; writes Scorecard.", "评估信用、建议额度、提示风险，写入“信用评估”。"),
    "dashboard": ("Rebuilds the Dashboard KPIs and charts.", "重建“仪表板”的指标和图表。"),
    "forecast": ("Predicts pay dates, 13-week receipts and demand; writes Forecast.",
                 "预测付款日、未来13周回款和采购需求，写入“预测”。"),
    "regenerate_all": ("Runs Validate, Reconcile, Aging, Scorecard, Dunning List, Forecast and Dashboard in order "
                       "(letters only come from Letters).",
                       "按顺序运行校验、核销、账龄、信用评估、催收清单、预测和仪表板(催款函仅由“催款函”按钮生成)。"),
    "ledger_load": ("Loads this workbook's input tables into the ledger named by Config ledger_source (DuckDB or "
                    "PostgreSQL), by key: loading twice changes nothing.",
                    "将本工作簿的录入表按键载入设置项 ledger_source 指定的台账(DuckDB 或 PostgreSQL)；重复载入不会改变任何数据。"),
    "ledger_reconcile": ("Posts cash application to the ledger: payments no earlier run posted, one locked "
                         "transaction, never a payment twice.",
                         "在台账中进行收款核销过账：只处理此前未过账的收款，在一个加锁事务中完成，同一笔收款绝不重复过账。"),
    "ledger_report": ("Writes Aging, Scorecard, Dunning, Forecast and Dashboard from the posted ledger, without "
                      "loading it.", "根据已过账的台账写入“账龄”“信用评估”“催收”“预测”和“仪表板”，无需把台账读入内存。"),
    "ledger_export": ("Writes the ledger's input tables into a new workbook from the template.",
                      "将台账中的录入表写入一个按模板新建的工作簿。"),
    "about": ("Version of xlfin and of xlwings.", "xlfin 与 xlwings 的版本信息。"),
    "settings": ("Where the settings are (the Config sheet).", "设置所在位置(“设置”工作表)。"),
}

FORMULAS: tuple[tuple[str, str, str], ...] = (
    ("=AGING_BUCKET(due_date, [as_of], [edges])", "ageing bucket label (Current, 1-30, ...)", "账龄区间"),
    ("=DAYS_OVERDUE(due_date, [as_of])", "whole days overdue, never negative", "逾期天数(不为负)"),
    ("=DSO(receivables, credit_sales, [days])", "days sales outstanding", "应收账款周转天数"),
    ("=DSO_COUNTBACK(receivables, sales_newest_first, [days_per_period])", "countback DSO", "倒推法周转天数"),
    ("=BEST_DSO(current_receivables, credit_sales, [days])", "best possible DSO", "最佳周转天数"),
    ("=CEI(begin_ar, credit_sales, end_ar, end_current_ar)", "collection effectiveness index, %", "回款效率指数 %"),
    ("=PAYMENT_INDEX(days_beyond_terms, [amounts])", "payment index 1-100", "付款指数 1-100"),
    ("=ALTMAN_Z(current_assets, current_liabilities, retained_earnings, ebit, equity, total_assets, "
     "total_liabilities, [sales], [model])", "Altman Z score", "Altman Z 值"),
    ("=CREDIT_SCORE(current_ratio, debt_ratio, interest_coverage, net_margin, payment_index, overdue_share, "
     "[weights])", "credit score 0-100", "信用评分 0-100"),
    ("=CREDIT_GRADE(score, [cutoffs])", "grade A-E", "信用等级 A-E"),
    ("=CREDIT_LIMIT(net_worth, working_capital, grade, [pct_net_worth], [pct_working_capital], [rounding])",
     "suggested credit limit", "建议信用额度"),
    ("=CURRENT_RATIO / QUICK_RATIO / DEBT_RATIO / INTEREST_COVERAGE(...)", "financial ratios", "财务比率"),
    ("=ABC_CLASS(values, [cutoffs])", "A / B / C per value", "ABC 分类"),
    ("=CLV(margin, retention, discount_rate, [acquisition_cost])", "customer lifetime value", "客户终身价值"),
)
FORMULAS_NOTE = (
    "A formula given a range returns one result per cell and spills. A bad input shows #VALUE! in that cell only.",
    "参数为区域时按单元格逐一返回结果并自动溢出。输入有误时仅该单元格显示 #VALUE!。",
)

COMPUTED: tuple[tuple[str, str], ...] = (
    ("Paid: the sum of Amount on Reconciliation (tblAllocations) for this invoice; for a credit note, also what it "
     "has settled.", "已付金额：“核销”表(tblAllocations)中该发票的金额合计；贷项通知单还包括其已抵扣的金额。"),
    ("Outstanding: Amount − Paid; negative for a credit note that is not used up.", "未付金额：金额 − 已付金额；未用完的贷项通知单为负数。"),
    ("Days Overdue: days from the due date (blank: invoice date + payment terms) to AsOfDate (blank: today), "
     "while something is outstanding.", "逾期天数：从到期日(留空则为开票日 + 付款周期)到基准日 AsOfDate(留空则为今天)的天数，仅在有未付金额时计算。"),
    ("Status: Open, Partly Paid, Paid or Credit. Python never trusts these columns: every run recomputes them.",
     "状态：未付、部分付款、已付清或贷项。Python 不读取这些列，每次运行都会重新计算。"),
)

SETUP: tuple[tuple[str, str], ...] = (
    ("1. Install Python 3.10+, xlfin and the xlwings version this workbook was built with: "
     "pip install xlfin xlwings=={xlwings}",
     "1. 安装 Python 3.10+、xlfin 以及与本工作簿匹配的 xlwings 版本：pip install xlfin xlwings=={xlwings}"),
    ("2. Enable macros for this file (a downloaded file: right-click → Properties → Unblock first).",
     "2. 为本文件启用宏(下载的文件需先右键 → 属性 → 解除锁定)。"),
    ("3. If Python is not on PATH, set Interpreter_Win in %USERPROFILE%\\.xlwings\\xlwings.conf "
     "(or run: xlwings config create).", "3. 若 Python 不在 PATH 中，请在 %USERPROFILE%\\.xlwings\\xlwings.conf 中设置 Interpreter_Win(或运行 xlwings config create)。"),
    ("4. The workbook runs stand-alone: the xlwings add-in is optional. Settings for xlwings are on the hidden sheet "
     "xlwings.conf.", "4. 本工作簿可独立运行，无需安装 xlwings 加载项。xlwings 的设置位于隐藏工作表 xlwings.conf。"),
    ("5. Without Excel: xlfin validate|reconcile|aging|scorecard|dunning|regenerate FILE.",
     "5. 不使用 Excel 时：xlfin validate|reconcile|aging|scorecard|dunning|regenerate 文件。"),
)

DASHBOARD_NOTE = ("Press Dashboard (or Regenerate All) on the xlfin tab to fill this sheet with KPIs and charts.",
                  "点击“客户财务”选项卡上的“仪表板”(或“全部重算”)生成关键指标和图表。")
XLWINGS_CONF_NOTE = (
    "xlwings settings for this workbook (keys in column A from A1, values in column B, no blank rows). A key listed "
    "here overrides xlwings.conf files and the add-in; delete a row to fall back to them.",
    "本工作簿的 xlwings 设置(A 列自 A1 起为键，B 列为值，中间不留空行)。此处列出的键优先于 xlwings.conf 文件和加载项；删除一行即改用它们的设置。",
)


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang == "zh-CN" else pair[0]
