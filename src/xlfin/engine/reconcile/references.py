"""Invoice numbers in free text: normalised keys, a lookup index, and a scanner for remittance references.

A *key* is what two spellings of one invoice number have in common: NFKC (full-width digits and letters become
ASCII), upper case, letters and digits only, leading prefix words (``INV``, ``INVOICE``, ``NO``, ``NR``, ``NUM``,
``NUMBER``, ``发票``, ``发票号``, …) dropped when a digit follows them, and leading zeros dropped. So ``INV-001001``,
``inv 1001``, ``Invoice No. 1001``, ``#1001`` and ``发票号1001`` all have the key ``1001``; ``SI/2026/0042`` has
``SI20260042``. Invoice numbers and reference text go through the same function, so the rules need not be exact,
only consistent.

The scanner splits a reference into alphanumeric *parts* and the separators between them. Parts joined by "soft"
separators (spaces, ``- / . _ # :``) may belong to one number (``INV 2026 0001``), so at each part it tries the
longest run of up to four parts whose key is an invoice, then shorter ones. Hard separators (``& , ; +``, words,
Chinese text) end a run. On top of exact keys it understands:

- several numbers (``INV-1001/1002``, ``1001 & 1002``) — every part is tried, and a bare number after an invoice
  with a letter prefix also tries that prefix (``SI-1001/1002``);
- ranges (``1001-1003``, ``1001~1003``, ``1001 to 1003``, ``1001至1003``) — only when both ends are open invoices
  of the payer and the span is short; the open invoices of the payer between them are named too;
- one-character typos (substitution, insertion, deletion, swap of two neighbours) — only for a run that matched
  nothing, has a digit and at least four characters, and only when exactly one open invoice of the payer is that
  close.

Calendar dates (``2026-03-05``, ``05.03.2026``, ``2026年3月5日``) and written amounts (``USD 1,234.56``,
``12,500.00``) are blanked before scanning, so a payment date is never read as invoice 20260305.
"""

from __future__ import annotations

import itertools
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

# Chinese wording around invoice numbers carries no digits; turning it into spaces keeps "发票号1001" a soft join.
_ZH_PREFIX = re.compile(r"发票号码|发票编号|发票号|发票|票号|单号|编号|号码|号|第")
_ZH_RANGE = re.compile(r"(?<=\d)\s*(?:至|到|~|～|TO)\s*(?=[A-Z]*\d)")
_DATE_PATTERNS = (
    re.compile(r"(?<![0-9A-Z])((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?![0-9])"),
    re.compile(r"(?<![0-9A-Z])(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d\d)(?![0-9])"),
)
# money written in the text ("USD 1,234.56", "12,500.00") is not an invoice number
_MONEY_PATTERNS = (
    re.compile(r"(?:[$¥€£]|\bUSD|\bCNY|\bRMB|\bEUR|\bAMT|\bAMOUNT|元)\s*:?\s*\d[\d,]*(?:\.\d{1,2})?"),
    re.compile(r"(?<![0-9A-Z.])\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?(?![0-9])"),
)
# A text in which none of these occurs has no match of _DATE_PATTERNS or _MONEY_PATTERNS: each of those patterns
# contains one of them (a year and its separator; day, month and year; a currency sign or word; "1,234").
_MAYBE_DATE_OR_MONEY = re.compile(r"(?:19|20)\d\d\s*[-/.年]|\d[-/.]\d{1,2}[-/.](?:19|20)\d\d|[$¥€£元]|USD|CNY|RMB|EUR|AMT|AMOUNT"
                                  r"|\d,\d{3}")
_RANGE_WORDS = ("至", "到", "~", "～", "TO")  # _ZH_RANGE needs one of them
_PREFIX = re.compile(r"^(?:INVOICE|INV|NUMBER|NUM|NO|NR)+(?=\d)")
_PREFIX_STARTS = ("I", "N")  # the first letters of _PREFIX's words
_PREFIX_ONLY = re.compile(r"(?:INVOICE|INV|NUMBER|NUM|NO|NR)+")
_PART = re.compile(r"[A-Z0-9]+")
_PART_SPLIT = re.compile(r"([A-Z0-9]+)")
_SOFT_SEP = re.compile(r"^[\s\-/._#:]{1,3}$")
_ANY_DIGIT = re.compile(r"\d")
_ANY_ASCII_DIGIT = re.compile("[0-9]")
_RANGE_SEP = "~"  # _ZH_RANGE and explicit tildes are folded into this marker
MAX_RUN_PARTS = 4
MAX_RANGE_SPAN = 50
MIN_TYPO_KEY = 4
MIN_BARE_DIGITS = 3


