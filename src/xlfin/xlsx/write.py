"""Writing xlfin's parts into a package, and nothing else (SPEC §11).

`PackageWriter` replaces generated sheets (their worksheet part, tables, drawing and charts; the sheet keeps its
sheetId, r:id, position and code name), adds the ones a workbook lacks (appended after the last sheet, so no sheet's
index — and no sheet-local defined name — moves), and appends rows to a user's table in place. The edits to the
package's shared parts are minimal and textual: a `<sheet>` entry (or its name) in workbook.xml, a relationship in
workbook.xml.rels, Overrides in [Content_Types].xml, entries at the end of styles.xml's lists. Every other part keeps
its bytes, and `Package.to_bytes` copies those members as they were.

Ownership: only a sheet whose name is one of xlfin's generated sheets (in either language) is ever replaced; the
template reserves those names. A user's table that carries a generated table's name is refused (exit 2) rather than
touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xlfin.schema.tables import WorkbookError, quote_sheet
from .charts import chart_xml, drawing_xml
from .opc import (
    CT_CHART,
    CT_DRAWING,
    CT_TABLE,
    CT_WORKSHEET,
    NS_DOC_REL,
    NS_MAIN,
    REL_CALC_CHAIN,
    REL_CHART,
    REL_DRAWING,
    REL_EXTENDED_PROPERTIES,
    REL_HYPERLINK,
    REL_STYLES,
    REL_TABLE,
    REL_WORKSHEET,
    Package,
    Relationship,
    drop_element,
    escape,
    insert_before,
    local,
    parse_xml,
    relative,
    rels_name,
    rels_xml,
)
from .read import PackageReader, SheetEntry, TableEntry
from .sheet import TABLE_STYLE_NAME, Formula, GeneratedSheet, SharedFormula, column_letter
from .styles import CellStyle, StyleBook

_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet[\s/>]")
_SHEETS_CLOSE = re.compile(rb"</((?:\w+:)?)sheets>")
_NAME_ATTR = re.compile(rb'(\sname=")[^"]*(")')
_REF_ATTR = re.compile(rb'(\sref=")[^"]*(")')
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>]")
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>[^<]")  # a <v> with content (an empty cached value is not a value)
_DEFINED_NAME = re.compile(rb"<((?:\w+:)?)definedName\b([^>]*)>.*?</\1definedName>", re.S)
_DEFINED_NAMES_CLOSE = re.compile(rb"</((?:\w+:)?)definedNames>")
_BEFORE_DEFINED_NAMES = re.compile(rb"</(?:\w+:)?(?:sheets|functionGroups|externalReferences)>")
_APP_PAIRS = re.compile(rb"<(?:\w+:)?HeadingPairs\b.*?</(?:\w+:)?HeadingPairs>", re.S)
_APP_TITLES = re.compile(rb"<(?:\w+:)?TitlesOfParts\b.*?</(?:\w+:)?TitlesOfParts>", re.S)
_APP_VARIANT = re.compile(rb"<(?:\w+:)?variant>\s*<(?:\w+:)?(\w+)>([^<]*)</", re.S)
_APP_TITLE = re.compile(rb"<(\w+:)?lpstr>([^<]*)</(?:\w+:)?lpstr>")
_VECTOR_SIZE = re.compile(rb'<(?:\w+:)?vector\b[^>]*\ssize="(\d+)"')


@dataclass
class _Kept:
    """What a replaced sheet keeps from its old part: its VBA code name and whether it was the selected tab."""

    code_name: str | None = None
    selected: bool = False


class PackageWriter:
    """Stages xlfin's edits to one package; `finish` gives the package bytes."""

    def __init__(self, package: Package, reader: PackageReader) -> None:
        self.package = package
        self.reader = reader
        self.workbook_part = reader.workbook_part
        styles_part = next(iter(package.related(self.workbook_part, REL_STYLES)), None)
        self.styles = StyleBook(package, styles_part)
        self.date1904 = _date1904(reader.workbook_xml)
        self.sheets = list(reader.sheets)
        self._workbook_xml = reader.workbook_xml
        self._new_rels: list[Relationship] = []
        self._content_add: dict[str, str] = {}
        self._content_drop: set[str] = set()
        self._new_table_ids: set[int] = set()
        self._tables = list(reader.tables)
        self._referrers: dict[str, set[str]] | None = None
        self._dropped_rels: set[str] = set()  # relationship types of workbook parts removed (the calc chain)
        self._print_areas: dict[str, tuple[int, int, int, int]] = {}  # generated sheet -> its print area

    # ------------------------------------------------ generated sheets

    def replace_sheet(self, names: Sequence[str], target: str, sheet: GeneratedSheet) -> None:
        """Write `sheet` as the generated sheet known by any of `names`, named `target`; created when absent."""
        index = next((i for i, s in enumerate(self.sheets) if s.name in names), None)
        existing = self.sheets[index] if index is not None else None
        if existing is not None and existing.part is None:
            raise WorkbookError(f"{existing.name}: a chart sheet has the name of xlfin's generated sheet; rename it")
        kept = _Kept()
        if existing is not None:
            part = existing.part
            assert part is not None
            kept = _kept(self.package.read(part))
            self._drop_owned(part)
            self._drop_calc_chain_of(existing.sheet_id)
            self._tables = [t for t in self._tables if t.sheet != existing.name]
            if existing.name != target and not any(s.name == target for s in self.sheets):
                self._rename(index, existing, target)
        else:
            part = self._free_name("xl/worksheets/sheet{}.xml")
            self._add_sheet(target, part)
        self._check_table_names(sheet, target)
        self._render(part, target, sheet, kept)
        if sheet.print_area is not None:
            self._print_areas[target] = sheet.print_area

    def _check_table_names(self, sheet: GeneratedSheet, target: str) -> None:
        taken = {t.display_name.lower(): t for t in self._tables}
        for spec in sheet.tables:
            clash = taken.get(spec.name.lower())
            if clash is not None:
                raise WorkbookError(f"{clash.sheet}: the table {clash.display_name} has the name of xlfin's table on "
                                    f"{target}; rename it (Table Design > Table Name)")

    def _free_name(self, pattern: str) -> str:
        n = 1
        while self.package.has(pattern.format(n)) or pattern.format(n) in self._content_add:
            n += 1
        return pattern.format(n)

    def _render(self, part: str, name: str, sheet: GeneratedSheet, kept: _Kept) -> None:
        sheet_data, dimension = sheet.encode(self.styles, self.date1904)
        rels: list[Relationship] = []

        def rel(rel_type: str, target: str, external: bool = False) -> str:
            rid = f"rId{len(rels) + 1}"
            rels.append(Relationship(rid, rel_type, target, external))
            return rid

        links = "".join(f'<hyperlink ref="{ref}" r:id="{rel(REL_HYPERLINK, target, True)}"/>'
                        for ref, target in sheet.links)
        drawing = ""
        if sheet.charts:
            drawing_part = self._free_name("xl/drawings/drawing{}.xml")
            chart_rels = []
            for spec in sheet.charts:
                chart_part = self._free_name("xl/charts/chart{}.xml")
                self.package.write(chart_part, chart_xml(spec, name))
                self._content_add[chart_part] = CT_CHART
                chart_rels.append(Relationship(f"rId{len(chart_rels) + 1}", REL_CHART, chart_part))
            self.package.write(drawing_part, drawing_xml(sheet.charts, [r.id for r in chart_rels]))
            self.package.write(rels_name(drawing_part), rels_xml(chart_rels, drawing_part))
            self._content_add[drawing_part] = CT_DRAWING
            drawing = f'<drawing r:id="{rel(REL_DRAWING, drawing_part)}"/>'
        table_ids = []
        for spec in sheet.tables:
            table_part = self._free_name("xl/tables/table{}.xml")
            self.package.write(table_part, self._table_xml(spec))
            self._content_add[table_part] = CT_TABLE
            table_ids.append(rel(REL_TABLE, table_part))
        head = XML_HEAD + f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_DOC_REL}">'
        pr_attrs = f' codeName="{escape(kept.code_name)}"' if kept.code_name else ""
        pr_inner = '<pageSetUpPr fitToPage="1"/>' if sheet.landscape_fit else ""
        if pr_attrs or pr_inner:
            head += f"<sheetPr{pr_attrs}>{pr_inner}</sheetPr>" if pr_inner else f"<sheetPr{pr_attrs}/>"
        head += f'<dimension ref="{dimension or "A1"}"/>'
        selected = ' tabSelected="1"' if kept.selected else ""
        if sheet.frozen_rows:
            top = f"A{sheet.frozen_rows + 1}"
            head += (f'<sheetViews><sheetView{selected} workbookViewId="0"><pane ySplit="{sheet.frozen_rows}" '
                     f'topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                     f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/></sheetView></sheetViews>')
        else:
            head += f'<sheetViews><sheetView{selected} workbookViewId="0"/></sheetViews>'
        head += '<sheetFormatPr defaultRowHeight="15"/>'
        if sheet.widths:
            head += "<cols>" + "".join(f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                                       for c, w in sorted(sheet.widths.items())) + "</cols>"
        tail = sheet.protection
        if links:
            tail += f"<hyperlinks>{links}</hyperlinks>"
        tail += '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        if sheet.landscape_fit:  # A4 (paperSize 9), landscape, one page wide and as many pages down as needed
            tail += '<pageSetup paperSize="9" fitToWidth="1" fitToHeight="0" orientation="landscape"/>'
        tail += drawing
        if table_ids:
            tail += f'<tableParts count="{len(table_ids)}">' + "".join(
                f'<tablePart r:id="{rid}"/>' for rid in table_ids) + "</tableParts>"
        tail += "</worksheet>"
        self.package.write(part, [head.encode("utf-8"), *sheet_data, tail.encode("utf-8")])
        if rels:
            self.package.write(rels_name(part), rels_xml(rels, part))
        elif self.package.has(rels_name(part)):
            self.package.remove(rels_name(part))

    def _table_xml(self, spec) -> bytes:
        # the lowest free id: a sheet replaced twice gets the same ids, so identical runs give identical parts
        used = {t.table_id for t in self._tables} | self._new_table_ids
        table_id = next(i for i in range(1, len(used) + 2) if i not in used)
        self._new_table_ids.add(table_id)
        ref = f"{column_letter(spec.first_col)}{spec.first_row}:" \
              f"{column_letter(spec.first_col + len(spec.headers) - 1)}{spec.last_row}"
        columns = "".join(f'<tableColumn id="{j + 1}" name="{escape(h)}"/>' for j, h in enumerate(spec.headers))
        return (XML_HEAD + f'<table xmlns="{NS_MAIN}" id="{table_id}" name="{escape(spec.name)}" '
                f'displayName="{escape(spec.name)}" ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
                f'<tableColumns count="{len(spec.headers)}">{columns}</tableColumns>'
                f'<tableStyleInfo name="{TABLE_STYLE_NAME}" showFirstColumn="0" showLastColumn="0" '
                'showRowStripes="1" showColumnStripes="0"/></table>').encode("utf-8")

    # ------------------------------------------------ parts a replaced sheet owned

    def _referrers_map(self) -> dict[str, set[str]]:
        if self._referrers is None:
            refs: dict[str, set[str]] = {}
            for name in self.package.names():
                if not name.endswith(".rels"):
                    continue
                folder, rel_file = name.rsplit("/_rels/", 1) if "/_rels/" in name else ("", name[6:])
                source = (folder + "/" if folder else "") + rel_file[:-5] if name != "_rels/.rels" else ""
                for r in self.package.relationships(source):
                    if not r.external:
                        refs.setdefault(r.target, set()).add(source)
            self._referrers = refs
        return self._referrers

    def _drop_owned(self, sheet_part: str) -> None:
        """Remove the parts only this generated sheet referred to (tables, drawing, charts, comments...)."""
        refs = self._referrers_map()
        dropped = {sheet_part}
        queue = [sheet_part]
        while queue:
            source = queue.pop()
            for r in self.package.relationships(source):
                if r.external or r.target in dropped or not self.package.has(r.target):
                    continue
                if refs.get(r.target, set()) <= dropped:
                    dropped.add(r.target)
                    queue.append(r.target)
        for part in dropped - {sheet_part}:
            self.package.remove(part)
            self._content_drop.add(part)
            if self.package.has(rels_name(part)):
                self.package.remove(rels_name(part))
        self._referrers = None

    def _drop_calc_chain_of(self, sheet_id: int) -> None:
        """Excel's calculation chain lists formula cells by sheet; one that names a cell of a replaced sheet makes
        Excel repair the file. It is a cache Excel rebuilds, so it is dropped then (and only then)."""
        chain = next(iter(self.package.related(self.workbook_part, REL_CALC_CHAIN)), None)
        if chain is None or not self.package.has(chain):
            return
        if f' i="{sheet_id}"'.encode() not in self.package.read(chain):  # i= names the sheet by id
            return
        self.package.remove(chain)
        self._content_drop.add(chain)
        self._dropped_rels.add(REL_CALC_CHAIN)

    # ------------------------------------------------ workbook.xml, its relationships

    def _sheet_tags(self) -> list[tuple[int, int]]:
        xml = self._workbook_xml
        close = _SHEETS_CLOSE.search(xml)
        start = xml.find(b"sheets", 0, close.start() if close else len(xml))
        spans = []
        for m in _SHEET_TAG.finditer(xml, start, close.start() if close else len(xml)):
            spans.append((m.start(), xml.find(b">", m.start()) + 1))
        return spans

    def _rename(self, index: int, entry: SheetEntry, target: str) -> None:
        start, end = self._sheet_tags()[index]
        tag = self._workbook_xml[start:end]
        new_tag = _NAME_ATTR.sub(lambda m: m.group(1) + escape(target).encode() + m.group(2), tag, count=1)
        self._workbook_xml = self._workbook_xml[:start] + new_tag + self._workbook_xml[end:]
        self.sheets[index] = SheetEntry(target, entry.sheet_id, entry.rid, entry.part, entry.state)

    def _add_sheet(self, name: str, part: str) -> None:
        taken = {r.id for r in self.package.relationships(self.workbook_part)} | {r.id for r in self._new_rels}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        rid = f"rId{n}"
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        close = _SHEETS_CLOSE.search(self._workbook_xml)
        if close is None:
            raise WorkbookError("not a usable workbook: workbook.xml has no <sheets> list")
        prefix = close.group(1).decode()
        # Only a declaration on the root is in scope for a new <sheet>: openpyxl writing through lxml declares
        # xmlns:r on each <sheet> instead, and reusing that prefix gave an unbound one (found by excelproof).
        root = re.search(rb"<(?:[\w.-]+:)?workbook\b[^>]*>", self._workbook_xml)
        bound = re.search(rb'xmlns:(\w+)="' + re.escape(NS_DOC_REL.encode()) + b'"', root.group(0) if root else b"")
        r_prefix, declare = (bound.group(1).decode(), "") if bound else ("r", f' xmlns:r="{NS_DOC_REL}"')
        tag = (f'<{prefix}sheet name="{escape(name)}" sheetId="{sheet_id}"{declare} '
               f'{r_prefix}:id="{rid}"/>').encode("utf-8")
        self._workbook_xml = self._workbook_xml[:close.start()] + tag + self._workbook_xml[close.start():]
        self._new_rels.append(Relationship(rid, REL_WORKSHEET, part))
        self._content_add[part] = CT_WORKSHEET
        self.sheets.append(SheetEntry(name, sheet_id, rid, part))

    def _set_print_area(self, name: str, area: tuple[int, int, int, int]) -> None:
        """The sheet's `_xlnm.Print_Area` defined name (sheet-local: localSheetId is its index in <sheets>): an
        older one for the same index is replaced, every other defined name keeps its bytes."""
        index = next(i for i, s in enumerate(self.sheets) if s.name == name)
        r0, c0, r1, c1 = area
        ref = f"{quote_sheet(name)}!${column_letter(c0)}${r0}:${column_letter(c1)}${r1}"
        xml = self._workbook_xml
        for m in _DEFINED_NAME.finditer(xml):
            attrs = m.group(2)
            if b'name="_xlnm.Print_Area"' in attrs and re.search(rb'\slocalSheetId="%d"' % index, attrs):
                xml = xml[:m.start()] + xml[m.end():]
                break
        close = _DEFINED_NAMES_CLOSE.search(xml)
        prefix = (close.group(1) if close else _SHEETS_CLOSE.search(xml).group(1)).decode()  # type: ignore[union-attr]
        tag = (f'<{prefix}definedName name="_xlnm.Print_Area" localSheetId="{index}">{escape(ref, quote=False)}'
               f"</{prefix}definedName>").encode("utf-8")
        if close is not None:
            xml = xml[:close.start()] + tag + xml[close.start():]
        else:  # definedNames comes after sheets (and functionGroups, externalReferences when present)
            after = max((m.end() for m in _BEFORE_DEFINED_NAMES.finditer(xml)), default=-1)
            if after < 0:
                raise WorkbookError("not a usable workbook: workbook.xml has no <sheets> list")
            xml = xml[:after] + f"<{prefix}definedNames>".encode() + tag + f"</{prefix}definedNames>".encode() + \
                xml[after:]
        self._workbook_xml = xml

    def _update_app_titles(self) -> None:
        """docProps/app.xml lists the worksheets (HeadingPairs: a "Worksheets" count; TitlesOfParts: their names).
        When sheets were added or renamed, that group is rewritten to match; the rest of the part keeps its bytes.
        A part without the lists (openpyxl writes none), or whose list did not match the workbook before, is left
        as it is."""
        before = [s.name for s in self.reader.sheets if s.part is not None]
        after = [s.name for s in self.sheets if s.part is not None]
        if before == after:
            return
        part = next(iter(self.package.related("", REL_EXTENDED_PROPERTIES)), None)
        if part is None or not self.package.has(part):
            return
        xml = self.package.read(part)
        edited = app_titles(xml, before, after)
        if edited is not None and edited != xml:
            self.package.write(part, edited)

    # ------------------------------------------------ appending to a user's table

    def append_rows(self, table: TableEntry, rows: Sequence[Sequence[object]], first_row: int,
                    styles: Sequence[CellStyle]) -> None:
        """Add rows to a table on a user's sheet, from `first_row` (the row after its last filled row): new <row>
        elements (inline strings, no shared strings), the table's ref and the sheet's dimension. Rows already there
        from `first_row` on must be empty; a totals row is refused."""
        if not rows:
            return
        if table.totals_rows:
            raise WorkbookError(f"{table.sheet}: table {table.display_name} has a totals row; rows cannot be added "
                                "below it. Turn the totals row off")
        entry = next(s for s in self.sheets if s.name == table.sheet)
        assert entry.part is not None
        xml = self.package.read(entry.part)
        sheet = GeneratedSheet()
        width = table.last_col - table.first_col + 1
        formulas = _calculated_columns(self.package.read(table.part))
        shared = _next_shared_index(xml)
        last_row = first_row + len(rows) - 1
        for j in range(width):
            style = styles[j] if j < len(styles) else CellStyle()
            if j in formulas:  # a calculated column: its formula in every new row, written once and shared
                letter = column_letter(table.first_col + j)
                head = SharedFormula(formulas[j], shared, f"{letter}{first_row}:{letter}{last_row}")
                sheet.column(first_row, table.first_col + j, [head] + [SharedFormula("", shared)] * (len(rows) - 1),
                             style)
                shared += 1
                continue
            sheet.column(first_row, table.first_col + j, [r[j] if j < len(r) else None for r in rows], style)
        body, _ = sheet.encode(self.styles, self.date1904)
        new_rows = b"".join(body[1:-1])
        xml = _insert_rows(xml, new_rows, first_row, table.sheet, table.last_row)
        xml = _widen_dimension(xml, last_row, table.last_col)
        self.package.write(entry.part, xml)
        new_ref = f"{column_letter(table.first_col)}{table.first_row}:{column_letter(table.last_col)}" \
                  f"{max(last_row, table.last_row)}"
        self.package.write(table.part, _REF_ATTR.sub(lambda m: m.group(1) + new_ref.encode() + m.group(2),
                                                      self.package.read(table.part)))

    # ------------------------------------------------ the package

    def finish(self, before_zip: Callable[[Package], object] | None = None) -> bytes:
        """The package's bytes; `before_zip` sees the final parts first (the Audit row's hash is stamped there, on
        parts still in memory, rather than on a zip inflated again)."""
        self.styles.save()
        if self.styles.created:
            self._new_rels.append(Relationship("rIdXlfinStyles", REL_STYLES, self.styles.part))
            self._content_add[self.styles.part] = \
                "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
        for name, area in self._print_areas.items():
            self._set_print_area(name, area)
        if self._workbook_xml != self.reader.workbook_xml:
            self.package.write(self.workbook_part, self._workbook_xml)
        self._update_app_titles()
        rels_part = rels_name(self.workbook_part)
        for rel in self.package.relationships(self.workbook_part):
            if rel.type in self._dropped_rels:
                self.package.write(rels_part, drop_element(self.package.read(rels_part), b"<Relationship ",
                                                           f'Id="{escape(rel.id)}"'.encode()))
        if self._new_rels:
            fragment = "".join(
                f'<Relationship Id="{r.id}" Type="{r.type}" Target="{escape(relative(self.workbook_part, r.target))}"/>'
                for r in self._new_rels)
            self.package.write(rels_part, insert_before(self.package.read(rels_part), b"</Relationships>",
                                                        fragment.encode("utf-8")))
        drop = {p for p in self._content_drop if p not in self._content_add}
        if self._content_add or drop:
            self.package.set_content_types(self._content_add, drop)
        if before_zip is not None:
            before_zip(self.package)
        return self.package.to_bytes()


