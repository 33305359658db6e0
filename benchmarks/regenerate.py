"""Regenerate-all benchmark in file mode (the CLI's `xlfin regenerate`) on a large seeded workbook.

    .venv/bin/python benchmarks/regenerate.py                      # 5,000 customers, 100,000 invoices, 80,000 payments
    .venv/bin/python benchmarks/regenerate.py --invoices 10000 --payments 8000 --customers 500
    .venv/bin/python benchmarks/regenerate.py --profile prof.out   # cProfile of the regenerate run (not the fill)

Stages, each timed with a wall clock:
- fill: generate the seeded demo tables and write them into a fresh template (what `xlfin new --demo` does), saved to
  a temporary .xlsm; this is set-up, not part of the regenerate figure;
- open: open the file (safety checks and the read load);
- read, validate, reconcile, aging, scorecard, dunning, forecast, dashboard: the run's stages, as reported by the operations
  layer's progress callback (each includes staging that stage's sheet as cell rows);
- save: the commit — write every staged sheet into the workbook and save it atomically (temporary file, `.bak`,
  rename).
Peak memory is the maximum resident set size (`resource.getrusage(...).ru_maxrss`) of the regenerate process; the
fill runs in a child process (its own peak is reported apart), so the figure is what `xlfin regenerate` needs. Targets: regenerate (open..save) under 60 s and peak RSS under 2 GB.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.xlsx.atomic import atomic_write_bytes
from xlfin.app.demo import DEMO_AS_OF, INPUT_KEYS, _demo_config, fill_input_table, set_config
from xlfin.app.demo_data import generate_demo
from xlfin.app.operations import ACTIONS, execute
from xlfin.template import package_workbook
from xlfin.template.builder import build_workbook

STAGES = ("fill", "open", "read", "validate", "reconcile", "aging", "scorecard", "dunning", "forecast", "dashboard", "save")
TARGET_SECONDS = 60.0
TARGET_BYTES = 2 * 1024 ** 3


def peak_rss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    """ru_maxrss is in KiB on Linux and in bytes on macOS."""
    peak = resource.getrusage(who).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def fill_in_child(path: Path, args: argparse.Namespace) -> dict[str, int]:
    """The fill in a child process, so that its memory does not count towards the regenerate figure."""
    cmd = [sys.executable, __file__, "--fill-only", str(path), "--customers", str(args.customers), "--invoices",
           str(args.invoices), "--payments", str(args.payments), "--seed", str(args.seed), "--lang", args.lang]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def fill(path: Path, *, customers: int, invoices: int, payments: int, seed: int, lang: str) -> dict[str, int]:
    data = generate_demo(seed=seed, customers=customers, invoices=invoices, payments=payments, as_of=DEMO_AS_OF,
                         lang=lang)
    wb = build_workbook(lang)
    counts = {}
    for key in INPUT_KEYS:
        if key in data:
            counts[key] = fill_input_table(wb, schema.TABLES[key], data[key], lang)
    set_config(wb, _demo_config(lang), lang)
    atomic_write_bytes(path, package_workbook(wb, lang), backup=False)
    return counts


class StageClock:
    """Wall time between the operations layer's progress calls; the time before the first goes to `open`. The
    process's CPU time per stage is kept beside it (`cpu`): on a shared machine it moves far less with the load."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.current = "open"
        self.since = time.perf_counter()
        self.cpu_since = time.process_time()

    def __call__(self, stage: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.since
        self.cpu[self.current] = self.cpu.get(self.current, 0.0) + cpu - self.cpu_since
        self.current, self.since, self.cpu_since = stage, now, cpu

    def stop(self) -> None:
        self("done")
        self.seconds.pop("done", None)


def regenerate(path: Path, letters_dir: Path | None, clock: StageClock | None = None) -> tuple[dict[str, float], dict]:
    clock = clock or StageClock()
    wb = open_workbook(path)
    try:
        summary = execute(wb, ACTIONS, letters_dir=letters_dir, progress=clock)
    finally:
        wb.close()
    clock.stop()
    return clock.seconds, summary.as_dict()


def book_size_arguments(parser: argparse.ArgumentParser) -> None:
    """The seeded book every file-format benchmark fills: 5,000 customers, 100k invoices, 80k payments."""
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=80_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lang", default="en", choices=("en", "zh-CN"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    book_size_arguments(parser)
    parser.add_argument("--letters", action="store_true", help="also render dunning letters (as `xlfin demo` does)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the regenerate run here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--fill-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fill_only:
        counts = fill(args.fill_only, customers=args.customers, invoices=args.invoices, payments=args.payments,
                      seed=args.seed, lang=args.lang)
        print(json.dumps(counts))
        return 0

    with tempfile.TemporaryDirectory(prefix="xlfin-bench-") as tmp:
        path = Path(tmp) / "bench.xlsm"
        started = time.perf_counter()
        counts = fill_in_child(path, args)
        fill_seconds = time.perf_counter() - started
        size = path.stat().st_size
        letters = Path(tmp) / "letters" if args.letters else None
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        seconds, summary = regenerate(path, letters)
        total = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        out_size = path.stat().st_size
    seconds = {"fill": fill_seconds, **seconds}
    figures = {
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
                   f"{__import__('os').cpu_count()} CPUs",
        "rows": counts,
        "file_bytes_in": size,
        "file_bytes_out": out_size,
        "stages_seconds": {k: round(seconds.get(k, 0.0), 2) for k in STAGES},
        "regenerate_seconds": round(total, 2),
        "peak_rss_mb": round(peak_rss_bytes() / 1024 ** 2),
        "fill_peak_rss_mb": round(peak_rss_bytes(resource.RUSAGE_CHILDREN) / 1024 ** 2),
        "results": {k: summary["results"][k] for k in ("aging", "dunning") if k in summary["results"]},
    }
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    else:
        print(f"machine: {figures['machine']}")
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        print(f"workbook: {size / 1e6:.1f} MB in, {out_size / 1e6:.1f} MB out")
        for stage in STAGES:
            print(f"  {stage:<10} {seconds.get(stage, 0.0):8.2f} s")
        print(f"regenerate (open..save): {total:.2f} s (target < {TARGET_SECONDS:.0f} s)")
        print(f"peak RSS of the regenerate process: {figures['peak_rss_mb']:,} MB "
              f"(target < {TARGET_BYTES // 1024 ** 2:,} MB); the fill's child process: {figures['fill_peak_rss_mb']:,} MB")
    ok = total < TARGET_SECONDS and peak_rss_bytes() < TARGET_BYTES
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
