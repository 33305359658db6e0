"""Config: the workbook's settings (tblConfig key/value rows) and dunning levels, with SPEC §3.1 defaults.

Every number the finance rules use lives here, so a user changes behaviour in the Config sheet, not in code.
Parsing never raises on a bad row: it returns the defaults for that key plus a problem naming the key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from xlfin.engine.cellvalues import CellValueError, date_value, number, whole_number, yes_no
from xlfin.engine.dates import DateError
from xlfin.engine.dunning import DunningLevel  # the engine's model of a tblDunningLevels row; importable from here as before
from xlfin.engine.money import MoneyError, to_decimal
from xlfin.schema import CURRENCIES, Lang


def _increasing(v: tuple[float, ...]) -> bool:
    return all(a < b for a, b in pairwise(v))


# Config keys that hold a list of numbers: (the rule the list must fit, what to tell the user when it does not)
_NUMBER_LIST_RULES: dict[str, tuple[Callable[[tuple[float, ...]], bool], str]] = {
    "aging_edges": (lambda v: bool(v) and v[0] > 0 and _increasing(v),
                    "edges must be positive and strictly increasing, e.g. 30,60,90,120"),
    "score_weights": (lambda v: len(v) == 6 and min(v) >= 0 and sum(v) > 0,
                      "six non-negative weights: liquidity, leverage, coverage, profitability, payment, arrears"),
    "grade_cutoffs": (lambda v: len(v) == 4 and _increasing(v[::-1]),
                      "four decreasing cut-offs for A, B, C, D, e.g. 80,65,50,35"),
    "abc_cutoffs": (lambda v: len(v) == 2 and 0 < v[0] < v[1] <= 1,
                    "two increasing shares between 0 and 1, e.g. 0.80,0.95"),
}


class Settings(BaseModel):
    """The parsed tblConfig. Attribute names are the Config keys."""

    model_config = ConfigDict(frozen=True)

    as_of_date: dt.date | None = None
    base_currency: str = "USD"
    default_terms_days: int = Field(30, ge=0)
    aging_edges: tuple[int, ...] = (30, 60, 90, 120)
    aging_basis: Literal["due", "invoice"] = "due"
    score_weights: tuple[float, ...] = (0.15, 0.15, 0.10, 0.10, 0.35, 0.15)
    grade_cutoffs: tuple[float, ...] = (80, 65, 50, 35)
    # bounds the engine itself enforces: a bad Config value keeps the default instead of failing the run
    limit_pct_net_worth: float = Field(0.10, ge=0, allow_inf_nan=False)
    limit_pct_working_capital: float = Field(0.20, ge=0, allow_inf_nan=False)
    limit_rounding: int = Field(1000, gt=0)
    abc_cutoffs: tuple[float, ...] = (0.80, 0.95)
    payment_window_months: int = Field(24, gt=0)
    reconcile_tolerance_abs: Decimal = Field(Decimal("1.00"), ge=0)
    reconcile_tolerance_pct: float = Field(0.005, ge=0, lt=1)
    reconcile_fifo: bool = True
    dunning_min_amount: Decimal = Decimal("100")
    dunning_interest_pa: float = Field(0.0, ge=0, allow_inf_nan=False)
    overdue_flag_amount: Decimal = Decimal("10000")
    altman_model: Literal["Z", "Z'", "Z''"] = "Z''"
    clv_retention: float = Field(0.8, ge=0, lt=1)
    clv_discount_rate: float = Field(0.10, ge=0)
    clv_acquisition_cost: Decimal = Decimal("0")
    allow_mixed_currency: bool = False
    letter_template_dir: str = ""
    company_name: str = ""
    company_address: str = ""
    company_bank: str = ""
    company_email: str = ""
    company_phone: str = ""
    # SPEC §9 sending; the SMTP password is never a Config key (environment or OS keyring only)
    smtp_host: str = ""
    smtp_port: int = Field(587, gt=0, lt=65536)
    smtp_security: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_user: str = ""
    sender_email: str = ""
    sender_name: str = ""
    bank_csv_columns: str = ""
    language: Lang = "en"
    # Where the input tables live: "workbook" (default), a DuckDB file, or a PostgreSQL URL (issue #16). Never a
    # password: the workbook is shared and mailed around; credentials come from the environment (PGPASSWORD).
    ledger_source: str = "workbook"
    # Rows a generated sheet may hold in a ledger run (0: Excel's 1,048,576); larger detail goes to the ledger.
    ledger_sheet_rows: int = Field(0, ge=0)

    @field_validator("ledger_source")
    @classmethod
    def _no_secret(cls, v: str) -> str:
        from urllib.parse import urlsplit

        v = (v or "").strip() or "workbook"
        if "://" in v and urlsplit(v).password:
            raise ValueError("a ledger URL must not hold a password: set PGPASSWORD (or ~/.pgpass) instead")
        return v

    @field_validator("aging_edges", "score_weights", "grade_cutoffs", "abc_cutoffs")
    @classmethod
    def _number_list(cls, v: tuple[float, ...], info: ValidationInfo) -> tuple[float, ...]:
        fits, problem = _NUMBER_LIST_RULES[info.field_name]
        if not fits(v):
            raise ValueError(problem)
        return v

    @field_validator("base_currency")
    @classmethod
    def _iso_currency(cls, v: str) -> str:
        v = v.strip().upper()
        if len(v) != 3 or not v.isalpha():
            raise ValueError("a three-letter ISO 4217 code such as USD or CNY")
        return v

    def as_of(self) -> dt.date:
        return self.as_of_date or dt.date.today()

    @property
    def reconcile_tolerance_abs_cents(self) -> int:
        return int(self.reconcile_tolerance_abs * 100)

    @property
    def dunning_min_amount_cents(self) -> int:
        return int(self.dunning_min_amount * 100)

    @property
    def overdue_flag_amount_cents(self) -> int:
        return int(self.overdue_flag_amount * 100)


@dataclass(frozen=True)
class ConfigKey:
    key: str
    en: str  # description shown in the Config sheet
    zh: str


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("as_of_date", "The date all ageing counts from; blank = today", "账龄计算基准日；留空为今天"),
    ConfigKey("base_currency", "Base currency (ISO 4217)", "记账本位币(ISO 4217)"),
    ConfigKey("default_terms_days", "Payment terms when a customer has none (days)", "客户未设置时的默认付款周期(天)"),
    ConfigKey("aging_edges", "Ageing bucket bounds in days", "账龄区间上限(天)"),
    ConfigKey("aging_basis", "Age from the due date (due) or the invoice date (invoice)", "账龄起算：到期日(due)或开票日(invoice)"),
    ConfigKey("score_weights", "Score weights: liquidity, leverage, coverage, profitability, payment, arrears",
              "评分权重：流动性、杠杆、偿息、盈利、付款、逾期"),
    ConfigKey("grade_cutoffs", "Score cut-offs for grades A, B, C, D (else E)", "A、B、C、D 等级分数线(否则为E)"),
    ConfigKey("limit_pct_net_worth", "Suggested limit: share of net worth", "建议额度：净资产比例"),
    ConfigKey("limit_pct_working_capital", "Suggested limit: share of working capital", "建议额度：营运资金比例"),
    ConfigKey("limit_rounding", "Suggested limits are rounded down to this", "建议额度向下取整单位"),
    ConfigKey("abc_cutoffs", "ABC classes: cumulative revenue shares", "ABC分类：累计收入占比分界"),
    ConfigKey("payment_window_months", "Months of history used by the payment index", "付款指数使用的历史月数"),
    ConfigKey("reconcile_tolerance_abs", "Short-payment tolerance, absolute", "少付容差(金额)"),
    ConfigKey("reconcile_tolerance_pct", "Short-payment tolerance, share of the invoice", "少付容差(占发票比例)"),
    ConfigKey("reconcile_fifo", "Settle unmatched payments of known customers oldest-due-first (yes/no)",
              "未匹配的已知客户收款按到期先后核销(是/否)"),
    ConfigKey("dunning_min_amount", "Customers owing less overdue are not dunned", "逾期金额低于此值不催收"),
    ConfigKey("dunning_interest_pa", "Late interest, % per year", "逾期利息(年利率%)"),
    ConfigKey("overdue_flag_amount", "Risk flag when a customer's overdue amount reaches this", "逾期金额达到此值时提示风险"),
    ConfigKey("altman_model", "Altman model for the Scorecard: Z'' (default), Z' (private firms) or Z (public "
              "manufacturers, needs market value of equity)", "评分卡使用的 Altman 模型：Z''(默认)、Z'(非上市公司)或 Z(上市制造业)"),
    ConfigKey("clv_retention", "CLV: yearly retention rate", "客户终身价值：年留存率"),
    ConfigKey("clv_discount_rate", "CLV: yearly discount rate", "客户终身价值：年折现率"),
    ConfigKey("clv_acquisition_cost", "CLV: acquisition cost per customer", "客户终身价值：获客成本"),
    ConfigKey("allow_mixed_currency", "Allow invoices in a currency other than the customer's (yes/no)",
              "允许发票币种与客户币种不同(是/否)"),
    ConfigKey("letter_template_dir", "Folder with your own letter templates (optional)", "自定义催款函模板文件夹(可选)"),
    ConfigKey("company_name", "Letterhead: company name", "信头：公司名称"),
    ConfigKey("company_address", "Letterhead: address", "信头：地址"),
    ConfigKey("company_bank", "Letterhead: bank account for payment", "信头：收款银行账户"),
    ConfigKey("company_email", "Letterhead: email", "信头：邮箱"),
    ConfigKey("company_phone", "Letterhead: phone", "信头：电话"),
    ConfigKey("smtp_host", "Sending: SMTP server host name", "发送：SMTP 服务器地址"),
    ConfigKey("smtp_port", "Sending: SMTP port (587 STARTTLS, 465 SSL, 25 none)", "发送：SMTP 端口(587 STARTTLS，465 SSL，25 无加密)"),
    ConfigKey("smtp_security", "Sending: none, starttls or ssl", "发送：加密方式 none、starttls 或 ssl"),
    ConfigKey("smtp_user", "Sending: SMTP login (the password comes from XLFIN_SMTP_PASSWORD or the OS keyring)",
              "发送：SMTP 登录名(密码取自环境变量 XLFIN_SMTP_PASSWORD 或系统密钥环)"),
    ConfigKey("sender_email", "Sending: From address", "发送：发件人邮箱"),
    ConfigKey("sender_name", "Sending: From name", "发送：发件人名称"),
    ConfigKey("bank_csv_columns", "Bank CSV import: your column headers, e.g. date=入账日; credit=收入; "
              "payer_name=付款人; reference=附言; bank_ref=流水号",
              "银行 CSV 导入：自定义列名，如 date=入账日; credit=收入; payer_name=付款人; reference=附言; bank_ref=流水号"),
    ConfigKey("language", "Workbook language (en or zh-CN)", "工作簿语言(en 或 zh-CN)"),
    ConfigKey("ledger_source", "Where the ledger lives: workbook, a DuckDB file or a postgresql:// URL (no password: "
              "use PGPASSWORD)", "台账存放位置：workbook(本工作簿)、DuckDB 文件或 postgresql:// 地址(不含密码，密码用 PGPASSWORD)"),
    ConfigKey("ledger_sheet_rows", "Ledger runs: rows a generated sheet may hold (0 = Excel's 1,048,576); larger "
              "detail goes to report_* tables in the ledger", "台账模式：生成工作表的最大行数(0 = Excel 上限 1,048,576)；"
              "超出的明细写入台账的 report_* 表"),
)
CONFIG_KEY_NAMES = tuple(k.key for k in CONFIG_KEYS)

# Workbook-level defined names for each key, e.g. as_of_date -> AsOfDate (SPEC: "each key is also a workbook name").
def defined_name(key: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def defaults(lang: Lang = "en") -> Settings:
    return Settings(base_currency="CNY" if lang == "zh-CN" else "USD", language=lang)


def _format_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def config_rows(lang: Lang = "en") -> list[tuple[str, Any, str]]:
    """(key, default value as written in the sheet, description) rows for the template's tblConfig."""
    s = defaults(lang)
    rows = []
    for k in CONFIG_KEYS:
        v = getattr(s, k.key)
        rows.append((k.key, None if v is None or v == "" else _format_value(v), k.zh if lang == "zh-CN" else k.en))
    return rows


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    row: int | None  # 0-based row in the key/value table, None when the key is missing
    message: str
    code: Literal["unknown_key", "bad_value", "unusual_currency"] = "bad_value"