def app_titles(xml: bytes, before: Sequence[str], after: Sequence[str]) -> bytes | None:
    """app.xml with the worksheet group of HeadingPairs/TitlesOfParts changed from the names `before` to `after`;
    None when the part has no such group (no lists, or none that lists exactly `before`)."""
    pairs = _APP_PAIRS.search(xml)
    titles = _APP_TITLES.search(xml)
    if pairs is None or titles is None or not before:
        return None
    variants = list(_APP_VARIANT.finditer(pairs.group(0)))
    found = list(_APP_TITLE.finditer(titles.group(0)))
    names = [_xml_text(m.group(2)) for m in found]
    offset = 0
    for count in variants[1::2]:
        if count.group(1) not in (b"i4", b"i2", b"i8", b"int") or not count.group(2).strip().isdigit():
            return None
        n = int(count.group(2))
        if n == len(before) and names[offset:offset + n] == list(before):
            break
        offset += n
    else:
        return None
    prefix = found[offset].group(1) or b""
    group = b"".join(b"<%slpstr>%s</%slpstr>" % (prefix, escape(name, quote=False).encode("utf-8"), prefix)
                     for name in after)
    vector = _VECTOR_SIZE.search(titles.group(0))
    edits = [(titles.start() + found[offset].start(), titles.start() + found[offset + n - 1].end(), group),
             (pairs.start() + count.start(2), pairs.start() + count.end(2), str(len(after)).encode())]
    if vector is not None:
        edits.append((titles.start() + vector.start(1), titles.start() + vector.end(1),
                      str(len(names) - n + len(after)).encode()))
    for start, end, text in sorted(edits, reverse=True):  # from the back, so earlier offsets stay valid
        xml = xml[:start] + text + xml[end:]
    return xml


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def _next_shared_index(sheet_xml: bytes) -> int:
    """The first shared-formula index (si) the sheet does not use yet."""
    used = re.findall(rb'<(?:\w+:)?f\b[^>]*\bsi="(\d+)"', sheet_xml)
    return max(map(int, used)) + 1 if used else 0


