"""Combination search benchmark: every find_combination call a reconcile() run makes, replayed through the
shipped search and through the frozen reference engine's (tests/support/reconcile_reference), alternating, in one
process; both must give the same answer for every call.

    .venv/bin/python benchmarks/combination.py                      # synthetic 50k payments x 100k invoices
    .venv/bin/python benchmarks/combination.py --frames /tmp/book100k.pkl   # dict inv/pay/cust/opts (pickled)

Prints the calls by outcome, the CPU seconds of each search over all of them (best of --repeat) and the load.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from collections import Counter
from pathlib import Path

from xlfin.engine.reconcile import engine, reconcile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.reconcile_reference import engine as reference  # noqa: E402
from support.synth import generate  # noqa: E402

Call = tuple[list[tuple[int, int]], int, tuple[int, int, int, float]]


def recorded_calls(invoices, payments, customers, options: dict) -> list[Call]:
    """The searches reconcile() asks for on these frames (items, target, bounds), in order."""
    calls: list[Call] = []
    shipped = engine._combination

    def record(positions, amounts, target, *bounds):
        calls.append((list(zip(positions, amounts)), target, bounds))
        return shipped(positions, amounts, target, *bounds)

    engine._combination = record
    try:
        reconcile(invoices, payments, customers, **options)
    finally:
        engine._combination = shipped
    return calls


def cpu_seconds(search, calls: list[Call]) -> float:
    start = time.process_time()
    for items, target, bounds in calls:
        search(items, target, *bounds)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=50_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frames", type=Path, help="pickled dict with inv, pay, cust, opts instead of synthetic data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.frames:
        frames = pickle.loads(args.frames.read_bytes())
        calls = recorded_calls(frames["inv"], frames["pay"], frames["cust"], frames.get("opts", {}))
    else:
        data = generate(args.payments, args.invoices, args.seed)
        calls = recorded_calls(data.invoices, data.payments, data.customers, {})
    outcomes: Counter[str] = Counter()
    for items, target, bounds in calls:
        answer = engine.find_combination(items, target, *bounds)
        if answer != reference.find_combination(items, target, *bounds):
            print(f"DIFFERENT ANSWER: {items} {target} {bounds}")
            return 1
        outcomes["none" if not answer[0] else f"{len(answer[0])} items"] += 1
        outcomes["complete" if answer[1] else "stopped by a bound"] += 1
    print(f"calls {len(calls):,}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    best = {"reference": float("inf"), "shipped": float("inf")}
    for _ in range(args.repeat):
        best["reference"] = min(best["reference"], cpu_seconds(reference.find_combination, calls))
        best["shipped"] = min(best["shipped"], cpu_seconds(engine.find_combination, calls))
    print(f"reference search   {best['reference']:.3f} s CPU (best of {args.repeat})")
    print(f"shipped search     {best['shipped']:.3f} s CPU   ratio {best['reference'] / best['shipped']:.2f} x")
    print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
