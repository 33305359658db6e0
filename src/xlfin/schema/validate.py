"""Validation of a whole workbook: every cell typed, every rule of SPEC §3.1 checked, every finding addressed.

`validate_workbook` coerces each raw table (`xlfin.schema.frames.coerce_table`), checks the per-column and cross-table
rules, fills the blanks that have a meaning (`apply_defaults`) and returns the typed frames with the problems.
Errors make the workbook unfit for the engine (`xlfin validate` exits 1); warnings are worth a look (exit 0).

Problem codes (stable; tests, filters and docs rely on them):

| code                       | severity | meaning                                                               |
|----------------------------|----------|-----------------------------------------------------------------------|
| missing_column             | error    | a required column is not in the table                                 |
| required                   | error    | a required cell is blank                                              |
| duplicate_key              | error    | a value that must be unique appears more than once (every row listed)  |
| bad_amount                 | error    | not an amount of money                                                |
| bad_int                    | error    | not a whole number                                                    |
| bad_number                 | error    | not a number                                                          |
| bad_date                   | error    | not a date (or outside 1677–2262)                                     |
| ambiguous_date             | error    | year-last text whose day and month could be swapped (01/03/2026)      |
| bad_choice                 | error    | not one of a closed list (Type, Status, Method, yes/no, ...)          |
| bad_currency               | error    | not a three-letter currency code                                      |
| unknown_currency           | warning  | three letters, but not a common ISO 4217 code                         |
| below_minimum              | error    | below the column's minimum (e.g. a negative credit limit)             |
| not_positive               | error    | must be greater than zero (amounts, plan totals)                      |
| bad_email                  | error    | not an email address                                                  |
| bad_phone                  | error    | not a plausible phone number (6–20 digits besides + ( ) - . spaces, extension) |
| unknown_customer           | error    | the Customer ID is not in the Customers table                         |
| due_before_invoice         | error    | due date before the invoice date                                      |
| currency_mismatch          | error    | invoice currency differs from the customer's (Config allow_mixed_currency=no) |
| unknown_invoice            | error    | Applied To / plan Invoices names an invoice that does not exist       |
| future_payment             | error    | payment dated after the as-of date                                    |
| unbalanced_balance_sheet   | warning  | total assets differ from liabilities + equity by more than 1 %        |
| over_credit_limit          | warning  | the customer's balance (invoices − credit notes − payments) exceeds its credit limit |
| credit_exceeds_invoices    | warning  | a customer's credit notes exceed its invoices                         |
| dunning_levels_order       | error    | a dunning level does not start later than the level before it          |
| config_bad_value           | error    | a Config value cannot be used; its default stands                     |
| config_unknown_key         | warning  | a Config key xlfin does not know (ignored)                            |
| config_unusual_currency    | warning  | the base currency is not a common ISO 4217 code                       |

Messages exist in en and zh-CN (`MESSAGES`); the workbook's language (Config `language`) picks one.

Rows left out. An error that makes a row unusable or ambiguous leaves that row out of every calculation
(`ValidationReport.usable`), and its message says so: a blank or unreadable required value; a duplicate Invoice No or
Payment ID (every row carrying the number: which one a payment meant cannot be known); a later duplicate Customer ID
(the first row describes the customer); an amount that is not > 0 (also one that rounds to 0.00); an invoice,
payment, financials or plan row of an unknown customer; a due date before the invoice date; an invoice Type that is
not Invoice / Credit Note (guessing "Invoice" could turn a credit into a debt); a payment dated after the as-of date.
docs/finance-rules.md §1.3 is the user-facing statement of this rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine.openitems import is_credit_note
from .frames import (
    Problem,
    apply_defaults,
    blank_mask,
    coerce_table,
    empty_frame,
    problem_sort_key,
    problems_frame,
    text_value,
)
from xlfin.schema import CONFIG, CURRENCIES, DUNNING_LEVELS, INPUT_TABLES, Column, Lang, Table
from xlfin.schema.i18n import t as _t
from .settings import DEFAULT_DUNNING_LEVELS, ConfigProblem, Settings
from .tables import RawTable, quote_sheet

__all__ = [
    "MESSAGES",
    "SEVERITY",
    "ValidationReport",
    "is_plausible_phone",
    "is_valid_email",
    "message",
    "split_invoice_list",
    "validate_workbook",
]

MESSAGES: dict[str, dict[str, str]] = {
    "missing_column": {"en": "Column {column} is missing from the table",
                       "zh-CN": "表格缺少列「{column}」"},
    "required": {"en": "{column} is required",
                 "zh-CN": "「{column}」为必填项"},
    "duplicate_key": {"en": "{column} {value} appears {count} times; it must be unique",
                      "zh-CN": "「{column}」{value} 出现 {count} 次，必须唯一"},
    "bad_amount": {"en": "{column}: {value} is not an amount",
                   "zh-CN": "「{column}」：{value} 不是有效金额"},
    "bad_int": {"en": "{column}: {value} is not a whole number",
                "zh-CN": "「{column}」：{value} 不是整数"},
    "bad_number": {"en": "{column}: {value} is not a number",
                   "zh-CN": "「{column}」：{value} 不是数字"},
    "bad_date": {"en": "{column}: {value} is not a date (e.g. 2026-03-05)",
                 "zh-CN": "「{column}」：{value} 不是有效日期（例如 2026-03-05 或 2026年3月5日）"},
    "ambiguous_date": {"en": "{column}: {value} could be day/month or month/day; write it as 2026-03-05",
                       "zh-CN": "「{column}」：{value} 无法确定是日/月还是月/日，请写成 2026-03-05 格式"},
    "bad_choice": {"en": "{column}: {value} is not one of {allowed}",
                   "zh-CN": "「{column}」：{value} 不在可选值 {allowed} 之中"},
    "bad_currency": {"en": "{column}: {value} is not a three-letter currency code (ISO 4217, e.g. USD)",
                     "zh-CN": "「{column}」：{value} 不是三位字母币种代码（ISO 4217，例如 CNY）"},
    "unknown_currency": {"en": "{column}: {value} is not a common ISO 4217 currency code; check it",
                         "zh-CN": "「{column}」：{value} 不是常用的 ISO 4217 币种代码，请核对"},
    "below_minimum": {"en": "{column}: {value} must be at least {minimum}",
                      "zh-CN": "「{column}」：{value} 不能小于 {minimum}"},
    "not_positive": {"en": "{column}: {value} must be greater than zero",
                     "zh-CN": "「{column}」：{value} 必须大于零"},
    "bad_email": {"en": "{column}: {value} is not a valid email address",
                  "zh-CN": "「{column}」：{value} 不是有效的邮箱地址"},
    "bad_phone": {"en": "{column}: {value} is not a plausible phone number (6 to 20 digits)",
                  "zh-CN": "「{column}」：{value} 不是有效的电话号码（应为 6 至 20 位数字）"},
    "unknown_customer": {"en": "{column}: customer {value} is not in the Customers table",
                         "zh-CN": "「{column}」：客户 {value} 不在客户表中"},
    "due_before_invoice": {"en": "{column}: {value} is before the invoice date {invoice_date}",
                           "zh-CN": "「{column}」：{value} 早于开票日期 {invoice_date}"},
    "currency_mismatch": {"en": "{column}: {value} differs from the customer's currency {expected}",
                          "zh-CN": "「{column}」：{value} 与客户币种 {expected} 不一致"},
    "unknown_invoice": {"en": "{column}: invoice {value} does not exist",
                        "zh-CN": "「{column}」：发票 {value} 不存在"},
    "future_payment": {"en": "{column}: {value} is after the as-of date {as_of}",
                       "zh-CN": "「{column}」：{value} 晚于账龄基准日 {as_of}"},
    "unbalanced_balance_sheet": {
        "en": "Balance sheet of {period}: total assets {assets} ≠ total liabilities {liabilities} + equity {equity} "
              "(difference {difference})",
        "zh-CN": "{period} 资产负债表不平衡：资产总额 {assets} ≠ 负债总额 {liabilities} + 所有者权益 {equity}"
                 "（差额 {difference}）"},
    "over_credit_limit": {"en": "Balance of about {outstanding} exceeds the credit limit {limit}",
                          "zh-CN": "应收余额约 {outstanding}，超过信用额度 {limit}"},
    "credit_exceeds_invoices": {
        "en": "Credit notes of customer {customer} total {credits}, more than its invoices ({invoices})",
        "zh-CN": "客户 {customer} 的贷项通知单合计 {credits}，超过其发票合计（{invoices}）"},
    "dunning_levels_order": {"en": "Level {value} starts at {from_days} days, not later than the level before it",
                             "zh-CN": "催收级别 {value} 的起始逾期天数 {from_days} 不晚于上一级别"},
    "config_bad_value": {"en": "Config {key}: {detail}; the default is used",
                         "zh-CN": "设置项 {key} 的值无效，已使用默认值：{detail}"},
    "config_unknown_key": {"en": "Unknown Config key {key} (ignored)",
                           "zh-CN": "未知的设置项 {key}（已忽略）"},
    "config_unusual_currency": {"en": "Config {key}: {detail}",
                                "zh-CN": "设置项 {key}：记账本位币不是常用的 ISO 4217 币种代码，请核对"},
}

_WARNINGS = {"unknown_currency", "unbalanced_balance_sheet", "over_credit_limit", "credit_exceeds_invoices",
             "config_unknown_key", "config_unusual_currency"}
SEVERITY: dict[str, str] = {code: ("warning" if code in _WARNINGS else "error") for code in MESSAGES}

_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+(?<!\.)"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$")
_PHONE_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#|转|分机)\s*\d{1,6}\s*$", re.IGNORECASE)
_PHONE_SEPARATORS = re.compile(r"[\s+()\-./]")
_INVOICE_SEPARATORS = re.compile(r"[,;，；、\s]+")


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def message(code: str, lang: Lang, **values: Any) -> str:
    """The message for `code` in `lang` (en when the language is unknown); unknown placeholders stay visible."""
    texts = MESSAGES.get(code)
    if texts is None:
        return f"{code}: " + ", ".join(f"{k}={v}" for k, v in values.items())
    return texts.get(lang, texts["en"]).format_map(_Missing(values))


def is_valid_email(text: str) -> bool:
    """No spaces, one @, a dotted domain with a 2+ letter top level; quoted local parts are not accepted."""
    return bool(_EMAIL.match(text.strip()))


def is_plausible_phone(text: str) -> bool:
    """6–20 digits once + ( ) - . / spaces and a trailing extension (ext. 12, x12, 转12) are removed."""
    core = _PHONE_SEPARATORS.sub("", _PHONE_EXTENSION.sub("", text.strip()))
    return core.isdigit() and core.isascii() and 6 <= len(core) <= 20


def split_invoice_list(text: str | None) -> list[str]:
    """'INV-1, INV-2; INV-3 INV-4' -> ['INV-1', 'INV-2', 'INV-3', 'INV-4'] (also Chinese separators ，；、)."""
    if not text:
        return []
    return [t for t in _INVOICE_SEPARATORS.split(str(text).strip()) if t]


@dataclass
class ValidationReport:
    """Problems found, typed frames (defaults applied) and the counts behind the exit code."""

    problems: list[Problem]
    frames: dict[str, pd.DataFrame]
    errors: int = 0
    warnings: int = 0
    settings: Settings | None = field(default=None, repr=False)
    left_out: dict[str, np.ndarray] = field(default_factory=dict)  # table key -> bool mask over frames[key]

    def usable(self, key: str) -> pd.DataFrame:
        """The frame of `key` without the rows validation left out (positions renumbered from 0)."""
        df = self.frames[key]
        mask = self.left_out.get(key)
        if mask is None or not mask.any():
            return df.reset_index(drop=True)
        return df[~mask].reset_index(drop=True)

    def customers_with_left_out(self, key: str) -> list[str]:
        """Customer IDs named by the rows of `key` that were left out (blank ids do not count)."""
        df, mask = self.frames.get(key), self.left_out.get(key)
        if df is None or mask is None or "customer_id" not in df.columns:
            return []
        return sorted({str(c) for c in df["customer_id"][mask] if c is not None and not pd.isna(c)})

    def left_out_counts(self) -> dict[str, int]:
        """Rows left out per table (only tables with any)."""
        return {k: int(m.sum()) for k, m in self.left_out.items() if m.any()}

    def exit_code(self) -> int:
        """0 when clean or only warnings, 1 when any error (SPEC §7)."""
        return 1 if self.errors else 0

    def problems_frame(self) -> pd.DataFrame:
        return problems_frame(self.problems)

    @property
    def ok(self) -> bool:
        return self.errors == 0


# ---------------------------------------------------------------- formatting values in messages


def _fmt_money(cents: Any) -> str:
    c = int(cents)
    sign = "-" if c < 0 else ""
    whole, frac = divmod(abs(c), 100)
    return f"{sign}{whole:,}.{frac:02d}"


def _fmt_date(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def _fmt_number(value: Any) -> str:
    f = float(value)
    return str(int(f)) if f.is_integer() else f"{f:g}"


def _fmt(column: Column, value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "''"
    if column.type == "money":
        return _fmt_money(value)
    if column.type == "date":
        return _fmt_date(value)
    if column.type in ("int", "float", "pct"):
        return _fmt_number(value)
    return f"'{text_value(value)}'"


# ---------------------------------------------------------------- the checker


class _Checker:
    """Collects problems for one workbook; knows each table's raw cells (for addresses) and typed frame."""

    def __init__(self, raws: Mapping[str, RawTable], settings: Settings):
        self.raws = raws
        self.settings = settings
        self.lang: Lang = "zh-CN" if settings.language == "zh-CN" else "en"
        self.problems: list[Problem] = []
        self.frames: dict[str, pd.DataFrame] = {}
        self.left_out: dict[str, set[int]] = {}  # table key -> frame positions left out of the calculations
        self.blanks: dict[str, dict[str, np.ndarray]] = {}  # table key -> column key -> blank raw cells

    def raw_blanks(self, table_key: str, key: str) -> np.ndarray:
        """blank_mask of a raw column over all raw rows (computed once, by coerce_table)."""
        known = self.blanks.setdefault(table_key, {})
        if key not in known:
            known[key] = blank_mask(self.raws[table_key].frame[key].reset_index(drop=True))
        return known[key]

    def leave_out(self, table_key: str, positions: Iterable[int]) -> None:
        self.left_out.setdefault(table_key, set()).update(int(p) for p in positions)

    def label(self, table: Table, key: str) -> str:
        return table.column(key).label(self.lang)

    def emit(self, table_key: str, positions: Iterable[int], code: str, key: str | None,
             values: Any = None, severity: str | None = None, leave_out: bool = False) -> None:
        """One problem per frame position. `values(pos) -> dict` supplies the message's placeholders.

        `leave_out`: the rows cannot be used (or used safely) by the engine and are left out of every calculation."""
        raw = self.raws[table_key]
        df = self.frames[table_key]
        table = raw.table
        positions = [int(p) for p in positions]
        if not positions:
            return
        if leave_out:
            self.leave_out(table_key, positions)
        rows = df["_row"].to_numpy()
        key_values = df[table.row_key] if table.row_key else None
        column = self.label(table, key) if key else ""
        for pos in positions:
            extra = values(pos) if callable(values) else dict(values or {})
            rk = text_value(key_values.iat[pos]) if key_values is not None else None
            self.problems.append(Problem(
                severity or SEVERITY[code], raw.sheet, raw.cell(key, int(rows[pos])), column, rk or "", code,
                message(code, self.lang, column=column, **extra)))

    # ------------------------------------------------------------ per-column rules

    def column_rules(self, table_key: str) -> None:
        raw = self.raws[table_key]
        df = self.frames[table_key]
        rows = df["_row"].to_numpy()
        for c in raw.table.input_columns:
            if c.key not in df.columns:
                continue
            s = df[c.key]
            if c.required and c.key in raw.frame.columns:
                empty = self.raw_blanks(table_key, c.key)[rows] if len(rows) else np.zeros(0, bool)
                self.emit(table_key, np.flatnonzero(empty), "required", c.key, leave_out=_excludes(table_key, c.key))
            if c.unique:
                self.unique(table_key, c, s)
            if c.type in ("money", "int", "float", "pct") and (c.positive or c.minimum is not None):
                self.bounds(table_key, c, s)
            if c.type in ("email", "phone", "currency"):
                self.formats(table_key, c, s)

    def unique(self, table_key: str, c: Column, s: pd.Series) -> None:
        present = s.notna().to_numpy()
        if not present.any():
            return
        values = s.astype(object)
        dup = values.duplicated(keep=False).to_numpy() & present
        if not dup.any():
            return
        counts = values[dup].value_counts()
        self.emit(table_key, np.flatnonzero(dup), "duplicate_key", c.key,
                  lambda p: {"value": _fmt(c, values.iat[p]), "count": int(counts[values.iat[p]])})
        if table_key == "customers":  # the first row describes the customer; invoices name the id, not the row
            self.leave_out(table_key, np.flatnonzero(values.duplicated(keep="first").to_numpy() & present))
        elif table_key in _DOCUMENT_TABLES:  # which of the rows a payment or a person meant cannot be known
            self.leave_out(table_key, np.flatnonzero(dup))

    def bounds(self, table_key: str, c: Column, s: pd.Series) -> None:
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        scale = 100.0 if c.type == "money" else 1.0
        present = ~np.isnan(x)
        if c.positive:
            bad = present & (x <= 0)
            raw = self.raws[table_key]
            rows = self.frames[table_key]["_row"].to_numpy()

            def shown(p: int) -> str:
                # 0.004 reads as 0.00: show what was typed as well, so the message explains itself
                value = _fmt(c, s.iat[p])
                typed = _raw_value(raw, c.key, int(rows[p])) if c.type == "money" and x[p] == 0 else None
                if typed is not None and _nonzero_number(typed):
                    return f"'{typed}' (= {value})"
                return value

            self.emit(table_key, np.flatnonzero(bad), "not_positive", c.key, lambda p: {"value": shown(p)},
                      leave_out=_excludes(table_key, c.key))
        if c.minimum is not None:
            bad = present & (x < c.minimum * scale)
            if c.positive:
                bad &= x > 0  # already reported as not positive
            minimum = _fmt_money(round(c.minimum * 100)) if c.type == "money" else _fmt_number(c.minimum)
            self.emit(table_key, np.flatnonzero(bad), "below_minimum", c.key,
                      lambda p: {"value": _fmt(c, s.iat[p]), "minimum": minimum})

    def formats(self, table_key: str, c: Column, s: pd.Series) -> None:
        values = s.to_numpy(dtype=object)
        present = s.notna().to_numpy()
        if c.type == "currency":
            bad = present & ~s.isin(CURRENCIES).to_numpy()
            code = "unknown_currency"
        else:
            test = is_valid_email if c.type == "email" else is_plausible_phone
            codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
            ok = np.array([test(str(u)) for u in uniques] + [True], dtype=bool)
            bad = ~ok[codes]
            code = "bad_email" if c.type == "email" else "bad_phone"
        self.emit(table_key, np.flatnonzero(bad), code, c.key, lambda p: {"value": f"'{values[p]}'"})

    def financial_duplicates(self) -> None:
        df = self.frames["financials"]
        both = df["customer_id"].notna() & df["period_end"].notna()
        pairs = df["customer_id"].astype(object) + " " + df["period_end"].dt.strftime("%Y-%m-%d").astype(object)
        dup = (pairs.duplicated(keep=False) & both).to_numpy()
        counts = pairs[dup].value_counts()
        self.emit("financials", np.flatnonzero(dup), "duplicate_key", "period_end",
                  lambda p: {"value": f"'{pairs.iat[p]}'", "count": int(counts[pairs.iat[p]])}, leave_out=True)


