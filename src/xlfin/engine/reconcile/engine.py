"""Cash application: allocate payments to open invoices by the rules of SPEC §4 "Reconciliation".

Every run recomputes all allocations from all payments (previous allocations are not an input), so the result is
deterministic and idempotent. Payments are processed in (payment_date, payment_id) order — a payment without a
date goes last — and the open-item state carries from one payment to the next.

Per payment:

0. **Payer.** A given customer_id is the payer. Otherwise the invoice numbers in Applied To and Reference (exact
   keys, any customer) identify it when they all belong to one customer; when they point to several, the payer
   name decides if it names one of them; else the normalised payer name (see ``payers``) must name exactly one
   customer (exactly, bank-truncated, or its words in another order); else exactly one customer's name must be
   found in the payer or remittance text (see ``payers``). Unknown or ambiguous payer -> the whole payment is
   unapplied.
1. ``explicit`` (high): invoices named in Applied To, in the order given, each up to its outstanding.
2. ``reference`` (high; ``medium`` for a one-character typo): invoices found in the Reference text, in order.
   A credit note named by a payment (net remittance, "INV-1001 less CN-7") first settles the invoices that payment
   names, up to the credit note's remaining credit: those rows have payment_id = the credit note's number and rule
   ``credit_note``. Money left after explicit/reference stays unapplied (overpayment, or invoices already settled).
   Invoices of another customer or in another currency are never allocated; they are reported.
3. Only for a payment that named nothing: ``exact_amount`` — an open invoice whose outstanding equals the payment
   (one: high; several: the oldest due, medium).
4. ``combination`` (medium): 2..max_combination_size open invoices whose outstanding sums exactly to the payment;
   fewest invoices first, then the oldest (the lexicographically smallest list of positions in due-date order).
   Pairs are found by hashing, unbounded. Sizes of 3 and more are bounded by ``combination_max_candidates`` (open
   invoices smaller than the payment) and ``combination_max_nodes`` (search steps) — steps, not seconds, so that
   the result never depends on the machine's speed. When a bound stops the search before an answer, the payment
   is unapplied with reason ``combination_limit`` (no tolerance or FIFO guess after an incomplete search).
   A payment equal to the total of **all** the customer's open (undisputed, same-currency) invoices settles them
   all, whatever their number: no other subset of positive amounts can reach that total, so it is the unique
   exact match (confidence high). Otherwise a size k is tried only while a chance hit is unlikely: the k-sums
   lie in a band as wide as the spread between the k smallest and the k largest amounts, with at most
   min(C(n, k), spread) distinct values, and a payment not meant for them falls anywhere in a band at least
   k × the mean amount wide; distinct ÷ max(spread, k × mean) above ``combination_max_chance`` (1 %) means an
   exact sum proves nothing, so that size and larger ones are skipped and the later rules decide. (An earlier
   rule divided C(n, k) by the spread alone: when the amounts are equal or k is close to n the spread is a few
   cents, so the only exact subset — three of four equal instalments, the whole balance — counted as luck.)
   A customer with more than 2,000 open invoices is never matched by combination.
5. ``tolerance`` (medium): exactly one open invoice short-paid by at most max(tolerance_abs_cents,
   ⌊tolerance_pct × outstanding⌋) — "max" so that either setting alone works (abs 0 + 3 % is Odoo's percentage
   model, pct 0 + 10.00 its fixed one). Like Odoo, tolerance covers underpayments only. Two or more invoices within
   tolerance are a guess, not a match: the payment goes on to FIFO (or stays unapplied with them as candidates).
   The payment settles that invoice partly and the gap is *proposed* as a write-off (``writeoffs``); it is
   never booked, so the invoice keeps the gap as outstanding. An explicit/reference payment that uses up its money
   and leaves a named invoice short by no more than the tolerance gets the same proposal.
6. ``fifo`` (low, when ``fifo``): oldest due first over the customer's open invoices.
7. What is left is unapplied, with a reason (``REASONS``) and candidate invoices.

When the payer was identified by name only, the amount rules (3–6) are one confidence step lower; when only by a
name found in the text, two steps lower (low).
Disputed invoices are settled only by explicit/reference (or a named credit note). Credit notes not named by any
payment are customer credit: reconcile leaves them alone (they lower the customer's balance elsewhere).
Amounts are int64 cents; nothing is ever allocated beyond an invoice's outstanding, and for every payment
allocations + unapplied == amount. Blank currency on either side matches any currency.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import math
import operator
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine.cellvalues import yes_no_array
from xlfin.engine.openitems import is_credit_note

from .payers import NAME, PayerDirectory
from .references import CANDIDATES as _CANDIDATES
from .references import (
    InvoiceIndex,
    join_numbers,
    names_nothing,
    one_item_references,
    scan,
    single_explicit,
    single_reference,
    static_mentions,
)


class ReconcileInputError(ValueError):
    """Input frames that reconciliation cannot work on (missing column, duplicate id, bad amount)."""


ALLOCATION_COLUMNS = ["payment_id", "invoice_no", "customer_id", "amount", "rule", "confidence"]
UNAPPLIED_COLUMNS = ["payment_id", "customer_id", "unapplied_amount", "reason", "candidates"]
WRITEOFF_COLUMNS = ["payment_id", "invoice_no", "customer_id", "amount", "rule"]

RULES = ("explicit", "reference", "credit_note", "exact_amount", "combination", "tolerance", "fifo")

# code -> (en, zh-CN). The reason cell reads "code: detail"; surfaces may translate by the code before the colon.
REASONS: dict[str, tuple[str, str]] = {
    "unknown_payer": (
        "payer not identified (no customer, invoice number or known payer name)",
        "无法识别付款方",
    ),
    "ambiguous_payer": ("payer matches several customers", "付款方对应多个客户"),
    "overpayment": (
        "paid more than the invoices it settles; unapplied credit",
        "超额付款，余额为未核销预收款",
    ),
    "named_settled": ("named invoices are already settled", "指定发票已结清"),
    "named_not_found": ("Applied To names invoice numbers that do not exist", "指定核销的发票号不存在"),
    "named_other_customer": ("named invoices belong to another customer", "指定发票属于其他客户"),
    "named_ambiguous": ("a named number fits several invoices", "发票号对应多张发票"),
    "currency_mismatch": ("the invoices are in another currency", "发票币种与付款不同"),
    "combination_limit": ("combination search stopped at its bound", "组合匹配超出搜索上限"),
    "no_match": ("no invoice matches the amount", "没有金额匹配的发票"),
    "no_open_items": ("customer has no open invoices; unapplied credit", "客户无未结发票，余额为预收款"),
}

_LEVELS = ("high", "medium", "low")
_BIG = np.iinfo(np.int64).max // 4
_SCAN_LIMIT = 2_000  # open items looked at for a combination; beyond, a customer is "crowded"


def reason_code(reason: str) -> str:
    """The code part of an unapplied reason cell."""
    return reason.split(":", 1)[0].strip()


def localise_reason(reason: str, lang: str) -> str:
    """An unapplied reason cell in the workbook's language ('en' or 'zh-CN'); the code and detail are kept."""
    code = reason_code(reason)
    if lang != "zh-CN" or code not in REASONS:
        return reason
    en, zh = REASONS[code]
    rest = reason.split(":", 1)[1].strip() if ":" in reason else ""
    detail = rest[len(en) :].strip() if rest.startswith(en) else ""
    return f"{code}: {zh}" + (f" {detail}" if detail else "")