def normalise_text(text: str) -> str:
    """NFKC + upper case, Chinese prefix words to spaces, dates blanked, range words folded to '~'."""
    if not text:
        return ""
    text = str(text)
    t = (text if text.isascii() else unicodedata.normalize("NFKC", text)).upper()
    if not t.isascii():  # the Chinese words are not ASCII; in ASCII text the substitution changes nothing
        t = _ZH_PREFIX.sub(" ", t)
    if not _ANY_DIGIT.search(t):  # every date, amount and range pattern needs a digit
        return t
    if _MAYBE_DATE_OR_MONEY.search(t):  # else no date or money pattern matches: one pass instead of four
        for pattern in _DATE_PATTERNS:
            t = pattern.sub(_blank_if_date, t)
        for pattern in _MONEY_PATTERNS:
            t = pattern.sub(_blank, t)
    if any(word in t for word in _RANGE_WORDS):
        t = _ZH_RANGE.sub(_RANGE_SEP, t)
    return t


def _blank(m: re.Match[str]) -> str:
    return " " * (m.end() - m.start())


def _blank_if_date(m: re.Match[str]) -> str:
    a, b, c = (int(g) for g in m.groups())
    year, month, day = (a, b, c) if a >= 1900 else (c, b, a)
    if 1 <= month <= 12 and 1 <= day <= 31:
        return " " * (m.end() - m.start())
    if year >= 1900 and 1 <= day <= 12 and 1 <= month <= 31:  # month/day the other way round
        return " " * (m.end() - m.start())
    return m.group(0)


def key_of_alnum(alnum: str) -> str:
    """Upper-case alphanumeric string -> key (prefix words and leading zeros dropped)."""
    k = _PREFIX.sub("", alnum) if alnum[:1] in _PREFIX_STARTS else alnum
    if k[:1] == "0":
        k = k.lstrip("0") or "0"
    return k


def invoice_key(invoice_no: str) -> str:
    """The key of one invoice number as typed in the Invoices table."""
    t = unicodedata.normalize("NFKC", str(invoice_no)).upper()
    t = _ZH_PREFIX.sub(" ", t)
    return key_of_alnum("".join(_PART.findall(t)))


def digits_key(invoice_no: str) -> str:
    """All digits of an invoice number, leading zeros dropped: 'SI-2026/0042' -> '20260042'."""
    t = unicodedata.normalize("NFKC", str(invoice_no))
    return "".join(ch for ch in t if ch.isascii() and ch.isdigit()).lstrip("0")


def _alpha_prefix(key: str) -> str:
    i = 0
    while i < len(key) and key[i].isalpha():
        i += 1
    return key[:i] if i < len(key) else ""


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one substitution, insertion, deletion or swap of neighbours."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    # b is one longer: skipping one character of b must give a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def deletion_variants(key: str) -> list[str]:
    """The key and every string one deletion from it (a list: a variant twice is harmless to the set callers)."""
    return [key, *[key[:i] + key[i + 1:] for i in range(len(key))]]


_NOT_ALNUM = re.compile("[^A-Z0-9\n]")
_NOT_DIGIT = re.compile("[^0-9\n]")
# the same rules over a newline-joined text: each pattern starts at a newline, so re finds candidates fast
_LINE_PREFIX = re.compile("\n" + _PREFIX.pattern[1:])
_LEADING_ZEROS_KEEP_ONE = re.compile("\n0+(?=.)")  # "007" -> "7", "000" -> "0"
_LEADING_ZEROS = re.compile("\n0+")
_KEEP_ALNUM = {c: None for c in range(128) if not (chr(c).isalnum() and chr(c).isupper() or chr(c).isdigit()
                                                    or chr(c) == "\n")}
_KEEP_DIGITS = {c: None for c in range(128) if not (chr(c).isdigit() or chr(c) == "\n")}
_ALPHA_STARTS = re.compile("^([A-Z]+)[0-9]", re.MULTILINE)
# a line starting with I or N other than "INV" + digit: when there is none, _LINE_PREFIX strips exactly "INV"
_OTHER_PREFIX_LINE = re.compile("\n(?!INV[0-9])[IN]")
_ASCII_LETTER = re.compile("[A-Z]")


def _index_keys(number: str) -> tuple[str, str, str]:
    """(key, alphanumeric spelling, digits) of one invoice number, as ``InvoiceIndex`` stores them."""
    nfkc = unicodedata.normalize("NFKC", number)
    alnum = _NOT_ALNUM.sub("", _ZH_PREFIX.sub(" ", nfkc.upper())).replace("\n", "")
    stripped = _PREFIX.sub("", alnum)
    key = stripped.lstrip("0") or ("0" if stripped else "")
    return key, alnum, _NOT_DIGIT.sub("", nfkc).replace("\n", "").lstrip("0")


