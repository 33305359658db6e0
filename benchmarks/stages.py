"""Per-stage wall times of `regenerate` on an existing book, optionally old code against new code in one run.

    .venv/bin/python benchmarks/stages.py --book /work/bench/100k.xlsm
    .venv/bin/python benchmarks/stages.py --book /work/bench/100k.xlsm --baseline /tmp/base/src --rounds 2
    .venv/bin/python benchmarks/stages.py --book BOOK.xlsm --profile /tmp/stages.prof

Each measurement runs in a fresh child process on a temporary copy of the book (the book itself is never changed):
open, then `execute(ACTIONS)` with the operations layer's progress callback as the stage clock, then the save.
With `--baseline SRC` (the `src/` folder of another checkout, e.g. `git archive` of the commit before a change) the
old and the new code run alternately, `--rounds` times each, and the report gives the median of each stage and the
ratio old / new: both figures come from the same run on the same machine load, which is what a speed-up claim needs
on a shared machine. python-calamine's read of the input sheets is timed in each child as the floor.

The reconcile engine's own call (`xlfin.engine.reconcile.reconcile`, inside the reconcile stage) is timed apart as
`engine`, and `not engine` is the whole run without it: the work around the engine (reading, validation, framing,
reports, writing), which is what changes to everything but the engine are measured by.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("open", "read", "validate", "reconcile", "aging", "scorecard", "dunning", "forecast", "dashboard", "save")
REPORT_STAGES = ("aging", "scorecard", "dunning", "forecast", "dashboard")
SPLIT = ("engine", "not engine")  # the reconcile engine's call, and the whole run without it
INPUT_SHEETS = ("Customers", "Invoices", "Payments", "Financials")


def calamine_read(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    for name in INPUT_SHEETS:
        if name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - started


def child(book: Path, profile: Path | None) -> dict:
    """One measurement with whatever xlfin is first on sys.path."""
    import cProfile

    import xlfin
    from xlfin.adapters.file import open_workbook
    from xlfin.app.operations import ACTIONS, execute

    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    engine = _time_engine()
    with tempfile.TemporaryDirectory(prefix="xlfin-stages-") as tmp:
        path = Path(tmp) / book.name
        shutil.copyfile(book, path)
        started_cpu = time.process_time()
        floor = calamine_read(path)
        floor_cpu = time.process_time() - started_cpu
        state = {"stage": "open", "since": time.perf_counter(), "cpu": time.process_time()}

        def clock(stage: str) -> None:
            now, now_cpu = time.perf_counter(), time.process_time()
            seconds[state["stage"]] = seconds.get(state["stage"], 0.0) + now - state["since"]
            cpu[state["stage"]] = cpu.get(state["stage"], 0.0) + now_cpu - state["cpu"]
            state.update(stage=stage, since=now, cpu=now_cpu)

        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        started, started_cpu = time.perf_counter(), time.process_time()
        wb = open_workbook(path)
        try:
            execute(wb, ACTIONS, progress=clock)
        finally:
            wb.close()
        clock("done")
        total, total_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
    seconds.pop("done", None)
    cpu.pop("done", None)
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    seconds["engine"], cpu["engine"] = engine["wall"], engine["cpu"]
    seconds["not engine"], cpu["not engine"] = total - engine["wall"], total_cpu - engine["cpu"]
    return {"code": str(Path(xlfin.__file__).parent), "calamine": floor, "total": total, "stages": seconds,
            "peak_mb": peak_mb,
            "cpu": {"calamine": floor_cpu, "total": total_cpu, "stages": cpu}}


def _time_engine() -> dict[str, float]:
    """Wrap the reconcile engine's entry point (the operations layer imports it at the call) with a clock."""
    import xlfin.engine.reconcile as reconcile_package

    spent = {"wall": 0.0, "cpu": 0.0}
    engine = reconcile_package.reconcile

    def timed(*args, **kwargs):
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            return engine(*args, **kwargs)
        finally:
            spent["wall"] += time.perf_counter() - started
            spent["cpu"] += time.process_time() - started_cpu

    reconcile_package.reconcile = timed
    return spent


def run_child(book: Path, src: Path | None, profile: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    cmd = [sys.executable, __file__, "--child", "--book", str(book)]
    if profile:
        cmd += ["--profile", str(profile)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(title: str, old: dict | None, new: dict) -> None:
    print(title)
    if old is not None:
        print(f"{'stage':<14}{'old s':>9}{'new s':>9}{'old/new':>9}")
        for stage in (*STAGES, "report stages", *SPLIT):
            o, n = old["stages"][stage], new["stages"][stage]
            print(f"{stage:<14}{o:9.2f}{n:9.2f}{(o / n if n else float('nan')):9.2f}")
        for what in ("total", "calamine"):
            print(f"{what:<14}{old[what]:9.2f}{new[what]:9.2f}{old[what] / new[what]:9.2f}")
        print(f"regenerate / calamine read: old {old['total'] / old['calamine']:.2f}, "
              f"new {new['total'] / new['calamine']:.2f}")
    else:
        for stage in (*STAGES, "report stages", *SPLIT):
            print(f"{stage:<14}{new['stages'][stage]:9.2f} s")
        print(f"total {new['total']:.2f} s; calamine read {new['calamine']:.2f} s; "
              f"ratio {new['total'] / new['calamine']:.2f}")


def median_figures(runs: list[dict]) -> dict:
    stages = {s: statistics.median(r["stages"].get(s, 0.0) for r in runs) for s in (*STAGES, *SPLIT)}
    stages["report stages"] = statistics.median(sum(r["stages"].get(s, 0.0) for s in REPORT_STAGES) for r in runs)
    return {"calamine": statistics.median(r["calamine"] for r in runs),
            "total": statistics.median(r["total"] for r in runs), "stages": stages}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, help="src/ folder of the old code to compare with")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="cProfile of the (new) run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.book, args.profile)))
        return 0

    load = os.getloadavg()
    new_runs: list[dict] = []
    old_runs: list[dict] = []
    for _ in range(args.rounds):
        if args.baseline:
            old_runs.append(run_child(args.book, args.baseline, None))
        new_runs.append(run_child(args.book, None, args.profile))
    print(f"book: {args.book} ({args.book.stat().st_size / 1e6:.1f} MB); rounds: {args.rounds}; "
          f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; after: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("peak RSS MB: new " + ", ".join(f"{r['peak_mb']:,.0f}" for r in new_runs)
          + ("; old " + ", ".join(f"{r['peak_mb']:,.0f}" for r in old_runs) if old_runs else ""))
    old = median_figures(old_runs) if old_runs else None
    report("wall-clock seconds (median of the rounds)", old, median_figures(new_runs))
    # CPU seconds of the process (all its threads): less sensitive than wall time to other work on the machine
    report("CPU seconds (median of the rounds)", median_figures([r["cpu"] for r in old_runs]) if old_runs else None,
           median_figures([r["cpu"] for r in new_runs]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