@dataclass(frozen=True)
class ReconcileResult:
    allocations: pd.DataFrame  # payment_id, invoice_no, customer_id, amount (cents), rule, confidence
    unapplied: pd.DataFrame  # payment_id, customer_id, unapplied_amount (cents), reason, candidates
    writeoffs: pd.DataFrame  # payment_id, invoice_no, customer_id, amount (cents), rule — proposals only


# ----------------------------------------------------------------------------------------------- input checks


def _require(frame: pd.DataFrame, name: str, columns: list[str]) -> pd.DataFrame:
    """The frame, with required columns checked (an empty frame may lack them: it gets them, empty)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame):
        raise ReconcileInputError(f"{name}: missing column(s) {', '.join(missing)}")
    if missing:
        frame = frame.assign(**{c: pd.Series([], dtype=object) for c in missing})
    return frame


def _flags(series: pd.Series) -> np.ndarray:
    """yes/no column -> bool; text such as 'no' is read, never taken as a truthy string (validation reports cells
    that are not yes/no; here they count as no)."""
    return yes_no_array(series)[0]


def _text(series: pd.Series) -> list[str]:
    """A column -> stripped strings, '' for blanks; 1001.0 (a number Excel sent as a double) -> '1001'."""
    values = series.tolist()
    with contextlib.suppress(TypeError):  # a blank or a number among the texts: the per-cell way below
        return list(map(str.strip, values))  # all texts (nearly always): one loop in C
    return [v.strip() if isinstance(v, str) else "" if v is None else _cell_text(v) for v in values]


def _cell_text(v: Any) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float):
        return "" if np.isnan(v) else (str(int(v)) if v.is_integer() else repr(v))
    return str(v).strip()


def _cents(series: pd.Series, name: str, ids: list[str]) -> np.ndarray:
    if series.isna().any():
        bad = [ids[i] for i in np.flatnonzero(series.isna().to_numpy())[:5]]
        raise ReconcileInputError(f"{name}: blank amount in row(s) {', '.join(bad)}")
    if not pd.api.types.is_integer_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64)
        if not np.all(values == np.round(values)):
            raise ReconcileInputError(f"{name}: amounts must be whole cents (int64), got {series.dtype}")
    return series.to_numpy(dtype=np.int64)


def _days(series: pd.Series) -> np.ndarray:
    """datetime64 column -> int days since epoch; NaT -> a very late day (sorts last)."""
    values = pd.to_datetime(series, errors="coerce").to_numpy(dtype="datetime64[D]")
    out = values.astype(np.int64)
    out[np.isnat(values)] = _BIG
    return out


def _unique(ids: list[str], name: str, what: str) -> None:
    distinct = set(ids)
    if len(distinct) < len(ids):
        seen: set[str] = set()
        dupes = sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
        raise ReconcileInputError(f"{name}: duplicate {what} {', '.join(dupes[:5])}")
    if "" in distinct:
        blanks = ids.count("")
        raise ReconcileInputError(f"{name}: {blanks} row(s) without {what}")


def _documents(frame: pd.DataFrame, name: str, id_column: str) -> tuple[list[str], np.ndarray]:
    """(ids, amounts in cents) of an invoices or payments frame: ids unique and given, every amount > 0."""
    ids = _text(frame[id_column])
    _unique(ids, name, id_column)
    amounts = _cents(frame["amount"], name, ids)
    if (amounts <= 0).any():
        bad = [ids[i] for i in np.flatnonzero(amounts <= 0)[:5]]
        raise ReconcileInputError(f"{name}: amount must be > 0 (row(s) {', '.join(bad)})")
    return ids, amounts


# ------------------------------------------------------------------------------------------------ the state


class _Book:
    """Open items, sorted by (customer, due, invoice date, invoice no): a customer's invoices are one slice and
    a lower position is an older invoice."""

    def __init__(self, invoices: pd.DataFrame) -> None:
        invoices = _require(invoices, "invoices", ["invoice_no", "customer_id", "amount"])
        nos, amounts = _documents(invoices, "invoices", "invoice_no")
        custs = _text(invoices["customer_id"])
        if "" in custs:
            raise ReconcileInputError(f"invoices: invoice {nos[custs.index('')]} has no customer_id")
        n = len(nos)
        inv_date = _days(invoices["invoice_date"]) if "invoice_date" in invoices else np.full(n, _BIG)
        due = _days(invoices["due_date"]) if "due_date" in invoices else inv_date.copy()
        due = np.where(due == _BIG, inv_date, due)
        is_cn = is_credit_note(invoices["doc_type"]) if "doc_type" in invoices else np.zeros(n, bool)
        disputed = _flags(invoices["disputed"]) if "disputed" in invoices else np.zeros(n, bool)
        # customers (and currencies) as codes of their distinct values: the sorted lists are then gathered from a
        # few thousand objects, not by a Python loop over a million positions in random order
        cust_codes, cust_names = pd.factorize(np.array(custs, dtype=object))
        # each customer's rank in numpy's text order: the order np.array(custs, dtype=str) gave the sort
        cust_rank = np.unique(np.array(cust_names, dtype=str), return_inverse=True)[1].reshape(-1)
        order_a = np.lexsort((np.array(nos, dtype=str), inv_date, due, cust_rank[cust_codes]))
        sorted_codes = cust_codes[order_a]
        self.nos = np.array(nos, dtype=object)[order_a].tolist()
        self.cust = cust_names[sorted_codes].tolist()
        self.due = due[order_a].tolist()
        self.cur = _sorted_currencies(invoices, order_a)
        sorted_cn = np.asarray(is_cn, dtype=bool)[order_a]
        sorted_disputed = np.asarray(disputed, dtype=bool)[order_a]
        sorted_amounts = amounts[order_a]
        self.is_cn = sorted_cn.tolist()
        self.disputed = sorted_disputed.tolist()
        self.out = sorted_amounts.tolist()  # invoices: outstanding; credit notes: credit left
        # a customer's invoices are one run of the sorted order: cut it where the customer changes
        cuts = [0, *(np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1).tolist(), n] if n else [0]
        self.slices: dict[str, range] = {self.cust[a]: range(a, b) for a, b in zip(cuts, cuts[1:])}
        self.head = {c: r.start for c, r in self.slices.items()}  # first possibly-open position (FIFO)
        self.index = InvoiceIndex.build(self.nos, self.cust)
        # outstanding -> positions (ascending = oldest first) of open, undisputed invoices, per customer. Lazy:
        # reduce() adds a position under its new outstanding but never takes one out (most allocations close the
        # invoice), so a bucket also holds positions that left it; readers keep those with out[p] == the amount.
        # ``amounts_seen`` is the sorted keys of a customer's buckets; ``open_count`` stays exact.
        targets = ~sorted_cn & ~sorted_disputed & (sorted_amounts > 0)
        self.at_amount, self.open_count, self.amounts_seen = _amount_buckets(self.cust, sorted_amounts, cuts, targets)
        # all customers: candidates for unidentified payers. Kept as the targets by their first outstanding (a
        # position whose outstanding still equals it was never reduced) plus the positions reduce() moved to a
        # new outstanding; _global_candidates checks the current outstanding, so stale entries cost nothing.
        first_out = np.asarray(sorted_amounts, dtype=np.int64)
        tpos = np.flatnonzero(targets)
        by_first_out = tpos[np.argsort(first_out[tpos], kind="stable")]
        # Python lists: open_at bisects them once per unidentified payer (np.searchsorted costs ~5 µs a call)
        self.by_first_out: list[int] = by_first_out.tolist()
        self.first_sorted: list[int] = first_out[by_first_out].tolist()
        self.moved_to: dict[int, set[int]] = {}
        # per customer, once open_list has looked: (positions open then, not credit notes, ascending; True when all
        # its invoices are undisputed and in one currency; that currency). Each look keeps only those still open
        # (outstanding never grows back), so a look costs the open items, not the customer's whole slice.
        self.live: dict[str, tuple[list[int], bool, str]] = {}

    def open_at(self, amount: int) -> list[int]:
        """Positions of every customer's open, undisputed invoices whose outstanding is ``amount`` (any order)."""
        lo = bisect.bisect_left(self.first_sorted, amount)
        hi = bisect.bisect_right(self.first_sorted, amount, lo)
        out = self.out
        found = [p for p in self.by_first_out[lo:hi] if out[p] == amount]
        found += [p for p in self.moved_to.get(amount, ()) if out[p] == amount]
        return found

    def is_open(self, p: int) -> bool:
        return self.out[p] > 0

    def reduce(self, p: int, cents: int) -> None:
        old = self.out[p]
        new = old - cents
        self.out[p] = new
        if old > 0 and new != old and not self.is_cn[p] and not self.disputed[p]:  # an amount-rule target (inline: hot)
            if new > 0:
                self._moved(p, new)
            else:  # closed: its stale bucket entry is skipped by the readers
                self.open_count[self.cust[p]] -= 1

    def _moved(self, p: int, new: int) -> None:
        """A target position part-paid down to ``new`` (> 0): listed under it too (outstanding only falls, so p
        was never there before)."""
        cust = self.cust[p]
        buckets = self.at_amount[cust]
        bucket = buckets.get(new)
        if bucket is None:
            buckets[new] = [p]
            bisect.insort(self.amounts_seen[cust], new)
        else:
            bisect.insort(bucket, p)
        moved = self.moved_to.get(new)
        if moved is None:
            self.moved_to[new] = {p}
        else:
            moved.add(p)

    def at(self, cust: str, amount: int) -> list[int]:
        """Positions (ascending) of the customer's open, undisputed invoices whose outstanding is ``amount``."""
        out = self.out
        return [p for p in self.at_amount.get(cust, {}).get(amount, ()) if out[p] == amount]

    def open_list(self, cust: str, currency: str, include_disputed: bool = False, most: int | None = None
                  ) -> list[int]:
        """Open invoices of a customer, oldest first (one comprehension: a generator costs a resume per item); the
        first ``most`` of them when given."""
        r = self.slices.get(cust)
        if r is None:
            return []
        out, is_cn = self.out, self.is_cn
        h = self.head[cust]
        while h < r.stop and (out[h] <= 0 or is_cn[h]):  # outstanding never grows back
            h += 1
        self.head[cust] = h
        if most is None:
            return self._open_all(cust, r, h, currency, include_disputed)
        found: list[int] = []
        while h < r.stop and len(found) < most:  # windows of the slice, until enough are found
            found += self._open_in(h, min(r.stop, h + 4 * most), currency, include_disputed)
            h += 4 * most
        return found[:most]

    def _open_all(self, cust: str, r: range, head: int, currency: str, include_disputed: bool) -> list[int]:
        """open_list without ``most``: from the customer's ``live`` positions, kept to those still open."""
        out = self.out
        entry = self.live.get(cust)
        if entry is None:
            is_cn = self.is_cn
            live = [p for p in range(head, r.stop) if out[p] > 0 and not is_cn[p]]
            plain = not any(self.disputed[r.start:r.stop]) and len(set(self.cur[r.start:r.stop])) == 1
            the_currency = self.cur[r.start]
        else:
            was, plain, the_currency = entry
            live = [p for p in was if out[p] > 0]
        self.live[cust] = (live, plain, the_currency)
        if plain:  # the filters below keep every live position or none
            return list(live) if not currency or not the_currency or currency == the_currency else []
        disputed, cur = self.disputed, self.cur
        return [p for p in live if (include_disputed or not disputed[p])
                and (not currency or not cur[p] or currency == cur[p])]

    def _open_in(self, start: int, stop: int, currency: str, include_disputed: bool) -> list[int]:
        out, is_cn, disputed, cur = self.out, self.is_cn, self.disputed, self.cur
        return [
            p for p in range(start, stop)
            if out[p] > 0 and not is_cn[p] and (include_disputed or not disputed[p])
            and (not currency or not cur[p] or currency == cur[p])
        ]