def _index_keys_batch(numbers: list[str]) -> tuple[list[str], list[str], list[str]]:
    """``_index_keys`` of every number. The ASCII ones (nearly all) go through each regular expression once, as
    one newline-joined text (NFKC and the Chinese prefix words change nothing in ASCII); the rest one by one."""
    n = len(numbers)
    joined = "\n" + "\n".join(numbers)
    if joined.isascii() and joined.count("\n") == n:  # nearly always: no line to set aside
        plain = range(n)
    else:
        plain = [i for i, number in enumerate(numbers) if number.isascii() and "\n" not in number]
        joined = "\n" + "\n".join(numbers[i] for i in plain)
    alnum_text = joined.upper().translate(_KEEP_ALNUM)
    if _OTHER_PREFIX_LINE.search(alnum_text):
        key_text = _LINE_PREFIX.sub("\n", alnum_text)
    else:  # every prefix is "INV" before a digit: one replace instead of a match per line
        key_text = alnum_text.replace("\nINV", "\n")
    key_text = _LEADING_ZEROS_KEEP_ONE.sub("\n", key_text)[1:]
    digit_text = _LEADING_ZEROS.sub("\n", joined.translate(_KEEP_DIGITS))[1:]
    alnum_text = alnum_text[1:]
    if len(plain) == n and n:  # all ASCII (nearly always): the split texts are the lists, in order
        return key_text.split("\n"), alnum_text.split("\n"), digit_text.split("\n")
    keys, alnums, digits = [""] * n, [""] * n, [""] * n
    if plain:
        for i, key, alnum, digit in zip(plain, key_text.split("\n"), alnum_text.split("\n"),
                                        digit_text.split("\n")):
            keys[i], alnums[i], digits[i] = key, alnum, digit
    if len(plain) < n:
        for i in sorted(set(range(n)) - set(plain)):
            keys[i], alnums[i], digits[i] = _index_keys(numbers[i])
    return keys, alnums, digits


# A typo probe (``_probe_near``) costs about as much as making this many invoices' deletion-variant table entries
# (measured: 11 at 100k invoices, 15 at 1M). A payer makes ~0.3 distinct typo queries per payment in both demo books
# (~6 per payer, 1 to 40). A payer whose table would cost less than the probes it is expected to make gets its table
# at once; a larger one probes until the probes have cost as much as its table would, then makes it (a payer
# queried more than expected pays at most about twice). At 100k invoices a payer has ~20 invoices and ~16 payments
# (tables); at 1M ~200 invoices and the same ~16 payments (probes).
_PROBE_COST = 15
_PROBE_FIRST = 6 * _PROBE_COST  # a payer's expected probes when its payments are not known
_QUERIES_PER_PAYMENT = 0.3


@dataclass
class _ScopeKeys:
    """What the typo search knows of one customer's keys before (or instead of) making its table."""

    keys: list[str]
    positions: range
    lengths: set[int]
    probes: int = 0  # typo queries answered by probing so far
    letters: list[str] = field(default_factory=list)  # for probing: the distinct characters of its keys
    at: dict[str, list[int]] = field(default_factory=dict)  # for probing: key -> its positions (a small dict)

    def ready_to_probe(self) -> _ScopeKeys:
        if not self.at:
            self.letters = sorted(set("".join(self.keys)))
            at = dict(zip(self.keys, [[p] for p in self.positions]))
            if len(at) < len(self.keys):  # a key twice in the scope (rare): every position listed
                at = {}
                for k, p in zip(self.keys, self.positions):
                    at.setdefault(k, []).append(p)
            self.at = at
        return self


def _probe_near(key: str, keys_of: _ScopeKeys) -> list[int]:
    """The scope's invoices (key at least MIN_TYPO_KEY - 1 long) within one edit of ``key``, by looking up every
    string one edit away among the scope's keys: the key itself, its deletions, neighbour swaps, and its
    substitutions and insertions of the characters the scope's keys are made of (a key with another character is
    no key of the scope). Only edits to a length the scope has, and long enough, are made: a string found is the
    key of every position listed for it."""
    n, shortest, lengths, letters = len(key), MIN_TYPO_KEY - 1, keys_of.lengths, keys_of.letters
    heads = [key[:i] for i in range(n + 1)]
    tails = [key[i:] for i in range(n + 1)]
    probes = []
    if n in lengths and n >= shortest:
        probes.append(key)
        probes += [heads[i] + c + tails[i + 1] for i in range(n) for c in letters if c != key[i]]
        probes += [heads[i] + key[i + 1] + key[i] + tails[i + 2] for i in range(n - 1) if key[i] != key[i + 1]]
    if n - 1 in lengths and n - 1 >= shortest:
        probes += [heads[i] + tails[i + 1] for i in range(n)]
    if n + 1 in lengths and n + 1 >= shortest:
        probes += [heads[i] + c + tails[i] for i in range(n + 1) for c in letters]
    return sorted({p for at in map(keys_of.at.get, probes) if at for p in at})


