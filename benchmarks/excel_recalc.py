"""Excel-side cost of the Invoices sheet's computed columns: a full recalculation in headless LibreOffice.

    .venv/bin/python benchmarks/excel_recalc.py                      # 100,000 invoices, 80,000 payments
    .venv/bin/python benchmarks/excel_recalc.py --invoices 10000 --payments 8000 --customers 500
    .venv/bin/python benchmarks/excel_recalc.py --skip-old           # only the new design (the old one is slow)

Builds a seeded demo book (`xlfin new --demo` with these counts), runs `reconcile` (which writes tblAllocations and
tblInvoicePaid), and makes a second copy whose Paid column has the old formula (SUMIFS over tblAllocations per row,
O(invoices × allocations)). Each copy is loaded into headless LibreOffice through `tools/lo_uno.py recalc`, which
times `calculateAll()` — a full recalculation of every formula in the book — and reads the Invoices sheet back.
Paid, Outstanding, Days Overdue and Status are compared, invoice by invoice, with the Python engine's open items
(xlfin.engine.openitems; days overdue as xlfin.engine.aging counts them).

Needs LibreOffice and its Python bridge (Debian: libreoffice-calc-nogui, python3-uno). Target: the new design
recalculates the 100k book in <= 2 s. Exit 0 when the new design meets it and its values match the engine. On a
shared machine the wall time grows with the load; soffice's CPU seconds (also printed) do not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
# the engine-side oracle is test support, not shipped: tests/support/paid_values.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from regenerate import book_size_arguments, fill_in_child  # noqa: E402  (the same seeded fill as the regenerate benchmark)

from support.paid_values import COMPARED, engine_values  # noqa: E402

from xlfin import schema  # noqa: E402
from xlfin.adapters.file import open_workbook  # noqa: E402
from xlfin.app.operations import execute  # noqa: E402
from xlfin.template.builder import paid_by_scan, this_row_ref  # noqa: E402

TARGET_SECONDS = 2.0
TOOL = REPO / "tools" / "lo_uno.py"


def old_paid_formula(lang: str) -> str:
    """The Paid formula before the summary table: a SUMIFS over every allocation, for every invoice."""
    inv = schema.INVOICES
    no, typ = this_row_ref(inv, "invoice_no", lang), this_row_ref(inv, "doc_type", lang)
    credit = schema.DOC_TYPE[1]
    is_credit = f'OR({typ}="{credit.en}",{typ}="{credit.zh}")'
    return f'=IF({no}="","",ROUND({paid_by_scan(no, is_credit, lang)},2))'


def with_old_design(source: Path, target: Path, lang: str) -> int:
    """A copy of the book whose Paid cells and calculated column use the old formula; returns formulas changed."""
    inv = schema.INVOICES
    letter = get_column_letter(inv.keys.index("paid") + 1)  # the template puts tblInvoices at A1
    label = escape(inv.column("paid").label(lang)).encode("ascii", "xmlcharrefreplace")
    old = escape(old_paid_formula(lang)[1:]).encode("ascii", "xmlcharrefreplace")
    cells = re.compile(rb'(<c r="' + letter.encode() + rb'\d+"[^>]*><f>)[^<]*(</f>)')
    column = re.compile(rb'(<tableColumn [^>]*name="' + re.escape(label) + rb'"[^>]*>\s*<calculatedColumnFormula>)'
                        rb"[^<]*(</calculatedColumnFormula>)")
    sheet_part = "xl/worksheets/sheet3.xml"  # Invoices: the third sheet of the template
    changed = 0
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info)
            pattern = cells if info.filename == sheet_part else column if b'name="tblInvoices"' in payload else None
            if pattern is not None:
                payload, count = pattern.subn(lambda m: m.group(1) + old + m.group(2), payload)
                changed += count
            dst.writestr(info, payload)
    return changed


def uno_python() -> str:
    for python in filter(None, [os.environ.get("XLFIN_UNO_PYTHON"), "/usr/bin/python3", shutil.which("python3")]):
        if subprocess.run([python, "-c", "import uno"], capture_output=True, check=False).returncode == 0:
            return python
    sys.exit("no Python with LibreOffice's uno module (Debian: apt-get install python3-uno)")


def recalc(book: Path, sheet: str, rows: int, repeat: int, timeout: float) -> dict | None:
    """LibreOffice's calculateAll() times and the Invoices columns A..P; None when it ran out of time."""
    cells = f"A2:{chr(ord('A') + len(schema.INVOICES.columns) - 1)}{rows + 1}"
    cmd = [uno_python(), str(TOOL), "recalc", str(book), sheet, cells, "--repeat", str(repeat)]
    # Its own session, so that giving up ends soffice too (it runs under lo_uno.py, which a timeout alone would
    # kill, leaving a busy soffice behind).
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return None
    done = subprocess.CompletedProcess(cmd, child.returncode, stdout, stderr)
    if done.returncode != 0:
        sys.exit(f"LibreOffice run failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _cell(key: str, value: object) -> object:
    """A LibreOffice cell value in the engine's unit: money in cents, days as int, text as is."""
    if not isinstance(value, (int, float)):
        return value
    return round(value * 100) if key in ("paid", "outstanding") else int(value)


def compare(values: list[list], engine: dict[str, tuple]) -> tuple[int, list[str]]:
    """Rows compared and the mismatches (LibreOffice's four computed columns against the engine's)."""
    keys = schema.INVOICES.keys
    at = {k: keys.index(k) for k in ("invoice_no", *COMPARED)}
    compared, bad = 0, []
    for row in values:
        no = row[at["invoice_no"]]
        if no in ("", None):
            continue
        got = tuple(_cell(k, row[at[k]]) for k in COMPARED)
        want = engine.get(str(no))
        compared += 1
        if want is None or got != want:
            bad.append(f"{no}: LibreOffice {got}, engine {want}")
    return compared, bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    book_size_arguments(parser)
    parser.add_argument("--repeat", type=int, default=3, help="recalculations per design (the figure is the best)")
    parser.add_argument("--old-timeout", type=float, default=900, help="give up on the old design after this")
    parser.add_argument("--skip-old", action="store_true", help="measure only the new design")
    parser.add_argument("--keep", type=Path, help="keep the two books in this folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="xlfin-recalc-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        new_book, old_book = folder / "recalc_new.xlsx", folder / "recalc_old.xlsx"
        work = folder / "recalc.xlsm"
        started = time.perf_counter()
        counts = fill_in_child(work, args)
        wb = open_workbook(work)
        try:
            execute(wb, ["reconcile"])
        finally:
            wb.close()
        print(f"book: {counts} filled and reconciled in {time.perf_counter() - started:.1f} s")
        engine = engine_values(work, args.lang)
        # LibreOffice needs no macros to recalculate; an .xlsx name keeps its VBA import out of the timing.
        shutil.copyfile(work, new_book)
        changed = with_old_design(new_book, old_book, args.lang)
        sheet = schema.INVOICES.sheet(args.lang)
        rows = counts.get("invoices", args.invoices)
        results: dict[str, dict | None] = {"new": recalc(new_book, sheet, rows, args.repeat, 1800)}
        if not args.skip_old:
            results["old"] = recalc(old_book, sheet, rows, 1, args.old_timeout)

    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; LibreOffice via {TOOL.name}")
    print(f"old design: {changed:,} Paid formulas rewritten to SUMIFS over tblAllocations")
    ok = True
    for design, result in results.items():
        if result is None:
            print(f"  {design:<4} full recalculation: > {args.old_timeout:.0f} s (gave up)")
            continue
        compared, bad = compare(result["values"], engine)
        best = min(result["seconds"])
        runs = ", ".join(f"{s:.2f}" for s in result["seconds"])
        cpu = ", ".join(f"{s:.2f}" for s in result.get("cpu_seconds", []))
        verdict = "all match the engine" if not bad and compared == len(engine) else f"{len(bad)} MISMATCHES"
        print(f"  {design:<4} full recalculation: {best:.2f} s wall (runs: {runs}; soffice CPU s: {cpu}); "
              f"{compared:,} invoices, Paid/Outstanding/Days Overdue/Status {verdict}")
        for line in bad[:5]:
            print(f"       {line}")
        if design == "new":
            ok = not bad and compared == len(engine) and best <= TARGET_SECONDS
    if results.get("old") and results.get("new"):
        ratio = results["old"]["seconds"][0] / min(results["new"]["seconds"])
        print(f"  old / new (same run): {ratio:,.0f}x")
    print(f"target: new design <= {TARGET_SECONDS:.0f} s -> {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