def _sorted_currencies(invoices: pd.DataFrame, order: np.ndarray) -> list[str]:
    """The currency column, upper case, in the book's order ('' for every invoice when there is none): each
    distinct spelling is upper-cased once."""
    if "currency" not in invoices:
        return [""] * len(order)
    codes, spellings = pd.factorize(np.array(_text(invoices["currency"]), dtype=object))
    upper = np.array([c.upper() for c in spellings] + [""], dtype=object)  # "": a 1-D array even when empty
    return upper[codes[order]].tolist()


def _amount_buckets(
    cust: list[str], out: np.ndarray, cuts: list[int], targets: np.ndarray
) -> tuple[dict[str, dict[int, list[int]]], dict[str, int], dict[str, list[int]]]:
    """Per customer, outstanding -> positions (ascending) of the ``targets`` positions; with the same open items
    as counts and as sorted distinct outstanding values (range queries for tolerance). A customer's positions are
    one slice (``cuts``); where its amounts are all distinct (nearly always) the dict is made in one call. The
    amounts are taken for all targets in one numpy gather (not per customer), and the counts and sorted values
    come from the slice itself, not from a second pass over the dicts."""
    found: dict[str, dict[int, list[int]]] = {}
    counts: dict[str, int] = {}
    sorted_out: dict[str, list[int]] = {}
    tpos = np.flatnonzero(targets)
    bounds = np.searchsorted(tpos, cuts).tolist()
    positions = tpos.tolist()
    target_out = np.asarray(out, dtype=np.int64)[tpos].tolist() if len(tpos) else []
    for k in range(len(cuts) - 1):
        lo, hi = bounds[k], bounds[k + 1]
        if lo == hi:
            continue
        mine = positions[lo:hi]
        amounts = target_out[lo:hi]
        c = cust[mine[0]]
        counts[c] = hi - lo
        distinct = set(amounts)
        if len(distinct) == len(amounts):
            found[c] = dict(zip(amounts, [[p] for p in mine]))
        else:
            buckets: dict[int, list[int]] = {}
            for p, o in zip(mine, amounts):
                buckets.setdefault(o, []).append(p)
            found[c] = buckets
        sorted_out[c] = sorted(distinct)
    return found, counts, sorted_out


def _same_currency(a: str, b: str) -> bool:
    return not a or not b or a == b


# ------------------------------------------------------------------------------------------- the reconciler


