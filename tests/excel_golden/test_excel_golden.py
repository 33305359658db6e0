"""Golden tests: what xlfin writes into an .xlsm against files Microsoft Excel itself saved (issue 15 item 1).

Each test parses an Excel-saved fixture and xlfin's template with the same independent parsers — olefile and
oletools for the VBA project, lxml for the package XML, never xlfin's own readers — and compares the same fields.
A test first asserts the field on the Excel file, so a fixture that lacked it would fail rather than pass vacuously.

Fixtures: ../shared/fixtures/excel (see its README: two macro workbooks saved by Excel, Microsoft's customUI14
schema) and, for parts those two do not carry (tables, defined names), fixtures/ beside this file (see its README:
two workbooks saved by Excel 16, from the calamine project, MIT).
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from pathlib import Path

import pytest

from xlfin.template import build_template

olefile = pytest.importorskip("olefile")
etree = pytest.importorskip("lxml.etree")
olevba = pytest.importorskip("oletools.olevba")

HERE = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "excel"
EXCEL_MACRO_BOOKS = [SHARED / "excel_saved_udf_tests.xlsm", SHARED / "excel_saved_quickstart.xlsm"]
# Excel-saved books with tables and defined names (calamine's tests/temperature-table.xlsx and tests/issues.xlsx, MIT):
# they belong in ../shared/fixtures/excel; until they are there, the tests that need them skip.
EXCEL_TABLES = SHARED / "excel_saved_tables.xlsx"
EXCEL_NAMES = SHARED / "excel_saved_defined_names.xlsx"


def _excel_saved(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"Excel-saved fixture {path.name} is not in ../shared/fixtures/excel")
    return path

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
M = {"m": NS_MAIN}

# dir stream records before the first reference (MS-OVBA 2.3.4.2.1), by id
PROJECT_INFORMATION_END = {0x0016, 0x000F}  # REFERENCENAME or PROJECTMODULES ends the section


# ------------------------------------------------------------------ package helpers (lxml only)

class Package:
    """An OPC package read with zipfile + lxml: parts, content types, relationships."""

    def __init__(self, data: bytes, label: str) -> None:
        self.label = label
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = set(self.zip.namelist())

    def xml(self, part: str):
        return etree.fromstring(self.zip.read(part))

    def content_type(self, part: str) -> str | None:
        """Override for the part, else the Default for its extension (ECMA-376 Part 2, 10.1.2.4)."""
        types = self.xml("[Content_Types].xml")
        for override in types.iter(f"{{{NS_CT}}}Override"):
            if override.get("PartName").lower() == "/" + part.lower():
                return override.get("ContentType")
        ext = part.rsplit(".", 1)[-1].lower()
        for default in types.iter(f"{{{NS_CT}}}Default"):
            if default.get("Extension").lower() == ext:
                return default.get("ContentType")
        return None

    def rels(self, source: str) -> list[tuple[str, str, str]]:
        """(type, resolved target part, target mode) of a part's relationships ("" = the package)."""
        folder, name = posixpath.split(source)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        if rels_part not in self.names:
            return []
        out = []
        for rel in self.xml(rels_part).iter(f"{{{NS_REL}}}Relationship"):
            target = rel.get("Target")
            if rel.get("TargetMode") != "External":
                target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out.append((rel.get("Type"), target, rel.get("TargetMode") or "Internal"))
        return out

    def target(self, source: str, rel_type: str) -> str:
        found = [t for kind, t, _ in self.rels(source) if kind == rel_type]
        assert len(found) == 1, f"{self.label}: {len(found)} {rel_type} relationships from {source or 'the package'}"
        return found[0]

    @property
    def workbook(self) -> str:
        return self.target("", REL_OFFICE_DOCUMENT)

    def sheets(self) -> list[tuple[str, str]]:
        """(sheet name, part) in workbook order."""
        book = self.xml(self.workbook)
        by_id: dict[str, str] = {}
        rels_part = posixpath.join(posixpath.dirname(self.workbook), "_rels", posixpath.basename(self.workbook) + ".rels")
        for rel in self.xml(rels_part).iter(f"{{{NS_REL}}}Relationship"):
            target = rel.get("Target")
            by_id[rel.get("Id")] = (target[1:] if target.startswith("/")
                                    else posixpath.normpath(posixpath.join(posixpath.dirname(self.workbook), target)))
        return [(s.get("name"), by_id[s.get(f"{{{NS_R}}}id")]) for s in book.iterfind("m:sheets/m:sheet", M)]


