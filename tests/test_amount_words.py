"""大写 amounts (and English cheque words): vectors from the settlement rules, and a round-trip property."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlfin.engine.amount_words import (
    AmountWordsError,
    chinese_upper,
    chinese_upper_cents,
    english_words,
    english_words_cents,
)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("100", "壹佰元整"),
        ("10", "壹拾元整"),
        ("1,005.20", "壹仟零伍元贰角整"),
        ("12,345.60", "壹万贰仟叁佰肆拾伍元陆角整"),
        ("10,000,000.01", "壹仟万元零壹分"),
        ("120.05", "壹佰贰拾元零伍分"),
        ("100.50", "壹佰元伍角整"),
        ("1,680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("10,001", "壹万零壹元整"),
        ("100,010", "壹拾万零壹拾元整"),
        ("110,000", "壹拾壹万元整"),
        ("1,010,000", "壹佰零壹万元整"),
        ("100,001,000", "壹亿零壹仟元整"),
        ("200,000,000", "贰亿元整"),
        ("1,000,000,000,001", "壹万亿零壹元整"),
        ("1,200,000,000,000", "壹万贰仟亿元整"),
        ("101,000,000", "壹亿零壹佰万元整"),
        ("1,010,000,000", "壹拾亿壹仟万元整"),
        ("100,000,500", "壹亿零伍佰元整"),
    ],
)
def test_chinese_upper_vectors(amount: str, words: str) -> None:
    assert chinese_upper(amount) == words


def test_chinese_upper_accepts_decimal_float_int_and_cents() -> None:
    assert chinese_upper(Decimal("12345.60")) == "壹万贰仟叁佰肆拾伍元陆角整"
    assert chinese_upper(12345.6) == "壹万贰仟叁佰肆拾伍元陆角整"
    assert chinese_upper(100) == "壹佰元整"
    assert chinese_upper_cents(1234560) == "壹万贰仟叁佰肆拾伍元陆角整"


@pytest.mark.parametrize("bad", ["-0.01", -5, "abc", None, True])
def test_negative_and_non_amounts_are_refused(bad) -> None:
    with pytest.raises(AmountWordsError):
        chinese_upper(bad)
    with pytest.raises(AmountWordsError):
        english_words(bad)


def test_refuses_negative_cents_and_amounts_beyond_range() -> None:
    with pytest.raises(AmountWordsError, match="negative"):
        chinese_upper_cents(-1)
    with pytest.raises(AmountWordsError, match="too large"):
        chinese_upper_cents(10**18)


@pytest.mark.parametrize(
    ("cents", "words"),
    [
        (0, "Zero and 00/100"),
        (5, "Zero and 05/100"),
        (10000, "One hundred and 00/100"),
        (1234560, "Twelve thousand three hundred forty-five and 60/100"),
        (1000000001, "Ten million and 01/100"),
        (2100500, "Twenty-one thousand five and 00/100"),
    ],
)
def test_english_words_vectors(cents: int, words: str) -> None:
    assert english_words_cents(cents) == words


_DIGIT = {ch: i for i, ch in enumerate("零壹贰叁肆伍陆柒捌玖")}
_PLACE = {"拾": 10, "佰": 100, "仟": 1000}


def _read_group(text: str) -> int:
    value, digit = 0, 0
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        else:
            value += digit * _PLACE[ch]
            digit = 0
    return value + digit


def _read_yuan(text: str) -> int:
    if "亿" in text:
        high, low = text.split("亿", 1)
        return _read_yuan(high) * 10**8 + _read_yuan(low)
    if "万" in text:
        high, low = text.split("万", 1)
        return _read_group(high) * 10**4 + _read_group(low)
    return _read_group(text)


def _parse_upper(words: str) -> int:
    """An independent reader of 大写 amounts, for the round trip."""
    if words == "零元整":
        return 0
    body = words.removesuffix("整")
    yuan_text, _, small = body.rpartition("元") if "元" in body else ("", "", body)
    jiao = re.search(r"(.)角", small)
    fen = re.search(r"(.)分", small)
    return (_read_yuan(yuan_text) * 100 + (_DIGIT[jiao.group(1)] * 10 if jiao else 0)
            + (_DIGIT[fen.group(1)] if fen else 0))


@given(st.integers(min_value=0, max_value=10**16 * 100 - 1))
def test_chinese_upper_round_trips(cents: int) -> None:
    words = chinese_upper_cents(cents)
    assert _parse_upper(words) == cents
    assert "零零" not in words
    assert words.count("亿") <= 1
    assert not words.startswith("零") or cents == 0
    assert words.endswith("分") == (cents % 10 != 0)