@dataclass(frozen=True)
class _Settings:
    tolerance_abs_cents: int
    tolerance_pct: float
    fifo: bool
    max_combination_size: int
    combination_max_candidates: int
    combination_max_nodes: int
    combination_max_chance: float

    def tolerance(self, outstanding: int) -> int:
        # floor of pct × outstanding in exact arithmetic; +1e-9 guards 0.005 × 200000 = 999.9999…
        return max(self.tolerance_abs_cents, int(self.tolerance_pct * outstanding + 1e-9))


class _Run:
    def __init__(self, book: _Book, payers: PayerDirectory, settings: _Settings) -> None:
        self.book = book
        self.payers = payers
        self.s = settings
        self.alloc_rows: list[tuple[str, str, str, int, str, str]] = []
        self.unapplied: dict[str, list[Any]] = {c: [] for c in UNAPPLIED_COLUMNS}
        self.writeoffs: dict[str, list[Any]] = {c: [] for c in WRITEOFF_COLUMNS}

    # -- output rows
    def _allocate(self, pid: str, p: int, cents: int, rule: str, confidence: str) -> None:
        b = self.book
        self.alloc_rows.append((pid, b.nos[p], b.cust[p], cents, rule, confidence))  # columns at the end
        b.reduce(p, cents)

    def _leave(self, pid: str, cust: str, cents: int, code: str, detail: str, candidates: list[str]) -> None:
        self.unapplied["payment_id"].append(pid)
        self.unapplied["customer_id"].append(cust)
        self.unapplied["unapplied_amount"].append(cents)
        text = REASONS[code][0] + (f" ({detail})" if detail else "")
        self.unapplied["reason"].append(f"{code}: {text}")
        self.unapplied["candidates"].append(join_numbers(candidates))

    def _propose_writeoff(self, pid: str, p: int, cents: int, rule: str) -> None:
        self.writeoffs["payment_id"].append(pid)
        self.writeoffs["invoice_no"].append(self.book.nos[p])
        self.writeoffs["customer_id"].append(self.book.cust[p])
        self.writeoffs["amount"].append(cents)
        self.writeoffs["rule"].append(rule)

    # -- one payment
    def settle_named(self, pid: str, named: list[tuple[int, str]], amount: int) -> bool:
        """What ``payment`` (``_named``) does for a payment whose texts name exactly ``named`` (position, rule) —
        invoices of its customer, none a credit note, all in its currency, found by exact keys whatever is open
        (``_static_names``) — when they still owe at least the amount together: settle them in order by their rule,
        high, and propose a write-off of a gap within tolerance. False, with nothing done, when they owe less
        (overpayment, one already settled: ``payment`` then decides, reasons and candidates included)."""
        out = self.book.out
        if len(named) == 1:  # the common case, without the loops
            p, rule = named[0]
            before = out[p]
            if before < amount:
                return False
            self._allocate(pid, p, amount, rule, "high")
            gap = before - amount
            if 0 < gap <= self.s.tolerance(before):
                self._propose_writeoff(pid, p, gap, rule)
            return True
        before = [out[p] for p, _ in named]
        if sum(before) < amount:  # invoice outstanding is never negative: the sum is what the loop can take
            return False
        remaining = amount
        for p, rule in named:
            take = min(remaining, out[p])
            if take > 0:
                self._allocate(pid, p, take, rule, "high")
                remaining -= take
        for (p, rule), was in zip(named, before):
            gap = out[p]
            if 0 < gap < was and gap <= self.s.tolerance(was):
                self._propose_writeoff(pid, p, gap, rule)
        return True

    def payment(
        self, pid: str, cust: str, payer: str, amount: int, currency: str, ref: str, applied: str
    ) -> None:
        b = self.book
        by_name = 0
        if not cust:
            cust, by_name, problem = self._identify(payer, ref, applied)
            if problem:
                self._leave(
                    pid, "", amount, problem[0], problem[1], self._global_candidates(amount, currency)
                )
                return
        scope = b.slices.get(cust, range(0))
        explicit = scan(applied, b.index, scope=cust, scope_positions=scope, is_open=b.is_open, explicit=True)
        reference = scan(ref, b.index, scope=cust, scope_positions=scope, is_open=b.is_open)
        named = [(m.position, "explicit", "high") for m in explicit.mentions]
        named += [
            (m.position, "reference", "medium" if m.how == "typo" else "high") for m in reference.mentions
        ]
        if not named and reference.ambiguous:
            # a number that fits several invoices equally: the one whose outstanding is the payment decides
            fits = [
                p for p in reference.ambiguous if b.out[p] == amount and _same_currency(currency, b.cur[p])
            ]
            if len(fits) == 1:
                named = [(fits[0], "reference", "medium")]
        if named or explicit.unresolved or explicit.ambiguous or reference.ambiguous:
            self._named(pid, cust, amount, currency, named, explicit, reference, applied, ref)
            return
        self._by_amount(pid, cust, amount, currency, by_name)

    def _identify(self, payer: str, ref: str, applied: str) -> tuple[str, int, tuple[str, str] | None]:
        """(customer, confidence steps lost, problem): 0 steps by invoice numbers, 1 by name, 2 by name in text."""
        b = self.book
        found: list[str] = []
        for text, explicit in ((applied, True), (ref, False)):
            for m in scan(text, b.index, scope=None, explicit=explicit).mentions:
                c = b.cust[m.position]
                if c not in found:
                    found.append(c)
        by_name, how = self.payers.find(payer, ref)
        if len(found) == 1:
            return found[0], 0, None
        if len(found) > 1:
            both = [c for c in found if c in by_name]
            if len(both) == 1:
                return both[0], 0, None
            return "", 0, ("ambiguous_payer", "invoice numbers of " + ", ".join(sorted(found)))
        if len(by_name) == 1:
            return by_name[0], 1 if how == NAME else 2, None
        if len(by_name) > 1:
            return "", 0, ("ambiguous_payer", "name fits " + ", ".join(by_name))
        return "", 0, ("unknown_payer", payer)

    def _named(self, pid, cust, amount, currency, named, explicit, reference, applied, ref) -> None:
        b = self.book
        remaining = amount
        seen: set[int] = set()
        ordered = []
        for p, rule, conf in named:
            if p not in seen:
                seen.add(p)
                ordered.append((p, rule, conf))
        wrong_currency = [p for p, _, _ in ordered if not _same_currency(currency, b.cur[p])]
        usable = [(p, r, c) for p, r, c in ordered if p not in wrong_currency]
        invoices = [(p, r, c) for p, r, c in usable if not b.is_cn[p]]
        before = {p: b.out[p] for p, _, _ in invoices}
        for cn, _rule, conf in (t for t in usable if b.is_cn[t[0]]):
            for p, _, _ in invoices:
                take = min(b.out[cn], b.out[p])
                if take > 0:
                    self._allocate_credit(cn, p, take, conf)
        for p, rule, conf in invoices:
            take = min(remaining, b.out[p])
            if take > 0:
                self._allocate(pid, p, take, rule, conf)
                remaining -= take
        if remaining == 0:
            for p, rule, _ in invoices:
                gap = b.out[p]
                if 0 < gap < before[p] and gap <= self.s.tolerance(before[p]):
                    self._propose_writeoff(pid, p, gap, rule)
            return
        other = [t for t in explicit.unresolved if t]
        foreign = self._other_customer_numbers(applied, ref, cust)
        if explicit.unresolved and not foreign:
            code, detail = "named_not_found", ", ".join(other)
        elif foreign and not invoices:
            code, detail = "named_other_customer", ", ".join(foreign)
        elif wrong_currency and not invoices:
            code, detail = "currency_mismatch", ", ".join(b.nos[p] for p in wrong_currency)
        elif (explicit.ambiguous or reference.ambiguous) and not invoices:
            code, detail = "named_ambiguous", ""
        elif invoices and all(before[p] > 0 for p, _, _ in invoices):
            code, detail = "overpayment", ""
        else:
            settled = [b.nos[p] for p, _, _ in invoices if before[p] <= 0] or [b.nos[p] for p, _, _ in usable]
            code, detail = "named_settled", ", ".join(settled)
        candidates = [b.nos[p] for p in wrong_currency + explicit.ambiguous + reference.ambiguous]
        candidates += foreign
        # the cell shows the first CANDIDATES distinct numbers and "…" when there are more: the open invoices are
        # distinct, so after the len(candidates) above, CANDIDATES + 1 of them decide the cell as all of them do
        candidates += [b.nos[p] for p in b.open_list(cust, currency, include_disputed=True,
                                                     most=len(candidates) + _CANDIDATES + 1)]
        self._leave(pid, cust, remaining, code, detail, candidates)

    def _allocate_credit(self, cn: int, p: int, cents: int, confidence: str) -> None:
        self.book.out[cn] -= cents
        self._allocate(self.book.nos[cn], p, cents, "credit_note", confidence)

    def _other_customer_numbers(self, applied: str, ref: str, cust: str) -> list[str]:
        b = self.book
        found = []
        for text, explicit in ((applied, True), (ref, False)):
            for m in scan(text, b.index, scope=None, explicit=explicit).mentions:
                if b.cust[m.position] != cust:
                    found.append(b.nos[m.position])
        return found

    def _by_amount(self, pid, cust, amount, currency, by_name: int) -> None:
        b = self.book

        def conf(level: str) -> str:  # a payer known only by name (1) or by a name in the text (2) is less sure
            return _LEVELS[min(_LEVELS.index(level) + by_name, len(_LEVELS) - 1)]

        exact = [p for p in b.at(cust, amount) if _same_currency(currency, b.cur[p])]
        if exact:
            self._allocate(
                pid, exact[0], amount, "exact_amount", conf("high" if len(exact) == 1 else "medium")
            )
            return
        open_now = b.open_list(cust, currency)  # nothing is allocated below before the answer: it stays true
        if not open_now:
            self._nothing_open(pid, cust, amount, currency)
            return
        # thousands of open items: sums of them match anything by chance
        if b.open_count.get(cust, 0) <= _SCAN_LIMIT:
            out = b.out
            under = [p for p in open_now if out[p] < amount]
            combo, complete = _combination(
                under,
                [out[p] for p in under],
                amount,
                self.s.max_combination_size,
                self.s.combination_max_candidates,
                self.s.combination_max_nodes,
                self.s.combination_max_chance,
            )
            if combo:
                whole = len(combo) == len(open_now)  # the whole balance: the only subset with that sum
                for p in combo:
                    self._allocate(pid, p, b.out[p], "combination", conf("high" if whole else "medium"))
                return
            if not complete:
                self._leave(pid, cust, amount, "combination_limit", "", [b.nos[p] for p in open_now])
                return
        short = self._within_tolerance(cust, amount, currency)
        if len(short) == 1:
            gap, p = short[0]
            self._allocate(pid, p, amount, "tolerance", conf("medium"))
            self._propose_writeoff(pid, p, gap, "tolerance")
            return
        if self.s.fifo:
            remaining = amount
            for p in open_now:  # allocating to p changes no later item's outstanding
                take = min(remaining, b.out[p])
                self._allocate(pid, p, take, "fifo", "low")
                remaining -= take
                if remaining == 0:
                    return
            self._leave(pid, cust, remaining, "overpayment", "after FIFO", [])
            return
        candidates = [b.nos[p] for _, p in short] + [
            b.nos[p] for p in open_now[:11]
        ]
        self._leave(pid, cust, amount, "no_match", "", candidates)

    def _within_tolerance(self, cust: str, amount: int, currency: str) -> list[tuple[int, int]]:
        """(gap, position) of the open invoices the payment falls short of by no more than the tolerance."""
        b = self.book
        values = b.amounts_seen.get(cust, [])
        # out − amount ≤ max(abs, pct × out)  ⇔  out ≤ max(amount + abs, amount ÷ (1 − pct))
        top = max(amount + self.s.tolerance_abs_cents, int(amount / (1 - self.s.tolerance_pct)) + 1)
        lo, hi = bisect.bisect_right(values, amount), bisect.bisect_right(values, top)
        return [
            (out - amount, p)
            for out in values[lo:hi]
            if out - amount <= self.s.tolerance(out)
            for p in b.at_amount[cust][out]
            if b.out[p] == out and _same_currency(currency, b.cur[p])
        ]

    def _nothing_open(self, pid: str, cust: str, amount: int, currency: str) -> None:
        b = self.book
        disputed = [b.nos[p] for p in b.open_list(cust, currency, include_disputed=True)]
        other_currency = [b.nos[p] for p in b.open_list(cust, "", include_disputed=True)]
        if disputed:
            self._leave(pid, cust, amount, "no_match", "only disputed invoices are open", disputed)
        elif other_currency:
            self._leave(pid, cust, amount, "currency_mismatch", f"payment in {currency}", other_currency)
        else:
            self._leave(pid, cust, amount, "no_open_items", "", [])

    def _global_candidates(self, amount: int, currency: str) -> list[str]:
        b = self.book
        return sorted(b.nos[p] for p in set(b.open_at(amount)) if _same_currency(currency, b.cur[p]))