@pytest.fixture(scope="module")
def ours() -> Package:
    return Package(build_template("en"), "xlfin template")


@pytest.fixture(scope="module", params=[p.name for p in EXCEL_MACRO_BOOKS])
def excel(request) -> Package:
    return Package((SHARED / request.param).read_bytes(), request.param)


def _local(tag: str) -> str:
    return tag.split("}", 1)[-1]


# ------------------------------------------------------------------ VBA project (olefile + oletools)

class VBAInfo:
    """vbaProject.bin parsed with olefile and oletools' MS-OVBA decompressor."""

    def __init__(self, package: Package) -> None:
        vba_part = package.target(package.workbook, REL_VBA)
        self.ole = olefile.OleFileIO(io.BytesIO(package.zip.read(vba_part)))
        self.streams = {"/".join(entry) for entry in self.ole.listdir()}
        self.dir = olevba.decompress_stream(bytearray(self.ole.openstream("VBA/dir").read()))
        self.records = self._records(self.dir)
        self.project = self.ole.openstream("PROJECT").read().decode("cp1252")

    @staticmethod
    def _records(data: bytes) -> list[tuple[int, bytes]]:
        out, pos = [], 0
        while pos < len(data):
            record_id, size = struct.unpack_from("<HI", data, pos)
            if record_id == 0x0009:  # PROJECTVERSION: Reserved (=4) is not its size; 6 bytes follow
                size = 6
            out.append((record_id, bytes(data[pos + 6: pos + 6 + size])))
            pos += 6 + size
            if record_id == 0x0010:
                break
        return out

    def project_information(self) -> list[tuple[int, bytes]]:
        out = []
        for record in self.records:
            if record[0] in PROJECT_INFORMATION_END:
                break
            out.append(record)
        return out

    def modules(self) -> list[list[int]]:
        """The record ids of each module's MODULE record (MODULENAME .. terminator)."""
        out, current = [], None
        for record_id, _ in self.records:
            if record_id == 0x0019:
                current = [record_id]
            elif current is not None:
                current.append(record_id)
                if record_id == 0x002B:
                    out.append(current)
                    current = None
        return out

    def module_streams(self) -> list[str]:
        return [payload.decode("cp1252") for record_id, payload in self.records if record_id == 0x001A]

    def references(self) -> list[list[int]]:
        """Record ids of each reference (REFERENCENAME, its Unicode copy, then the reference record)."""
        out, current = [], None
        for record_id, _ in self.records:
            if record_id == 0x0016:
                current = [record_id]
                out.append(current)
            elif record_id == 0x000F:
                break
            elif current is not None:
                current.append(record_id)
        return out


@pytest.fixture(scope="module")
def our_vba(ours: Package) -> VBAInfo:
    return VBAInfo(ours)


def test_vba_storage_has_the_streams_excel_writes(excel: Package, our_vba: VBAInfo) -> None:
    theirs = VBAInfo(excel)
    required = {"PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir"}
    assert required <= theirs.streams
    assert required <= our_vba.streams
    for info in (theirs, our_vba):  # every module named in dir has its stream
        assert {f"VBA/{name}" for name in info.module_streams()} <= info.streams


