"""The file adapter: a .xlsx/.xlsm on disk, read and written with openpyxl (the CLI, CI, machines without Excel).

Two loads of the same file: `data_only=True` for reading (a formula cell gives the value Excel last computed) and,
only when something is written, a `keep_vba=True` load that keeps formulas, VBA and everything else. Saving is
atomic: a temporary file in the same folder, flushed to disk, the previous file kept as `<name>.bak`, then one
rename. openpyxl drops the ribbon's package relationship (customUI), so it is put back from the original file.

Large files: reads go through `fastread` (values only, no openpyxl load); the writable load sets aside the cells of
large input sheets and the save puts them back byte for byte; generated tables are written as XML
(`xlsx_tables.SheetXml`) and spliced into the sheets openpyxl saved. `CELLS_AS_XML` and `SPLICE_MIN_BYTES` switch
the plain openpyxl paths back on (tests compare the two).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.workbook.workbook import Workbook as XlWorkbook
from openpyxl.worksheet.worksheet import Worksheet

from ..atomic import atomic_write
from ..schema import Lang
from xlfin.schema.tables import WorkbookError
from xlfin.xlsx.crypto import BookBytes, read_book
from xlfin.xlsx.digest import HASH_PENDING, stamp_hash_after, zip_digest
from xlfin.xlsx.protection import protect_file_sheet
from ..xlsx_tables import SheetXml, clear_sheet, freeze_header, write_table
from xlfin.schema.workbook import (
    Cells,
    ListObjectInfo,
    StagedAppend,
    StagedReplace,
    Workbook,
    insert_position,
    sheet_labels,
    stacked_layout,
)
from .fastread import FastXlsx, Unsupported, sheet_data_span, table_bounds
from .safety import (
    DEFAULT_LIMITS,
    MACRO_SUFFIXES,
    Limits,
    check_input_file,
    check_output_suffix,
    check_writable,
    check_zip,
    ensure_safe_parser,
)

UI_REL_SUFFIX = "/ui/extensibility"
SST_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
SST_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
R_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# Worksheets whose cell data is at least this large are not parsed by the writable load: their <sheetData> is set
# aside and put back, byte for byte, into the saved file (xlfin never writes into an input sheet).
SPLICE_MIN_BYTES = 256 * 1024
# Generated tables are written as XML (xlsx_tables.SheetXml) and spliced into the sheet openpyxl saved, instead of one
# openpyxl cell per value; False gives the plain openpyxl path (the equivalence tests compare the two).
CELLS_AS_XML = True
_EMPTY_SHEET_DATA = re.compile(rb"<sheetData\s*(?:/>|>\s*</sheetData>)")
_DIMENSION = re.compile(rb"<dimension\b[^>]*?/>")
# openpyxl attaches these to cell objects on load; a sheet that has them is loaded whole instead
_CELL_BOUND = re.compile(rb"<mergeCell\b|<hyperlink\b|<legacyDrawing\b")


def _load(path: Path, source: Any = None, **kw: Any) -> XlWorkbook:
    try:
        return load_workbook(path if source is None else source, **kw)
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
        encrypted = check_input_file(self.path, limits, allow_encrypted=True)
        if not read_only:
            check_writable(self.path)
        ensure_safe_parser()
        self._opened_stat = self.path.stat()
        # An encrypted book lives decrypted in memory only (issue #17); a plain one is read from its path.
        self._book: BookBytes | None = read_book(self.path) if encrypted else None
        if self._book is not None:
            check_zip(self.path, limits, self._package())
        self._keep_vba = self.path.suffix.lower() in MACRO_SUFFIXES
        self._fast: FastXlsx | None = None
        self._values: XlWorkbook | None = None
        try:
            self._fast = FastXlsx(self.path, self._package())
        except Unsupported:
            self._values = _load(self.path, self._package(), data_only=True, keep_links=True)
        self._writable: XlWorkbook | None = None
        self._set_aside: dict[str, _SheetData] = {}
        self._sheet_xml: dict[int, tuple[Worksheet, SheetXml]] = {}  # id(worksheet) -> its generated cells
        self._lo_cache: list[ListObjectInfo] | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def encrypted(self) -> bool:
        return self._book is not None and self._book.encrypted

    def hash_before(self) -> str:
        """The workbook hash (xlsx.digest) of the file as opened, for the Audit row."""
        return zip_digest(self._book.package if self._book is not None else self.path)

    def hash_after_pending(self) -> str:
        """The placeholder an Audit row carries; the save replaces it with the hash of what it writes."""
        return HASH_PENDING

    def _package(self) -> io.BytesIO | None:
        """A fresh reader over the decrypted package of an encrypted book; None for a plain one (read by path)."""
        return io.BytesIO(self._book.package) if self._book is not None else None

    # ------------------------------------------------ reading primitives (the data_only load)

    def _vwb(self) -> XlWorkbook:
        if self._values is None:
            if self._fast is None:
                raise WorkbookError(f"{self.path}: the workbook is closed")
            self._fast.close()  # something the fast reader does not handle: openpyxl reads everything instead
            self._fast = None
            self._lo_cache = None
            self._values = _load(self.path, self._package(), data_only=True, keep_links=True)
        return self._values

    def _fast_or_none(self) -> FastXlsx | None:
        return self._fast if self._values is None else None

    def _ws(self, sheet: str) -> Worksheet:
        return self._vwb()[sheet]

    def _sheet_names(self) -> list[str]:
        fast = self._fast_or_none()
        if fast is not None:
            return list(fast.sheets)
        return [ws.title for ws in self._vwb().worksheets]

    def _list_objects(self) -> list[ListObjectInfo]:
        fast = self._fast_or_none()
        if self._lo_cache is None and fast is not None:
            found = []
            for t in fast.tables:
                first_row, first_col, last_row, last_col = table_bounds(t)
                found.append(ListObjectInfo(t.name, t.sheet, first_row, first_col, last_row, last_col, t.header_rows,
                                            t.totals_rows))
            self._lo_cache = found
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

    def _with_fast(self, read):
        fast = self._fast_or_none()
        if fast is None:
            return None
        try:
            return (read(fast),)
        except Unsupported:
            self._vwb()  # switch to openpyxl for the rest of this workbook's reads
            return None

    def _extent(self, sheet: str) -> tuple[int, int]:
        got = self._with_fast(lambda f: (f.cells(sheet).max_row, f.cells(sheet).max_col))
        if got is not None:
            return got[0]
        ws = self._ws(sheet)
        return ws.max_row, ws.max_column

    def _read_block(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> Cells:
        got = self._with_fast(lambda f: f.block(sheet, first_row, first_col, last_row, last_col))
        if got is not None:
            return got[0]
        ws = self._ws(sheet)
        return [list(r) for r in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=first_col,
                                              max_col=last_col, values_only=True)]

    def _read_grid(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> np.ndarray:
        got = self._with_fast(lambda f: f.block_array(sheet, first_row, first_col, last_row, last_col))
        if got is not None:
            return got[0]
        return super()._read_grid(sheet, first_row, first_col, last_row, last_col)

    def _merged_in(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str | None:
        got = self._with_fast(lambda f: [CellRange(r) for r in f.merged(sheet)])
        ranges = got[0] if got is not None else self._ws(sheet).merged_cells.ranges
        hits = [str(m) for m in ranges
                if m.min_row <= last_row and m.max_row >= first_row and m.min_col <= last_col
                and m.max_col >= first_col]
        return ", ".join(sorted(hits)) if hits else None

    # ------------------------------------------------ writing (the keep_vba load)

    def _wwb(self) -> XlWorkbook:
        if self.read_only:
            raise WorkbookError(f"{self.path}: opened read-only; nothing can be written")
        if self._writable is None:
            self._writable, self._set_aside = _load_writable(self.path, self._keep_vba, self._package())
        return self._writable

    def _generated_sheet(self, sheet_en: str, lang: Lang) -> Worksheet:
        """The sheet for a generated part, emptied, named in `lang`; created after the input sheets if absent."""
        wb = self._wwb()
        labels = sheet_labels(sheet_en)
        target = labels[lang]
        ws = next((wb[n] for n in (target, labels["en"], labels["zh-CN"])
                   if n in wb.sheetnames and isinstance(wb[n], Worksheet)), None)
        if ws is None:
            ws = wb.create_sheet(target, insert_position(wb.sheetnames, sheet_en))
            protect_file_sheet(ws)  # against accidental edits, no password (issue #17)
            return ws
        self._set_aside.pop(ws.title, None)  # replaced whole: its old cells are not put back
        self._sheet_xml.pop(id(ws), None)
        clear_sheet(ws)
        ws._charts.clear()
        ws._images.clear()
        if ws.title != target and target not in wb.sheetnames:
            ws.title = target
        protect_file_sheet(ws)
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
        cells_xml = self._sheet_xml.setdefault(id(ws), (ws, SheetXml()))[1] if CELLS_AS_XML else None
        tops = stacked_layout([len(rows) for _, rows in op.blocks])
        written = []
        for (table, rows), top in zip(op.blocks, tops):
            self._drop_table_elsewhere(table.name, ws)
            written.append(write_table(ws, table, rows, op.lang, top_left=(top, 1), cells_xml=cells_xml))
        if len(written) == 1:
            freeze_header(ws, written[0])

    def _apply_append(self, op: StagedAppend) -> None:
        existing: Cells = []
        if self.has_table(op.table):
            raw = self.read_table(op.table)
            cols = [raw.frame[c.key].tolist() if c.key in raw.frame else [None] * len(raw) for c in op.table.columns]
            existing = [list(r) for r in zip(*cols)] if cols else []
        self._apply_replace(StagedReplace(op.table.sheet_en, [(op.table, existing + op.rows)], op.lang))

    def _generated_cells(self) -> dict[str, _SheetData]:
        """The XML of the generated sheets' cells, by the sheet's name at save time."""
        out = {}
        for ws, cells in self._sheet_xml.values():
            if not set(ws._cells) <= cells.carriers:
                raise WorkbookError(f"internal: sheet {ws.title} has cells besides its generated XML")
            dimension = cells.dimension()
            out[ws.title] = _SheetData(cells.sheet_data(), f'<dimension ref="{dimension}"/>'.encode()
                                       if dimension else None, False)
        return out

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
        source = self._book.package if self._book is not None else self.path
        seal = self._book.seal if self._book is not None else None
        atomic_save(wb, source, target, self._set_aside, self._generated_cells(), seal=seal)
        if output is None:
            self._opened_stat = self.path.stat()
        return target

    def close(self) -> None:
        if self._fast is not None:
            self._fast.close()
            self._fast = None
        for wb in (self._values, self._writable):
            if wb is not None and getattr(wb, "vba_archive", None) is not None:
                wb.vba_archive.close()
        self._values = self._writable = None


def open_workbook(path: Path, *, read_only: bool = False, limits: Limits = DEFAULT_LIMITS) -> FileWorkbook:
    """Open a workbook file for the engine; WorkbookError (one line, nothing changed) when it cannot be used."""
    return FileWorkbook(Path(path), read_only=read_only, limits=limits)


# ---------------------------------------------------------------- saving


@dataclass(frozen=True)
class _SheetData:
    """A worksheet's cells as they are in the file, set aside while openpyxl handles the rest of the sheet."""

    sheet_data: bytes
    dimension: bytes | None
    shared_strings: bool  # its cells refer to the package's shared-string table


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) of a package part."""
    from defusedxml.ElementTree import fromstring

    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in zf.namelist():
        return {}
    out = {}
    for el in fromstring(zf.read(rels_name)):
        target = el.get("Target", "")
        if el.get("TargetMode") == "External":
            continue
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[el.get("Id", "")] = (el.get("Type", ""), full)
    return out


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name -> its part name, from the workbook part and its relationships."""
    from defusedxml.ElementTree import fromstring

    workbook = next((n for n in zf.namelist() if n.lower() == "xl/workbook.xml"), None)
    if workbook is None:
        return {}
    rels = _rels(zf, workbook)
    out = {}
    for el in fromstring(zf.read(workbook)).iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet" and el.get(R_NS) in rels:
            rel_type, part = rels[el.get(R_NS)]
            if rel_type.endswith("/worksheet"):
                out[el.get("name", "")] = part
    return out


