"""Old code against new code on the same books: every part `regenerate` writes must come out byte-identical.

    .venv/bin/python benchmarks/stage_equality.py --baseline /tmp/base/src --demo --hostile 20
    .venv/bin/python benchmarks/stage_equality.py --baseline /tmp/base/src --book /work/bench/100k.xlsm

`--baseline` is the `src/` folder of the code before the change (e.g. `git archive <commit> | tar -x -C /tmp/base`).
Each book is copied twice; `regenerate` (every action, file mode) runs on one copy with the old code and on the other
with the new code, each in its own process. Compared: the run summary (validation counts, each stage's results) and
every part of the saved package by SHA-256, except the document timestamps (docProps/core.xml) and the Audit sheet,
whose rows carry the time of the run; the Audit rows are compared cell by cell without their timestamp column, and
their hash_after is a digest of every other part. Books: `--demo` (the demo book in en and zh-CN, as `xlfin new
--demo` makes it), `--hostile N` (N books drawn from tests/hostile/books.py: headers in any order and language, text
dates and amounts, duplicates, blanks, several currencies), `--book PATH` (any book, e.g. the 100k benchmark book).
Exit 0 when every book matches, 1 otherwise (the differing parts and the first differing cells are printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_PARTS = {"docProps/core.xml"}


def _audit_parts(parts: dict[str, bytes]) -> set[str]:
    from xlfin.xlsx.digest import audit_parts

    return set(audit_parts(parts))


def run_and_fingerprint(book: Path, out: Path) -> dict:
    """regenerate on `book` (changed in place) with whatever xlfin is first on sys.path; the fingerprint of the result."""
    from python_calamine import CalamineWorkbook

    from xlfin.adapters.file import open_workbook
    from xlfin.app.operations import ACTIONS, execute

    wb = open_workbook(book)
    try:
        summary = execute(wb, ACTIONS).as_dict()
    finally:
        wb.close()
    summary.pop("seconds", None)
    summary.pop("output", None)  # the temporary path of the copy
    shutil.copyfile(book, out)
    with zipfile.ZipFile(book) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist() if not i.is_dir()}
    audit = _audit_parts(parts)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(parts.items())
               if name not in SKIP_PARTS and name not in audit}
    calamine = CalamineWorkbook.from_path(str(book))
    audit_rows = []
    for name in calamine.sheet_names:
        if name in ("Audit", "审计日志", "操作日志"):
            audit_rows = [[str(v) for v in row[1:]] for row in calamine.get_sheet_by_name(name).to_python()]
    return {"summary": json.loads(json.dumps(summary, default=str)), "parts": digests, "audit": audit_rows}


def _child(book: Path, src: Path | None, out: Path) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    done = subprocess.run([sys.executable, __file__, "--child", str(book), str(out)], capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell_differences(old: Path, new: Path, limit: int = 10) -> list[str]:
    from python_calamine import CalamineWorkbook

    a, b = CalamineWorkbook.from_path(str(old)), CalamineWorkbook.from_path(str(new))
    out: list[str] = []
    for name in a.sheet_names:
        if name not in b.sheet_names:
            out.append(f"sheet {name} missing in new")
            continue
        ra, rb = a.get_sheet_by_name(name).to_python(), b.get_sheet_by_name(name).to_python()
        if len(ra) != len(rb):
            out.append(f"{name}: {len(ra)} rows old, {len(rb)} new")
        for i, (x, y) in enumerate(zip(ra, rb)):
            if x != y:
                cols = [j for j in range(max(len(x), len(y))) if (x[j] if j < len(x) else None) != (y[j] if j < len(y) else None)]
                out.append(f"{name} row {i + 1} cols {cols[:5]}: {[x[j] for j in cols[:3] if j < len(x)]!r} -> "
                           f"{[y[j] for j in cols[:3] if j < len(y)]!r}")
                if len(out) >= limit:
                    return out
    return out


def compare(book: Path, baseline: Path, keep: Path, new_src: Path | None = None) -> bool:
    with tempfile.TemporaryDirectory(prefix="xlfin-eq-") as tmp:
        old_book, new_book = Path(tmp) / "old" / book.name, Path(tmp) / "new" / book.name
        for p in (old_book, new_book):
            p.parent.mkdir()
            shutil.copyfile(book, p)
        old_out, new_out = keep / f"{book.stem}.old{book.suffix}", keep / f"{book.stem}.new{book.suffix}"
        old = _child(old_book, baseline, old_out)
        new = _child(new_book, new_src, new_out)
    if "error" in old or "error" in new:
        same = old.get("error") == new.get("error")
        print(f"{'same' if same else 'DIFFERENT'} failure on {book.name}: old {old.get('error')!r}, new {new.get('error')!r}")
        return same
    problems = []
    for key in sorted(set(old["summary"]) | set(new["summary"])):
        if old["summary"].get(key) != new["summary"].get(key):
            problems.append(f"summary[{key}] differs:\n  old {old['summary'].get(key)}\n  new {new['summary'].get(key)}")
    parts = sorted(set(old["parts"]) | set(new["parts"]))
    differing = [p for p in parts if old["parts"].get(p) != new["parts"].get(p)]
    if differing:
        problems.append(f"parts differ: {differing}")
        problems += [f"  {line}" for line in _cell_differences(old_out, new_out)]
    if old["audit"] != new["audit"]:
        problems.append(f"audit rows differ:\n  old {old['audit']}\n  new {new['audit']}")
    print(f"{'same' if not problems else 'DIFFERENT'}: {book} ({len(parts)} parts compared)")
    for line in problems:
        print("   ", line)
    if not problems:
        old_out.unlink(missing_ok=True)
        new_out.unlink(missing_ok=True)
    return not problems


def demo_books(folder: Path) -> list[Path]:
    out = []
    for lang in ("en", "zh-CN"):
        path = folder / f"demo-{lang}.xlsm"
        subprocess.run([str(Path(sys.executable).parent / "xlfin"), "new", str(path), "--demo", "--lang", lang,
                        "--force"], check=True, capture_output=True)
        out.append(path)
    return out


def hostile_books(folder: Path, count: int) -> list[Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    from hypothesis.errors import NonInteractiveExampleWarning

    from hostile.books import books, write_book

    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        for i in range(count):
            out.append(write_book(books().example(), folder / f"hostile-{i:02d}.xlsx"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="src/ folder of the old code")
    parser.add_argument("--new", type=Path, help="src/ folder of the new code (default: the installed xlfin)")
    parser.add_argument("--book", type=Path, action="append", default=[])
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--hostile", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "xlfin-equality",
                        help="where the outputs of a book that differs are kept")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_and_fingerprint(*args.child)))
        return 0
    if args.baseline is None:
        parser.error("--baseline is required")
    args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlfin-eq-books-") as tmp:
        folder = Path(tmp)
        books = list(args.book)
        if args.demo:
            books += demo_books(folder)
        if args.hostile:
            books += hostile_books(folder, args.hostile)
        new_src = args.new.resolve() if args.new else None
        results = [compare(book, args.baseline.resolve(), args.keep, new_src) for book in books]
    print(f"{sum(results)} of {len(results)} books identical")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
