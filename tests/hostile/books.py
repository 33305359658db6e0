"""Workbooks as a user might type them, written straight from SPEC §3 with openpyxl — not with xlfin's own writer,
template or demo generator, so that xlfin's readers meet books they did not make.

A book is drawn in two steps: a coherent ledger (customers, their invoices and credit notes, payments that settle some
of them) and then the hostile touches a real user adds — headers in English or Chinese in any order, their own extra
columns, blank rows in the middle, dates and amounts typed as text, duplicate and missing IDs, zero, negative and
sub-cent amounts, far past and far future dates, several currencies, everything disputed, overpayments.

The labels below are copied from SPEC §3.1 on purpose (not imported from xlfin.schema): the test must catch a schema
that drifts from the contract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

Lang = str  # "en" | "zh-CN"

# ---------------------------------------------------------------- SPEC §3.1 labels: key -> (en, zh-CN)

CUSTOMERS = {
    "customer_id": ("Customer ID", "客户编号"), "name": ("Customer Name", "客户名称"), "contact": ("Contact", "联系人"),
    "phone": ("Phone", "联系电话"), "email": ("Email", "邮箱"), "industry": ("Industry", "行业"),
    "region": ("Region", "地区"), "payment_terms_days": ("Payment Terms (days)", "付款周期(天)"),
    "credit_limit": ("Credit Limit", "信用额度"), "currency": ("Currency", "币种"), "status": ("Status", "状态"),
    "dunning_hold": ("Dunning Hold", "暂停催收"), "notes": ("Notes", "备注"),
}
INVOICES = {
    "invoice_no": ("Invoice No", "发票号"), "doc_type": ("Type", "类型"), "customer_id": ("Customer ID", "客户编号"),
    "invoice_date": ("Invoice Date", "开票日期"), "due_date": ("Due Date", "到期日"), "amount": ("Amount", "金额"),
    "currency": ("Currency", "币种"), "cost": ("Cost", "成本"), "project": ("Project", "合作项目"),
    "contract_no": ("Contract No", "合同编号"), "disputed": ("Disputed", "争议"), "notes": ("Notes", "备注"),
}
PAYMENTS = {
    "payment_id": ("Payment ID", "收款编号"), "payment_date": ("Payment Date", "收款日期"),
    "customer_id": ("Customer ID", "客户编号"), "payer_name": ("Payer", "付款方"), "amount": ("Amount", "金额"),
    "currency": ("Currency", "币种"), "method": ("Method", "付款方式"), "reference": ("Reference", "付款附言"),
    "applied_to": ("Applied To", "指定核销发票"), "notes": ("Notes", "备注"),
}
_FIN_KEYS = ("current_assets", "current_liabilities", "inventory", "cash", "total_assets", "total_liabilities",
             "equity", "retained_earnings", "revenue", "ebit", "interest_expense", "net_income",
             "operating_cash_flow", "market_value_equity")
_FIN_ZH = ("流动资产", "流动负债", "存货", "货币资金", "资产总额", "负债总额", "所有者权益", "留存收益", "营业收入",
           "息税前利润", "利息费用", "净利润", "经营活动现金流量", "股权市值")
FINANCIALS = {"customer_id": ("Customer ID", "客户编号"), "period_end": ("Period End", "报表截止日"),
              **{k: (k.replace("_", " ").title().replace("Ebit", "EBIT"), zh) for k, zh in zip(_FIN_KEYS, _FIN_ZH)}}

TABLES = {  # key -> (ListObject name, sheet en, sheet zh-CN, labels, required keys)
    "customers": ("tblCustomers", "Customers", "客户", CUSTOMERS, ("customer_id", "name")),
    "invoices": ("tblInvoices", "Invoices", "应收发票", INVOICES,
                 ("invoice_no", "customer_id", "invoice_date", "amount")),
    "payments": ("tblPayments", "Payments", "收款", PAYMENTS, ("payment_id", "payment_date", "amount")),
    "financials": ("tblFinancials", "Financials", "财务报表", FINANCIALS, ("customer_id", "period_end")),
}
CHOICES = {  # SPEC §3.1 enumerations, (en, zh-CN)
    "status": (("Active", "活跃"), ("On Hold", "暂停"), ("Closed", "关闭")),
    "doc_type": (("Invoice", "发票"), ("Credit Note", "贷项通知单")),
    "method": (("Bank Transfer", "银行转账"), ("Cheque", "支票"), ("Cash", "现金"), ("Card", "刷卡"), ("Other", "其他")),
    "yes_no": (("yes", "是"), ("no", "否")),
}

AS_OF = dt.date(2026, 11, 20)
FAR_PAST, FAR_FUTURE = dt.date(1900, 1, 1), dt.date(9999, 12, 31)


# ---------------------------------------------------------------- the book

@dataclass
class Sheet:
    """One table as typed: header labels in the user's order and rows of cell values."""

    key: str
    headers: list[str]
    rows: list[list[object]]
    as_table: bool = True  # an Excel Table (ListObject); otherwise a plain header row and data below it