def _parse_value(key: str, raw: Any) -> Any:
    """A cell value -> the type the Settings field wants; raises ValueError with a readable reason."""
    field = Settings.model_fields[key]
    ann = field.annotation
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if ann in (tuple[int, ...], tuple[float, ...]):
        if isinstance(raw, (int, float)):
            parts = [raw]
        else:
            parts = [p for p in str(raw).replace("，", ",").replace(";", ",").split(",") if p.strip()]
        conv = int if ann == tuple[int, ...] else float
        try:
            return tuple(conv(float(str(p).strip())) if conv is int else conv(str(p).strip()) for p in parts)
        except ValueError:
            raise ValueError(f"expected a comma-separated list of numbers, got {raw!r}") from None
    if ann is bool:
        try:
            return yes_no(raw)
        except CellValueError:
            raise ValueError(f"expected yes or no, got {raw!r}") from None
    if ann == (dt.date | None):
        try:
            return date_value(raw)
        except DateError as exc:
            raise ValueError(str(exc)) from None
    if ann is Decimal:
        try:
            return to_decimal(raw)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None
    if ann is int:
        try:
            return whole_number(raw)
        except CellValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
    if ann is float:
        try:
            # dunning_interest_pa is already in percent (10 = 10 %); "8%" typed as text means 8 there, 0.08 elsewhere.
            return number(raw, percent=not key.endswith("_pa"))
        except CellValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
    return str(raw).strip()


