"""Structural checks: clean builds pass; each kind of damage is reported by name."""

from __future__ import annotations

import io
import re
import struct
import zipfile

import openpyxl
import pytest

from xlfin.excel.ribbon import customui_xml, ribbon_module_source
from xlfin.vba.cfb import CompoundFile, write_cfb
from xlfin.vba.check import callback_problems, check_vba_project, check_xlsm, read_vba_project
from xlfin.vba.ovba import compress, decompress
from xlfin.vba.project import VBAModule, VBAProjectError, build_vba_project, document_module
from xlfin.vba.xlsm import inject_vba_and_ribbon, make_macro_workbook

CODE_NAMES = ["ThisWorkbook", "Sheet1", "Sheet2"]


def _ribbon_project(ribbon_source: str | None = None) -> bytes:
    return build_vba_project(
        [
            *(document_module(name) for name in CODE_NAMES),
            VBAModule("xlfinRibbon", ribbon_source or ribbon_module_source("en"), "standard"),
            # stands in for xlwings' RunPython so the project is self-contained
            VBAModule(
                "Runner", "Public Function RunPython(PythonCommand As String)\r\nEnd Function\r\n", "standard"
            ),
        ]
    )


def _tree(cfb: CompoundFile, entry=None) -> dict:
    entry = entry or cfb.entries[0]
    out: dict = {}
    for child in cfb.children(entry):
        path = child.name if entry.sid == 0 else f"VBA/{child.name}"
        out[child.name] = _tree(cfb, child) if child.is_storage else cfb.read_stream(path)
    return out


def _rewrite(data: bytes, change) -> bytes:
    """Apply change(tree) to a project's streams and write it again."""
    tree = _tree(CompoundFile(data))
    change(tree)
    return write_cfb(tree)