@dataclass
class Book:
    lang: Lang
    sheets: list[Sheet]
    config: list[tuple[str, object]] | None  # tblConfig rows; None = no Config sheet at all
    user_sheet: bool = False  # a sheet of the user's own, not xlfin's
    notes: list[str] = field(default_factory=list)  # what is hostile about it, for reading a failure

    def __repr__(self) -> str:  # hypothesis prints the falsifying example: keep it readable
        parts = [f"lang={self.lang}", f"notes={self.notes}", f"config={self.config}"]
        for s in self.sheets:
            parts.append(f"{s.key}{'' if s.as_table else '(range)'}: {s.headers}")
            parts += [f"    {r}" for r in s.rows]
        return "Book(\n  " + "\n  ".join(parts) + "\n)"


def write_book(book: Book, path: Path) -> Path:
    """Save the book with openpyxl as a user's .xlsx: Excel Tables named as SPEC §3, sheets in the book's language."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in book.sheets:
        name, sheet_en, sheet_zh, _labels, _req = TABLES[sheet.key]
        ws = wb.create_sheet(sheet_en if book.lang == "en" else sheet_zh)
        _write_block(ws, sheet.headers, sheet.rows, name if sheet.as_table else None)
    if book.config is not None:
        ws = wb.create_sheet("Config" if book.lang == "en" else "设置")
        headers = ["Key", "Value"] if book.lang == "en" else ["参数", "值"]
        _write_block(ws, headers, [list(r) for r in book.config], "tblConfig")
    if book.user_sheet:
        ws = wb.create_sheet("My notes" if book.lang == "en" else "我的备注")
        ws["A1"] = "call Mr Li on Monday" if book.lang == "en" else "周一给李经理打电话"
        ws["B2"] = 1234.5
        ws["C3"] = dt.date(2026, 1, 2)
    wb.save(path)
    return path


def _write_block(ws, headers: list[str], rows: list[list[object]], table_name: str | None) -> None:
    for c, h in enumerate(headers, start=1):
        ws.cell(1, c, h)
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row, start=1):
            if v is None:
                continue
            cell = ws.cell(r, c, v)
            if isinstance(v, str) and v.startswith("="):
                cell.data_type = "s"  # typed as text (Excel's leading apostrophe), not a formula
            if isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
    if table_name:
        last = max(len(rows), 1) + 1  # Excel keeps one (blank) data row in an empty table
        table = Table(displayName=table_name, ref=f"A1:{get_column_letter(len(headers))}{last}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)


# ---------------------------------------------------------------- hostile values

def _text_date(d: dt.date, lang: Lang) -> list[str]:
    """The ways a user types a date as text in each locale."""
    if lang == "zh-CN":
        return [f"{d.year}年{d.month}月{d.day}日", f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month:02d}.{d.day:02d}"]
    return [f"{d.month}/{d.day}/{d.year}", d.isoformat(), f"{d.day}.{d.month}.{d.year}", d.strftime("%d %b %Y")]


@st.composite
def date_cell(draw, base: dt.date, lang: Lang, hostile: bool):
    d = base
    if not hostile:
        return d
    kind = draw(st.sampled_from(["date", "date", "text", "serial", "datetime", "far_past", "far_future", "junk",
                                 "blank"]))
    if kind == "text":
        return draw(st.sampled_from(_text_date(d, lang)))
    if kind == "serial":
        return (d - dt.date(1899, 12, 30)).days
    if kind == "datetime":
        return dt.datetime(d.year, d.month, d.day, 13, 45)
    if kind == "far_past":
        return draw(st.sampled_from([FAR_PAST, dt.date(1901, 6, 30), "1899-12-31", "0001-01-01"]))
    if kind == "far_future":
        return draw(st.sampled_from([FAR_FUTURE, dt.date(2199, 1, 1), "9999/12/31"]))
    if kind == "junk":
        return draw(st.sampled_from(["soon", "31/02/2026", "2026-13-01", "下个月", "TBD", -5, 3.5e7]))
    if kind == "blank":
        return draw(st.sampled_from([None, "", "  "]))
    return d


@st.composite
def money_cell(draw, cents: int, currency: str, hostile: bool):
    value = cents / 100
    if not hostile:
        return value
    kind = draw(st.sampled_from(["number", "number", "int", "text_sep", "text_sign", "zero", "negative", "subcent",
                                 "huge", "junk", "blank"]))
    if kind == "int":
        return cents // 100
    if kind == "text_sep":
        return f"{value:,.2f}"
    if kind == "text_sign":
        sign = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£"}.get(currency, "")
        return draw(st.sampled_from([f"{sign}{value:,.2f}", f"{currency} {value:,.2f}", f"{value:,.2f} {currency}",
                                     f"￥{value:,.2f}", f"({value:,.2f})"]))
    if kind == "zero":
        return draw(st.sampled_from([0, 0.0, "0.00"]))
    if kind == "negative":
        return -value
    if kind == "subcent":
        return draw(st.sampled_from([0.004, 0.005, 0.001, value + 0.0049, "0.004"]))
    if kind == "huge":
        return draw(st.sampled_from([1e12, 99999999999.99, 1e15]))
    if kind == "junk":
        return draw(st.sampled_from(["12O0", "n/a", "一千", "1.234,56", "--", True]))
    if kind == "blank":
        return None
    return value


def _choice(draw, name: str, lang: Lang, hostile: bool, index: int | None = None):
    options = CHOICES[name]
    pick = options[index] if index is not None else draw(st.sampled_from(options))
    if hostile and draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from([None, "", "maybe", pick[0].upper(), f" {pick[1]} ", "Y", "N", 1, 0]))
    return pick[0] if lang == "en" else pick[1]


# ---------------------------------------------------------------- the ledger, then the book

CURRENCIES = ("USD", "CNY", "EUR")


@st.composite
def books(draw) -> Book:  # noqa: C901 - one place that lists every hostile touch keeps the generator readable
    lang = draw(st.sampled_from(["en", "zh-CN"]))
    hostile = draw(st.booleans())
    notes: list[str] = []
    base_ccy = "USD" if lang == "en" else "CNY"
    multi_ccy = draw(st.booleans()) and hostile
    scenario = draw(st.sampled_from(["mixed", "all_paid", "all_disputed", "overpaid", "no_payments", "empty",
                                     "one_row", "no_credit_notes"]))
    notes.append(scenario)
    if multi_ccy:
        notes.append("several currencies")

    n_cust = {"empty": 0, "one_row": 1}.get(scenario, draw(st.integers(1, 5)))
    n_inv = {"empty": 0, "one_row": 1}.get(scenario, draw(st.integers(0, 10)) if n_cust else 0)
    customers: list[dict] = []
    for i in range(n_cust):
        ccy = draw(st.sampled_from(CURRENCIES)) if multi_ccy else (None if draw(st.booleans()) else base_ccy)
        customers.append({
            "customer_id": f"C{i + 1:03d}", "name": f"Customer {i + 1} Ltd" if lang == "en" else f"客户{i + 1}有限公司",
            "contact": "Ann Lee" if lang == "en" else "李娜", "phone": "+1 555 0100" if lang == "en" else "021-5555 0100",
            "email": f"ar{i}@example.com", "industry": "Retail", "region": "North",
            "payment_terms_days": draw(st.sampled_from([None, 0, 30, 45, 60])),
            "credit_limit": draw(st.integers(0, 5_000_000)), "currency": ccy,
            "status": _choice(draw, "status", lang, hostile, index=None if hostile else 0),
            "dunning_hold": _choice(draw, "yes_no", lang, hostile, index=None if hostile else 1), "notes": None,
        })
    invoices: list[dict] = []
    allow_credit = scenario not in ("no_credit_notes", "one_row") and draw(st.booleans())
    for j in range(n_inv):
        cust = customers[draw(st.integers(0, n_cust - 1))]
        days_back = draw(st.integers(0, 400))
        inv_date = AS_OF - dt.timedelta(days=days_back)
        is_credit = allow_credit and draw(st.integers(0, 4)) == 0
        invoices.append({
            "invoice_no": f"INV-{j + 1:04d}", "doc_type": 1 if is_credit else (0 if draw(st.booleans()) else None),
            "customer_id": cust["customer_id"], "invoice_date": inv_date,
            "due_date": None if draw(st.integers(0, 3)) == 0 else inv_date + dt.timedelta(days=30),
            "cents": draw(st.integers(1, 2_000_000)), "currency": cust["currency"] or base_ccy,
            "cost": None, "project": None, "contract_no": None,
            "disputed": scenario == "all_disputed" or draw(st.integers(0, 6)) == 0, "notes": None,
        })
    if any(i["doc_type"] == 1 for i in invoices):
        notes.append("credit notes")
    payments: list[dict] = []
    if scenario not in ("no_payments", "empty"):
        for k, inv in enumerate(i for i in invoices if i["doc_type"] != 1):
            paid = scenario in ("all_paid", "overpaid") or draw(st.integers(0, 2)) == 0
            if not paid:
                continue
            cents = inv["cents"] + (draw(st.integers(1, 500_00)) if scenario == "overpaid" else 0)
            if scenario == "mixed" and draw(st.booleans()):
                cents = max(1, cents // 2)  # part payment
            how = draw(st.sampled_from(["applied_to", "reference", "amount_only", "payer_only"]))
            payments.append({
                "payment_id": f"P{k + 1:04d}",
                "payment_date": min(AS_OF, inv["invoice_date"] + dt.timedelta(days=draw(st.integers(0, 90)))),
                "customer_id": None if how == "payer_only" else inv["customer_id"],
                "payer_name": next(c["name"] for c in customers if c["customer_id"] == inv["customer_id"]),
                "cents": cents, "currency": inv["currency"], "method": draw(st.integers(0, 4)),
                "reference": f"payment {inv['invoice_no']}" if how == "reference" else None,
                "applied_to": inv["invoice_no"] if how == "applied_to" else None, "notes": None,
            })
    financials: list[dict] | None = None
    if draw(st.booleans()) and customers:
        financials = []
        for c in customers[: draw(st.integers(0, len(customers)))]:
            total = draw(st.integers(1_000_000, 50_000_000_00))
            financials.append({"customer_id": c["customer_id"], "period_end": dt.date(2025, 12, 31),
                               "current_assets": total // 3, "current_liabilities": total // 4,
                               "inventory": total // 10, "cash": total // 20, "total_assets": total,
                               "total_liabilities": total // 2, "equity": total // 2,
                               "retained_earnings": total // 5, "revenue": total, "ebit": total // 12,
                               "interest_expense": draw(st.sampled_from([0, total // 100])),
                               "net_income": total // 20, "operating_cash_flow": total // 15,
                               "market_value_equity": None})
    else:
        notes.append("no financials")

    sheets = [
        _sheet(draw, "customers", [_customer_row(draw, c, lang, hostile) for c in customers], lang, hostile, notes),
        _sheet(draw, "invoices", [_invoice_row(draw, i, lang, hostile) for i in invoices], lang, hostile, notes),
        _sheet(draw, "payments", [_payment_row(draw, p, lang, hostile) for p in payments], lang, hostile, notes),
    ]
    if financials is not None:
        rows = [_fin_row(draw, f, lang, hostile) for f in financials]
        if hostile and rows and draw(st.booleans()):  # two statements for one customer, the newer one counts
            rows.append({**rows[0], "period_end": draw(date_cell(dt.date(2026, 6, 30), lang, hostile))})
        sheets.append(_sheet(draw, "financials", rows, lang, hostile, notes))
    if hostile and draw(st.booleans()):
        _duplicate_or_drop_ids(draw, sheets, notes)
    config = _config(draw, lang, hostile, notes)
    return Book(lang=lang, sheets=sheets, config=config, user_sheet=draw(st.booleans()), notes=notes)


def _customer_row(draw, c: dict, lang: Lang, hostile: bool) -> dict:
    row = dict(c)
    row["credit_limit"] = draw(money_cell(c["credit_limit"] * 100, c["currency"] or "", hostile))
    if hostile and draw(st.integers(0, 5)) == 0:
        row["payment_terms_days"] = draw(st.sampled_from([-5, "30 days", 30.5, "三十"]))
    if hostile and draw(st.integers(0, 5)) == 0:
        row["currency"] = draw(st.sampled_from(["usd", "RMB", "XX1", " EUR "]))
    if hostile and draw(st.integers(0, 6)) == 0:
        row["email"] = draw(st.sampled_from(["not an email", "a@b", "=HYPERLINK(\"http://x\")"]))
    return row


def _invoice_row(draw, inv: dict, lang: Lang, hostile: bool) -> dict:
    row = dict(inv)
    row["doc_type"] = None if inv["doc_type"] is None else _choice(draw, "doc_type", lang, hostile, inv["doc_type"])
    row["invoice_date"] = draw(date_cell(inv["invoice_date"], lang, hostile))
    row["due_date"] = None if inv["due_date"] is None else draw(date_cell(inv["due_date"], lang, hostile))
    row["amount"] = draw(money_cell(inv["cents"], inv["currency"], hostile))
    row["disputed"] = _choice(draw, "yes_no", lang, hostile, 0 if inv["disputed"] else 1)
    if hostile and draw(st.integers(0, 8)) == 0:
        row["customer_id"] = draw(st.sampled_from(["C999", None, " c001 ", 1]))
    if hostile and draw(st.integers(0, 8)) == 0:  # due before the invoice date, or typed as terms
        row["due_date"] = draw(st.sampled_from([inv["invoice_date"] - dt.timedelta(days=10), 30, "net 30"]))
    if hostile and draw(st.integers(0, 8)) == 0:
        row["currency"] = draw(st.sampled_from(["EUR", "usd", "", "元"]))
    return row


def _payment_row(draw, p: dict, lang: Lang, hostile: bool) -> dict:
    row = dict(p)
    row["payment_date"] = draw(date_cell(p["payment_date"], lang, hostile))
    row["amount"] = draw(money_cell(p["cents"], p["currency"], hostile))
    row["method"] = _choice(draw, "method", lang, hostile, p["method"])
    if hostile and draw(st.integers(0, 6)) == 0:
        row["reference"] = draw(st.sampled_from(["=1+1", "@SUM(A1)", "inv0001 inv-0002; INV 3", "发票INV-0001货款"]))
    if hostile and draw(st.integers(0, 6)) == 0:
        row["applied_to"] = draw(st.sampled_from(["INV-9999", "INV-0001, INV-0002", "INV-0001;INV-0001", "all"]))
    return row


def _fin_row(draw, f: dict, lang: Lang, hostile: bool) -> dict:
    row = {k: (v / 100 if isinstance(v, int) else v) for k, v in f.items()}
    if hostile and draw(st.booleans()):  # statements that break ratios: nothing to divide by, negative equity, text
        key = draw(st.sampled_from(["total_assets", "current_liabilities", "interest_expense", "equity", "revenue",
                                    "total_liabilities", "ebit"]))
        row[key] = draw(st.sampled_from([0, -row["total_assets"], None, "1,000", "n/a", 1e15]))
    if hostile and draw(st.integers(0, 5)) == 0:
        row["period_end"] = draw(date_cell(f["period_end"], lang, hostile))
    return row


def _sheet(draw, key: str, records: list[dict], lang: Lang, hostile: bool, notes: list[str]) -> Sheet:
    _name, _en, _zh, labels, required = TABLES[key]
    keys = list(labels)
    if hostile:  # optional columns left out, in any order, plus the user's own columns
        keys = [k for k in keys if k in required or draw(st.integers(0, 3)) > 0]
        if draw(st.integers(0, 12)) == 0:
            gone = draw(st.sampled_from(required))
            keys.remove(gone)
            notes.append(f"{key}: required column {gone} missing")
        keys = draw(st.permutations(keys))
    lang_of = lambda k: 1 if lang == "zh-CN" else 0  # noqa: E731 - the header language of a column
    headers = [labels[k][lang_of(k)] for k in keys]
    if hostile and draw(st.integers(0, 3)) == 0:  # a header typed in the other language, or with stray spaces
        i = draw(st.integers(0, len(headers) - 1))
        headers[i] = draw(st.sampled_from([f"  {headers[i]} ", labels[keys[i]][1 - lang_of(keys[i])],
                                           headers[i].upper()]))
    rows = [[rec.get(k) for k in keys] for rec in records]
    if hostile and draw(st.booleans()):
        extra = draw(st.sampled_from(["My Ref", "Sales Rep", "内部备注", "Amount (old)"]))
        at = draw(st.integers(0, len(headers)))
        headers.insert(at, extra)
        for r in rows:
            r.insert(at, draw(st.sampled_from([None, "x", 42, "=SUM(1,2)", dt.date(2020, 1, 1)])))
        notes.append(f"{key}: extra column {extra!r}")
    if hostile and rows and draw(st.booleans()):
        at = draw(st.integers(0, len(rows)))
        rows[at:at] = [[None] * len(headers)] * draw(st.integers(1, 2))
        notes.append(f"{key}: blank rows in the middle")
    as_table = not hostile or draw(st.integers(0, 5)) > 0
    return Sheet(key, headers, rows, as_table)


def _duplicate_or_drop_ids(draw, sheets: list[Sheet], notes: list[str]) -> None:
    sheet = draw(st.sampled_from([s for s in sheets if s.key != "financials"]))
    id_key = {"customers": "customer_id", "invoices": "invoice_no", "payments": "payment_id"}[sheet.key]
    labels = TABLES[sheet.key][3][id_key]
    col = next((i for i, h in enumerate(sheet.headers) if h.strip() in labels or h.strip().lower() in
                (lab.lower() for lab in labels)), None)
    data = [r for r in sheet.rows if any(v is not None for v in r)]
    if col is None or not data:
        return
    row = draw(st.sampled_from(data))
    if len(data) > 1 and draw(st.booleans()):
        other = draw(st.sampled_from([r for r in data if r is not row]))
        row[col] = other[col]
        notes.append(f"{sheet.key}: duplicate {id_key}")
    else:
        row[col] = draw(st.sampled_from([None, "", "   "]))
        notes.append(f"{sheet.key}: missing {id_key}")


def _config(draw, lang: Lang, hostile: bool, notes: list[str]) -> list[tuple[str, object]] | None:
    if hostile and draw(st.integers(0, 4)) == 0:
        notes.append("no Config")
        return None
    as_of: object = AS_OF
    if hostile and draw(st.integers(0, 3)) == 0:
        as_of = draw(st.sampled_from([AS_OF.isoformat(), "2026年11月20日", "11/20/2026", None, "someday",
                                      dt.date(2199, 1, 1), dt.date(1950, 1, 1)]))
        notes.append(f"as_of {as_of!r}")
    rows: list[tuple[str, object]] = [("as_of_date", as_of), ("language", lang),
                                      ("base_currency", "USD" if lang == "en" else "CNY")]
    if hostile and draw(st.booleans()):
        rows.append(draw(st.sampled_from([("reconcile_fifo", "no"), ("dunning_min_amount", 0),
                                          ("dunning_interest_pa", 8), ("aging_edges", "15,45"),
                                          ("allow_mixed_currency", "yes"), ("aging_basis", "invoice"),
                                          ("default_terms_days", "abc"), ("grade_cutoffs", "1,2")])))
    return rows
