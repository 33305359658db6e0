"""The combination search (engine.find_combination) gives exactly the answer of the depth-first search it
replaced — the same positions and the same ``complete`` flag — on random item lists: targets that are and are not
sums, tiny step budgets (so that the budget stops the search), few candidates, any chance cut. The oracle is the
search as it was at fa2197a, copied below (only the names changed: prefixed ``old``).

The faster search rests on one lemma, tested on its own: for a size k the DFS takes one step when the target lies
outside the band of k-sums and at most C(n, k-1) - 1 steps otherwise, so while those bounds sum to no more than the
budget the budget cannot stop it and any exact method may answer for it.

The open lists the book keeps per customer (``_Book.open_list``, compacted on every look) are checked against a
fresh look at the customer's invoices at every call of a run.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import math
import random
from collections.abc import Iterator

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from support.reconcile_check import checked_reconcile
from support.synth import generate

from xlfin.engine.reconcile import engine, find_combination

# ------------------------------------------------------------------------------------------ the oracle (fa2197a)


def old_find_combination(
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
    (:func:`old_chance_of_a_hit`); above ``max_chance`` an exact sum of that many invoices is no evidence that the
    customer meant them, so that size and larger ones are not tried (the search is then complete: the later rules
    decide).
    """
    n = len(items)
    amounts = [a for _, a in items]
    total = sum(amounts)
    if n < 2 or total < target:
        return [], True
    if total == target:
        return [p for p, _ in items], True
    where: dict[int, list[int]] = {}
    for i, a in enumerate(amounts):
        where.setdefault(a, []).append(i)
    budget = max_nodes
    bounds: tuple[list[list[int]], list[list[int]]] | None = None
    ranked = sorted(amounts)
    mean = total / n
    for size in range(2, min(max_size, n) + 1):
        if old_chance_of_a_hit(ranked, size, mean) > max_chance:
            break
        if size == 2:
            for i, a in enumerate(amounts):
                for j in where.get(target - a, ()):  # old_first_at_or_after(where, target - a, i + 1), inline
                    if j > i:
                        return [items[i][0], items[j][0]], True
            continue
        if n > max_candidates:
            return [], False
        if bounds is None:  # one table serves every size (a size only reads rows up to itself)
            bounds = old_suffix_bounds(amounts, min(max_size, n))
        found, used = old_dfs_size(amounts, target, size, budget, where, bounds)
        if found:
            return [items[i][0] for i in found], True
        if used > budget:
            return [], False
        budget -= used
    return [], True


def old_chance_of_a_hit(ranked: list[int], size: int, mean: float) -> float:
    """How likely an amount not meant for any `size` of these invoices still equals the sum of some `size` of them.

    The sums of `size` items lie in a band as wide as the spread between the `size` smallest and the `size`
    largest, and there are at most min(C(n, size), spread + 1) distinct ones. A payment of that order of size is
    spread over at least `size` × the mean amount (a band of equal sums is not evidence of anything: four equal
    instalments have one 3-sum, and a payment of exactly that is no coincidence). So the chance is the number of
    distinct sums over the wider of the two bands.
    """
    spread = sum(ranked[-size:]) - sum(ranked[:size]) + 1
    distinct = min(math.comb(len(ranked), size), spread)
    return distinct / max(spread, size * mean)


def old_first_at_or_after(where: dict[int, list[int]], amount: int, start: int) -> int:
    for j in where.get(amount, ()):
        if j >= start:
            return j
    return -1


def old_suffix_bounds(amounts: list[int], size: int) -> tuple[list[list[int]], list[list[int]]]:
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