@dataclass
class InvoiceIndex:
    """Invoice positions by key, built once per run. Positions refer to the engine's sorted invoice arrays."""

    keys: list[str]
    alnums: list[str]
    customers: list[str]
    by_key: dict[str, list[int]] = field(default_factory=dict)
    by_digits: dict[str, list[int]] = field(default_factory=dict)
    alpha_starts: set[str] = field(default_factory=set)
    _typo_cache: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    _typo_scope: dict[str, _ScopeKeys] = field(default_factory=dict)  # lengths and letters of a customer's keys
    _typo_near: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # typo_near's answers
    # payments per customer, when the caller knows them: how many typo queries a payer will make (see _PROBE_COST)
    payments_of: dict[str, int] = field(default_factory=dict)
    _prepared: dict[str, tuple[str, list[str], list[str], list[bool]]] = field(default_factory=dict)
    # scan() answers that did not depend on what is open, by (text, scope, explicit, no is_open); callers only read
    _static_scans: dict[tuple[str, str | None, bool, bool], ScanResult] = field(default_factory=dict)

    @classmethod
    def build(cls, invoice_nos: Sequence[str], customers: Sequence[str]) -> InvoiceIndex:
        """Same rules as ``invoice_key``/``digits_key`` (100k numbers in well under 0.1 s)."""
        try:  # the engine passes texts: no str() per number
            keys, alnums, digits = _index_keys_batch(list(invoice_nos))
        except TypeError:  # "\n".join met a number that is not a text
            keys, alnums, digits = _index_keys_batch([str(number) for number in invoice_nos])
        idx = cls(keys=keys, alnums=alnums, customers=list(customers))
        by_key = dict(zip(keys, [[pos] for pos in range(len(keys))]))
        if len(by_key) == len(keys):  # distinct keys (nearly always): one dict() call, no set to check it first
            idx.by_key = by_key
            idx.by_key.pop("", None)
        else:
            for pos, key in enumerate(keys):
                if key:
                    idx.by_key.setdefault(key, []).append(pos)
        by_digits = idx.by_digits
        if digits != keys:  # equal lists (numbers such as INV-1001: the key is the digits) index nothing here
            for pos in itertools.compress(range(len(keys)), map(operator.ne, digits, keys)):  # in C: few differ
                if len(digits[pos]) >= 4:
                    by_digits.setdefault(digits[pos], []).append(pos)
        key_text = "\n".join(keys)
        if _ASCII_LETTER.search(key_text):  # keys of digits only (most books) start with no letters
            idx.alpha_starts = set(_ALPHA_STARTS.findall(key_text))
        return idx

    def lookup(self, key: str, alnum: str, scope: str | None, use_digits: bool) -> list[int]:
        """Invoices with this key (of the scope customer when given). Several only when genuinely ambiguous."""
        hits = self.by_key.get(key)
        if scope is not None:
            customers = self.customers
            if hits is not None:
                if len(hits) == 1:  # nearly always: no list to filter
                    if customers[hits[0]] == scope:
                        return [hits[0]]
                    hits = None
                else:
                    hits = [p for p in hits if customers[p] == scope] or None
            if hits is None:
                if not (use_digits and key.isdigit()):
                    return []
                at = self.by_digits.get(key)
                if at is None:
                    return []
                hits = [p for p in at if customers[p] == scope]
        else:
            hits = list(hits or ())
        if len(hits) > 1:  # 'INV-1001' and '1001' both exist: the spelling that matches exactly wins
            exact = [p for p in hits if self.alnums[p] == alnum]
            if len(exact) == 1:
                return exact
        return hits

    def prepared(self, text: str) -> tuple[str, list[str], list[str], list[bool]]:
        """normalise_text, _parts and _softs of a text, kept for this run: a payment's texts are looked at up to four
        times (fast-path check, payer, rules, report). Callers only read the lists."""
        found = self._prepared.get(text)
        if found is None:
            norm = normalise_text(text)
            parts, seps = _parts(norm)
            found = self._prepared[text] = (norm, parts, seps, _softs(seps))
        return found

    def typo_candidates(
        self, key: str, scope: str, scope_positions: range, is_open: Callable[[int], bool] | None = None
    ) -> list[int]:
        """Positions of the scope's invoices whose key is within one edit of ``key`` (and at least
        MIN_TYPO_KEY - 1 long), ascending; with ``is_open``, the open ones only. Callers only read the list.

        ``is_open`` is asked only about the invoices one edit away (open or not, ``typo_near``): a search with none
        asks nothing, so a scan whose typo search found nothing near does not depend on the open state and is kept."""
        near = self.typo_near(key, scope, scope_positions)
        if not near or is_open is None:
            return near
        return [p for p in near if is_open(p)]

    def typo_near(self, key: str, scope: str, scope_positions: range) -> list[int]:
        """Positions of the scope's invoices, open or not, whose key is within one edit of ``key`` and at least
        MIN_TYPO_KEY - 1 long, ascending: the same whatever is open, so kept per (key, scope) for the run. (The
        deletion-variant table used to hold only the invoices open when it was made: an invoice never reopens, so
        filtering by ``is_open`` at query time gives the same set.)"""
        memo = (key, scope)
        near = self._typo_near.get(memo)
        if near is None:
            near = self._typo_near[memo] = self._find_near(key, scope, scope_positions)
        return near

    def _find_near(self, key: str, scope: str, scope_positions: range) -> list[int]:
        """``typo_near`` computed, by the cheaper of two ways that give the same set: probing the scope's keys with
        every string one edit from the key, or the scope's deletion-variant table (see ``_PROBE_COST``). At 1M
        invoices a payer has ~200 and its table costs ~14 probes; at 100k, ~20 and ~1.5 probes."""
        keys_of = self._typo_scope.get(scope)
        if keys_of is None:
            keys = [self.keys[p] for p in scope_positions]
            keys_of = self._typo_scope[scope] = _ScopeKeys(keys, scope_positions, set(map(len, keys)))
        lengths, n = keys_of.lengths, len(key)
        if n not in lengths and n - 1 not in lengths and n + 1 not in lengths:
            return []  # one edit changes the length by one at most: no key of the payer is that close
        table = self._typo_cache.get(scope)
        if table is None:
            size = len(scope_positions)
            payments = self.payments_of.get(scope)
            expected = _PROBE_FIRST if payments is None else payments * _QUERIES_PER_PAYMENT * _PROBE_COST
            if size >= expected and keys_of.probes * _PROBE_COST < size:
                keys_of.probes += 1
                return _probe_near(key, keys_of.ready_to_probe())
            table = self._typo_cache[scope] = self._typo_table(scope_positions)
        # the distinct positions that share a deletion variant with the key, each then checked once
        near: set[int] = set()
        get = table.get
        for v in deletion_variants(key):
            at = get(v)
            if at:
                near.update(at)
        if not near:
            return []
        keys = self.keys
        return sorted([p for p in near if within_one_edit(key, keys[p])])

    def _typo_table(self, scope_positions: range) -> dict[str, list[int]]:
        """Deletion variant -> positions, of every invoice of the scope whose key is at least MIN_TYPO_KEY - 1
        long. The (variant, position) pairs come from one comprehension (no generator per key); a variant twice
        for one key lists the position twice, which the callers' sets absorb."""
        keys = self.keys
        shortest = MIN_TYPO_KEY - 1
        pairs = [(k[:i] + k[i + 1:], p) for p in scope_positions if len(k := keys[p]) >= shortest
                 for i in range(len(k) + 1)]  # i = len(k): the key itself
        table: dict[str, list[int]] = {}
        for v, p in pairs:
            at = table.get(v)
            if at is None:
                table[v] = [p]
            else:
                at.append(p)
        return table