# ---------------------------------------------------------------- cross-table rules


def _customer_index(frames: dict[str, pd.DataFrame]) -> pd.Series | None:
    cus = frames.get("customers")
    if cus is None:
        return None
    ids = cus["customer_id"].dropna()
    return pd.Series(ids.index.to_numpy(), index=ids.to_numpy())[lambda s: ~s.index.duplicated(keep="first")]


def _unknown_customers(ck: _Checker, known: pd.Series) -> None:
    for table_key in ("invoices", "payments", "financials", "payment_plans"):
        if table_key not in ck.raws:
            continue
        ids = ck.frames[table_key]["customer_id"]
        bad = (ids.notna() & ~ids.isin(known.index)).to_numpy()
        ck.emit(table_key, np.flatnonzero(bad), "unknown_customer", "customer_id",
                lambda p, ids=ids: {"value": f"'{ids.iat[p]}'"}, leave_out=True)


def _invoice_rules(ck: _Checker, defaults: dict[str, pd.DataFrame]) -> None:
    inv = ck.frames["invoices"]
    due, issued = inv["due_date"], inv["invoice_date"]
    early = (due.notna() & issued.notna() & (due < issued)).to_numpy()
    ck.emit("invoices", np.flatnonzero(early), "due_before_invoice", "due_date",
            lambda p: {"value": _fmt_date(due.iat[p]), "invoice_date": _fmt_date(issued.iat[p])}, leave_out=True)
    if ck.settings.allow_mixed_currency or "customers" not in defaults:
        return
    cus = defaults["customers"]
    currency_of = pd.Series(cus["currency"].to_numpy(dtype=object), index=cus["customer_id"].to_numpy())
    currency_of = currency_of[~currency_of.index.duplicated(keep="first") & currency_of.index.notna()]
    expected = inv["customer_id"].map(currency_of)
    mismatch = (inv["currency"].notna() & expected.notna() & (inv["currency"] != expected)).to_numpy()
    ck.emit("invoices", np.flatnonzero(mismatch), "currency_mismatch", "currency",
            lambda p: {"value": f"'{inv['currency'].iat[p]}'", "expected": expected.iat[p]})