def find_combination(
    items: list[tuple[int, int]],
    target: int,
    max_size: int,
    max_candidates: int,
    max_nodes: int,
    max_chance: float = 1.0,
) -> tuple[list[int], bool]:
    """Fewest, then oldest, items whose amounts sum to target.

    ``items``: (position, amount > 0), oldest first. Returns (positions, complete); complete is False when a bound
    (more than ``max_candidates`` items for a size of 3 or more, or ``max_nodes`` search steps) stopped the search
    before an answer was found. Pairs are found by hashing and need no bound.

    All the items summing to the target are the answer whatever their number (no other subset of positive
    amounts reaches the total). Otherwise a size is tried only while a chance hit is unlikely
    (:func:`chance_of_a_hit`); above ``max_chance`` an exact sum of that many invoices is no evidence that the
    customer meant them, so that size and larger ones are not tried (the search is then complete: the later rules
    decide).

    The steps are those of a depth-first search in age order (:func:`_dfs_size`), which defines where the bound
    falls; when that search provably cannot run out of steps, faster means give its answer (:func:`_combination`).
    """
    return _combination([p for p, _ in items], [a for _, a in items], target, max_size, max_candidates,
                        max_nodes, max_chance)


def _combination(
    positions: list[int], amounts: list[int], target: int, max_size: int, max_candidates: int, max_nodes: int,
    max_chance: float,
) -> tuple[list[int], bool]:
    """:func:`find_combination` on the items' positions and amounts as two lists."""
    n = len(amounts)
    total = sum(amounts)
    if n < 2 or total < target:
        return [], True
    if total == target:
        return list(positions), True
    top = min(max_size, n)
    ranked = sorted(amounts)
    # least[k], most[k]: the sum of the k smallest and of the k largest amounts (k <= top; not the whole list)
    least = list(itertools.accumulate(ranked[:top], initial=0))
    most = list(itertools.accumulate(ranked[:-top - 1:-1], initial=0))
    mean = total / n
    if top < 2 or _chance(n, least[2], most[2], 2, mean) > max_chance:
        return [], True
    # pairs: one C-level pass rules them out (a + b == target for no two amounts); else the first i whose
    # complement occurs after it, and the first such occurrence (list.index from i + 1)
    seen = set(amounts)
    if not seen.isdisjoint(map(operator.sub, itertools.repeat(target), amounts)):
        for i, a in enumerate(amounts):
            if target - a in seen:
                with contextlib.suppress(ValueError):  # the complement occurs only before i (or is a itself)
                    return [positions[i], positions[amounts.index(target - a, i + 1)]], True
    if top < 3 or _chance(n, least[3], most[3], 3, mean) > max_chance:
        return [], True
    if n > max_candidates:
        return [], False
    last = 3  # sizes 3..last are tried: the chance cut does not depend on the search
    while last < top and _chance(n, least[last + 1], most[last + 1], last + 1, mean) <= max_chance:
        last += 1
    # The most steps the DFS can take for a size k: one when the target lies outside the band of k-sums (its first
    # step stops it), else one per prefix (i1 < … < il), l < k, of a k-list — C(n, k-1) - 1 of them. While the
    # sum over the sizes stays within max_nodes the bound cannot stop it, and any exact method gives its answer.
    inside: list[int] = []
    steps = 0
    for k in range(3, last + 1):
        if least[k] <= target <= most[k]:
            inside.append(k)
            steps += math.comb(n, k - 1) - 1
        else:
            steps += 1
    if steps > max_nodes or steps <= _FEW_STEPS or total >= _NUMPY_SAFE or last > 6 or n > _NUMPY_ITEMS:
        return _search(positions, amounts, target, last, inside, max_nodes)
    found = _sums_of_sizes(amounts, target, inside)
    return [positions[i] for i in found], True