def test_vba_project_stream_header_reserved_word(excel: Package, our_vba: VBAInfo) -> None:
    theirs = VBAInfo(excel).ole.openstream("VBA/_VBA_PROJECT").read()
    mine = our_vba.ole.openstream("VBA/_VBA_PROJECT").read()
    assert theirs[:2] == mine[:2] == b"\xcc\x61"
    # Version 0xFFFF: source only, Excel compiles on open (MS-OVBA 2.3.4.1); Excel's own carries its build.
    assert mine[2:4] == b"\xff\xff" and len(mine) == 7


def test_dir_project_information_records_in_excels_order_with_excels_values(excel: Package,
                                                                             our_vba: VBAInfo) -> None:
    theirs = VBAInfo(excel).project_information()
    mine = our_vba.project_information()
    assert [r for r, _ in theirs] == [r for r, _ in mine]
    assert 0x004A in [r for r, _ in theirs]  # PROJECTCOMPATVERSION, the record the study found missing
    fixed = {0x0001, 0x004A, 0x0002, 0x0014, 0x0003, 0x0007, 0x0008}  # syskind, compat, lcids, codepage, help, flags
    assert {r: v for r, v in theirs if r in fixed} == {r: v for r, v in mine if r in fixed}


def test_dir_reference_records_have_excels_shape(excel: Package, our_vba: VBAInfo) -> None:
    theirs = {tuple(ids) for ids in VBAInfo(excel).references()}
    mine = {tuple(ids) for ids in our_vba.references()}
    assert theirs and mine <= theirs, (mine, theirs)


def test_dir_module_records_have_excels_shape(excel: Package, our_vba: VBAInfo) -> None:
    kinds = {0x0021: "procedural", 0x0022: "document/class"}
    theirs = {tuple(ids) for ids in VBAInfo(excel).modules()}
    assert {kinds[i] for ids in theirs for i in ids if i in kinds} == set(kinds.values())
    assert {tuple(ids) for ids in our_vba.modules()} <= theirs


def _project_keys(text: str) -> list[str]:
    """PROJECT stream lines reduced to their keys, module lines collapsed, in order."""
    keys: list[str] = []
    for line in text.split("\r\n"):
        key = line.split("=", 1)[0] if "=" in line and not line.startswith("&H") else line
        if key in ("Document", "Module", "Class", "BaseClass") and keys and keys[-1] == "<modules>":
            continue
        keys.append("<modules>" if key in ("Document", "Module", "Class", "BaseClass") else key)
    section = keys.index("[Workspace]")
    return keys[: section + 1]


def test_project_stream_has_excels_keys_in_excels_order(excel: Package, our_vba: VBAInfo) -> None:
    theirs = [k for k in _project_keys(VBAInfo(excel).project) if k != "HelpFile"]  # HelpFile: optional
    assert _project_keys(our_vba.project) == theirs
    host = re.search(r"\[Host Extender Info\]\r\n(.*?)\r\n", VBAInfo(excel).project).group(1)
    assert f"[Host Extender Info]\r\n{host}\r\n" in our_vba.project


def _attributes(code: str) -> list[tuple[str, str]]:
    return re.findall(r"^Attribute (VB_\w+) = (.*?)\r?$", code, flags=re.MULTILINE)


def _modules_by_kind(package: Package) -> dict[str, list[tuple[str, list[tuple[str, str]]]]]:
    parser = olevba.VBA_Parser("book.xlsm", data=package.zip.fp.getvalue())
    out: dict[str, list] = {"workbook": [], "sheet": [], "standard": []}
    for _, _, name, code in parser.extract_macros():
        attrs = _attributes(code)
        base = dict(attrs).get("VB_Base", "")
        kind = ("workbook" if "00020819" in base else "sheet" if "00020820" in base
                else "standard" if not base else "class")
        if kind in out:
            out[kind].append((name.rsplit(".", 1)[0], attrs))  # olevba names the export: Module1.bas, Sheet1.cls
    parser.close()
    return out