class Mention(NamedTuple):
    """An invoice found in a text: its position, how it was found ('exact', 'range', 'typo'), and the text.
    (A NamedTuple: scans make hundreds of thousands, and a frozen dataclass costs several times more to make.)"""

    position: int
    how: str
    text: str


@dataclass
class ScanResult:
    mentions: list[Mention]
    # Applied To text that matched no invoice of the payer, as typed
    unresolved: list[str]
    # invoices a number fits equally well (same key, or a typo close to several)
    ambiguous: list[int]


def _softs(seps: list[str]) -> list[bool]:
    """Per part, whether the separator before it is soft (joins it to the part before)."""
    return [bool(_SOFT_SEP.match(sep)) for sep in seps]


def _parts(text: str) -> tuple[list[str], list[str]]:
    """Parts and the separator *before* each part (the first one's is the text before it)."""
    pieces = _PART_SPLIT.split(text)  # [sep, part, sep, part, ..., tail]: one pass in C
    return pieces[1::2], pieces[0:-1:2]


def scan(
    text: str,
    index: InvoiceIndex,
    *,
    scope: str | None,
    scope_positions: range | None = None,
    is_open: Callable[[int], bool] | None = None,
    explicit: bool = False,
) -> ScanResult:
    """Invoices named in ``text``, in order of appearance, each once.

    ``scope``: the payer's customer id (None: any customer, exact keys only, used to identify the payer).
    ``is_open``: tells whether an invoice is still open (ranges and typos need it; without it they are off).
    ``explicit``: text from the Applied To column — every token counts, bare short numbers too, no typos.
    """
    if not text or (not explicit and names_nothing(text)):
        # outside Applied To only a run of parts with a digit can name an invoice or be a typo of one
        return ScanResult([], [], [])
    memo = (text, scope, explicit, is_open is None)
    found = index._static_scans.get(memo)
    if found is not None:
        return found
    if is_open is None:
        found = _scan(text, index, scope, scope_positions, None, explicit)
    else:
        asked = []

        def watched(p: int) -> bool:
            asked.append(p)
            return is_open(p)

        found = _scan(text, index, scope, scope_positions, watched, explicit)
        if asked:  # a range or a typo looked at the open items: the answer may differ next time
            return found
    # the only state a scan reads is ``is_open``: one that never asked it gives this answer whatever is open
    index._static_scans[memo] = found
    return found