_FEW_STEPS = 150  # below this many DFS steps at most, the DFS itself is cheaper than numpy's set-up
_NUMPY_SAFE = 1 << 62  # every subset sum is below the total: int64 holds them
_NUMPY_ITEMS = 48  # the numpy test lists every 3-subset (C(48, 3) = 17,296); sizes above 6 would need 4-subsets
_ENUMERATE = 6_000  # a size with at most this many subsets is checked by listing all their sums
_COMBOS: dict[tuple[int, int], np.ndarray] = {}


def _chance(n: int, least: int, most: int, size: int, mean: float) -> float:
    """:func:`chance_of_a_hit` of n amounts from the sums of their ``size`` smallest (``least``) and largest
    (``most``)."""
    spread = most - least + 1
    return min(math.comb(n, size), spread) / max(spread, size * mean)


def _positions_by_amount(amounts: list[int]) -> dict[int, list[int]]:
    where: dict[int, list[int]] = {}
    for i, a in enumerate(amounts):
        where.setdefault(a, []).append(i)
    return where


def _search(
    positions: list[int], amounts: list[int], target: int, last: int, inside: list[int], max_nodes: int
) -> tuple[list[int], bool]:
    """Sizes 3..last by the budgeted DFS, its steps counted across the sizes. A size whose band of sums misses the
    target (not in ``inside``) is the DFS's one step that stops at once, counted without running it."""
    if not inside:
        return ([], True) if last - 2 <= max_nodes else ([], False)
    where = _positions_by_amount(amounts)
    # one table serves every size: a size only reads rows up to itself, so the largest size searched is enough
    bounds = _suffix_bounds(amounts, inside[-1])
    budget = max_nodes
    for size in range(3, last + 1):
        if size not in inside:
            if budget < 1:
                return [], False
            budget -= 1
            continue
        found, used = _dfs_size(amounts, target, size, budget, where, bounds)
        if found:
            return [positions[i] for i in found], True
        if used > budget:
            return [], False
        budget -= used
    return [], True


def _combos(n: int, r: int) -> np.ndarray:
    """Every r-subset of range(n) in lexicographic order, one column each (kept: a few sizes of n recur)."""
    got = _COMBOS.get((n, r))
    if got is None:
        flat = itertools.chain.from_iterable(itertools.combinations(range(n), r))  # C-level: no tuple list
        got = np.fromiter(flat, dtype=np.intp, count=math.comb(n, r) * r).reshape(-1, r).T.copy()
        _COMBOS[(n, r)] = got
    return got


