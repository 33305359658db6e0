"""Payer names as banks show them -> the customer they belong to.

``normalise_name`` keeps what identifies a company and drops what varies between spellings: case, width
(NFKC), punctuation, spaces, a leading "The", and legal-form words — Ltd, Limited, Co., Company, Inc.,
Incorporated, LLC, LLP, PLC, GmbH, AG, Corp, Corporation, S.A., B.V., Pty, and the Chinese 股份有限公司,
有限责任公司, 有限公司, 股份公司, 公司, 股份 at the end (after an optional bracketed city, e.g. "（上海）" is kept as 上海).
"ACME Trading Co., Ltd." and "Acme Trading Limited" both become ``acmetrading``; "上海华信贸易有限公司" becomes
``上海华信贸易``.

``PayerDirectory`` matches a normalised payer name exactly to one customer; failing that, a bank-truncated name
(at least eight characters, a cut-off legal-form word such as the "C" of "CO LTD" dropped) that is the start of
exactly one customer's name. These are **name** matches (``NAME``).

Two weaker ways, tried only when the name gives nothing (``find``):

- **Word order** (``NAME``): the payer's words, legal forms dropped, are the customer's words in another order
  ("Smith John" pays for "John Smith Ltd"; banks print surname first). Same words, so as good as the name.
- **Name in the text** (``TEXT``, one confidence step lower): every *distinctive* word of exactly one customer's
  name appears somewhere in the payer or remittance text, in any order ("1234//HADDOCK-Archibald" for
  "Archibald Haddock", as Odoo's ``partner_name_in_communication`` matches). A word is distinctive when it has at
  least 3 letters and is not a generic business word (Trading, Services, Group, China, Global, ...); a customer
  needs two distinctive words, or one of at least 6 letters, so "Smith", "Star" or "Trading" alone never
  identify anyone. A Chinese name (no spaces) is found when its key, at least 4 characters, is in the text.
  Two customers found → nobody is guessed (ambiguous).
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
_INITIAL_BEFORE_INITIAL = re.compile(r"\b([a-z])\.(?=[a-z]\.)")  # "s.a." -> "sa." -> "sa"
_LAST_INITIAL = re.compile(r"\b([a-z])\.\b")
_CJK = re.compile("[\u4e00-\u9fff]")
MIN_TRUNCATED = 8


def _words(name: object) -> list[str]:
    if name is None:
        return []
    text = unicodedata.normalize("NFKC", str(name)).casefold().strip()
    if not text:
        return []
    # "S.A." / "B.V." / "Co.,Ltd" -> letters of one word; other punctuation separates words
    if "." in text:  # the two patterns below need a dot: most names have none
        text = _INITIAL_BEFORE_INITIAL.sub(r"\1", text)
        text = _LAST_INITIAL.sub(r"\1", text)
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
    if joined.isascii():  # the Chinese legal forms cannot end it
        return joined
    for _ in range(2):  # "...有限公司" and a trailing "公司" after a latin suffix pass
        stripped = _ZH_SUFFIX.sub("", joined)
        if not stripped or stripped == joined:
            break
        joined = stripped
    return joined


NAME, TEXT = "name", "text"  # how a payer was found: its name (any word order), or its name inside the text

# Words that many company names share: alone they identify nobody, and they never count towards a text match.
GENERIC_WORDS = frozenset(
    """
    and of the for to at in on by de la le du und et
    trading trade traders services service group holding holdings international intl global industries industry
    industrial enterprise enterprises company technology technologies tech solutions systems system products
    manufacturing logistics import export imports exports partners associates consulting management development
    capital investment investments foods food supplies supply store stores shop retail wholesale distribution
    china beijing shanghai guangzhou shenzhen hong kong asia pacific europe america american usa uk us national
    general united new first best star royal golden city north south east west central bank payment invoice
    transfer ref reference remittance inv pay paid from ltd
    """.split()
)
MIN_DISTINCT = 3  # letters of a distinctive word
MIN_SINGLE = 6  # letters of a name's only distinctive word for it to identify the customer in a text
MIN_CJK_KEY = 4  # characters of a Chinese key for it to be searched in a text
_MAX_CUT_TEXT = 120  # longer texts are searched key by key


def _distinctive(words: list[str]) -> frozenset[str]:
    return frozenset(w for w in words if len(w) >= MIN_DISTINCT and w not in GENERIC_WORDS
                     and w not in _LATIN_SUFFIXES and not w.isdigit())


def _is_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@dataclass
class PayerDirectory:
    """Customers by normalised name, built once per run."""

    by_name: dict[str, list[str]] = field(default_factory=dict)
    sorted_names: list[str] = field(default_factory=list)
    by_words: dict[frozenset[str], list[str]] = field(default_factory=dict)  # words (legal forms dropped), any order
    distinct: dict[str, frozenset[str]] = field(default_factory=dict)  # customer -> words that can identify it
    by_word: dict[str, list[str]] = field(default_factory=dict)  # distinctive word -> customers using it
    cjk_keys: dict[str, list[str]] = field(default_factory=dict)  # Chinese key -> customers
    _cache: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, customer_ids: Sequence[str], names: Sequence[object]) -> PayerDirectory:
        directory = cls()
        for cid, name in zip(customer_ids, names):
            all_words = _words(name)  # once per name: normalise_name(name) is _key(_words(name))
            key = _key(all_words)
            if not (key and cid):
                continue
            _add(directory.by_name, key, cid)
            words = [w for w in all_words if w not in _LATIN_SUFFIXES]
            if len(words) > 1:
                _add(directory.by_words, frozenset(words), cid)
            if _is_cjk(key):
                if len(key) >= MIN_CJK_KEY:
                    _add(directory.cjk_keys, key, cid)
                continue
            distinct = _distinctive(words)
            if len(distinct) >= 2 or any(len(w) >= MIN_SINGLE for w in distinct):
                directory.distinct[cid] = directory.distinct.get(cid, frozenset()) | distinct
                for w in distinct:
                    _add(directory.by_word, w, cid)
        for index in (directory.by_name, directory.by_words, directory.by_word, directory.cjk_keys):
            for ids in index.values():
                ids.sort()  # the customers frame's row order must not change any result
        directory.sorted_names = sorted(directory.by_name)
        return directory

    def find(self, payer_name: object, text: object = "") -> tuple[list[str], str]:
        """Customers the payer is, and how it was found: by name (exact, truncated or in another word order), else
        by a customer's name found in the payer or remittance text. ([], NAME) when nothing fits."""
        found = self.customers_for(payer_name)
        if found:
            return found, NAME
        words = [w for w in _words(payer_name) if w not in _LATIN_SUFFIXES]
        found = list(self.by_words.get(frozenset(words), ())) if len(words) > 1 else []
        if found:
            return found, NAME
        return self.named_in_text(f"{payer_name or ''} {text or ''}"), TEXT

    def named_in_text(self, text: str) -> list[str]:
        """Customers whose every distinctive word (or whose Chinese key) is in `text`; see the module docstring."""
        words = set(_words(text))
        candidates = {c for w in words for c in self.by_word.get(w, ())}
        found = {c for c in candidates if self.distinct[c] <= words}
        if self.cjk_keys and _is_cjk(text):
            squeezed = "".join(_words(text))
            found |= self._cjk_keys_in(squeezed)
        if len(found) > 1:  # "Haddock Archibald" holds "Haddock" too: a name that contains every other one wins
            sets = {c: self.distinct.get(c, frozenset()) for c in found}
            widest = [c for c in found if all(other <= sets[c] for other in sets.values())]
            if len(widest) == 1:
                return widest
        return sorted(found)

    def _cjk_keys_in(self, squeezed: str) -> set[str]:
        """Customers whose Chinese key occurs in ``squeezed``: a short text is cut into its substrings of key
        length or more and each looked up (a few hundred lookups instead of a pass over every key)."""
        n = len(squeezed)
        if n > _MAX_CUT_TEXT:
            return {c for key, ids in self.cjk_keys.items() if key in squeezed for c in ids}
        return {c for a in range(n) for b in range(a + MIN_CJK_KEY, n + 1) for c in self.cjk_keys.get(squeezed[a:b], ())}

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


def _add(index: dict, key, cid: str) -> None:
    ids = index.setdefault(key, [])
    if cid not in ids:
        ids.append(cid)