def old_dfs_size(
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
            j = old_first_at_or_after(where, rest, start)
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


# ----------------------------------------------------------------------------------------------------- the tests


@contextlib.contextmanager
def thresholds(few_steps: int, enumerate_up_to: int) -> Iterator[None]:
    """Move the cut-overs between the DFS, listing subsets and the DFS after the numpy test: any must answer the
    same (they only choose which exact method runs)."""
    saved = engine._FEW_STEPS, engine._ENUMERATE
    engine._FEW_STEPS, engine._ENUMERATE = few_steps, enumerate_up_to
    try:
        yield
    finally:
        engine._FEW_STEPS, engine._ENUMERATE = saved


@st.composite
def searches(draw: st.DrawFn) -> tuple[list[tuple[int, int]], int, int, int, int, float]:
    n = draw(st.integers(0, 26) | st.integers(27, 52))
    crowded = draw(st.booleans())  # amounts close together: many subsets share a sum (and duplicates)
    top = draw(st.sampled_from([9, 60, 400])) if crowded else draw(st.sampled_from([10_000, 1_000_000]))
    amounts = draw(st.lists(st.integers(1, top), min_size=n, max_size=n))
    start = draw(st.integers(0, 5))
    items = [(start + 3 * i, a) for i, a in enumerate(amounts)]  # positions need not be 0..n-1
    how = draw(st.sampled_from(["subset"] * 5 + ["near", "near", "any", "total"]))
    if how in ("subset", "near") and n:
        chosen = draw(st.lists(st.integers(0, n - 1), min_size=min(n, 3), max_size=min(n, 7), unique=True))
        target = sum(amounts[i] for i in chosen) + (draw(st.sampled_from([-1, 1])) if how == "near" else 0)
    elif how == "total":
        target = sum(amounts)
    else:
        target = draw(st.integers(1, max(1, top * 7)))
    max_size = draw(st.sampled_from([1, 2, 3, 4, 5, 6, 6, 6, 7, 8]))
    max_candidates = draw(st.sampled_from([5, 12, 20, 40, 60]))
    max_nodes = draw(st.sampled_from([0, 1, 2, 5, 20, 60, 200, 1_000, 5_000, 20_000, 200_000]))
    max_chance = draw(st.sampled_from([0.0, 0.001, 0.01, 0.1, 1.0, 1e9, 1e9, 1e9]))
    return items, target, max_size, max_candidates, max_nodes, max_chance


@settings(max_examples=1_000, deadline=None)
@given(searches(), st.sampled_from([(150, 6_000), (0, 6_000), (0, 0), (0, 10**9), (10**9, 0)]))
def test_find_combination_equals_the_dfs_it_replaced(search, cut_overs) -> None:
    items, target, max_size, max_candidates, max_nodes, max_chance = search
    expected = old_find_combination(items, target, max_size, max_candidates, max_nodes, max_chance)
    with thresholds(*cut_overs):
        assert find_combination(items, target, max_size, max_candidates, max_nodes, max_chance) == expected
    event(f"size {min(len(expected[0]), 7)}, complete {expected[1]}")


@settings(max_examples=800, deadline=None)
@given(
    st.lists(st.integers(1, 10**6), min_size=3, max_size=24),
    st.lists(st.integers(0, 23), min_size=3, max_size=6, unique=True),
    st.sampled_from([0, 1, 10, 50, 200, 1_000, 5_000, 20_000, 10**9]),
    st.sampled_from([(150, 6_000), (0, 6_000), (0, 0), (0, 10**9)]),
    st.booleans(),
)
def test_sums_of_three_to_six_items_are_found_as_the_dfs_found_them(amounts, chosen, max_nodes, cut_overs, miss):
    """Targets that are sums of 3..6 items (or one cent off them), no chance cut: the sizes the numpy test and the
    listing answer for, with budgets that do and do not stop the DFS."""
    chosen = [i % len(amounts) for i in chosen]
    target = sum(amounts[i] for i in set(chosen)) + miss
    items = list(enumerate(amounts))
    expected = old_find_combination(items, target, 6, 40, max_nodes, 1e9)
    with thresholds(*cut_overs):
        assert find_combination(items, target, 6, 40, max_nodes, 1e9) == expected
    event(f"size {len(expected[0])}, complete {expected[1]}")


def old_steps(items: list[tuple[int, int]], target: int, max_size: int) -> int:
    """The steps the old search takes for sizes 3.. up to its answer, unbounded (no chance cut)."""
    amounts = [a for _, a in items]
    n = len(amounts)
    where: dict[int, list[int]] = {}
    for i, a in enumerate(amounts):
        where.setdefault(a, []).append(i)
    bounds = old_suffix_bounds(amounts, min(max_size, n))
    total = 0
    for size in range(3, min(max_size, n) + 1):
        found, used = old_dfs_size(amounts, target, size, 10**12, where, bounds)
        total += used
        if found:
            break
    return total


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.integers(1, 10**5), min_size=3, max_size=18),
    st.lists(st.integers(0, 17), min_size=2, max_size=6, unique=True),
    st.integers(-1, 1),
    st.sampled_from([(150, 6_000), (0, 6_000), (0, 0)]),
    st.integers(-2, 2),
)
def test_budgets_at_the_edge_where_the_dfs_runs_out(amounts, chosen, miss, cut_overs, edge):
    """A budget of exactly the steps the old search needs (± 2), and of exactly the bound the shortcut checks
    (± 2): where ``complete`` flips, the new search must flip with it."""
    chosen = [i % len(amounts) for i in chosen]
    target = sum(amounts[i] for i in set(chosen)) + miss
    items = list(enumerate(amounts))
    n = len(amounts)
    ranked = sorted(amounts)
    bound = sum(
        math.comb(n, k - 1) - 1 if sum(ranked[:k]) <= target <= sum(ranked[-k:]) else 1 for k in range(3, min(6, n) + 1)
    )
    for max_nodes in (old_steps(items, target, 6) + edge, bound + edge):
        if max_nodes < 0:
            continue
        expected = old_find_combination(items, target, 6, 40, max_nodes, 1e9)
        with thresholds(*cut_overs):
            assert find_combination(items, target, 6, 40, max_nodes, 1e9) == expected
        event(f"complete {expected[1]}")