def _scan(
    text: str,
    index: InvoiceIndex,
    scope: str | None,
    scope_positions: range | None,
    is_open: Callable[[int], bool] | None,
    explicit: bool,
) -> ScanResult:
    norm, parts, seps, softs = index.prepared(text)
    n = len(parts)
    mentions: list[Mention] = []
    seen: set[int] = set()
    unresolved: list[str] = []
    ambiguous: list[int] = []
    consumed = [False] * n
    last_prefix = ""
    prev_hit_end = -1  # index after the last exact hit, for range detection
    prev_hit_pos = -1

    def add(pos: int, how: str, txt: str) -> None:
        if pos not in seen:
            seen.add(pos)
            mentions.append(Mention(pos, how, txt))

    i = 0
    while i < n:
        if not explicit and _plain_word(parts[i], index):
            i += 1
            continue
        hit, hit_j = _run_hit(parts, softs, i, index, scope, explicit, last_prefix)
        if not hit:
            i += 1
            continue
        if len(hit) > 1 and scope is not None:
            ambiguous.extend(hit)
            for k in range(i, hit_j):
                consumed[k] = True
            i = hit_j
            continue
        txt = norm_text_span(parts, seps, i, hit_j)
        # a range "A-B" / "A~B": both ends open invoices of the payer, the open ones between named too
        if (
            prev_hit_pos >= 0
            and prev_hit_end == i
            and len(hit) == 1
            and scope is not None
            and is_open is not None
            and seps[i].strip() in ("-", _RANGE_SEP)
        ):
            _expand_range(index, prev_hit_pos, hit[0], scope, scope_positions, is_open, add)
        for pos in hit:
            add(pos, "exact", txt)
        for k in range(i, hit_j):
            consumed[k] = True
        if len(hit) == 1:
            last_prefix = _alpha_prefix(index.keys[hit[0]])
            prev_hit_pos = hit[0]
        prev_hit_end = hit_j
        i = hit_j

    if explicit:
        # every number the user typed must resolve; report those that did not, as typed
        k = 0
        while k < n:
            if consumed[k]:
                k += 1
                continue
            end = _free_run_end(k, consumed, lambda e: softs[e] and bool(seps[e].strip()))
            if not _PREFIX_ONLY.fullmatch("".join(parts[k:end])):
                unresolved.append(norm_text_span(parts, seps, k, end))
            k = end
    elif scope is not None and is_open is not None and scope_positions is not None:
        _typos(parts, seps, softs, consumed, index, scope, scope_positions, is_open, seen, add, ambiguous)
    return ScanResult(mentions, unresolved, sorted(set(ambiguous)))


def _plain_word(part: str, index: InvoiceIndex) -> bool:
    """A word in reference text that cannot start an invoice number (not a prefix word, no invoice begins so)."""
    return part.isalpha() and not (_PREFIX.match(part + "0") or part in index.alpha_starts)


def _run_hit(
    parts: list[str], softs: list[bool], i: int, index: InvoiceIndex, scope: str | None, explicit: bool,
    last_prefix: str,
) -> tuple[list[int], int]:
    """Invoices named by the longest run of parts from ``i`` (soft separators, at most ``MAX_RUN_PARTS``) that
    names any, and the end of that run; ([], i) when none does."""
    n = len(parts)
    use_digits = scope is not None
    run_end = i + 1
    while run_end < n and run_end - i < MAX_RUN_PARTS and softs[run_end]:
        run_end += 1
    for j in range(run_end, i, -1):
        alnum = parts[i] if j == i + 1 else "".join(parts[i:j])
        key = key_of_alnum(alnum)
        if not key or (key.isalpha() and not explicit):
            continue
        if not explicit and key.isdigit() and len(key) < MIN_BARE_DIGITS and j - i == 1:
            continue
        hit = index.lookup(key, alnum, scope, use_digits)
        if not hit and last_prefix and key.isdigit():
            hit = index.lookup(last_prefix + key, last_prefix + key, scope, use_digits)
        if hit:
            return hit, j
    return [], i


# A remittance text of ASCII letters and separators around one run of digits ("INV-001234", "Payment inv 1234",
# "#1234 thanks"). Such a text has no date, range or written amount (they need two digit groups, '~', ',' or a
# currency word, excluded below), so normalise_text only upper-cases it; and all its words but the one holding
# the digits are letters only, which never name an invoice or a typo of one outside Applied To.
_ONE_NUMBER = re.compile(r"[A-Za-z \-#/._:]*[0-9]+[A-Za-z \-#/._:]*")
_CURRENCY_WORD = re.compile(r"USD|CNY|RMB|EUR|AMT|AMOUNT")


def single_reference(text: str, index: InvoiceIndex, scope: str) -> int:
    """The one invoice that ``scan(text, index, scope=scope, ...)`` (not explicit) names, whatever is open, when the
    text has the simple shape of ``_ONE_NUMBER`` and names exactly one invoice by an exact key; else -1 (the
    caller then scans the text). Never a typo, range or ambiguous match: those depend on the open items."""
    if not _ONE_NUMBER.fullmatch(text):
        return -1
    norm = text.upper()
    if _CURRENCY_WORD.search(norm):
        return -1
    parts, seps = _parts(norm)
    softs = _softs(seps)
    for i, part in enumerate(parts):
        if _plain_word(part, index):
            continue
        hit, _ = _run_hit(parts, softs, i, index, scope, False, "")
        if hit:
            return hit[0] if len(hit) == 1 else -1
    return -1