def _load_writable(path: Path, keep_vba: bool,
                   source: io.BytesIO | None = None) -> tuple[XlWorkbook, dict[str, _SheetData]]:
    """The keep_vba load, without parsing the cells of large sheets: those are set aside and put back on save.

    openpyxl takes seconds per hundred thousand cells to load and again to save; the input sheets it would load
    are never changed by xlfin, so their <sheetData> travels through unchanged (style indices stay valid because
    openpyxl keeps the cell formats in file order). Falls back to a full load when anything else in such a sheet
    would need its cells (merged cells, hyperlinks, comments)."""
    set_aside: dict[str, _SheetData] = {}
    with zipfile.ZipFile(path if source is None else source) as zf:
        parts = _sheet_parts(zf)
        big = {name: part for name, part in parts.items() if zf.getinfo(part).file_size >= SPLICE_MIN_BYTES}
        if not big:
            return _load(path, _reopened(source), keep_vba=keep_vba, keep_links=True), {}
        slim = io.BytesIO()
        with zipfile.ZipFile(slim, "w", zipfile.ZIP_STORED) as out:
            by_part = {part: name for name, part in big.items()}
            for info in zf.infolist():
                data = zf.read(info.filename)
                name = by_part.get(info.filename)
                span = sheet_data_span(data) if name is not None else None
                if span is not None and not _CELL_BOUND.search(data, span[1]):
                    start, end = span
                    dim = _DIMENSION.search(data, 0, start)
                    body = data[start:end]
                    set_aside[name] = _SheetData(body, dim.group(0) if dim else None, b't="s"' in body)
                    data = data[:start] + b"<sheetData/>" + data[end:]
                out.writestr(info, data)
    wb = _load(path, slim, keep_vba=keep_vba, keep_links=True)
    if any(wb[name]._cells for name in set_aside if name in wb.sheetnames) or not set(set_aside) <= set(wb.sheetnames):
        return _load(path, _reopened(source), keep_vba=keep_vba, keep_links=True), {}
    return wb, set_aside


