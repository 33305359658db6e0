"""Payer names as banks show them -> the customer they belong to.

``normalise_name`` keeps what identifies a company and drops what varies between spellings: case, width
(NFKC), punctuation, spaces, a leading "The", and legal-form words — Ltd, Limited, Co., Company, Inc.,
Incorporated, LLC, LLP, PLC, GmbH, AG, Corp, Corporation, S.A., B.V., Pty, and the Chinese 股份有限公司,
有限责任公司, 有限公司, 股份公司, 公司, 股份 at the end (after an optional bracketed city, e.g. "（上海）" is kept as 上海).
"ACME Trading Co., Ltd." and "Acme Trading Limited" both become ``acmetrading``; "上海华信贸易有限公司" becomes
``上海华信贸易``.

``PayerDirectory`` matches a normalised payer name exactly to one customer; failing that, a bank-truncated name
(at least eight characters, a cut-off legal-form word such as the "C" of "CO LTD" dropped) that is the start of
exactly one customer's name.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

_LATIN_SUFFIXES = frozenset(
    [
        "ltd",
        "limited",
        "co",
        "company",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "corp",
        "corporation",
        "sa",
        "bv",
        "pty",
        "lp",
        "kg",
        "srl",
        "spa",
    ]
)
_ZH_SUFFIX = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|股份公司|公司|股份)$")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MIN_TRUNCATED = 8


def _words(name: object) -> list[str]:
    if name is None:
        return []
    text = unicodedata.normalize("NFKC", str(name)).casefold().strip()
    if not text:
        return []
    # "S.A." / "B.V." / "Co.,Ltd" -> letters of one word; other punctuation separates words
    text = re.sub(r"\b([a-z])\.(?=[a-z]\.)", r"\1", text)
    text = re.sub(r"\b([a-z])\.\b", r"\1", text)
    words = _WORD.findall(text)
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    return words


def normalise_name(name: object) -> str:
    """A company name -> its comparison key ('' for blank)."""
    return _key(_words(name))


def _key(words: list[str]) -> str:
    kept = [w for w in words if w not in _LATIN_SUFFIXES]
    if not kept:  # a name made only of legal-form words is still a name
        kept = words
    joined = "".join(kept)
    for _ in range(2):  # "...有限公司" and a trailing "公司" after a latin suffix pass
        stripped = _ZH_SUFFIX.sub("", joined)
        if not stripped or stripped == joined:
            break
        joined = stripped
    return joined


@dataclass
class PayerDirectory:
    """Customers by normalised name, built once per run."""

    by_name: dict[str, list[str]] = field(default_factory=dict)
    sorted_names: list[str] = field(default_factory=list)
    _cache: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, customer_ids: Sequence[str], names: Sequence[object]) -> PayerDirectory:
        directory = cls()
        for cid, name in zip(customer_ids, names):
            key = normalise_name(name)
            if key and cid:
                ids = directory.by_name.setdefault(key, [])
                if cid not in ids:
                    ids.append(cid)
        for ids in directory.by_name.values():
            ids.sort()  # the customers frame's row order must not change any result
        directory.sorted_names = sorted(directory.by_name)
        return directory

    def customers_for(self, payer_name: object) -> list[str]:
        """Customer ids the payer name points to: one is a match, several are ambiguous, none is unknown."""
        key = normalise_name(payer_name)
        if not key:
            return []
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found = list(self.by_name.get(key, ()))
        if not found:
            words = _words(payer_name)
            keys = [key]
            if len(words) > 1 and any(s.startswith(words[-1]) for s in _LATIN_SUFFIXES):
                keys.append(_key(words[:-1]))  # "ACME TRADING C" is "ACME TRADING CO..." cut off by the bank
            for k in keys:
                found = self._starting_with(k) if len(k) >= MIN_TRUNCATED else []
                if found:
                    break
        self._cache[key] = found
        return found

    def _starting_with(self, key: str) -> list[str]:
        lo = bisect.bisect_left(self.sorted_names, key)
        found: list[str] = []
        while lo < len(self.sorted_names) and self.sorted_names[lo].startswith(key):
            found.extend(self.by_name[self.sorted_names[lo]])
            lo += 1
        return sorted(set(found))
