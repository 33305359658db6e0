"""The file adapter: a .xlsx/.xlsm on disk, read and written with openpyxl (the CLI, CI, machines without Excel).

Two loads of the same file: `data_only=True` for reading (a formula cell gives the value Excel last computed) and,
only when something is written, a `keep_vba=True` load that keeps formulas, VBA and everything else. Saving is
atomic: a temporary file in the same folder, flushed to disk, the previous file kept as `<name>.bak`, then one
rename. openpyxl drops the ribbon's package relationship (customUI), so it is put back from the original file.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from openpyxl.workbook.workbook import Workbook as XlWorkbook
from openpyxl.worksheet.worksheet import Worksheet

from ..atomic import atomic_write
from ..schema import Lang
from ..tables import WorkbookError
from ..xlsx_tables import clear_sheet, freeze_header, write_table
from .base import (
    Cells,
    ListObjectInfo,
    StagedAppend,
    StagedReplace,
    Workbook,
    insert_position,
    sheet_labels,
    stacked_layout,
)
from .safety import (
    DEFAULT_LIMITS,
    MACRO_SUFFIXES,
    Limits,
    check_input_file,
    check_output_suffix,
    check_writable,
    ensure_safe_parser,
)

UI_REL_SUFFIX = "/ui/extensibility"


def _load(path: Path, **kw: Any) -> XlWorkbook:
    try:
        return load_workbook(path, **kw)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged package; the user needs one line
        cause: BaseException | None = exc
        while cause is not None:  # openpyxl wraps the parser's error
            if isinstance(cause, DefusedXmlException):
                raise WorkbookError(f"{path}: refused, the workbook's XML declares entities or a DTD") from None
            cause = cause.__cause__ or cause.__context__
        name = type(exc).__name__
        detail = str(exc).splitlines()[0] if str(exc) else name
        raise WorkbookError(f"{path}: cannot be read as a workbook ({detail})") from None


class FileWorkbook(Workbook):
    """A workbook file. Reads see the file as opened; `commit` writes everything staged in one atomic save."""

    def __init__(self, path: Path, *, read_only: bool = False, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__()
        self.path = Path(path)
        self.read_only = read_only
        check_input_file(self.path, limits)
        if not read_only:
            check_writable(self.path)
        ensure_safe_parser()
        self._opened_stat = self.path.stat()
        self._keep_vba = self.path.suffix.lower() in MACRO_SUFFIXES
        self._values: XlWorkbook | None = _load(self.path, data_only=True, keep_links=True)
        self._writable: XlWorkbook | None = None
        self._lo_cache: list[ListObjectInfo] | None = None

    @property
    def name(self) -> str:
        return self.path.name

    # ------------------------------------------------ reading primitives (the data_only load)

    def _vwb(self) -> XlWorkbook:
        if self._values is None:
            raise WorkbookError(f"{self.path}: the workbook is closed")
        return self._values

    def _ws(self, sheet: str) -> Worksheet:
        return self._vwb()[sheet]

    def _sheet_names(self) -> list[str]:
        return [ws.title for ws in self._vwb().worksheets]

    def _list_objects(self) -> list[ListObjectInfo]:
        if self._lo_cache is None:
            found = []
            for ws in self._vwb().worksheets:
                for t in ws.tables.values():
                    min_col, min_row, max_col, max_row = range_boundaries(t.ref)
                    header_rows = 1 if t.headerRowCount is None else int(t.headerRowCount)
                    found.append(ListObjectInfo(t.displayName or t.name, ws.title, min_row, min_col, max_row,
                                                max_col, header_rows, int(t.totalsRowCount or 0)))
            self._lo_cache = found
        return self._lo_cache

    def _extent(self, sheet: str) -> tuple[int, int]:
        ws = self._ws(sheet)
        return ws.max_row, ws.max_column

    def _read_block(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> Cells:
        ws = self._ws(sheet)
        return [list(r) for r in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=first_col,
                                              max_col=last_col, values_only=True)]

    def _merged_in(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str | None:
        hits = [str(m) for m in self._ws(sheet).merged_cells.ranges
                if m.min_row <= last_row and m.max_row >= first_row and m.min_col <= last_col
                and m.max_col >= first_col]
        return ", ".join(sorted(hits)) if hits else None

    # ------------------------------------------------ writing (the keep_vba load)

    def _wwb(self) -> XlWorkbook:
        if self.read_only:
            raise WorkbookError(f"{self.path}: opened read-only; nothing can be written")
        if self._writable is None:
            self._writable = _load(self.path, keep_vba=self._keep_vba, keep_links=True)
        return self._writable

    def _generated_sheet(self, sheet_en: str, lang: Lang) -> Worksheet:
        """The sheet for a generated part, emptied, named in `lang`; created after the input sheets if absent."""
        wb = self._wwb()
        labels = sheet_labels(sheet_en)
        target = labels[lang]
        ws = next((wb[n] for n in (target, labels["en"], labels["zh-CN"])
                   if n in wb.sheetnames and isinstance(wb[n], Worksheet)), None)
        if ws is None:
            return wb.create_sheet(target, insert_position(wb.sheetnames, sheet_en))
        clear_sheet(ws)
        ws._charts.clear()
        ws._images.clear()
        if ws.title != target and target not in wb.sheetnames:
            ws.title = target
        return ws

    def _drop_table_elsewhere(self, name: str, keep: Worksheet) -> None:
        """A generated table moved to its canonical sheet: the stale definition elsewhere would clash by name."""
        for ws in self._wwb().worksheets:
            if ws is not keep:
                for existing in list(ws.tables.keys()):
                    if existing.lower() == name.lower():
                        del ws.tables[existing]

    def _apply_replace(self, op: StagedReplace) -> None:
        ws = self._generated_sheet(op.sheet_en, op.lang)
        tops = stacked_layout([len(rows) for _, rows in op.blocks])
        written = []
        for (table, rows), top in zip(op.blocks, tops):
            self._drop_table_elsewhere(table.name, ws)
            written.append(write_table(ws, table, rows, op.lang, top_left=(top, 1)))
        if len(written) == 1:
            freeze_header(ws, written[0])

    def _apply_append(self, op: StagedAppend) -> None:
        existing: Cells = []
        if self.has_table(op.table):
            raw = self.read_table(op.table)
            cols = [raw.frame[c.key].tolist() if c.key in raw.frame else [None] * len(raw) for c in op.table.columns]
            existing = [list(r) for r in zip(*cols)] if cols else []
        self._apply_replace(StagedReplace(op.table.sheet_en, [(op.table, existing + op.rows)], op.lang))

    def sheet_for_charts(self, sheet_en_name: str, lang: Lang) -> Worksheet:
        """The emptied sheet (charts too) the dashboard is drawn on; saved with everything else at commit."""
        return self._generated_sheet(sheet_en_name, lang)

    def commit(self, output: Path | None = None) -> Path | None:
        """Apply the staged sheets and save atomically to PATH (keeping PATH.bak) or to `output` (PATH untouched)."""
        target = Path(output) if output is not None else self.path
        if self.read_only:
            raise WorkbookError(f"{self.path}: opened read-only; nothing can be written")
        check_writable(target)
        if output is not None:
            check_output_suffix(self.path, target)
        now = self.path.stat()
        if (now.st_mtime_ns, now.st_size) != (self._opened_stat.st_mtime_ns, self._opened_stat.st_size):
            raise WorkbookError(f"{self.path}: the file changed since it was opened (saved in Excel?); run again")
        wb = self._wwb()
        self._apply_staged()
        atomic_save(wb, self.path, target)
        if output is None:
            self._opened_stat = self.path.stat()
        return target

    def close(self) -> None:
        for wb in (self._values, self._writable):
            if wb is not None and getattr(wb, "vba_archive", None) is not None:
                wb.vba_archive.close()
        self._values = self._writable = None


def open_workbook(path: Path, *, read_only: bool = False, limits: Limits = DEFAULT_LIMITS) -> FileWorkbook:
    """Open a workbook file for the engine; WorkbookError (one line, nothing changed) when it cannot be used."""
    return FileWorkbook(Path(path), read_only=read_only, limits=limits)


# ---------------------------------------------------------------- saving


def atomic_save(wb: XlWorkbook, source: Path, target: Path) -> None:
    """Save to a temporary file next to `target`, restore the ribbon parts, fsync, back up, rename."""

    def write(tmp: Path) -> None:
        wb.save(tmp)
        restore_custom_ui(source, tmp)

    atomic_write(target, write, mode_from=source)


def _attr_values(xml: bytes, tag: str, attr: str) -> list[str]:
    from defusedxml.ElementTree import fromstring

    root = fromstring(xml)
    return [el.get(attr, "") for el in root.iter() if el.tag.rsplit("}", 1)[-1] == tag]


def _insert_before_close(xml: bytes, closing: bytes, fragment: str) -> bytes:
    at = xml.rfind(closing)
    if at < 0:
        raise WorkbookError(f"unexpected package XML: no {closing.decode()}")
    return xml[:at] + fragment.encode("utf-8") + xml[at:]


def restore_custom_ui(source: Path, saved: Path) -> None:
    """Put back the ribbon (customUI parts, their package relationship and content types) openpyxl dropped."""
    from defusedxml.ElementTree import fromstring

    with zipfile.ZipFile(source) as src:
        ui_parts = [n for n in src.namelist() if n.lower().startswith("customui/")]
        if not ui_parts:
            return
        ui_data = {n: src.read(n) for n in ui_parts}
        src_rels = fromstring(src.read("_rels/.rels"))
        src_types = src.read("[Content_Types].xml")
    ui_rels = [el for el in src_rels if el.get("Type", "").endswith(UI_REL_SUFFIX)]
    with zipfile.ZipFile(saved) as out:
        infos = out.infolist()
        data = {i.filename: out.read(i.filename) for i in infos}
    rels = data["_rels/.rels"]
    ids = set(_attr_values(rels, "Relationship", "Id"))
    targets = {t.lstrip("/") for t in _attr_values(rels, "Relationship", "Target")}
    fragment = ""
    for n, rel in enumerate(ui_rels, 1):
        target = rel.get("Target", "")
        if target.lstrip("/") in targets:
            continue
        rid = rel.get("Id", f"rIdXlfinUi{n}")
        while rid in ids:
            rid += "x"
        ids.add(rid)
        fragment += f'<Relationship Id="{rid}" Type="{rel.get("Type")}" Target="{target}"/>'
    if fragment:
        data["_rels/.rels"] = _insert_before_close(rels, b"</Relationships>", fragment)
    types = data["[Content_Types].xml"]
    defaults = {e.lower() for e in _attr_values(types, "Default", "Extension")}
    overrides = {p.lower() for p in _attr_values(types, "Override", "PartName")}
    src_defaults = dict(zip([e.lower() for e in _attr_values(src_types, "Default", "Extension")],
                            _attr_values(src_types, "Default", "ContentType")))
    src_overrides = dict(zip([p.lower() for p in _attr_values(src_types, "Override", "PartName")],
                             _attr_values(src_types, "Override", "ContentType")))
    fragment = ""
    for part in ui_parts:
        pname = "/" + part
        ext = part.rsplit(".", 1)[-1].lower() if "." in part else ""
        if pname.lower() in overrides:
            continue
        if pname.lower() in src_overrides:
            fragment += f'<Override PartName="{pname}" ContentType="{src_overrides[pname.lower()]}"/>'
        elif ext not in defaults:
            ctype = src_defaults.get(ext, "application/xml" if ext in ("xml", "rels") else "application/octet-stream")
            fragment += f'<Default Extension="{ext}" ContentType="{ctype}"/>'
            defaults.add(ext)
    if fragment:
        data["[Content_Types].xml"] = _insert_before_close(types, b"</Types>", fragment)
    data.update(ui_data)
    order = [i.filename for i in infos] + [n for n in ui_parts if n not in {i.filename for i in infos}]
    rebuilt = saved.with_name(saved.name + ".ui")
    try:
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in order:
                zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data[name],
                            compress_type=zipfile.ZIP_DEFLATED)
        os.replace(rebuilt, saved)
    except BaseException:
        rebuilt.unlink(missing_ok=True)
        raise