def _reopened(source: io.BytesIO | None) -> io.BytesIO | None:
    return None if source is None else io.BytesIO(source.getvalue())


PackageSource = Path | bytes  # a plain book's path, or an encrypted book's package decrypted in memory


def _zip_source(source: PackageSource) -> Path | io.BytesIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source


def _splice(set_aside: dict[str, _SheetData], source: PackageSource,
            generated: dict[str, _SheetData] | None = None) -> Callable[[dict[str, bytes]], None]:
    """An edit of the saved package's parts that puts the set-aside cells back into their sheets and the generated
    sheets' XML cells into theirs (replacing the hyperlink cells openpyxl wrote there)."""
    generated = generated or {}

    def edit(data: dict[str, bytes]) -> None:
        if not set_aside and not generated:
            return
        with zipfile.ZipFile(io.BytesIO(_zip_of(data))) as zf:
            parts = _sheet_parts(zf)
        needs_sst = False
        for name, kept in [*set_aside.items(), *generated.items()]:
            part = parts.get(name)
            if part is None:
                raise WorkbookError(f"internal: sheet {name} vanished while saving")
            xml = data[part]
            if name in generated:
                span = sheet_data_span(xml)
                if span is None:
                    raise WorkbookError(f"internal: sheet {name} was saved without its cells")
                start, end = span
            else:
                m = _EMPTY_SHEET_DATA.search(xml)
                if m is None:
                    raise WorkbookError(f"internal: sheet {name} was written to although its cells were set aside")
                start, end = m.start(), m.end()
            head, tail = xml[:start], xml[end:]
            dim = _DIMENSION.search(head)
            if dim is not None:
                head = head[:dim.start()] + (kept.dimension or b"") + head[dim.end():]
            data[part] = head + kept.sheet_data + tail
            needs_sst |= kept.shared_strings
        if needs_sst:
            _add_shared_strings(source, data)

    return edit