def _xlsx(code_names: list[str | None]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.code_name = code_names[0]
    workbook.active.title = "Customers"
    for index, code_name in enumerate(code_names[1:]):
        sheet = workbook.active if index == 0 else workbook.create_sheet(f"S{index}")
        sheet.sheet_properties.codeName = code_name
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_clean_project_has_no_problems() -> None:
    assert check_vba_project(_ribbon_project(), code_names=CODE_NAMES, customui=customui_xml("en")) == []
    assert check_vba_project(_ribbon_project(), code_names=CODE_NAMES, customui=customui_xml("zh-CN")) == []


def test_mistyped_callback_is_reported() -> None:
    bad = customui_xml("en").replace('onAction="xlfin_aging"', 'onAction="xlfin_agign"')
    problems = check_vba_project(_ribbon_project(), code_names=CODE_NAMES, customui=bad)
    assert any("no Sub 'xlfin_agign'" in p for p in problems)
    assert any("xlfin_aging takes IRibbonControl but no ribbon control calls it" in p for p in problems)


def test_callback_with_wrong_signature_or_private_is_reported() -> None:
    source = ribbon_module_source("en")
    source = source.replace(
        "Public Sub xlfin_about(control As IRibbonControl)",
        "Private Sub xlfin_about(control As IRibbonControl)",
    )
    source = source.replace("xlfin_settings(control As IRibbonControl)", "xlfin_settings()")
    problems = check_vba_project(_ribbon_project(source), customui=customui_xml("en"))
    assert any("xlfinRibbon.xlfin_about is Private" in p for p in problems)
    assert any("xlfin_settings must take (control As IRibbonControl" in p for p in problems)


def test_callback_checks_handle_qualified_names_ambiguity_and_bad_xml() -> None:
    sources = {
        "A": "Public Sub Go(control As IRibbonControl)\r\nEnd Sub\r\n",
        "B": "Sub Go(c As Office.IRibbonControl)\r\nEnd Sub\r\nSub Load(r As IRibbonUI)\r\nEnd Sub\r\n",
    }
    xml = (
        '<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui" onLoad="B.Load">'
        '<ribbon><tabs><tab id="t"><group id="g">'
        '<button id="b1" onAction="A.Go"/><button id="b2" onAction="B.Go"/><button id="b3" onAction="Go"/>'
        '<button id="b4" onAction="C.Go"/>'
        "</group></tab></tabs></ribbon></customUI>"
    )
    problems = callback_problems(xml, sources)
    assert len(problems) == 2, problems
    assert "defined in several modules" in problems[0] and "no module 'C'" in problems[1]
    assert callback_problems("<customUI", sources)[0].startswith("customUI XML does not parse")
    assert "not customUI" in callback_problems("<ribbon/>", sources)[0]


def test_missing_code_name_is_reported() -> None:
    problems = check_vba_project(_ribbon_project(), code_names=["ThisWorkbook", "Sheet1", "Sheet2", "Sheet3"])
    assert problems == ["code name 'Sheet3' has no Document module in the VBA project"]
    problems = check_vba_project(_ribbon_project(), code_names=["", "Sheet1", "Sheet2"])
    assert any("code name #0 is empty" in p for p in problems)
    assert any("Document module 'ThisWorkbook' matches no workbook/sheet code name" in p for p in problems)


def test_corrupt_module_offset_is_reported() -> None:
    def bump_offset(tree: dict) -> None:
        plain = decompress(tree["VBA"]["dir"])
        record = struct.pack("<HII", 0x0031, 4, 0)
        assert record in plain
        tree["VBA"]["dir"] = compress(plain.replace(record, struct.pack("<HII", 0x0031, 4, 16), 1))

    problems = check_vba_project(_rewrite(_ribbon_project(), bump_offset))
    assert any(
        "module 'ThisWorkbook': MODULEOFFSET 16, but a source-only module must start at 0" in p
        for p in problems
    )


def test_offset_beyond_the_stream_and_missing_stream_are_reported() -> None:
    def damage(tree: dict) -> None:
        plain = decompress(tree["VBA"]["dir"]).replace(
            struct.pack("<HII", 0x0031, 4, 0), struct.pack("<HII", 0x0031, 4, 99_999), 1
        )
        tree["VBA"]["dir"] = compress(plain)
        del tree["VBA"]["Runner"]

    problems = check_vba_project(_rewrite(_ribbon_project(), damage))
    assert any("beyond its" in p for p in problems)
    assert any("stream VBA/Runner is missing" in p for p in problems)


def test_compiled_state_and_ghost_modules_are_reported() -> None:
    def damage(tree: dict) -> None:
        tree["VBA"]["_VBA_PROJECT"] = bytes.fromhex("CC61B500000300") + bytes(20)
        tree["VBA"]["__SRP_0"] = b"cache"
        tree["PROJECT"] = tree["PROJECT"].replace(b"Module=Runner\r\n", b"Module=Runner\r\nModule=Ghost\r\n")

    problems = check_vba_project(_rewrite(_ribbon_project(), damage))
    assert any("not the source-only form" in p for p in problems)
    assert any("__SRP_0" in p for p in problems)
    assert any("lacks: ['Ghost']" in p for p in problems)


def test_module_hidden_from_project_stream_is_reported() -> None:
    def hide(tree: dict) -> None:
        tree["PROJECT"] = tree["PROJECT"].replace(b"Module=Runner\r\n", b"")

    problems = check_vba_project(_rewrite(_ribbon_project(), hide))
    assert any("'Runner': not listed in the PROJECT stream" in p for p in problems)


def test_unsorted_directory_tree_is_reported() -> None:
    data = bytearray(_ribbon_project())
    reader = CompoundFile(bytes(data))
    top = reader.entries[reader.find("VBA").child]
    offset = (struct.unpack_from("<I", data, 48)[0] + 1) * 512 + top.sid * 128
    struct.pack_into("<II", data, offset + 68, top.right, top.left)
    assert any("not ordered after" in p for p in check_vba_project(bytes(data)))


def test_garbage_is_one_clear_problem() -> None:
    assert check_vba_project(b"not a cfb")[0].startswith("not a readable VBA project")


def test_read_vba_project_exposes_sources() -> None:
    info = read_vba_project(_ribbon_project())
    assert set(info.sources()) == {*CODE_NAMES, "xlfinRibbon", "Runner"}
    assert info.sources()["xlfinRibbon"] == ribbon_module_source("en")


# ------------------------------------------------------------------------------------------ packages


@pytest.fixture(scope="module")
def xlsm() -> bytes:
    return make_macro_workbook(_xlsx(CODE_NAMES), lang="zh-CN")


def test_made_workbook_passes_every_check(xlsm: bytes) -> None:
    assert check_xlsm(xlsm) == []
    with zipfile.ZipFile(io.BytesIO(xlsm)) as archive:
        assert "客户财务" in archive.read("customUI/customUI14.xml").decode("utf-8")
        info = read_vba_project(archive.read("xl/vbaProject.bin"))
    assert [m.name for m in info.modules] == [*CODE_NAMES, "xlwings", "Dictionary", "xlfinRibbon"]


def test_injection_is_byte_deterministic_for_equal_input() -> None:
    xlsx = _xlsx(CODE_NAMES)
    assert make_macro_workbook(xlsx) == make_macro_workbook(xlsx)


def test_injection_replaces_instead_of_duplicating(xlsm: bytes) -> None:
    again = inject_vba_and_ribbon(xlsm, _ribbon_project(), customui_xml("en"))
    with zipfile.ZipFile(io.BytesIO(again)) as archive:
        names = archive.namelist()
        package_rels = archive.read("_rels/.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    assert len(names) == len(set(names))
    assert package_rels.count("ui/extensibility") == 1
    assert types.count("/xl/vbaProject.bin") == 1


def _edit_member(xlsm: bytes, name: str, edit) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsm)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            target.writestr(item, edit(data) if item == name else data)
    return out.getvalue()


def test_package_with_removed_workbook_code_name_is_reported(xlsm: bytes) -> None:
    damaged = _edit_member(xlsm, "xl/workbook.xml", lambda d: re.sub(rb' codeName="[^"]*"', b"", d))
    problems = check_xlsm(damaged)
    assert any("code name #0 is empty" in p for p in problems)


def test_package_with_mistyped_callback_or_mismatched_namespace_is_reported(xlsm: bytes) -> None:
    typo = _edit_member(
        xlsm, "customUI/customUI14.xml", lambda d: d.replace(b"xlfin_letters", b"xlfin_leters")
    )
    assert any("no Sub 'xlfin_leters'" in p for p in check_xlsm(typo))
    old_ns = _edit_member(
        xlsm, "customUI/customUI14.xml", lambda d: d.replace(b"2009/07/customui", b"2006/01/customui")
    )
    assert any("expects namespace" in p for p in check_xlsm(old_ns))


def test_package_without_macro_content_type_or_rel_is_reported(xlsm: bytes) -> None:
    damaged = _edit_member(xlsm, "[Content_Types].xml", lambda d: d.replace(b"macroEnabled.main", b"main"))
    damaged = _edit_member(
        damaged, "xl/_rels/workbook.xml.rels", lambda d: d.replace(b"vbaProject.bin", b"x.bin")
    )
    problems = check_xlsm(damaged)
    assert any("content type" in p for p in problems)
    assert any("no vbaProject relationship" in p for p in problems)


def test_workbook_without_code_names_cannot_be_made_macro_enabled() -> None:
    with pytest.raises(VBAProjectError, match="code name"):
        make_macro_workbook(_xlsx([None, "Sheet1"]))


def test_check_xlsm_rejects_non_zip() -> None:
    assert check_xlsm(b"nope")[0].startswith("not a zip package")