def test_module_headers_carry_excels_attributes_in_excels_order(excel: Package, ours: Package) -> None:
    theirs, mine = _modules_by_kind(excel), _modules_by_kind(ours)
    for kind in ("workbook", "sheet"):
        assert theirs[kind] and mine[kind], kind
        excel_header = [(k, v) for k, v in theirs[kind][0][1] if k != "VB_Name"]
        for name, attrs in mine[kind]:
            assert [(k, v) for k, v in attrs if k != "VB_Name"] == excel_header, (kind, name)
            assert attrs[0] == ("VB_Name", f'"{name}"')
    for name, attrs in mine["standard"]:
        assert attrs[0] == ("VB_Name", f'"{name}"')


# ------------------------------------------------------------------ package: content types and relationships

PART_KINDS = {  # relationship type -> what it points at; compared where both packages have it
    REL_OFFICE_DOCUMENT: "workbook",
    NS_R + "/worksheet": "worksheet",
    NS_R + "/styles": "styles",
    NS_R + "/theme": "theme",
    NS_R + "/sharedStrings": "sharedStrings",
    REL_VBA: "vbaProject",
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties": "core",
    NS_R + "/extended-properties": "app",
}


def _parts_by_kind(package: Package) -> dict[str, set[tuple[str, str | None]]]:
    """kind -> {(relationship type, content type of the target)} over the package and the workbook's rels."""
    out: dict[str, set] = {}
    for source in ("", package.workbook):
        for rel_type, target, _ in package.rels(source):
            if rel_type in PART_KINDS:
                assert target in package.names, f"{package.label}: {rel_type} -> missing part {target}"
                out.setdefault(PART_KINDS[rel_type], set()).add((rel_type, package.content_type(target)))
    return out


def test_every_part_has_excels_relationship_type_and_content_type(excel: Package, ours: Package) -> None:
    theirs, mine = _parts_by_kind(excel), _parts_by_kind(ours)
    assert {"workbook", "worksheet", "styles", "theme", "vbaProject", "core", "app"} <= set(theirs)
    for kind, pairs in mine.items():
        if kind in theirs:
            assert pairs == theirs[kind], kind


def test_content_type_defaults_match_excels(excel: Package, ours: Package) -> None:
    def defaults(package: Package) -> dict[str, str]:
        types = package.xml("[Content_Types].xml")
        return {d.get("Extension").lower(): d.get("ContentType") for d in types.iter(f"{{{NS_CT}}}Default")}

    theirs, mine = defaults(excel), defaults(ours)
    for ext in ("rels", "xml"):
        assert mine[ext] == theirs[ext]


def test_every_relationship_target_exists(ours: Package) -> None:
    sources = [""] + [n for n in ours.names if not n.endswith(".rels")]
    for source in sources:
        for rel_type, target, mode in ours.rels(source):
            assert mode == "External" or target in ours.names, (source, rel_type, target)


# ------------------------------------------------------------------ workbook.xml