def _zip_of(parts: dict[str, bytes]) -> bytes:
    """The package's relationship and workbook parts as a small zip, so the zip-based readers can map sheets."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, value in parts.items():
            if name.endswith(".rels") or name == "xl/workbook.xml":
                zf.writestr(name, value)
    return buffer.getvalue()


def _add_shared_strings(source: PackageSource, data: dict[str, bytes]) -> None:
    """Spliced cells that point into the original shared-string table need that table in the saved package."""
    with zipfile.ZipFile(_zip_source(source)) as zf:
        workbook = next(n for n in zf.namelist() if n.lower() == "xl/workbook.xml")
        sst = next((part for t, part in _rels(zf, workbook).values() if t == SST_REL_TYPE), None)
        if sst is None:
            raise WorkbookError(f"{source}: cells refer to shared strings but the package has none")
        sst_bytes = zf.read(sst)
    target = "xl/sharedStrings.xml"
    data[target] = sst_bytes
    rels = data["xl/_rels/workbook.xml.rels"]
    if SST_REL_TYPE.encode() not in rels:
        ids = set(_attr_values(rels, "Relationship", "Id"))
        rid = "rIdXlfinSst"
        while rid in ids:
            rid += "x"
        data["xl/_rels/workbook.xml.rels"] = _insert_before_close(
            rels, b"</Relationships>", f'<Relationship Id="{rid}" Type="{SST_REL_TYPE}" Target="sharedStrings.xml"/>')
    types = data["[Content_Types].xml"]
    if b"/xl/sharedStrings.xml" not in types:
        data["[Content_Types].xml"] = _insert_before_close(
            types, b"</Types>", f'<Override PartName="/{target}" ContentType="{SST_CONTENT_TYPE}"/>')


def atomic_save(wb: XlWorkbook, source: PackageSource, target: Path,
                set_aside: dict[str, _SheetData] | None = None, generated: dict[str, _SheetData] | None = None,
                seal: Callable[[bytes], bytes] | None = None) -> None:
    """Save in memory, put back set-aside cells, generated sheets' XML cells and the ribbon parts; then write the
    bytes (encrypted by `seal` for an encrypted book: the temporary file never holds the plain package) to a
    temporary file next to `target`, fsync, back up, rename."""

    def write(tmp: Path) -> None:
        buffer = io.BytesIO()
        wb.save(buffer)
        package = restore_custom_ui(source, buffer.getvalue(), _splice(set_aside or {}, source, generated))
        tmp.write_bytes(seal(package) if seal is not None else package)

    atomic_write(target, write, mode_from=source if isinstance(source, Path) else target)


def _attr_values(xml: bytes, tag: str, attr: str) -> list[str]:
    from defusedxml.ElementTree import fromstring

    root = fromstring(xml)
    return [el.get(attr, "") for el in root.iter() if el.tag.rsplit("}", 1)[-1] == tag]


def _insert_before_close(xml: bytes, closing: bytes, fragment: str) -> bytes:
    at = xml.rfind(closing)
    if at < 0:
        raise WorkbookError(f"unexpected package XML: no {closing.decode()}")
    return xml[:at] + fragment.encode("utf-8") + xml[at:]


def restore_custom_ui(source: PackageSource, saved: bytes,
                      edit: Callable[[dict[str, bytes]], None] | None = None) -> bytes:
    """The package openpyxl saved, with the ribbon (customUI parts, their package relationship and content types) it
    dropped put back; `edit` may change other parts in the same rewrite. In memory: an encrypted book's plain
    package never reaches the disk."""
    from defusedxml.ElementTree import fromstring

    with zipfile.ZipFile(_zip_source(source)) as src:
        ui_parts = [n for n in src.namelist() if n.lower().startswith("customui/")]
        ui_data = {n: src.read(n) for n in ui_parts}
        src_rels = fromstring(src.read("_rels/.rels"))
        src_types = src.read("[Content_Types].xml")
    ui_rels = [el for el in src_rels if el.get("Type", "").endswith(UI_REL_SUFFIX)]
    with zipfile.ZipFile(io.BytesIO(saved)) as out:
        infos = out.infolist()
        data = {i.filename: out.read(i.filename) for i in infos}
    if edit is not None:
        edit(data)
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
    stamp_hash_after(data)  # the Audit row's hash of what is written, over the final parts
    present = {i.filename for i in infos}
    order = [i.filename for i in infos] + [n for n in data if n not in present]
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in order:
            # large sheets: fast compression (level 1 is ~4x faster and ~15 % bigger on sheet XML)
            level = 1 if len(data[name]) > SPLICE_MIN_BYTES else 6
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data[name],
                        compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
    return rebuilt.getvalue()
