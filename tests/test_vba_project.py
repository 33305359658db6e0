"""vbaProject.bin built from source: read back by oletools/olefile byte for byte, deterministic."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings
from oletools.olevba import VBA_Parser, decompress_stream

from xlfin.excel.ribbon import ribbon_module_source
from xlfin.vba.check import read_vba_project
from xlfin.vba.project import (
    CLASS_BASE,
    VBA_PROJECT_STREAM,
    VBAModule,
    VBAProjectError,
    build_vba_project,
    decrypt_project_data,
    document_module,
    encrypt_project_data,
    normalized_source,
    project_id,
    xlwings_standalone_modules,
)

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent


def _modules() -> list[VBAModule]:
    return [
        document_module("ThisWorkbook"),
        document_module("Sheet1", "Private Sub Worksheet_Activate()\nEnd Sub\n"),
        document_module("Sheet2"),
        *xlwings_standalone_modules(),
        VBAModule("xlfinRibbon", ribbon_module_source("en"), "standard"),
        VBAModule(
            "Helpers", "Public Function Twice(x)\n    Twice = 2 * x ' caf\u00e9\nEnd Function", "standard"
        ),
    ]


@pytest.fixture(scope="module")
def built() -> bytes:
    return build_vba_project(_modules())


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_olevba_reads_every_module_back_identical(built: bytes) -> None:
    parser = VBA_Parser("vbaProject.bin", data=built)
    extracted = {stream.split("/")[-1]: code for _f, stream, _name, code in parser.extract_all_macros()}
    parser.close()
    modules = _modules()
    assert set(extracted) == {m.name for m in modules}
    for module in modules:
        code = extracted[module.name]
        code = code.decode("cp1252") if isinstance(code, bytes) else code
        assert _crlf(code).rstrip("\n") == _crlf(normalized_source(module)).rstrip("\n"), module.name


def test_module_streams_decompress_to_the_exact_source_bytes(built: bytes) -> None:
    ole = olefile.OleFileIO(built)
    for module in _modules():
        stream = ole.openstream(f"VBA/{module.name}").read()
        assert bytes(decompress_stream(bytearray(stream))) == normalized_source(module).encode("cp1252")


def test_olefile_lists_the_source_only_layout(built: bytes) -> None:
    ole = olefile.OleFileIO(built)
    listed = {"/".join(p) for p in ole.listdir()}
    names = {m.name for m in _modules()}
    assert listed == {"PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir"} | {f"VBA/{n}" for n in names}
    assert ole.openstream("VBA/_VBA_PROJECT").read() == VBA_PROJECT_STREAM


def test_olevba_works_on_a_macro_enabled_zip_too(built: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/vbaProject.bin", built)
    parser = VBA_Parser("book.xlsm", data=buffer.getvalue())
    assert parser.detect_vba_macros()
    assert {s.split("/")[-1] for _f, s, _n, _c in parser.extract_all_macros()} == {m.name for m in _modules()}
    parser.close()


def test_two_builds_are_byte_identical() -> None:
    assert build_vba_project(_modules()) == build_vba_project(_modules())


def test_project_stream_lists_modules_by_kind(built: bytes) -> None:
    text = olefile.OleFileIO(built).openstream("PROJECT").read().decode("cp1252")
    lines = text.split("\r\n")
    assert lines[0] == f'ID="{project_id("xlfin")}"'
    assert lines[1:8] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Document=Sheet2/&H00000000",
        "Module=xlwings",
        "Class=Dictionary",
        "Module=xlfinRibbon",
        "Module=Helpers",
    ]
    assert 'Name="xlfin"' in lines
    assert "[Host Extender Info]" in lines and "[Workspace]" in lines
    assert text.endswith("\r\n")


def test_dir_stream_parses_back(built: bytes) -> None:
    info = read_vba_project(built)
    assert info.project_name == "xlfin" and info.codepage == 1252
    assert info.references == ["stdole", "Office"]
    assert [(m.name, m.kind, m.offset) for m in info.modules] == [
        ("ThisWorkbook", "document", 0),
        ("Sheet1", "document", 0),
        ("Sheet2", "document", 0),
        ("xlwings", "standard", 0),
        ("Dictionary", "class", 0),
        ("xlfinRibbon", "standard", 0),
        ("Helpers", "standard", 0),
    ]
    assert info.projectwm_names == [m.name for m in info.modules]


def test_document_modules_carry_the_attributes_excel_writes() -> None:
    workbook = normalized_source(document_module("ThisWorkbook"))
    assert workbook == (
        'Attribute VB_Name = "ThisWorkbook"\r\n'
        'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"\r\n'
        "Attribute VB_GlobalNameSpace = False\r\n"
        "Attribute VB_Creatable = False\r\n"
        "Attribute VB_PredeclaredId = True\r\n"
        "Attribute VB_Exposed = True\r\n"
        "Attribute VB_TemplateDerived = False\r\n"
        "Attribute VB_Customizable = True\r\n"
    )
    sheet = normalized_source(VBAModule("Sheet7", "Sub X()\nEnd Sub", "document"))
    assert sheet.startswith('Attribute VB_Name = "Sheet7"\r\nAttribute VB_Base = "0{00020820-')
    assert sheet.endswith("Attribute VB_Customizable = True\r\nSub X()\r\nEnd Sub\r\n")


def test_class_export_header_matches_xlwings_standalone_workbook() -> None:
    """Our Dictionary header equals the one in quickstart_standalone.xlsm, which xlwings ships. Nothing shows that
    Excel saved that file, so this is a consistency check with a third party, not a golden test: those compare with
    files Excel saved (tests/excel_golden, shared/fixtures/excel)."""
    dictionary = next(m for m in xlwings_standalone_modules() if m.name == "Dictionary")
    ours = normalized_source(dictionary).split("\r\n")
    assert not ours[0].startswith("VERSION")
    assert ours[1] == f'Attribute VB_Base = "{CLASS_BASE}"'
    quickstart = XLWINGS_DIR / "quickstart_standalone.xlsm"
    if not quickstart.is_file():
        pytest.skip("installed xlwings has no quickstart_standalone.xlsm")
    with zipfile.ZipFile(quickstart) as archive:
        info = read_vba_project(archive.read("xl/vbaProject.bin"))
    theirs = next(m for m in info.modules if m.name == "Dictionary").source.split("\r\n")
    header_length = next(i for i, line in enumerate(theirs) if not line.startswith("Attribute "))
    assert ours[:header_length] == theirs[:header_length]


def test_standard_module_gets_its_name_attribute() -> None:
    text = normalized_source(VBAModule("Tools", "Sub A()\rEnd Sub\n", "standard"))
    assert text == 'Attribute VB_Name = "Tools"\r\nSub A()\r\nEnd Sub\r\n'


def test_xlwings_modules_come_from_the_installed_package() -> None:
    modules = {m.name: m for m in xlwings_standalone_modules()}
    assert modules["xlwings"].kind == "standard" and modules["Dictionary"].kind == "class"
    assert modules["xlwings"].source == (XLWINGS_DIR / "xlwings.bas").read_text(encoding="cp1252")
    assert f"'Version: {xlwings.__version__}" in modules["xlwings"].source


@pytest.mark.parametrize("book", ["excel_saved_quickstart.xlsm", "excel_saved_udf_tests.xlsm"])
def test_encryption_decodes_excel_values_and_round_trips(book: str) -> None:
    # ID and CMG/DPB/GC read from the PROJECT stream of a workbook Microsoft Excel saved
    # (shared/fixtures/excel, see its README); an unprotected, visible project: 4 zero bytes, 0x00, 0xFF.
    path = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "excel" / book
    with zipfile.ZipFile(path) as archive:
        ole = olefile.OleFileIO(io.BytesIO(archive.read("xl/vbaProject.bin")))
        text = ole.openstream("PROJECT").read().decode("cp1252")
    excel_id = re.search(r'^ID="([^"]+)"', text, re.MULTILINE).group(1)
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, re.MULTILINE))
    key = sum(excel_id.encode()) & 0xFF
    assert decrypt_project_data(values["CMG"]) == (2, key, bytes(4))
    assert decrypt_project_data(values["DPB"]) == (2, key, b"\x00")
    assert decrypt_project_data(values["GC"]) == (2, key, b"\xff")
    for seed in (0x00, 0x06, 0x8D, 0xFF):
        token = encrypt_project_data(excel_id, b"\x01\x02\x03", seed)
        assert decrypt_project_data(token) == (2, key, b"\x01\x02\x03")


def test_codepage_is_used_for_source_and_unencodable_text_is_named() -> None:
    module = VBAModule("Greek", 'Sub A()\n    MsgBox "\u03b1"\nEnd Sub\n', "standard")
    with pytest.raises(VBAProjectError, match=r"line 3: '\\u03b1'|line 3: 'α'"):
        build_vba_project([module])
    info = read_vba_project(build_vba_project([module], codepage=1253))
    assert info.codepage == 1253
    assert "\u03b1" in info.modules[0].source


@pytest.mark.parametrize(
    "modules, message",
    [
        ([], "at least one module"),
        ([VBAModule("A", "", "standard"), VBAModule("a", "", "standard")], "clash"),
        ([VBAModule("dir", "", "standard")], "clash with streams"),
        ([VBAModule("A", 'Attribute VB_Name = "B"\r\n', "standard")], "VB_Name"),
        ([VBAModule("A", "x" * 1024, "standard")], "1023"),
        ([VBAModule("A", "VERSION 1.0 CLASS\nBEGIN\n", "class")], "no END"),
    ],
)
def test_invalid_projects_are_refused(modules: list[VBAModule], message: str) -> None:
    with pytest.raises(VBAProjectError, match=message):
        build_vba_project(modules)


@pytest.mark.parametrize("name", ["", "1abc", "has space", "x" * 32, "Über"])
def test_module_names_must_be_vba_identifiers(name: str) -> None:
    with pytest.raises(VBAProjectError, match="not a VBA identifier"):
        VBAModule(name, "", "standard")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(VBAProjectError, match="kind"):
        VBAModule("A", "", "form")  # type: ignore[arg-type]