def _calculated_columns(table_xml: bytes) -> dict[int, Formula]:
    """Table column position -> its calculated column formula (the table part's calculatedColumnFormula)."""
    root = parse_xml("table", table_xml)
    out = {}
    for section in root:
        if local(section.tag) != "tableColumns":
            continue
        for j, column in enumerate(section):
            for child in column:
                if local(child.tag) == "calculatedColumnFormula" and child.text:
                    out[j] = Formula(child.text)
    return out


def _date1904(workbook_xml: bytes) -> bool:
    at = workbook_xml.find(b"date1904=")
    return at >= 0 and workbook_xml[at + 10:at + 11] in (b"1", b"t")


def _kept(xml: bytes) -> _Kept:
    head = xml[:xml.find(b"<sheetData") if b"<sheetData" in xml else 4096]
    kept = _Kept()
    at = head.find(b"<sheetPr")
    if at >= 0:
        tag = head[at:head.find(b">", at)]
        m = re.search(rb'codeName="([^"]*)"', tag)
        if m:
            kept.code_name = m.group(1).decode("utf-8")
    at = head.find(b"<sheetView ")
    if at >= 0:
        tag = head[at:head.find(b">", at)]
        kept.selected = b'tabSelected="1"' in tag or b'tabSelected="true"' in tag
    return kept