@settings(max_examples=600, deadline=None)
@given(st.lists(st.integers(1, 500), min_size=3, max_size=14), st.integers(1, 3_000), st.integers(3, 6))
def test_dfs_steps_stay_within_the_bound_the_shortcut_relies_on(amounts, target, size) -> None:
    n = len(amounts)
    size = min(size, n)
    if size < 3:
        return
    where = engine._positions_by_amount(amounts)
    found, used = engine._dfs_size(amounts, target, size, 10**9, where, engine._suffix_bounds(amounts, n))
    ranked = sorted(amounts)
    inside = sum(ranked[:size]) <= target <= sum(ranked[-size:])
    assert used == 1 if not inside else used <= math.comb(n, size - 1) - 1
    # the bound is reached: equal amounts never prune and an empty amount table never completes a list, so every
    # prefix is a step
    flat = [7] * n
    _, every = engine._dfs_size(flat, 7 * size, size, 10**9, {}, engine._suffix_bounds(flat, n))
    assert every == math.comb(n, size - 1) - 1


@given(st.lists(st.integers(1, 10**7), min_size=2, max_size=50), st.integers(2, 7))
def test_chance_from_the_smallest_and_largest_sums_is_chance_of_a_hit(amounts, size) -> None:
    ranked = sorted(amounts)
    size = min(size, len(ranked))
    mean = sum(ranked) / len(ranked)
    least = list(itertools.accumulate(ranked[:size], initial=0))
    most = list(itertools.accumulate(ranked[:-size - 1:-1], initial=0))
    assert engine._chance(len(ranked), least[size], most[size], size, mean) == old_chance_of_a_hit(ranked, size, mean)
    assert engine.chance_of_a_hit(ranked, size, mean) == old_chance_of_a_hit(ranked, size, mean)


def test_the_numpy_path_is_taken_and_agrees_at_the_benchmark_shapes() -> None:
    """Twenty open items, targets of every size 3..6 and misses: the shape of the payments that end in tolerance
    or FIFO (many steps, within the budget), where the numpy test replaces the DFS."""
    rng = random.Random(7)
    calls: list[tuple] = []
    real = engine._sums_of_sizes

    def spy(*args):  # counts the searches the numpy test answers
        calls.append(args)
        return real(*args)

    engine._sums_of_sizes = spy
    try:
        for case in range(300):
            n = rng.choice([14, 20, 26])
            amounts = [rng.randrange(20_000, 400_000) for _ in range(n)]
            items = list(enumerate(amounts))
            target = sum(rng.sample(amounts, rng.randint(3, 6))) + (case % 3 == 0)
            expected = old_find_combination(items, target, 6, 40, 20_000, 0.01)
            assert find_combination(items, target, 6, 40, 20_000, 0.01) == expected
    finally:
        engine._sums_of_sizes = real
    taken = len(calls)
    assert taken > 100


def test_huge_amounts_stay_exact() -> None:
    """Amounts beyond int64: the DFS answers (numpy would overflow)."""
    big = 1 << 62
    items = [(i, big + i * 1_000_003) for i in range(16)]
    for target in (items[1][1] + items[4][1] + items[9][1], items[2][1] + items[3][1] + items[5][1] + 1):
        assert find_combination(items, target, 6, 40, 20_000, 1e9) == old_find_combination(
            items, target, 6, 40, 20_000, 1e9
        )


@pytest.mark.parametrize(
    ("seed", "options"),
    [(0, {}), (1, {"fifo": False}), (2, {"combination_max_candidates": 8, "combination_max_nodes": 300}),
     (3, {"tolerance_abs_cents": 0, "tolerance_pct": 0.03})],
)
def test_open_lists_kept_per_customer_are_the_books(seed: int, options: dict, monkeypatch: pytest.MonkeyPatch):
    """The book keeps a customer's open list and compacts it on every look (outstanding never grows back): at every
    call it is what a fresh look at the customer's invoices lists, and the whole run is the reference engine's."""
    data = generate(1_500, 1_200, seed)  # fewer invoices than payments: lists shrink between a customer's payments
    kept = engine._Book.open_list
    seen: list[int] = []

    def both(self, cust: str, currency: str, include_disputed: bool = False, most: int | None = None) -> list[int]:
        now = kept(self, cust, currency, include_disputed, most)
        whole = self.slices.get(cust, range(0))
        fresh = self._open_in(whole.start, whole.stop, currency, include_disputed)
        assert now == (fresh if most is None else fresh[:most])
        seen.append(len(now))
        return now

    monkeypatch.setattr(engine._Book, "open_list", both)
    checked_reconcile(data.invoices, data.payments, data.customers, **options)
    assert len(seen) > 40
