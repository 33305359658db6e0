"""Statements and confirmations as A4 PDF (fpdf2), with a font that covers Chinese.

fpdf2's core fonts are Latin-1 only, so every document uses one Unicode TrueType font that covers CJK. It is found,
in order: the environment variable XLFIN_CJK_FONT (a .ttf/.otf/.ttc file), then the usual system locations (Debian
fonts-droid-fallback, fonts-wqy-microhei, fonts-noto-cjk; Windows Microsoft YaHei/SimHei; macOS PingFang/STHeiti).
CI installs fonts-wqy-microhei (Apache 2.0 or GPLv3 with the font exception). A CJK font without Latin glyphs
(Droid Sans Fallback) is paired with DejaVu Sans for Latin text. Without a CJK font, a PDF is refused with a clear
message.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from fpdf import FPDF

from ..schema import Lang
from .statements import Statement
from .texts import TEXTS, tr

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
)


LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class FontMissing(RuntimeError):
    pass


def cjk_font() -> Path:
    env = os.environ.get("XLFIN_CJK_FONT", "").strip()
    if env:
        if not Path(env).is_file():
            raise FontMissing(f"XLFIN_CJK_FONT={env} is not a file")
        return Path(env)
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("no font covering Chinese found for PDF output; install fonts-droid-fallback (Debian) or "
                      "set XLFIN_CJK_FONT to a .ttf/.ttc file")


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def subset_fonts(texts: Iterable[str], folder: Path | None = None) -> tuple[Path, Path | None]:
    """The CJK font (and the Latin partner it may need) cut down to the characters of a run.

    Loading a full CJK font costs fpdf2 over a second per document; a subset of a few hundred glyphs loads in
    milliseconds, so a run subsets once (about 2 s) and every document of the run uses the small file. Subsets are
    kept in a per-user cache folder by font and character set, so the next run with the same characters reuses it.
    """
    chars = "".join(sorted(set("".join(texts)) | {chr(c) for c in range(32, 127)}))
    folder = Path(folder or Path(tempfile.gettempdir()) / f"xlfin-fonts-{os.getuid() if hasattr(os, 'getuid') else 0}")
    folder.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    sources: list[Path | None] = [font, Path(LATIN_FONT) if _needs_latin(font) else None]
    out: list[Path | None] = []
    for source in sources:
        if source is None:
            out.append(None)
            continue
        stat = source.stat()
        key = hashlib.sha1(f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{chars}".encode()).hexdigest()[:20]
        target = folder / f"{key}.ttf"
        if not target.is_file():
            _subset(source, chars, target)
        out.append(target)
    return out[0], out[1]  # type: ignore[return-value]


def _subset(source: Path, chars: str, target: Path) -> None:
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset" is noise to a user
    tt = TTFont(str(source), fontNumber=0)
    options = subset.Options()
    options.notdef_outline = True
    options.layout_features = []
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(tt)
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
    tt.save(str(tmp))
    os.replace(tmp, target)


def _needs_latin(font: Path) -> bool:
    return "Droid" in font.name and Path(LATIN_FONT).is_file()  # Droid Sans Fallback has no Latin glyphs


class _Doc(FPDF):
    main_font = "cjk"

    def __init__(self, lang: Lang, fonts: tuple[Path, Path | None] | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.lang = lang
        if fonts is None:
            font = cjk_font()
            fonts = (font, Path(LATIN_FONT) if _needs_latin(font) else None)
        self.add_font("cjk", "", str(fonts[0]))
        if fonts[1] is not None:
            self.add_font("latin", "", str(fonts[1]))
            self.set_fallback_fonts(["cjk"])
            self.main_font = "latin"
        self.set_auto_page_break(True, margin=18)
        self.set_margins(16, 16, 16)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.main_font, size=8)
        self.cell(0, 6, tr("page", self.lang, n=self.page_no()), align="C")


def _head(pdf: _Doc, title: str, st: Statement, company: str) -> None:
    pdf.add_page()
    pdf.set_font(pdf.main_font, size=10)
    if company:
        pdf.cell(0, 6, company, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.main_font, size=16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.main_font, size=10)
    lang = pdf.lang
    pdf.cell(0, 6, f"{tr('customer', lang)}: {st.name} ({st.customer_id})", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"{tr('currency', lang)}: {st.currency}", new_x="LMARGIN", new_y="NEXT")


def _row(pdf: _Doc, cells: list[tuple[str, float, str]], bold: bool = False) -> None:
    pdf.set_font(pdf.main_font, size=9)
    for text, width, align in cells:
        pdf.cell(width, 6, text, border=1 if bold else "B", align=align)
    pdf.ln()


def statement_pdf(st: Statement, lang: Lang, company: str, path: Path,
                  fonts: tuple[Path, Path | None] | None = None) -> Path:
    pdf = _Doc(lang, fonts)
    _head(pdf, tr("statement_title", lang), st, company)
    pdf.cell(0, 6, f"{tr('period', lang)}: {st.start.isoformat()} - {st.as_of.isoformat()}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (22, 30, 46, 27, 27, 26)
    _row(pdf, [(tr(k, lang), w, "C") for k, w in zip(("date", "document", "description", "debit", "credit",
                                                      "balance"), widths)], bold=True)
    _row(pdf, [(st.start.isoformat(), widths[0], "L"), ("", widths[1], "L"),
               (tr("opening_balance", lang), widths[2], "L"), ("", widths[3], "R"), ("", widths[4], "R"),
               (money(st.opening), widths[5], "R")])
    for ln in st.lines:
        desc = tr(f"kind_{ln.kind}", lang) + (f" {ln.description}" if ln.description else "")
        _row(pdf, [(ln.date.isoformat(), widths[0], "L"), (ln.document[:18], widths[1], "L"),
                   (desc[:30], widths[2], "L"), (money(ln.debit) if ln.debit else "", widths[3], "R"),
                   (money(ln.credit) if ln.credit else "", widths[4], "R"), (money(ln.balance), widths[5], "R")])
    _row(pdf, [(st.as_of.isoformat(), widths[0], "L"), ("", widths[1], "L"),
               (tr("closing_balance", lang), widths[2], "L"), ("", widths[3], "R"), ("", widths[4], "R"),
               (money(st.closing), widths[5], "R")], bold=True)
    _ageing(pdf, st, lang)
    if st.unapplied:
        pdf.ln(2)
        pdf.multi_cell(0, 5, tr("unapplied", lang, amount=f"{st.currency} {money(st.unapplied)}"))
    pdf.ln(2)
    pdf.multi_cell(0, 5, tr("statement_note", lang))
    pdf.output(str(path))
    return path


def _ageing(pdf: _Doc, st: Statement, lang: Lang) -> None:
    pdf.ln(4)
    pdf.set_font(pdf.main_font, size=11)
    pdf.cell(0, 7, tr("ageing", lang), new_x="LMARGIN", new_y="NEXT")
    width = 178 / (len(st.buckets) + 1)
    _row(pdf, [(bucket_label(lbl, lang), width, "C") for lbl, _ in st.buckets] + [(tr("total", lang), width, "C")],
         bold=True)
    _row(pdf, [(money(v), width, "R") for _, v in st.buckets] + [(money(st.closing), width, "R")])


def bucket_label(label: str, lang: Lang) -> str:
    return tr("bucket_current", lang) if label == "Current" else tr("days", lang, label=label)


def confirmation_pdf(st: Statement, lang: Lang, company: str, path: Path,
                     fonts: tuple[Path, Path | None] | None = None) -> Path:
    pdf = _Doc(lang, fonts)
    _head(pdf, tr("confirmation_title", lang), st, company)
    amount = f"{st.currency} {money(st.closing)}"
    pdf.ln(2)
    pdf.multi_cell(0, 5, tr("confirmation_intro", lang, date=st.as_of.isoformat(), amount=amount))
    pdf.ln(2)
    widths = (40, 34, 34, 70)
    _row(pdf, [(tr(k, lang), w, "C") for k, w in zip(("document", "date", "due_date", "outstanding"), widths)],
         bold=True)
    for it in st.open_items:
        _row(pdf, [(it.document, widths[0], "L"), (it.date.isoformat(), widths[1], "L"),
                   (it.due_date.isoformat() if it.due_date else "", widths[2], "L"),
                   (money(it.outstanding), widths[3], "R")])
    _row(pdf, [(tr("confirmation_balance", lang, date=st.as_of.isoformat()), sum(widths[:3]), "L"),
               (amount, widths[3], "R")], bold=True)
    pdf.ln(8)
    pdf.set_font(pdf.main_font, size=11)
    pdf.cell(0, 7, tr("reply_title", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.main_font, size=10)
    for key in ("reply_agreed", "reply_not_agreed", "reply_details"):
        pdf.multi_cell(0, 6, tr(key, lang))
        pdf.ln(1)
    pdf.ln(18)
    pdf.multi_cell(0, 6, tr("reply_sign", lang))
    pdf.output(str(path))
    return path


def run_texts(statements: Iterable[Statement], lang: Lang, company: str) -> list[str]:
    """Every character a run's documents can print: labels, names, documents, remittance text."""
    texts = [company] + [entry.get(lang, "") + entry.get("en", "") for entry in TEXTS.values()]
    for st in statements:
        texts += [st.name, st.customer_id, st.currency]
        texts += [ln.document + ln.description for ln in st.lines]
        texts += [it.document for it in st.open_items]
    return texts