def _invoice_references(ck: _Checker) -> None:
    numbers = ck.frames["invoices"]["invoice_no"].dropna() if "invoices" in ck.frames else pd.Series(dtype=object)
    exact: set[str] | None = None  # the numbers as typed: nearly every reference names one exactly
    folded: set[str] | None = None  # casefolded, built only when a reference is not an exact match
    for table_key, key in (("payments", "applied_to"), ("payment_plans", "invoices")):
        if table_key not in ck.raws:
            continue
        col = ck.frames[table_key][key]
        named = col.notna().to_numpy()
        values = col.to_numpy(dtype=object)  # indexing the array, not Series.iat, in the loop over the rows
        for pos in np.flatnonzero(named):
            if exact is None:
                exact = set(map(str, numbers.to_numpy(dtype=object)))
            tokens = [t for t in split_invoice_list(values[pos]) if t not in exact]
            if tokens and folded is None:
                folded = {v.casefold() for v in exact}
            unknown = [t for t in tokens if t.casefold() not in folded]
            if unknown:
                ck.emit(table_key, [pos], "unknown_invoice", key, {"value": ", ".join(unknown)})


def _future_payments(ck: _Checker, as_of: dt.date) -> None:
    dates = ck.frames["payments"]["payment_date"]
    late = (dates > pd.Timestamp(as_of)).to_numpy()
    ck.emit("payments", np.flatnonzero(late), "future_payment", "payment_date",
            lambda p: {"value": _fmt_date(dates.iat[p]), "as_of": as_of.isoformat()}, leave_out=True)