def single_explicit(text: str, index: InvoiceIndex, scope: str) -> int:
    """The one invoice that ``scan(text, index, scope=scope, explicit=True, ...)`` names, whatever is open, when it
    names exactly one by an exact key; else -1. (A second number could make a range, which depends on what is
    open; numbers that match nothing are reported by the scan, but only when money is left over.)"""
    _, parts, _, softs = index.prepared(text)
    found, last_prefix, i = -1, "", 0
    while i < len(parts):
        hit, hit_j = _run_hit(parts, softs, i, index, scope, True, last_prefix)
        if not hit:
            i += 1
            continue
        if len(hit) > 1 or found >= 0:
            return -1
        found, last_prefix, i = hit[0], _alpha_prefix(index.keys[hit[0]]), hit_j
    return found


# A remittance text that is a list of invoice numbers: "INV-1001", "inv 1001, inv 1002", "1001 & 1002 & 1003",
# "Payment for invoices 1001, 1002", "INV#1001 PAYMENT". Items (an optional INV/INVOICE prefix, one soft character,
# digits) are separated by a hard separator (; & + with optional spaces, or a comma and a space), so a run of parts
# never spans two items; letter-only words may stand before the list and (outside Applied To) after it.
# ``static_mentions`` proves the rest for each text.
_LIST_ITEM_TEXT = r"(?:(?:INVOICE|INV)[ \-#]?)?[0-9]+"
_LIST_TEXT = rf"{_LIST_ITEM_TEXT}(?:(?: ?[;&+] ?| ?, ){_LIST_ITEM_TEXT})*"
_REFERENCE_LIST = re.compile(rf"((?:[A-Z]+ )*)({_LIST_TEXT})((?: [A-Z]+)*)")
_EXPLICIT_LIST = re.compile(_LIST_TEXT)
_LIST_ITEM = re.compile(r"(?:(INVOICE|INV)([ \-#]?))?([0-9]+)")
_PREFIX_WORDS = ("INV", "INVOICE")


def static_mentions(text: str, index: InvoiceIndex, scope: str, explicit: bool = False) -> list[int] | None:
    """The invoices ``scan(text, index, scope=scope, explicit=explicit, is_open=...)`` names, in order, each once,
    whatever is open, when ``text`` is a list of invoice numbers (``_REFERENCE_LIST``; ``_EXPLICIT_LIST`` in Applied
    To: items only) and every item names exactly one invoice of ``scope`` by its exact key. None when the text is not
    such a list (the caller may try another prover); [] when it is one but an item names no invoice or several (the
    scan decides). Why the scan finds exactly these:

    - ASCII, and in such a list a digit is followed only by a digit, a space, ; & + , or the end, and a comma by a
      space: no date or "1,234" pattern can match and there is no currency sign; a currency or range word can
      only be one of the words, which are checked. So ``normalise_text`` only upper-cases the text, and its parts
      are the words, the prefixes and the digit runs;
    - a hard separator (not ``_SOFT_SEP``) stands between two items, so the run of parts that ``_run_hit`` tries
      from an item's first part ends with the item, except after the last item, where the words after it join
      the run: those longer runs must name nothing (checked; their keys end in letters, so neither the digits
      index nor the previous prefix is tried); the item's own run comes next and names its one invoice (the
      bare-number rule for a one-part item is applied as ``_run_hit`` applies it). The key of an item is its
      digits without leading zeros (``key_of_alnum`` drops the INV/INVOICE prefix before digits);
    - no hit follows another across "-" or "~", so no range; every part with a digit is consumed, so no typo (the
      parts left are letter-only words); the words are plain (``_plain_word``), so the scan skips them unlooked.
    """
    if not text.isascii():
        return None
    norm = text.upper()
    if explicit:
        if _EXPLICIT_LIST.fullmatch(norm) is None:
            return None
        items, words, tail = norm, [], []
    else:
        m = _REFERENCE_LIST.fullmatch(norm)
        if m is None:
            return None
        words, items, tail = m.group(1).split(), m.group(2), m.group(3).split()
        if words and words[-1] in _PREFIX_WORDS:  # "INVOICE 1001": the prefix of the first item, one space before
            if not items[0].isdigit():  # "INVOICE INV001234": the scan reads the two prefixes as one run
                return None
            items = words.pop() + " " + items
        if (words or tail) and any(not _plain_word(word, index) or _CURRENCY_WORD.search(word) or "TO" in word
                                   for word in words + tail):
            return None
    found: dict[int, None] = {}  # in order, each once (a list's ``in`` made long lists quadratic: 1,500 items at 1M)
    item = None
    for item in _LIST_ITEM.finditer(items):
        prefix, sep, digits = item.groups()
        key = digits.lstrip("0") or "0"
        if not explicit and not (prefix and sep) and len(key) < MIN_BARE_DIGITS:  # a one-part bare number: skipped
            return []
        hit = index.lookup(key, (prefix or "") + digits, scope, True)
        if len(hit) != 1:
            return []
        found[hit[0]] = None
    if tail and item is not None:  # the last item's longer runs, with the words after it, must name nothing
        prefix, sep, digits = item.groups()
        own = [prefix, digits] if prefix and sep else [(prefix or "") + digits]
        run = own + tail[: MAX_RUN_PARTS - len(own)]
        for j in range(len(run), len(own), -1):
            alnum = "".join(run[:j])
            key = key_of_alnum(alnum)
            if key and index.lookup(key, alnum, scope, True):
                return []
    return list(found)


