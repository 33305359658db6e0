"""Amounts in words: Chinese capital numerals (大写金额) as written on Chinese invoices, cheques and letters, and
English cheque-style words.

Chinese rules follow the PBOC settlement rules (《支付结算办法》附一 正确填写票据和结算凭证的基本规定):

- digits 零壹贰叁肆伍陆柒捌玖, place units 拾佰仟, group units 万 and 亿 (10^12 is 壹万亿, 1.2·10^12 壹万贰仟亿);
- a leading ten is written 壹拾 (10 → 壹拾元整), as finance departments do to stop anyone adding a digit in front;
- zeros inside the number collapse into one 零; trailing zeros of a group are not written (1,005.20 → 壹仟零伍元贰角整,
  10,000,000.01 → 壹仟万元零壹分);
- an amount that ends at 元 or 角 ends with 整; one that ends at 分 does not (12,345.60 → 壹万贰仟叁佰肆拾伍元陆角整);
- when 元 is zero but 角 is not, no 零 is written between them (the rules allow both; 100.50 → 壹佰元伍角整);
- an amount under one yuan has no 元 part (0.05 → 伍分); zero is 零元整.

Negative amounts are refused: a letter states what is owed, and a sign in words is ambiguous (红字/负) in practice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .money import MoneyError, to_decimal

__all__ = ["AmountWordsError", "chinese_upper", "chinese_upper_cents", "english_words", "english_words_cents"]

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_MAX_CENTS = 10**16 * 100  # below 1 亿亿: beyond any receivable

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion")


class AmountWordsError(ValueError):
    """An amount that cannot be written in words (negative, not a number, too large)."""


def _cents(value: Any) -> int:
    if isinstance(value, bool):
        raise AmountWordsError(f"not an amount: {value!r}")
    try:
        d = to_decimal(value)
    except MoneyError as exc:
        raise AmountWordsError(str(exc)) from None
    return int(d * 100)


def _check(cents: int) -> int:
    if isinstance(cents, bool) or int(cents) != cents:
        raise AmountWordsError(f"not whole cents: {cents!r}")
    cents = int(cents)
    if cents < 0:
        raise AmountWordsError(f"negative amounts are not written in words: {Decimal(cents) / 100}")
    if cents >= _MAX_CENTS:
        raise AmountWordsError(f"amount too large to write in words: {Decimal(cents) / 100}")
    return cents


def _group_zh(group: int) -> str:
    """0 < group < 10000 -> capitals with 拾佰仟; inner zeros collapse to one 零, trailing zeros are dropped."""
    out: list[str] = []
    pending_zero = False
    for place in (3, 2, 1, 0):
        digit = group // 10**place % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[digit] + _PLACES[place])
    return "".join(out)


def _yuan_zh(yuan: int) -> str:
    """Whole yuan -> capitals. 亿 takes a count of up to 9999,9999 (壹万贰仟亿), and a lower part that does not fill
    the highest place after it reads with a 零 in front (壹万零伍, 壹亿零壹仟)."""
    for scale, unit, split in ((10**8, "亿", _yuan_zh), (10**4, "万", _group_zh)):
        if yuan >= scale:
            high, low = divmod(yuan, scale)
            text = split(high) + unit
            if low:
                text += ("零" if low < scale // 10 else "") + _yuan_zh(low)
            return text
    return _group_zh(yuan)


def chinese_upper_cents(cents: int) -> str:
    """Integer cents -> 大写 amount: 1234560 → 壹万贰仟叁佰肆拾伍元陆角整."""
    cents = _check(cents)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if cents == 0:
        return "零元整"
    head = _yuan_zh(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return head + "整"
    if fen == 0:
        return head + _DIGITS[jiao] + "角整"
    if jiao == 0:
        return head + ("零" if yuan else "") + _DIGITS[fen] + "分"
    return head + _DIGITS[jiao] + "角" + _DIGITS[fen] + "分"


def chinese_upper(amount: Any) -> str:
    """An amount in currency units (Decimal, '12,345.60', 12345.6, 12345) -> 大写 amount, half-up to the fen."""
    return chinese_upper_cents(_cents(amount))


def _below_thousand_en(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words.append(f"{_ONES[hundreds]} hundred")
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_ONES[rest])
    return " ".join(words)


def _whole_en(n: int) -> str:
    if n == 0:
        return "zero"
    parts = []
    scale = 0
    while n:
        n, chunk = divmod(n, 1000)
        if chunk:
            parts.append(_below_thousand_en(chunk) + (f" {_SCALES[scale]}" if scale else ""))
        scale += 1
    return " ".join(reversed(parts))


def english_words_cents(cents: int) -> str:
    """Integer cents -> cheque-style words: 1234560 → 'Twelve thousand three hundred forty-five and 60/100'."""
    cents = _check(cents)
    whole, rest = divmod(cents, 100)
    text = f"{_whole_en(whole)} and {rest:02d}/100"
    return text[0].upper() + text[1:]


def english_words(amount: Any) -> str:
    """An amount in currency units -> cheque-style English words."""
    return english_words_cents(_cents(amount))
