"""Cash-application benchmark: seeded messy payments with known answers, run through xlfin.engine.reconcile.

    .venv/bin/python benchmarks/reconcile.py --payments 50000 --invoices 100000 --seed 0

Prints, overall and per scenario:
- auto-application rate: payments applied without a person (at least one allocation, and any money left is an
  overpayment credit), over the payments that have a true allocation; garbage payments are reported apart (the
  right outcome for them is to stay unapplied);
- allocation precision: share of the allocated cash that went to the right invoice (Σ min(allocated, true amount)
  per payment and invoice ÷ Σ allocated); credit-note rows are not cash and are left out;
- per-invoice match rate: share of the true (payment, invoice) pairs allocated exactly the true amount;
- the time of reconcile() alone (the generator is not timed); with ``--reference``, also the time of the
  pre-speed-up engine (tests/support/reconcile_reference) on the same data in the same run, the ratio, and a check
  that both gave the same rows; ``--repeat N`` takes the best of N runs of each.
Targets: precision ≥ 99.5 %, auto-application ≥ 95 %, 50k payments vs 100k invoices ≤ 2 s (quiet 2-core machine).

    .venv/bin/python benchmarks/reconcile.py --book /work/bench/100k.xlsm --reference

times, on a workbook instead (opened read-only, never saved), the operations layer's ``reconciliation`` (its frames
built first, untimed), the whole reconcile stage of ``regenerate`` (``stage_reconciliation``: the result, the open
items the Paid lookup needs, and the staged sheet), and with ``--reference`` the reference engine on the same frames.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from xlfin.engine.reconcile import reason_code, reconcile, summarize

# the labelled-data generator is test support, not shipped: tests/support/synth.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.reconcile_check import assert_same_result  # noqa: E402
from support.reconcile_reference import reconcile as reference_reconcile  # noqa: E402
from support.synth import generate  # noqa: E402


def measure(result, data) -> pd.DataFrame:
    """Per-payment figures: allocated, correct (cents), auto-applied flag, exact pairs."""
    cash = result.allocations[result.allocations["rule"] != "credit_note"]
    got = cash.groupby(["payment_id", "invoice_no"])["amount"].sum()
    want = data.truth.groupby(["payment_id", "invoice_no"])["amount"].sum()
    joined = pd.concat([got.rename("got"), want.rename("want")], axis=1).fillna(0).astype("int64")
    joined["correct"] = joined[["got", "want"]].min(axis=1)
    joined["exact_pair"] = (joined["got"] == joined["want"]) & (joined["want"] > 0)
    joined["true_pair"] = joined["want"] > 0
    per_payment = joined.groupby(level=0)[["got", "correct", "exact_pair", "true_pair"]].sum()
    frame = pd.DataFrame(index=data.payments["payment_id"])
    frame["scenario"] = data.scenario
    frame = frame.join(per_payment).fillna(0)
    exceptions = {
        p
        for p, r in zip(result.unapplied["payment_id"], result.unapplied["reason"])
        if reason_code(r) != "overpayment"
    }
    frame["auto"] = (frame["got"] > 0) & ~frame.index.isin(list(exceptions))
    frame["has_truth"] = frame["true_pair"] > 0
    return frame


def report(frame: pd.DataFrame, seconds: float, summary: dict) -> dict:
    applicable = frame[frame["has_truth"]]
    garbage = frame[~frame["has_truth"]]
    figures = {
        "auto_rate": 100 * applicable["auto"].mean() if len(applicable) else 0.0,
        "precision": 100 * frame["correct"].sum() / frame["got"].sum() if frame["got"].sum() else 100.0,
        "invoice_match": 100 * frame["exact_pair"].sum() / frame["true_pair"].sum()
        if frame["true_pair"].sum()
        else 0,
        "garbage_left_unapplied": 100 * (garbage["got"] == 0).mean() if len(garbage) else 100.0,
        "seconds": seconds,
    }
    print(f"payments {len(frame):,}  with a true allocation {len(applicable):,}  garbage {len(garbage):,}")
    print(f"reconcile() time           {seconds:8.2f} s")
    print(f"auto-application rate      {figures['auto_rate']:8.2f} %   (target >= 95)")
    print(f"allocation precision       {figures['precision']:8.3f} %   (target >= 99.5)")
    print(f"per-invoice match rate     {figures['invoice_match']:8.2f} %")
    print(f"garbage left unapplied     {figures['garbage_left_unapplied']:8.2f} %")
    print(
        f"summarize(): auto-applied {summary['auto_applied_pct']} % of all payments; "
        f"exceptions {summary['exceptions_by_reason']}"
    )
    print("\nscenario            payments   auto %   precision %   pair match %")
    for name, g in frame.groupby("scenario"):
        prec = 100 * g["correct"].sum() / g["got"].sum() if g["got"].sum() else float("nan")
        pairs = 100 * g["exact_pair"].sum() / g["true_pair"].sum() if g["true_pair"].sum() else float("nan")
        auto = 100 * g["auto"].mean()
        print(f"{name:18s} {len(g):9,d} {auto:8.2f} {prec:13.3f} {pairs:14.2f}")
    return figures


def book_stage(path: Path, reference: bool, repeat: int) -> int:
    """Reconcile-stage figures on a workbook; nothing is written to it."""
    from xlfin.adapters.file import open_workbook
    from xlfin.app.operations import Run

    wb = open_workbook(path)
    try:
        t0 = time.perf_counter()
        frames = Run(wb).frames
        print(f"read + validate (untimed set-up)   {time.perf_counter() - t0:8.2f} s")
        f = frames
        print(f"invoices {len(f['invoices']):,}  payments {len(f['payments']):,}  customers {len(f['customers']):,}")
        best = {"reconciliation": float("inf"), "stage": float("inf"), "reference": float("inf")}
        for _ in range(max(1, repeat)):
            run = Run(wb)
            run.__dict__["frames"] = frames  # the cached frames: only the reconcile work is timed
            t0 = time.perf_counter()
            result = run.reconciliation
            best["reconciliation"] = min(best["reconciliation"], time.perf_counter() - t0)
            t0 = time.perf_counter()
            run.stage_reconciliation()
            best["stage"] = min(best["stage"], best["reconciliation"] + time.perf_counter() - t0)
            if reference:
                s = run.settings
                t0 = time.perf_counter()
                old = reference_reconcile(f["invoices"], f["payments"], f["customers"],
                                          tolerance_abs_cents=s.reconcile_tolerance_abs_cents,
                                          tolerance_pct=s.reconcile_tolerance_pct, fifo=s.reconcile_fifo)
                best["reference"] = min(best["reference"], time.perf_counter() - t0)
                assert_same_result(result, old)
        print(f"operations.reconciliation          {best['reconciliation']:8.2f} s")
        print(f"reconcile stage (incl. its sheet)  {best['stage']:8.2f} s   (target <= 2.5)")
        if reference:
            print(f"reference engine, same frames      {best['reference']:8.2f} s   (same rows: yes)")
            print(f"speed-up of reconcile()            {best['reference'] / best['reconciliation']:8.2f} x")
    finally:
        wb.close()
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def timed(engine, data, repeat: int):
    """(result, best seconds of ``repeat`` runs) of one engine on the generated data."""
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = engine(data.invoices, data.payments, data.customers)
        best = min(best, time.perf_counter() - t0)
    return result, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=50_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--reference", action="store_true",
                        help="also time the pre-speed-up engine in the same run and check it gives the same rows")
    parser.add_argument("--repeat", type=int, default=1, help="best of N timed runs of each engine")
    parser.add_argument("--book", type=Path, help="time the reconcile stage on this workbook instead")
    args = parser.parse_args(argv)
    if args.book:
        return book_stage(args.book, args.reference, args.repeat)

    data = generate(args.payments, args.invoices, args.seed)
    result, seconds = timed(reconcile, data, args.repeat)
    figures = report(measure(result, data), seconds, summarize(result, data.payments))
    if args.reference:
        old, old_seconds = timed(reference_reconcile, data, args.repeat)
        assert_same_result(result, old)
        print(f"\nreference engine           {old_seconds:8.2f} s   (same rows: yes)")
        print(f"speed-up                   {old_seconds / seconds:8.2f} x   (reference ÷ new, same run)")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    missed = (
        figures["precision"] < 99.5
        or figures["auto_rate"] < 95
        or (args.payments >= 50_000 and args.invoices <= 100_000 and figures["seconds"] > 2)
    )
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