def _insert_rows(xml: bytes, new_rows: bytes, first_row: int, sheet: str, table_last_row: int) -> bytes:
    """Put the new rows at the end of <sheetData>, after checking no row from `first_row` on holds a cell."""
    close = xml.rfind(b"</sheetData>")
    if close < 0:
        empty = xml.find(b"<sheetData/>")
        if empty < 0:
            raise WorkbookError(f"{sheet}: the sheet has no cell data element; it cannot be appended to")
        return xml[:empty] + b"<sheetData>" + new_rows + b"</sheetData>" + xml[empty + len(b"<sheetData/>"):]
    # rows from first_row on, scanning back from the end: each must be empty of values
    cut = close
    at = close
    while True:
        m = xml.rfind(b"<row", 0, at)
        if m < 0:
            break
        tag_end = xml.find(b">", m)
        r = re.search(rb'\sr="(\d+)"', xml[m:tag_end])
        if r is None or int(r.group(1)) < first_row:
            break
        segment = xml[m:cut]
        formulas_ok = int(r.group(1)) <= table_last_row  # the table's blank row: its calculated columns' formulas
        if _VALUE.search(segment) or b"<is>" in segment or (b"<f" in segment and not formulas_ok):
            raise WorkbookError(f"{sheet}: row {int(r.group(1))} below the table is not empty; rows cannot be added "
                                "there. Move what is below the table")
        cut = m
        at = m
    return xml[:cut] + new_rows + xml[close:]


def _widen_dimension(xml: bytes, last_row: int, last_col: int) -> bytes:
    at = xml.find(b"<dimension ")
    if at < 0 or at > xml.find(b"<sheetData"):
        return xml
    end = xml.find(b">", at)
    tag = xml[at:end]
    m = re.search(rb'ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', tag)
    if m is None:
        return xml
    first = m.group(1) + m.group(2)
    old_col = m.group(3) or m.group(1)
    old_row = int(m.group(4) or m.group(2))
    col = old_col.decode() if _col(old_col.decode()) >= last_col else column_letter(last_col)
    ref = f'ref="{first.decode()}:{col}{max(old_row, last_row)}"'.encode()
    return xml[:at] + tag[:m.start()] + ref + tag[m.end():] + xml[end:]


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n