def _sums_of_sizes(amounts: list[int], target: int, sizes: list[int]) -> list[int]:
    """Lexicographically first index list, of the first of ``sizes`` that has one, whose amounts sum to target.

    A size k is ruled out when no sum of x items plus a sum of k - x items (x = k // 2, k <= 6: each side at most
    three) is the target: a k-subset splits into two such parts, so this misses none; it may pass where the parts
    share an item, and then the exact step decides: every k-subset's sum in lexicographic order when there are few,
    else the DFS (not bounded: the caller proved the bound cannot stop it).
    """
    n = len(amounts)
    a = np.array(amounts, dtype=np.int64)
    sums: dict[int, np.ndarray] = {1: a}
    ordered: dict[int, np.ndarray] = {}

    def sums_of(r: int) -> np.ndarray:
        if r not in sums:
            sums[r] = a[_combos(n, r)].sum(axis=0)
        return sums[r]

    for k in sizes:
        if k == 3 and math.comb(n, 3) <= _ENUMERATE:  # listing the triples costs no more than the test
            hits = np.flatnonzero(sums_of(3) == target)
            if len(hits):
                return _combos(n, 3)[:, hits[0]].tolist()
            continue
        x = k // 2
        y = k - x
        if y not in ordered:
            ordered[y] = np.sort(sums_of(y))
        big = ordered[y]
        if x == y:  # s + t = target with s <= t: s from target - max to target // 2 of the same sorted sums
            lo, hi = np.searchsorted(big, [target - big[-1], target // 2], side="left").tolist()
            want = target - big[lo:hi + 1]
        else:
            want = target - sums_of(x)
        # the sum at or after each wanted one ("clip": past the end is the largest, which then differs)
        if not (big.take(np.searchsorted(big, want), mode="clip") == want).any():
            continue
        if math.comb(n, k) <= _ENUMERATE:
            hits = np.flatnonzero(sums_of(k) == target)
            if len(hits):
                return _combos(n, k)[:, hits[0]].tolist()
            continue
        found, _ = _dfs_size(amounts, target, k, math.comb(n, k - 1), _positions_by_amount(amounts),
                             _suffix_bounds(amounts, k))
        if found:
            return found
    return []


def chance_of_a_hit(ranked: list[int], size: int, mean: float) -> float:
    """How likely an amount not meant for any `size` of these invoices still equals the sum of some `size` of them.

    The sums of `size` items lie in a band as wide as the spread between the `size` smallest and the `size`
    largest, and there are at most min(C(n, size), spread + 1) distinct ones. A payment of that order of size is
    spread over at least `size` × the mean amount (a band of equal sums is not evidence of anything: four equal
    instalments have one 3-sum, and a payment of exactly that is no coincidence). So the chance is the number of
    distinct sums over the wider of the two bands.
    """
    return _chance(len(ranked), sum(ranked[:size]), sum(ranked[-size:]), size, mean)


def _first_at_or_after(where: dict[int, list[int]], amount: int, start: int) -> int:
    for j in where.get(amount, ()):
        if j >= start:
            return j
    return -1


def _suffix_bounds(amounts: list[int], size: int) -> tuple[list[list[int]], list[list[int]]]:
    """Per suffix s: prefix sums of its sorted amounts, up to ``size`` items, bound what r more items can add up to
    (least and most). Rows for a larger ``size`` only add entries that a smaller size never reads (r <= size)."""
    n = len(amounts)
    low: list[list[int]] = [[]] * n
    high: list[list[int]] = [[]] * n
    tail: list[int] = []
    for s in range(n - 1, -1, -1):
        bisect.insort(tail, amounts[s])
        lo, hi = [0], [0]
        for r in range(1, min(size, len(tail)) + 1):
            lo.append(lo[-1] + tail[r - 1])
            hi.append(hi[-1] + tail[-r])
        low[s], high[s] = lo, hi
    return low, high


def _dfs_size(
    amounts: list[int], target: int, size: int, budget: int, where: dict[int, list[int]],
    bounds: tuple[list[list[int]], list[list[int]]],
) -> tuple[list[int], int]:
    """Lexicographically first index list of ``size`` items summing to target, and the steps it took."""
    n = len(amounts)
    low, high = bounds
    steps = 0

    def dfs(start: int, rest: int, r: int, chosen: list[int]) -> list[int] | None:
        nonlocal steps
        if r == 1:
            j = _first_at_or_after(where, rest, start)
            return chosen + [j] if j >= 0 else None
        if r == 2:  # the same walk as below with its last level (a lookup) inline: most calls end here
            for i in range(start, n - 1):
                steps += 1
                if steps > budget:
                    return None
                lo, hi = low[i], high[i]
                if 2 >= len(lo) or rest < lo[2] or rest > hi[2]:
                    break
                if amounts[i] < rest:
                    for j in where.get(rest - amounts[i], ()):
                        if j > i:
                            return chosen + [i, j]
            return None
        for i in range(start, n - r + 1):
            steps += 1
            if steps > budget:
                return None
            lo, hi = low[i], high[i]
            # a later start has a smaller suffix: its r-item minimum only grows and its maximum only shrinks
            if r >= len(lo) or rest < lo[r] or rest > hi[r]:
                break
            if amounts[i] < rest:
                found = dfs(i + 1, rest - amounts[i], r - 1, chosen + [i])  # noqa: F821 (del below)
                if found is not None or steps > budget:
                    return found
        return None

    found = dfs(0, target, size, []) or []
    del dfs  # dfs refers to itself through its closure: a cycle that only the collector would free, with the tables
    return found, steps


# ---------------------------------------------------------------------------------------------- public API


def reconcile(
    invoices: pd.DataFrame,
    payments: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    tolerance_abs_cents: int = 100,
    tolerance_pct: float = 0.005,
    fifo: bool = True,
    max_combination_size: int = 6,
    combination_max_candidates: int = 40,
    combination_max_nodes: int = 20_000,
    combination_max_chance: float = 0.01,
) -> ReconcileResult:
    """Allocate every payment to invoices by the SPEC §4 rules (see the module docstring)."""
    if tolerance_abs_cents < 0 or not (0 <= tolerance_pct < 1):
        raise ReconcileInputError("tolerance must be >= 0 (and tolerance_pct < 1)")
    if max_combination_size < 1:
        raise ReconcileInputError("max_combination_size must be >= 1")
    settings = _Settings(
        int(tolerance_abs_cents),
        float(tolerance_pct),
        bool(fifo),
        int(max_combination_size),
        int(combination_max_candidates),
        int(combination_max_nodes),
        float(combination_max_chance),
    )
    invoices = _empty_if_none(invoices, ["invoice_no", "customer_id", "amount"])
    payments = _empty_if_none(payments, ["payment_id", "amount"])
    customers = _empty_if_none(customers, ["customer_id", "name"])
    payments = _require(payments, "payments", ["payment_id", "amount"])
    customers = _require(customers, "customers", ["customer_id", "name"])
    with _gc_paused():
        return _reconcile(invoices, payments, customers, settings)


def _reconcile(
    invoices: pd.DataFrame, payments: pd.DataFrame, customers: pd.DataFrame, settings: _Settings
) -> ReconcileResult:
    book = _Book(invoices)
    payers = PayerDirectory.build(_text(customers["customer_id"]), _text(customers["name"]))
    run = _Run(book, payers, settings)

    pids, amounts = _documents(payments, "payments", "payment_id")
    n = len(pids)

    def col(name: str) -> list[str]:
        return _text(payments[name]) if name in payments else [""] * n

    custs, payer_names, refs, applied = (
        col("customer_id"),
        col("payer_name"),
        col("reference"),
        col("applied_to"),
    )
    currencies = list(map(str.upper, col("currency")))
    days = _days(payments["payment_date"]) if "payment_date" in payments else np.zeros(n, np.int64)
    static = _static_names(book, custs, refs, applied, currencies)
    cents = amounts.tolist()
    for i in _payment_order(days, pids):
        named = static[i]
        if named is None or not run.settle_named(pids[i], named, cents[i]):
            run.payment(pids[i], custs[i], payer_names[i], cents[i], currencies[i], refs[i], applied[i])
    return ReconcileResult(
        allocations=_frame(_columns(run.alloc_rows, ALLOCATION_COLUMNS), ALLOCATION_COLUMNS, ("amount",)),
        unapplied=_frame(run.unapplied, UNAPPLIED_COLUMNS, ("unapplied_amount",)),
        writeoffs=_frame(run.writeoffs, WRITEOFF_COLUMNS, ("amount",)),
    )


def _payment_order(days: np.ndarray, pids: list[str]) -> list[int]:
    """Payments by (date, payment id), as sorting by that pair does: the ids ranked in Python's text order (one
    sort with a C key), then one numpy sort by date and rank (a key function per payment cost twice as much). Ids
    are unique, so no two payments tie."""
    n = len(pids)
    rank = np.empty(n, dtype=np.int64)
    rank[sorted(range(n), key=pids.__getitem__)] = np.arange(n)
    return np.lexsort((rank, days)).tolist()


def _static_names(
    book: _Book, custs: list[str], refs: list[str], applied: list[str], currencies: list[str]
) -> list[list[tuple[int, str]] | None]:
    """Per payment, the invoices it names as ``payment`` would list them — [(position, rule)], explicit ones
    first, each once — when the payment has a customer and names only invoices of that customer, none a credit
    note, all in its currency, by exact keys whatever is open; else None.

    Two provers, tried in turn: ``static_mentions`` for texts that are lists of invoice numbers (Applied To and
    Reference), and, for the other single-number shapes, ``single_explicit`` / ``single_reference`` (one invoice,
    with a Reference that names the same one or nothing). Such a payment's result depends only on those invoices'
    outstanding when its turn comes (``settle_named``), so the main loop settles it without scanning its texts
    again or going through the general rules."""
    index, is_cn, cur = book.index, book.is_cn, book.cur
    index.payments_of = Counter(custs)  # how often each payer's typo table would be asked (a cost hint)
    found: list[list[tuple[int, str]] | None] = [None] * len(custs)
    todo = [i for i, (cust, ref, named) in enumerate(zip(custs, refs, applied))
            if cust and (ref or named) and cust in book.slices]
    by_reference = [i for i in todo if not applied[i]]
    # the most common shape ("INV-1001" alone) for all payments in one pass; the others one by one below
    one = one_item_references([refs[i] for i in by_reference], [custs[i] for i in by_reference], index)
    simple = {by_reference[k]: p for k, p in one.items()}
    for i in todo:
        cust, ref, named, currency = custs[i], refs[i], applied[i], currencies[i]
        p = simple.get(i)
        if p is not None:
            if p >= 0 and not is_cn[p] and _same_currency(currency, cur[p]):
                found[i] = [(p, "reference")]
            continue
        names = _listed_names(index, cust, ref, named)
        if names is None:
            p, rule = _single_name(index, cust, ref, named)
            if p < 0:
                continue
            names = [(p, rule)]
        if names and all(not is_cn[p] and _same_currency(currency, cur[p]) for p, _ in names):
            found[i] = names
    return found


def _listed_names(index: InvoiceIndex, cust: str, ref: str, named: str) -> list[tuple[int, str]] | None:
    """The invoices Applied To and Reference name when both are lists of numbers (or Reference names nothing),
    as ``payment`` orders them: Applied To's first (explicit), then Reference's (reference), each once. None when a
    text is not such a list; [] when one is but does not name its invoices by exact keys (no fast path: a single-
    number prover would find no more in it, and the general path is right in any case)."""
    explicit: list[int] = []
    if named:
        found = static_mentions(named, index, cust, explicit=True)
        if not found:
            return found
        explicit = found
    if names_nothing(ref):
        return [(p, "explicit") for p in explicit] or None
    found = static_mentions(ref, index, cust)
    if not found:
        return found
    listed = set(explicit)  # a set: lists run to 1,500 invoices at 1M
    return [(p, "explicit") for p in explicit] + [(p, "reference") for p in found if p not in listed]


def _single_name(index: InvoiceIndex, cust: str, ref: str, named: str) -> tuple[int, str]:
    """(the one invoice the payment names, the rule) by its reference alone (``single_reference``) or by its
    Applied To (``single_explicit``) with a reference that names the same invoice or nothing; else (-1, "")."""
    if named:
        p = single_explicit(named, index, cust)
        if p >= 0 and not names_nothing(ref) and single_reference(ref, index, cust) != p:
            return -1, ""
        return p, "explicit"
    return single_reference(ref, index, cust), "reference"


@contextlib.contextmanager
def _gc_paused():
    """Reconciliation allocates many small lists, dicts and tuples and makes no reference cycles; the collector's
    repeated passes over them cost a fifth of the run and find nothing. It is paused while reconcile runs."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _empty_if_none(frame: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns}) if frame is None else frame


def _columns(rows: list[tuple], columns: list[str]) -> dict[str, list[Any]]:
    """Rows (tuples in ``columns`` order) -> a list per column."""
    if not rows:
        return {c: [] for c in columns}
    return dict(zip(columns, map(list, zip(*rows))))  # one transpose in C instead of a listcomp per column


def _frame(data: dict[str, list[Any]], columns: list[str], money: tuple[str, ...]) -> pd.DataFrame:
    """Each column made once with its final type (a frame made from the lists inferred every column's type, then
    astype converted it again): money as int64, the rest as an object column turned into 'str'."""
    return pd.DataFrame(
        {c: np.array(data[c], dtype=np.int64) if c in money else pd.Series(data[c], dtype=object).astype("str")
         for c in columns},
        columns=columns,
    )


def summarize(result: ReconcileResult, payments: pd.DataFrame) -> dict[str, Any]:
    """Figures for the run summary (all money in cents).

    A payment counts as auto-applied when it received at least one allocation and whatever is left of it is an
    overpayment credit (reason ``overpayment``): its invoices are settled without a person.
    """
    pids = _text(payments["payment_id"]) if "payment_id" in payments else []
    amounts = _cents(payments["amount"], "payments", pids) if "amount" in payments else np.zeros(0, np.int64)
    received = int(amounts.sum())
    alloc = result.allocations
    cash = alloc[alloc["rule"] != "credit_note"]
    applied = int(cash["amount"].sum())
    allocated_ids = set(cash["payment_id"])
    codes = [reason_code(r) for r in result.unapplied["reason"]]
    exception_ids = {p for p, c in zip(result.unapplied["payment_id"], codes) if c != "overpayment"}
    auto = sum(1 for p in pids if p in allocated_ids and p not in exception_ids)
    by_reason: dict[str, int] = {}
    for c in codes:
        by_reason[c] = by_reason.get(c, 0) + 1
    by_rule = {str(k): int(v) for k, v in cash.groupby("rule")["amount"].sum().items()}
    return {
        "payments": len(pids),
        "auto_applied": auto,
        "auto_applied_pct": round(100.0 * auto / len(pids), 1) if pids else 0.0,
        "fully_applied": len(pids) - len(set(result.unapplied["payment_id"])),
        "amount_received": received,
        "amount_applied": applied,
        "amount_unapplied": int(result.unapplied["unapplied_amount"].sum()),
        "credit_notes_applied": int(alloc.loc[alloc["rule"] == "credit_note", "amount"].sum()),
        "writeoffs_proposed": int(result.writeoffs["amount"].sum()),
        "applied_by_rule": dict(sorted(by_rule.items())),
        "exceptions_by_reason": dict(sorted(by_reason.items())),
    }


def invoice_balances(invoices: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """Per invoice row: paid (cents allocated to it) and outstanding = amount − paid.

    A credit note's outstanding is minus its unused credit (amount − credit applied through ``credit_note`` rows),
    so a customer's balance is the plain sum of outstanding.
    """
    nos = _text(invoices["invoice_no"]) if "invoice_no" in invoices else []
    amounts = _cents(invoices["amount"], "invoices", nos) if "amount" in invoices else np.zeros(0, np.int64)
    is_cn = is_credit_note(invoices["doc_type"]) if "doc_type" in invoices else np.zeros(len(nos), bool)
    paid_to = (
        allocations.groupby("invoice_no")["amount"].sum() if len(allocations) else pd.Series(dtype=np.int64)
    )
    used = (
        allocations[allocations["rule"] == "credit_note"].groupby("payment_id")["amount"].sum()
        if len(allocations)
        else pd.Series(dtype=np.int64)
    )
    paid = np.array([int(paid_to.get(no, 0)) for no in nos], dtype=np.int64)
    credit_used = np.array([int(used.get(no, 0)) for no in nos], dtype=np.int64)
    outstanding = np.where(is_cn, -(amounts - credit_used), amounts - paid)
    return pd.DataFrame(
        {
            "invoice_no": pd.Series(nos, dtype="str"),
            "customer_id": pd.Series(
                _text(invoices["customer_id"]) if "customer_id" in invoices else nos, dtype="str"
            ),
            "paid": np.where(is_cn, credit_used, paid).astype(np.int64),
            "outstanding": outstanding.astype(np.int64),
        }
    )