# One invoice number and nothing else ("INV-1001", "inv 1001", "INVOICE#1001", "1001"), one text per line.
_ONE_ITEM_LINE = re.compile(r"^(?:(INVOICE|INV)([ \-#]?))?([0-9]+)$", re.MULTILINE)


def one_item_references(texts: Sequence[str], scopes: Sequence[str], index: InvoiceIndex) -> dict[int, int]:
    """``static_mentions`` of the texts that are one invoice number and nothing else, found by one regular-expression
    pass over all of them: {text's index: the invoice's position, or -1 when static_mentions gives []}. Texts of
    other shapes are left out (the caller proves them one by one). Such a text has no words and no character that
    could start a date, an amount or a range, so it is a one-item list of ``_REFERENCE_LIST`` and this is what
    static_mentions decides for it (the bare-number rule, then exactly one invoice of the scope)."""
    chosen = [k for k, text in enumerate(texts) if text.isascii() and "\n" not in text]
    line_of: dict[int, int] = {}
    start = 0
    for k in chosen:
        line_of[start] = k
        start += len(texts[k]) + 1
    found: dict[int, int] = {}
    lookup = index.lookup
    for m in _ONE_ITEM_LINE.finditer("\n".join([texts[k] for k in chosen]).upper()):
        k = line_of[m.start()]
        prefix, sep, digits = m.groups()
        key = digits.lstrip("0") or "0"
        if not (prefix and sep) and len(key) < MIN_BARE_DIGITS:
            found[k] = -1
            continue
        hit = lookup(key, (prefix or "") + digits, scopes[k], True)
        found[k] = hit[0] if len(hit) == 1 else -1
    return found


def names_nothing(text: str) -> bool:
    """True when ``scan`` (not explicit) finds nothing in ``text`` whatever is open: no ASCII digit in ASCII text."""
    return not text or (text.isascii() and not _ANY_ASCII_DIGIT.search(text))


def _free_run_end(start: int, consumed: list[bool], joins: Callable[[int], bool], most: int | None = None) -> int:
    """End (exclusive) of the run of parts from ``start`` that no hit consumed and whose separators ``joins``
    accepts, ``most`` parts at the most."""
    end = start + 1
    while end < len(consumed) and (most is None or end - start < most) and not consumed[end] and joins(end):
        end += 1
    return end


def norm_text_span(parts: list[str], seps: list[str], i: int, j: int) -> str:
    if j == i + 2:  # the common "INV-1001": two parts
        return parts[i] + seps[i + 1] + parts[i + 1]
    return "".join(parts[i] if k == i else seps[k] + parts[k] for k in range(i, j))


def _expand_range(
    index: InvoiceIndex,
    start_pos: int,
    end_pos: int,
    scope: str,
    scope_positions: range | None,
    is_open: Callable[[int], bool],
    add: Callable[[int, str, str], None],
) -> None:
    a, b = index.keys[start_pos], index.keys[end_pos]
    pa, pb = _alpha_prefix(a), _alpha_prefix(b)
    if pa != pb or not a[len(pa) :].isdigit() or not b[len(pb) :].isdigit():
        return
    lo, hi = int(a[len(pa) :]), int(b[len(pb) :])
    if not (lo < hi <= lo + MAX_RANGE_SPAN) or not (is_open(start_pos) and is_open(end_pos)):
        return
    for number in range(lo + 1, hi):
        for pos in index.lookup(f"{pa}{number}", f"{pa}{number}", scope, False):
            if is_open(pos):
                add(pos, "range", f"{a}-{b}")


def _typos(
    parts: list[str],
    seps: list[str],
    softs: list[bool],
    consumed: list[bool],
    index: InvoiceIndex,
    scope: str,
    scope_positions: range,
    is_open: Callable[[int], bool],
    seen: set[int],
    add: Callable[[int, str, str], None],
    ambiguous: list[int],
) -> None:
    n = len(parts)
    i = 0
    while i < n:
        if consumed[i]:
            i += 1
            continue
        end = _free_run_end(i, consumed, softs.__getitem__, most=3)
        found = False
        for j in range(end, i, -1):
            key = key_of_alnum("".join(parts[i:j]))
            if len(key) < MIN_TYPO_KEY or key.isalpha():
                continue
            close = [
                p for p in index.typo_candidates(key, scope, scope_positions, is_open) if p not in seen
            ]
            if len(close) == 1:
                add(close[0], "typo", norm_text_span(parts, seps, i, j))
                i = j
                found = True
                break
            if len(close) > 1:  # the payer meant one of these; guessing would be a coin toss
                ambiguous.extend(close)
        if not found:
            i += 1


CANDIDATES = 10  # invoice numbers shown in a 'candidates' cell


def join_numbers(numbers: Iterable[str], limit: int = CANDIDATES) -> str:
    """Invoice numbers for the 'candidates' cell: comma separated, at most ``limit``, then '…'."""
    numbers = list(dict.fromkeys(numbers))
    text = ", ".join(numbers[:limit])
    return text + (", …" if len(numbers) > limit else "")
