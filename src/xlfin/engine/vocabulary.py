"""The closed lists (SPEC §3): every allowed value of an enum column, its en / zh-CN labels and accepted spellings.

Plain data at the bottom of the layers: the engine reads cells through :func:`canonical` without knowing about
tables, and :mod:`xlfin.schema` attaches these lists to its columns. No xlfin import may enter this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = [
    "CONFIDENCE",
    "CURRENCIES",
    "CUSTOMER_STATUS",
    "DOC_TYPE",
    "FREQUENCY",
    "INVOICE_STATUS",
    "LANGS",
    "PAYMENT_METHOD",
    "SEVERITY",
    "YES_NO",
    "Choice",
    "Lang",
    "canonical",
    "comparison_form",
]

Lang = Literal["en", "zh-CN"]
LANGS: tuple[Lang, ...] = ("en", "zh-CN")


@dataclass(frozen=True)
class Choice:
    """One allowed value of a closed list: the canonical (English) value the engine uses and its labels."""

    value: str
    en: str
    zh: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: Lang) -> str:
        return self.zh if lang == "zh-CN" else self.en

    def spellings(self) -> tuple[str, ...]:
        return (self.value, self.en, self.zh, *self.aliases)


YES_NO = (
    Choice("yes", "Yes", "是", ("y", "true", "1", "x", "✓", "✔")),
    Choice("no", "No", "否", ("n", "false", "0", "")),
)
CUSTOMER_STATUS = (
    Choice("Active", "Active", "活跃", ("active",)),
    Choice("On Hold", "On Hold", "暂停", ("hold", "onhold")),
    Choice("Closed", "Closed", "关闭", ("closed",)),
)
DOC_TYPE = (
    Choice("Invoice", "Invoice", "发票", ("inv",)),
    Choice("Credit Note", "Credit Note", "贷项通知单", ("cn", "credit", "creditnote", "credit memo", "红字发票")),
)
PAYMENT_METHOD = (
    Choice("Bank Transfer", "Bank Transfer", "银行转账", ("wire", "transfer", "bank", "ach", "转账")),
    Choice("Cheque", "Cheque", "支票", ("check",)),
    Choice("Cash", "Cash", "现金"),
    Choice("Card", "Card", "刷卡", ("credit card", "debit card", "银行卡")),
    Choice("Other", "Other", "其他"),
)
INVOICE_STATUS = (
    Choice("Open", "Open", "未付"),
    Choice("Partly Paid", "Partly Paid", "部分付款"),
    Choice("Paid", "Paid", "已付清"),
    Choice("Credit", "Credit", "贷项"),
)
SEVERITY = (Choice("error", "error", "错误"), Choice("warning", "warning", "警告"))
CONFIDENCE = (Choice("high", "high", "高"), Choice("medium", "medium", "中"), Choice("low", "low", "低"))
FREQUENCY = (
    Choice("Weekly", "Weekly", "每周"),
    Choice("Fortnightly", "Fortnightly", "每两周"),
    Choice("Monthly", "Monthly", "每月"),
    Choice("Quarterly", "Quarterly", "每季度"),
)

# ISO 4217 codes users are offered in the drop-down; any other 3-letter code is still accepted with a warning.
CURRENCIES = ("CNY", "USD", "EUR", "GBP", "JPY", "HKD", "SGD", "AUD", "CAD", "CHF", "KRW", "TWD", "INR", "NZD", "SEK")


def comparison_form(text: str) -> str:
    """Header/choice comparison form: NFKC (full-width → ASCII), case-folded, spaces and separators squeezed."""
    t = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    t = re.sub(r"[\s_]+", " ", t)
    t = t.replace("（", "(").replace("）", ")")
    return t.replace(" (", "(").replace("( ", "(").replace(" )", ")")


@lru_cache(maxsize=64)
def _spelling_index(choices: tuple[Choice, ...]) -> dict[str, str]:
    """comparison form of every spelling -> canonical value; on a clash the earlier choice wins, as a scan would."""
    index: dict[str, str] = {}
    for choice in choices:
        for spelling in choice.spellings():
            index.setdefault(comparison_form(spelling), choice.value)
    return index


def canonical(choices: Sequence[Choice], value: object) -> str | None:
    """A cell value of a closed list -> its canonical value, in any spelling (value, either label, an alias; any case
    and width); None when it is not in the list or the list is empty."""
    if not choices or value is None:
        return None
    return _spelling_index(tuple(choices)).get(comparison_form(str(value)))
