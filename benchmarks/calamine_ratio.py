"""regenerate against python-calamine's own read of the same book, in one run (issue #12 item 3).

    .venv/bin/python benchmarks/calamine_ratio.py                         # 100,000 invoices, 80,000 payments
    .venv/bin/python benchmarks/calamine_ratio.py --book BOOK.xlsm        # a book made before (copied, not changed)
    .venv/bin/python benchmarks/calamine_ratio.py --invoices 1048575 --fill append --keep /tmp/1m.xlsm

The book is filled in a child process (its memory is not counted; `--keep PATH` keeps the book for later runs).
Then, in this process and on the same machine load: (1) python-calamine reads the four input sheets (Customers,
Invoices, Payments, Financials) from the file's bytes into Python rows — the floor for any reader; (2) `regenerate`
runs on a copy (open, read, validate, reconcile, aging, scorecard, dunning, dashboard, save). The figure is the
ratio (2)/(1); the target is <= 4. Peak RSS is this process's maximum resident set (the fill's is its child's).
The calamine read runs first, so its memory is counted in the peak too (a separate process would show less).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from python_calamine import CalamineWorkbook
from regenerate import STAGES, StageClock, book_size_arguments, fill, peak_rss_bytes, regenerate

INPUT_SHEETS = ("Customers", "Invoices", "Payments", "Financials")
TARGET_RATIO = 4.0


def fill_by_append(path: Path, *, customers: int, invoices: int, payments: int, seed: int, lang: str) -> dict:
    """A large book fast: the template with the small tables filled by openpyxl (as `xlfin new --demo`), then the
    invoices and payments appended by xlfin's own in-place table append (the bank-import path), which writes rows as
    XML with the calculated columns' formulas. openpyxl would need tens of GB for a million rows."""
    import pandas as pd

    from xlfin import schema
    from xlfin.adapters.file import open_workbook
    from xlfin.app.demo import DEMO_AS_OF, INPUT_KEYS, _demo_config, fill_input_table, set_config
    from xlfin.app.demo_data import generate_demo
    from xlfin.template import package_workbook
    from xlfin.template.builder import build_workbook
    from xlfin.xlsx.atomic import atomic_write_bytes

    data = generate_demo(seed=seed, customers=customers, invoices=invoices, payments=payments, as_of=DEMO_AS_OF,
                         lang=lang)
    book = build_workbook(lang)
    big = ("invoices", "payments")
    for key in INPUT_KEYS:
        if key in data and key not in big:
            fill_input_table(book, schema.TABLES[key], data[key], lang)
    set_config(book, _demo_config(lang), lang)
    atomic_write_bytes(path, package_workbook(book, lang), backup=False)
    with open_workbook(path) as wb:
        for key in big:
            table = schema.TABLES[key]
            frame = data[key].copy()
            for column in table.columns:  # engine conventions for append_rows: money in cents, yes/no as bool
                if column.key in frame and column.type == "money":
                    frame[column.key] = (pd.to_numeric(frame[column.key]) * 100).round()
                elif column.key in frame and column.type == "bool":
                    frame[column.key] = frame[column.key].map({"Yes": True, "No": False, "是": True, "否": False})
            wb.append_rows(table, frame, lang)
        wb.commit()
    Path(str(path) + ".bak").unlink(missing_ok=True)
    return {k: len(v) for k, v in data.items() if k in INPUT_KEYS}


def fill_in_child(path: Path, args: argparse.Namespace) -> dict[str, int]:
    """The fill in a child process, so that its memory does not count towards the regenerate figure."""
    cmd = [sys.executable, __file__, "--fill-only", str(path), "--fill", args.fill, "--customers", str(args.customers),
           "--invoices", str(args.invoices), "--payments", str(args.payments), "--seed", str(args.seed), "--lang",
           args.lang]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def calamine_read(path: Path) -> tuple[float, int, float]:
    """Seconds to read the input sheets' values with python-calamine, the number of rows read, and the CPU seconds
    it took."""
    started, cpu = time.perf_counter(), time.process_time()
    book = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    rows = 0
    for name in INPUT_SHEETS:
        if name in book.sheet_names:
            rows += len(book.get_sheet_by_name(name).to_python())
    book.close()
    return time.perf_counter() - started, rows, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    book_size_arguments(parser)
    parser.add_argument("--book", type=Path, help="use this book (a copy is regenerated) instead of filling one")
    parser.add_argument("--keep", type=Path, help="keep the filled book here")
    parser.add_argument("--fill", choices=("openpyxl", "append"), default="openpyxl",
                        help="how the book is filled: as `xlfin new --demo` does (openpyxl), or by xlfin's own table "
                             "append (for books near Excel's row limit)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--fill-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fill_only:
        if args.fill == "append":
            counts = fill_by_append(args.fill_only, customers=args.customers, invoices=args.invoices,
                                    payments=args.payments, seed=args.seed, lang=args.lang)
        else:
            counts = fill(args.fill_only, customers=args.customers, invoices=args.invoices, payments=args.payments,
                          seed=args.seed, lang=args.lang)
        print(json.dumps(counts))
        return 0
    with tempfile.TemporaryDirectory(prefix="xlfin-ratio-") as tmp:
        source = Path(tmp) / "source.xlsm"
        if args.book:
            shutil.copyfile(args.book, source)
        else:
            fill_in_child(source, args)
            if args.keep:
                shutil.copyfile(source, args.keep)
        run = Path(tmp) / "run.xlsm"
        shutil.copyfile(source, run)
        calamine_seconds, rows, calamine_cpu = calamine_read(source)
        started, cpu = time.perf_counter(), time.process_time()
        clock = StageClock()
        stages, _ = regenerate(run, None, clock)
        regenerate_seconds = time.perf_counter() - started
        regenerate_cpu = time.process_time() - cpu
        figures = {
            "input_rows_read_by_calamine": rows,
            "file_mb": round(source.stat().st_size / 1e6, 1),
            "calamine_read_seconds": round(calamine_seconds, 2),
            "regenerate_seconds": round(regenerate_seconds, 2),
            "ratio": round(regenerate_seconds / calamine_seconds, 2),
            "stages_seconds": {k: round(stages.get(k, 0.0), 2) for k in STAGES if k in stages},
            "calamine_cpu_seconds": round(calamine_cpu, 2),
            "regenerate_cpu_seconds": round(regenerate_cpu, 2),
            "cpu_ratio": round(regenerate_cpu / calamine_cpu, 2),
            "stages_cpu_seconds": {k: round(clock.cpu.get(k, 0.0), 2) for k in STAGES if k in clock.cpu},
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "peak_rss_mb": round(peak_rss_bytes() / 1024 ** 2),
        }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"book: {figures['file_mb']} MB, {rows:,} input rows")
        print(f"load average (1, 5, 15 min): {figures['load_average']}")
        print(f"python-calamine read of the input sheets: {calamine_seconds:.2f} s  (CPU {calamine_cpu:.2f} s)")
        print(f"regenerate (open..save):                  {regenerate_seconds:.2f} s  (CPU {regenerate_cpu:.2f} s)")
        for stage, seconds in figures["stages_seconds"].items():
            print(f"  {stage:<10} {seconds:8.2f} s   CPU {figures['stages_cpu_seconds'].get(stage, 0.0):8.2f} s")
        print(f"ratio: {figures['ratio']:.2f} (target <= {TARGET_RATIO:.0f}); CPU-time ratio {figures['cpu_ratio']:.2f}")
        print(f"peak RSS: {figures['peak_rss_mb']:,} MB")
    return 0 if figures["ratio"] <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
