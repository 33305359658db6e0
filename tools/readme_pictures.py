"""Regenerate the README's pictures from a real run: docs/images/dashboard.png, dunning.png and own-book.png.

    .venv/bin/python tools/readme_pictures.py [--out docs/images] [--keep DIR]

1. `xlfin demo` builds the demo workbook and regenerates every report (the README's main job);
   a small book written the way a user types one (plain headers, no template) is regenerated too;
2. headless LibreOffice prints each workbook to PDF, one page per sheet (SinglePageSheets);
3. poppler's pdftoppm renders the Dashboard and Dunning pages, cropped to what is on them.

Needs LibreOffice (`soffice`) and poppler-utils (`pdftoppm`, `pdftotext`): `apt-get install libreoffice-calc-nogui
poppler-utils`. Only this script needs poppler; CI does not run it. Nothing here is drawn by hand: rerun it after a
change to the Dashboard or Dunning sheets and commit the PNGs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PDF_ONE_PAGE_PER_SHEET = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'
DPI = 200


def sheet_names(book: Path) -> list[str]:
    """Sheet names in workbook order (the order LibreOffice prints them, hidden ones included)."""
    with zipfile.ZipFile(book) as zf:
        xml = zf.read("xl/workbook.xml").decode("utf-8")
    return re.findall(r'<sheet\b[^>]*\bname="([^"]+)"', xml)


def to_pdf(book: Path, outdir: Path) -> Path:
    profile = Path(tempfile.mkdtemp(prefix="lo_pictures_"))
    try:
        subprocess.run([_tool("soffice"), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                        "--convert-to", PDF_ONE_PAGE_PER_SHEET, "--outdir", str(outdir), str(book)],
                       check=True, capture_output=True, timeout=900)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = outdir / f"{book.stem}.pdf"
    if not pdf.is_file():
        raise SystemExit(f"LibreOffice wrote no PDF for {book}")
    return pdf


def render_sheet(pdf: Path, page: int, target: Path, max_aspect: float = 0.75, width_share: float = 1.0) -> None:
    """Render one page to PNG, cropped to its ink (a sheet's page is much larger than what is on it).

    width_share keeps the left part of the ink (the Dashboard's chart data and the Dunning letter paths stay out);
    max_aspect caps the height at that share of the width, so a long list shows its first rows."""
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe"
        _poppler("pdftoppm", "-r", "50", "-gray", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(probe))
        x0, y0, x1, y1 = _ink_box(Path(str(probe) + ".pgm"))
    scale = DPI / 50
    margin = 12
    x, y = max(0, int(x0 * scale) - margin), max(0, int(y0 * scale) - margin)
    w = int((x1 - x0) * scale * width_share) + 2 * margin
    h = min(int((y1 - y0) * scale) + 2 * margin, int(w * max_aspect))
    target.parent.mkdir(parents=True, exist_ok=True)
    _poppler("pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile",
             "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h), str(pdf), str(target.with_suffix("")))


def _ink_box(pgm: Path) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of the non-white pixels of a binary PGM (P5)."""
    data = pgm.read_bytes()
    parts = data.split(maxsplit=4)  # b"P5", width, height, maxval, pixels
    width, height = int(parts[1]), int(parts[2])
    pixels = np.frombuffer(parts[4][: width * height], dtype=np.uint8).reshape(height, width)
    ink = pixels < 245
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        raise SystemExit(f"{pgm.name}: the page is blank")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def page_of(book: Path, sheet: str, pdf: Path) -> int:
    """The PDF page that shows `sheet` (one page per sheet, in workbook order), checked against its text."""
    page = sheet_names(book).index(sheet) + 1
    text = subprocess.run([_tool("pdftotext"), "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout
    if not text.strip():
        raise SystemExit(f"page {page} of {pdf.name} ({sheet}) has no text")
    return page


def user_style_book(path: Path) -> Path:
    """A book as someone types it before they ever heard of xlfin: plain header rows, no Excel Tables, no Config."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["Customer ID", "Customer Name", "Email", "Payment Terms (days)", "Credit Limit", "Sales rep"])
    for i, (name, limit) in enumerate([("Harbour Foods Ltd", 20000), ("Northwind Traders", 50000),
                                       ("Blue Lake Hotels", 15000), ("Kestrel Print Co.", 8000)], start=1):
        ws.append([f"K{i:02d}", name, f"accounts{i}@example.com", 30, limit, "Sam"])
    inv = wb.create_sheet("Invoices")
    inv.append(["Invoice No", "Type", "Customer ID", "Invoice Date", "Amount", "Disputed", "Our note"])
    as_of = dt.date(2026, 11, 20)
    for n in range(1, 25):
        inv.append([f"2026-{n:03d}", "Invoice", f"K{(n % 4) + 1:02d}", as_of - dt.timedelta(days=7 * n),
                    1250.0 + 317.5 * n, "yes" if n == 9 else "", ""])
    inv.append(["CN-001", "Credit Note", "K02", as_of - dt.timedelta(days=30), 400.0, "", "returned goods"])
    pay = wb.create_sheet("Payments")
    pay.append(["Payment ID", "Payment Date", "Customer ID", "Amount", "Reference"])
    for n in range(10, 25, 2):
        pay.append([f"BANK-{n:03d}", as_of - dt.timedelta(days=7 * n - 20), f"K{(n % 4) + 1:02d}", 1250.0 + 317.5 * n,
                    f"invoice 2026-{n:03d}"])
    cfg = wb.create_sheet("Config")
    cfg.append(["Key", "Value"])
    cfg.append(["as_of_date", as_of])
    wb.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--keep", type=Path, help="Keep the workbooks and PDFs in this folder.")
    args = parser.parse_args()
    from xlfin.app.demo import regenerate, run_demo

    work = args.keep or Path(tempfile.mkdtemp(prefix="xlfin_pictures_"))
    work.mkdir(parents=True, exist_ok=True)
    demo = Path(run_demo(work / "demo")["workbook"])
    own = user_style_book(work / "my-receivables.xlsx")
    regenerate(own)
    pdf_dir = work / "pdf"
    demo_pdf, own_pdf = to_pdf(demo, pdf_dir), to_pdf(own, pdf_dir)
    render_sheet(demo_pdf, page_of(demo, "Dashboard", demo_pdf), args.out / "dashboard.png", max_aspect=0.37,
                 width_share=0.86)
    render_sheet(demo_pdf, page_of(demo, "Dunning", demo_pdf), args.out / "dunning.png", max_aspect=0.5,
                 width_share=0.66)
    render_sheet(own_pdf, page_of(own, "Aging", own_pdf), args.out / "own-book-aging.png", max_aspect=0.6)
    for name in ("dashboard.png", "dunning.png", "own-book-aging.png"):
        print(args.out / name)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise SystemExit(f"{name} not found: apt-get install libreoffice-calc-nogui poppler-utils")
    return path


def _poppler(*cmd: str) -> None:
    subprocess.run([_tool(cmd[0]), *cmd[1:]], check=True, capture_output=True)


if __name__ == "__main__":
    main()