def settings_from_rows(rows: Iterable[tuple[Any, Any]], lang: Lang | None = None) -> tuple[Settings, list[ConfigProblem]]:
    """Parse (key, value) rows. Unknown keys and bad values are problems; the default stands for a bad value."""
    values: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for i, (key, raw) in enumerate(rows):
        if key is None or str(key).strip() == "":
            continue
        k = str(key).strip()
        if k not in Settings.model_fields:
            problems.append(ConfigProblem(k, i, f"unknown Config key {k!r}", "unknown_key"))
            continue
        try:
            v = _parse_value(k, raw)
        except ValueError as exc:
            problems.append(ConfigProblem(k, i, f"{k}: {exc}"))
            continue
        if v is not None:
            values[k] = v
    language = values.get("language", lang or "en")
    if language not in ("en", "zh-CN"):
        problems.append(ConfigProblem("language", None, f"language: expected en or zh-CN, got {language!r}"))
        language = "en"
    values["language"] = language
    values.setdefault("base_currency", "CNY" if language == "zh-CN" else "USD")
    # Validate field by field so one bad value does not discard the others.
    good: dict[str, Any] = {}
    for k, v in values.items():
        try:
            Settings(**{**good, k: v})
            good[k] = v
        except Exception as exc:  # pydantic.ValidationError: keep the default, report the reason
            msg = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
            problems.append(ConfigProblem(k, None, f"{k}: {msg}"))
    settings = Settings(**good)
    if settings.base_currency not in CURRENCIES:
        problems.append(ConfigProblem("base_currency", None, f"base_currency {settings.base_currency} is not a common "
                                                             "ISO 4217 code; check it", "unusual_currency"))
    return settings, problems


DEFAULT_DUNNING_LEVELS: dict[Lang, tuple[DunningLevel, ...]] = {
    "en": (
        DunningLevel(level=1, from_days=1, action="Friendly reminder", template="reminder", fee=Decimal("0")),
        DunningLevel(level=2, from_days=15, action="Firm letter", template="firm", fee=Decimal("0")),
        DunningLevel(level=3, from_days=30, action="Final notice and phone call", template="final", fee=Decimal("50")),
        DunningLevel(level=4, from_days=60, action="Credit hold and referral", template="legal", fee=Decimal("100")),
    ),
    "zh-CN": (
        DunningLevel(level=1, from_days=1, action="友好提醒", template="reminder", fee=Decimal("0")),
        DunningLevel(level=2, from_days=15, action="正式催款函", template="firm", fee=Decimal("0")),
        DunningLevel(level=3, from_days=30, action="最后通知并电话催收", template="final", fee=Decimal("50")),
        DunningLevel(level=4, from_days=60, action="暂停赊销并移交法务", template="legal", fee=Decimal("100")),
    ),
}