def _balance_sheets(ck: _Checker) -> None:
    fin = ck.frames["financials"]
    ta, tl, eq = (fin[k].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
                  for k in ("total_assets", "total_liabilities", "equity"))
    diff = ta - tl - eq
    known = ~np.isnan(diff)
    off = known & (np.abs(np.where(known, diff, 0.0)) > 0.01 * np.abs(np.nan_to_num(ta)))
    periods = fin["period_end"]
    ck.emit("financials", np.flatnonzero(off), "unbalanced_balance_sheet", "total_assets", lambda p: {
        "period": _fmt_date(periods.iat[p]) if pd.notna(periods.iat[p]) else "?",
        "assets": _fmt_money(ta[p]), "liabilities": _fmt_money(tl[p]), "equity": _fmt_money(eq[p]),
        "difference": _fmt_money(diff[p])})


def _sum_by_customer(df: pd.DataFrame, mask: np.ndarray, amount: str = "amount") -> pd.Series:
    # only the two columns the sum needs are copied out of the table
    part = df.loc[mask & df["customer_id"].notna().to_numpy() & df[amount].notna().to_numpy(), ["customer_id", amount]]
    return part.groupby("customer_id")[amount].sum().astype(np.int64)


def _credit_rules(ck: _Checker, defaults: dict[str, pd.DataFrame], as_of: dt.date) -> None:
    inv = defaults.get("invoices")
    if inv is None:
        return
    dated = (inv["invoice_date"] <= pd.Timestamp(as_of)).fillna(False).to_numpy(dtype=bool)
    is_cn = is_credit_note(inv["doc_type"])
    invoiced = _sum_by_customer(inv, dated & ~is_cn)
    credited = _sum_by_customer(inv, dated & is_cn)

    over = credited.sub(invoiced, fill_value=0)
    over = over[over > 0]
    if len(over):
        cn = inv.loc[dated & is_cn & inv["customer_id"].isin(over.index).to_numpy() & inv["amount"].notna().to_numpy()]
        largest = cn.sort_values(["customer_id", "amount", "_row"], ascending=[True, False, True]).drop_duplicates(
            "customer_id")
        positions = [inv.index.get_loc(i) for i in largest.index]
        ck.emit("invoices", positions, "credit_exceeds_invoices", "amount", lambda p: {
            "customer": inv["customer_id"].iat[p], "credits": _fmt_money(credited[inv["customer_id"].iat[p]]),
            "invoices": _fmt_money(invoiced.get(inv["customer_id"].iat[p], 0))})

    cus = defaults.get("customers")
    if cus is None or "customers" not in ck.raws:
        return
    paid = pd.Series(dtype=np.int64)
    pay = defaults.get("payments")
    if pay is not None:
        paid = _sum_by_customer(pay, (pay["payment_date"] <= pd.Timestamp(as_of)).fillna(False).to_numpy(dtype=bool))
    balance = invoiced.sub(credited, fill_value=0).sub(paid, fill_value=0)
    ids = cus["customer_id"]
    owed = ids.map(balance).astype("Float64").fillna(0).to_numpy(dtype=np.float64)
    limit = cus["credit_limit"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    exceeded = ~np.isnan(limit) & (owed > np.nan_to_num(limit)) & ids.notna().to_numpy()
    ck.emit("customers", np.flatnonzero(exceeded), "over_credit_limit", "credit_limit",
            lambda p: {"outstanding": _fmt_money(owed[p]), "limit": _fmt_money(limit[p])})


def _dunning_level_order(ck: _Checker) -> None:
    lv = ck.frames["dunning_levels"]
    ok = lv["level"].notna() & lv["from_days"].notna()
    ordered = lv[ok.to_numpy()].sort_values("level")
    start = ordered["from_days"].to_numpy(dtype=np.int64)
    not_later = np.r_[False, start[1:] <= start[:-1]]
    positions = [lv.index.get_loc(i) for i in ordered.index[not_later]]
    ck.emit("dunning_levels", positions, "dunning_levels_order", "from_days",
            lambda p: {"value": int(lv["level"].iat[p]), "from_days": int(lv["from_days"].iat[p])})


def _config_problems(ck: _Checker, config_problems: Sequence[ConfigProblem]) -> None:
    raw = ck.raws.get("config")
    sheet = raw.sheet if raw is not None else CONFIG.sheet(ck.lang)
    keys: list[str] = []
    if raw is not None and "key" in raw.frame.columns:
        keys = [str(k).strip() if k is not None else "" for k in raw.frame["key"].tolist()]
    for cp in config_problems:
        row = cp.row
        if row is None and cp.key in keys:
            row = keys.index(cp.key)
        code = f"config_{cp.code}"
        column_key = "key" if code == "config_unknown_key" else "value"
        cell = raw.cell(column_key, row) if raw is not None and row is not None else quote_sheet(sheet)
        detail = cp.message.split(": ", 1)[1] if cp.message.startswith(f"{cp.key}: ") else cp.message
        ck.problems.append(Problem(SEVERITY[code], sheet, cell, CONFIG.column(column_key).label(ck.lang), cp.key, code,
                                   message(code, ck.lang, key=cp.key, detail=detail)))


def _default_levels(lang: Lang) -> pd.DataFrame:
    levels = DEFAULT_DUNNING_LEVELS[lang]
    return pd.DataFrame({
        "level": pd.array([lv.level for lv in levels], dtype="Int64"),
        "from_days": pd.array([lv.from_days for lv in levels], dtype="Int64"),
        "action": pd.Series([lv.action for lv in levels], dtype=object),
        "template": pd.Series([lv.template for lv in levels], dtype=object),
        "fee": pd.array([lv.fee_cents for lv in levels], dtype="Int64"),
        "_row": np.arange(len(levels), dtype=np.int64),
    })


# ---------------------------------------------------------------- entry point

_TABLE_KEYS = tuple(t.key for t in INPUT_TABLES) + (DUNNING_LEVELS.key,)


def validate_workbook(raws: Mapping[str, RawTable], settings: Settings,
                      config_problems: Sequence[ConfigProblem] = (), as_of: dt.date | None = None) -> ValidationReport:
    """Type, check and default every table in `raws` (keyed by table key; 'config' may be given for addresses).

    Missing input tables come back as empty typed frames; missing dunning levels as the defaults.
    """
    as_of = as_of or settings.as_of()
    ck = _Checker(raws, settings)
    _config_problems(ck, config_problems)
    for key in _TABLE_KEYS:
        raw = raws.get(key)
        if raw is None:
            continue
        frame, found = coerce_table(raw, settings, ck.blanks.setdefault(key, {}))
        ck.frames[key] = frame
        ck.problems.extend(found)
        ck.column_rules(key)
    if "financials" in ck.frames:
        ck.financial_duplicates()

    known = _customer_index(ck.frames) if "customers" in raws else None
    if known is not None:
        _unknown_customers(ck, known)
    defaults = apply_defaults(dict(ck.frames), settings)
    if "invoices" in raws:
        _invoice_rules(ck, defaults)
    _invoice_references(ck)
    if "payments" in raws:
        _future_payments(ck, as_of)
    if "financials" in raws:
        _balance_sheets(ck)
    _credit_rules(ck, defaults, as_of)
    if "dunning_levels" in raws:
        _dunning_level_order(ck)

    _unreadable_rows(ck)
    frames = dict(defaults)
    for t in INPUT_TABLES:
        if t.key not in frames:
            frames[t.key] = apply_defaults({t.key: empty_frame(t)}, settings)[t.key]
    if "dunning_levels" not in frames:
        frames["dunning_levels"] = _default_levels(ck.lang)
    left_out = {key: _mask(positions, len(frames[key])) for key, positions in ck.left_out.items() if key in frames}
    problems = sorted(_note_left_out(ck, left_out), key=problem_sort_key)
    errors = sum(p.severity == "error" for p in problems)
    return ValidationReport(problems, frames, errors, len(problems) - errors, settings, left_out)


# ---------------------------------------------------------------- rows left out of the calculations

# Tables whose rows are documents the engine computes on: a doubtful row is left out rather than guessed at.
_DOCUMENT_TABLES = ("invoices", "payments", "payment_plans")


def _excludes(table_key: str, column_key: str) -> bool:
    """Whether a blank or non-positive required value leaves the row out. A customer without a name is still the
    customer its invoices name (leaving it out would orphan them); without an id it is nobody."""
    return not (table_key == "customers" and column_key != "customer_id")


def _raw_value(raw: RawTable, key: str, row: int) -> str | None:
    """The cell of column `key` in raw row `row` as typed (only the cells a message shows are read)."""
    if key not in raw.frame.columns:
        return None
    return text_value(raw.frame[key].iat[row]) or ""


def _nonzero_number(text: str) -> bool:
    return any(ch in "123456789" for ch in text)


def _unreadable_rows(ck: _Checker) -> None:
    """Rows whose required value did not parse (already reported by the coercion) or whose invoice Type is unknown
    (reported as bad_choice; the default "Invoice" would be a guess that can turn a credit into a debt)."""
    for key, df in ck.frames.items():
        table = ck.raws[key].table if key in ck.raws else None
        if table is None or key == "dunning_levels":
            continue
        for c in table.input_columns:
            if c.required and c.key in df.columns and _excludes(key, c.key):
                ck.leave_out(key, np.flatnonzero(df[c.key].isna().to_numpy()))
        if key == "invoices" and "doc_type" in df.columns and "doc_type" in ck.raws[key].frame.columns:
            typed_blank = df["doc_type"].isna().to_numpy()
            raw_blank = ck.raw_blanks(key, "doc_type")[df["_row"].to_numpy()] if len(df) else np.zeros(0, bool)
            ck.leave_out(key, np.flatnonzero(typed_blank & ~raw_blank))


def _mask(positions: set[int], n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[[p for p in positions if p < n]] = True
    return mask


_ROW_OF_CELL = re.compile(r"(\d+)$")


def _note_left_out(ck: _Checker, left_out: Mapping[str, np.ndarray]) -> list[Problem]:
    """Errors on a row that is left out say so, so the Validation sheet explains the missing figures."""
    rows: set[tuple[str, int]] = set()
    for key, mask in left_out.items():
        raw = ck.raws.get(key)
        if raw is None:
            continue
        for r in ck.frames[key]["_row"].to_numpy()[mask]:
            rows.add((raw.sheet, raw.header_row + 1 + int(r)))
    note = _t("row_left_out", ck.lang)
    out = []
    for p in ck.problems:
        m = _ROW_OF_CELL.search(p.cell or "")
        if p.severity == "error" and m and (p.sheet, int(m.group(1))) in rows:
            p = replace(p, message=p.message + note)
        out.append(p)
    return out
