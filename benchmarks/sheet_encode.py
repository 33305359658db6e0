"""The save's main work alone: encode a generated sheet of N rows and deflate its package, old code against new code.

    .venv/bin/python benchmarks/sheet_encode.py --rows 100000 300000 1048575
    .venv/bin/python benchmarks/sheet_encode.py --rows 100000 1048575 --baseline /tmp/base/src

A sheet like the Reconciliation sheet at Excel's row limit: the per-invoice summary (invoice id, customer, date, three
money columns, a day count) beside an allocations table of half as many rows, each under a header row, put through
`GeneratedSheet.column` (the columns given as lists), `encode` (cells -> <sheetData>) and a package save (`Package.write` +
`to_bytes`, i.e. deflate). Each measurement runs in a fresh child process (old and new code alternately, the same
seeded data); the figures are wall seconds, CPU seconds and the ratio old/new, so that 100k vs 300k vs 1M shows
whether anything grows faster than the rows. The bytes of <sheetData> are compared between old and new (SHA-256).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def child(rows: int) -> dict:
    import datetime as dt

    import numpy as np

    from xlfin.xlsx.opc import Package
    from xlfin.xlsx.read import PackageReader
    from xlfin.xlsx.sheet import GeneratedSheet
    from xlfin.xlsx.styles import StyleBook
    from xlfin.xlsx.opc import REL_STYLES

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_cli import small_workbook_bytes

    rng = np.random.default_rng(7)
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 1500, rows)]
    cents = rng.integers(100, 10_000_000, (rows, 3))
    paid = [[f"INV-{i:07d}", f"C{int(c):05d}", d, float(a) / 100, float(b) / 100, float(x) / 100, int(n)]
            for i, c, d, (a, b, x), n in zip(range(rows), rng.integers(0, 10_000, rows), days, cents,
                                              rng.integers(-30, 400, rows))]
    half = rows // 2
    allocations = [[f"PAY-{i:07d}", f"INV-{i * 2:07d}", days[i], float(cents[i, 0]) / 100, "exact"]
                   for i in range(half)]
    package = Package(small_workbook_bytes())
    reader = PackageReader(package)
    styles = StyleBook(package, next(iter(package.related(reader.workbook_part, REL_STYLES))))
    started, started_cpu = time.perf_counter(), time.process_time()
    sheet = GeneratedSheet()
    for left, block in ((1, paid), (9, allocations)):
        width = len(block[0])
        for j in range(width):
            sheet.cell(1, left + j, f"Header {j}")
        columns = list(zip(*block))
        for j in range(width):
            sheet.column(2, left + j, list(columns[j]))
    t_encode = time.perf_counter()
    chunks, dimension = sheet.encode(styles)
    t_deflate = time.perf_counter()
    package.write("xl/worksheets/bench.xml", list(chunks))
    size = len(package.to_bytes())
    done, done_cpu = time.perf_counter(), time.process_time()
    digest = hashlib.sha256()
    for c in chunks:
        digest.update(c)
    import resource

    return {"code": str(Path(sys.modules["xlfin"].__file__).parent), "encode": t_deflate - t_encode,
            "deflate": done - t_deflate, "total": done - started, "cpu": done_cpu - started_cpu,
            "xml_mb": sum(map(len, chunks)) / 1e6, "zip_mb": size / 1e6, "sha": digest.hexdigest(),
            "dimension": dimension, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run(rows: int, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    done = subprocess.run([sys.executable, __file__, "--child", str(rows)], check=True, capture_output=True,
                          text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000, 1_048_575])
    parser.add_argument("--baseline", type=Path, help="src/ folder of the old code")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    same = True
    for rows in args.rows:
        old = run(rows, args.baseline) if args.baseline else None
        new = run(rows, None)
        line = (f"{rows:>9,} rows: new encode {new['encode']:6.2f} s, deflate {new['deflate']:5.2f} s, "
                f"total {new['total']:6.2f} s (cpu {new['cpu']:6.2f}), {new['xml_mb']:,.0f} MB XML, "
                f"peak {new['peak_mb']:,.0f} MB")
        if old is not None:
            line += (f" | old encode {old['encode']:6.2f} s, total {old['total']:6.2f} s (cpu {old['cpu']:6.2f}), "
                     f"peak {old['peak_mb']:,.0f} MB | old/new total {old['total'] / new['total']:.2f}, "
                     f"cpu {old['cpu'] / new['cpu']:.2f}")
            if (old["sha"], old["dimension"]) != (new["sha"], new["dimension"]):
                same = False
                line += " | <sheetData> DIFFERS"
            else:
                line += " | <sheetData> identical"
        print(line, flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