WORKBOOK_ORDER = ["fileVersion", "fileSharing", "workbookPr", "AlternateContent", "revisionPtr", "absPath",
                  "workbookProtection", "bookViews", "sheets", "functionGroups", "externalReferences",
                  "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                  "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst"]


def _children(root) -> list[str]:
    return [_local(child.tag) for child in root if isinstance(child.tag, str)]


def _in_order(names: list[str], order: list[str]) -> bool:
    positions = [order.index(n) for n in names]
    return positions == sorted(positions)


@pytest.mark.parametrize("fixture", [*EXCEL_MACRO_BOOKS, *(p for p in (EXCEL_NAMES, EXCEL_TABLES) if p.exists())], ids=lambda p: p.name)
def test_workbook_children_in_excels_order(fixture: Path, ours: Package) -> None:
    theirs = Package(fixture.read_bytes(), fixture.name)
    assert _in_order(_children(theirs.xml(theirs.workbook)), WORKBOOK_ORDER)  # the list is Excel's own order
    assert _in_order(_children(ours.xml(ours.workbook)), WORKBOOK_ORDER)


def test_code_names_tie_workbook_and_sheets_to_document_modules(excel: Package, ours: Package) -> None:
    for package in (excel, ours):
        book = package.xml(package.workbook)
        code = book.find("m:workbookPr", M).get("codeName")
        modules = _modules_by_kind(package)
        assert code == modules["workbook"][0][0], package.label
        sheet_modules = {name for name, _ in modules["sheet"]}
        for _, part in package.sheets():
            pr = package.xml(part).find("m:sheetPr", M)
            assert pr is not None and pr.get("codeName") in sheet_modules, (package.label, part)


def test_sheet_entries_have_excels_attributes(excel: Package, ours: Package) -> None:
    def attributes(package: Package) -> set[str]:
        return {key for s in package.xml(package.workbook).iterfind("m:sheets/m:sheet", M) for key in s.attrib}

    optional = {"state"}  # ECMA-376 CT_Sheet; Excel omits it for visible sheets
    assert attributes(ours) - optional == attributes(excel)


# ------------------------------------------------------------------ customUI part and its relationship

def test_customui_is_wired_as_excel_wires_a_2010_ribbon(ours: Package) -> None:
    # Neither Excel fixture carries a ribbon, so the fields are compared with Microsoft's schema and the
    # relationship type Office uses for customUI14 parts ([MS-CUSTOMUI2] 2.1; the 2006 type is for customUI).
    schema_ns = etree.parse(str(SHARED / "customui14.xsd")).getroot().get("targetNamespace")
    targets = [t for kind, t, _ in ours.rels("") if kind == REL_UI14]
    assert targets == ["customUI/customUI14.xml"]
    assert etree.QName(ours.xml(targets[0])).namespace == schema_ns
    assert ours.content_type(targets[0]) == "application/xml"
    assert "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility" not in {
        kind for kind, _, _ in ours.rels("")}


# ------------------------------------------------------------------ tables

TABLE_ORDER = ["autoFilter", "sortState", "tableColumns", "tableStyleInfo", "extLst"]


def _tables(package: Package) -> list[tuple[str, object]]:
    out = []
    for _, part in package.sheets():
        for rel_type, target, _ in package.rels(part):
            if rel_type == NS_R + "/table":
                out.append((package.content_type(target), package.xml(target)))
    return out


def test_tables_have_excels_shape() -> None:
    theirs = _tables(Package(_excel_saved(EXCEL_TABLES).read_bytes(), EXCEL_TABLES.name))
    mine = _tables(Package(build_template("en"), "xlfin"))
    assert theirs and mine
    excel_types = {ct for ct, _ in theirs}
    excel_root_attrs = set().union(*(t.attrib.keys() for _, t in theirs))
    excel_style_attrs = set().union(*(t.find("m:tableStyleInfo", M).attrib.keys() for _, t in theirs))
    for _, table in theirs + mine:
        assert _in_order(_children(table), TABLE_ORDER)
        columns = table.find("m:tableColumns", M)
        assert int(columns.get("count")) == len(columns)
        assert len({c.get("id") for c in columns}) == len(columns)  # unique column ids
        assert table.find("m:autoFilter", M).get("ref") == table.get("ref")
    for content_type, table in mine:
        assert content_type in excel_types
        assert set(table.attrib) <= excel_root_attrs | {"headerRowCount"}, set(table.attrib) - excel_root_attrs
        assert set(table.find("m:tableStyleInfo", M).attrib) <= excel_style_attrs


def test_table_parts_sit_where_excel_puts_them() -> None:
    for data in (_excel_saved(EXCEL_TABLES).read_bytes(), build_template("en")):
        package = Package(data, "book")
        for _, part in package.sheets():
            children = _children(package.xml(part))
            if "tableParts" in children:
                assert children[-1] in ("tableParts", "extLst")
                assert _in_order(children, WORKSHEET_ORDER), (part, children)


# ------------------------------------------------------------------ worksheets, defined names, validations, styles

WORKSHEET_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                   "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
                   "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
                   "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
                   "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
                   "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                   "tableParts", "extLst"]


@pytest.mark.parametrize("fixture", [*EXCEL_MACRO_BOOKS, *(p for p in (EXCEL_NAMES, EXCEL_TABLES) if p.exists())], ids=lambda p: p.name)
def test_worksheet_children_in_excels_order(fixture: Path, ours: Package) -> None:
    for package in (Package(fixture.read_bytes(), fixture.name), ours):
        for _, part in package.sheets():
            # mc:AlternateContent wraps an element of the list (Excel's controls) wherever that one belongs
            children = [c for c in _children(package.xml(part)) if c != "AlternateContent"]
            assert _in_order(children, WORKSHEET_ORDER), (package.label, part)


_NAME_REF = re.compile(r"^(?:'(?:[^']|'')+'|[^\s!'()]+)!\$[A-Z]{1,3}\$\d+(?::\$[A-Z]{1,3}\$\d+)?$")


def test_defined_names_have_excels_form() -> None:
    theirs = Package(_excel_saved(EXCEL_NAMES).read_bytes(), EXCEL_NAMES.name)
    mine = Package(build_template("en"), "xlfin")
    excel_names = theirs.xml(theirs.workbook).findall("m:definedNames/m:definedName", M)
    assert any(_NAME_REF.match(n.text) for n in excel_names)  # Excel's form of a plain cell/range name
    excel_attrs = set().union(*(n.attrib.keys() for n in excel_names)) | {"localSheetId", "hidden", "comment"}
    ours = mine.xml(mine.workbook).findall("m:definedNames/m:definedName", M)
    assert ours
    sheet_names = {name for name, _ in mine.sheets()}
    for name in ours:
        assert set(name.attrib) <= excel_attrs
        assert _NAME_REF.match(name.text), name.text
        sheet = name.text.rsplit("!", 1)[0].strip("'").replace("''", "'")
        assert sheet in sheet_names


DATA_VALIDATION_ATTRIBUTES = {"type", "errorStyle", "imeMode", "operator", "allowBlank", "showDropDown",
                              "showInputMessage", "showErrorMessage", "errorTitle", "error", "promptTitle", "prompt",
                              "sqref"}  # ECMA-376 Part 1, 18.3.1.32 CT_DataValidation


def test_data_validations_are_well_formed(ours: Package) -> None:
    # No Excel-saved fixture here carries data validations: the fields follow ECMA-376's CT_DataValidation, and
    # the element sits where Excel puts it (test_worksheet_children_in_excels_order).
    found = 0
    for _, part in ours.sheets():
        block = ours.xml(part).find("m:dataValidations", M)
        if block is None:
            continue
        assert int(block.get("count")) == len(block)
        for dv in block:
            found += 1
            assert set(dv.attrib) <= DATA_VALIDATION_ATTRIBUTES, set(dv.attrib) - DATA_VALIDATION_ATTRIBUTES
            assert [_local(c.tag) for c in dv] in (["formula1"], ["formula1", "formula2"])
            if dv.get("type") == "list":
                formula = dv.find("m:formula1", M).text
                assert len(formula) <= 257 if formula.startswith('"') else True  # Excel's limit for a typed list
    assert found > 10


STYLES_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                "tableStyles", "colors", "extLst"]


def test_styles_have_excels_shape(excel: Package, ours: Package) -> None:
    for package in (excel, ours):
        styles = package.xml(package.target(package.workbook, NS_R + "/styles"))
        assert _in_order(_children(styles), STYLES_ORDER), package.label
        for child in styles:
            if child.get("count") is not None:
                assert int(child.get("count")) == len(child), (package.label, _local(child.tag))
        # the two fills Excel reserves; an absent patternType is "none" (ECMA-376 18.8.32; openpyxl omits it)
        fills = [f.find("m:patternFill", M).get("patternType", "none") for f in styles.find("m:fills", M)]
        assert fills[:2] == ["none", "gray125"], package.label
        assert styles.find("m:cellXfs", M)[0].get("xfId") in (None, "0")
