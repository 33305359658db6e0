"""Turn a saved .xlsx package (e.g. from openpyxl) into a macro-enabled .xlsm with the xlfin VBA and ribbon.

The package is post-processed as a zip: openpyxl cannot keep a customUI relationship (it rewrites
`_rels/.rels`), so this step must run after the last openpyxl save. Every member gets a fixed
timestamp, so equal inputs give byte-identical outputs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from defusedxml import ElementTree as SafeET

from xlfin.excel.ribbon import RIBBON_MODULE, customui_xml, ribbon_module_source
from xlfin.vba.check import (
    CT_MACRO_WORKBOOK,
    CT_VBA_PROJECT,
    NS_CT,
    NS_REL,
    REL_CUSTOMUI_2006,
    REL_CUSTOMUI_2007,
    REL_VBA_PROJECT,
    workbook_code_names,
)
from xlfin.vba.project import (
    VBAModule,
    VBAProjectError,
    build_vba_project,
    document_module,
    xlwings_standalone_modules,
)

VBA_PART = "xl/vbaProject.bin"
CUSTOMUI_PART = "customUI/customUI14.xml"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_PACKAGE_RELS = "_rels/.rels"
_CONTENT_TYPES = "[Content_Types].xml"


def _xml(root: ET.Element, namespace: str) -> bytes:
    """Serialise a flat package part (Types / Relationships: one level of attribute-only children).

    Written by hand because ElementTree's default_namespace rejects unqualified attributes."""

    def tag(element: ET.Element) -> str:
        if not element.tag.startswith(f"{{{namespace}}}"):
            raise VBAProjectError(f"unexpected element {element.tag!r} in a {namespace} part")
        return element.tag.split("}", 1)[1]

    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f"<{tag(root)} xmlns={quoteattr(namespace)}>",
    ]
    for child in root:
        attributes = "".join(f" {key}={quoteattr(value)}" for key, value in child.attrib.items())
        parts.append(f"<{tag(child)}{attributes}/>")
    parts.append(f"</{tag(root)}>")
    return "".join(parts).encode("utf-8")


def _content_types(raw: bytes) -> bytes:
    root = SafeET.fromstring(raw)
    for override in list(root.iter(f"{{{NS_CT}}}Override")):
        if override.get("PartName") == "/xl/workbook.xml":
            override.set("ContentType", CT_MACRO_WORKBOOK)
        if override.get("PartName") in ("/xl/vbaProject.bin", "/" + CUSTOMUI_PART):
            root.remove(override)
    ET.SubElement(root, f"{{{NS_CT}}}Override", PartName="/xl/vbaProject.bin", ContentType=CT_VBA_PROJECT)
    defaults = {
        el.get("Extension", "").lower(): el.get("ContentType") for el in root.iter(f"{{{NS_CT}}}Default")
    }
    if defaults.get("xml") != "application/xml":
        ET.SubElement(
            root, f"{{{NS_CT}}}Override", PartName="/" + CUSTOMUI_PART, ContentType="application/xml"
        )
    return _xml(root, NS_CT)


def _with_relationship(
    raw: bytes | None, rel_id: str, rel_type: str, target: str, replaces: set[str]
) -> bytes:
    root = SafeET.fromstring(raw) if raw else ET.Element(f"{{{NS_REL}}}Relationships")
    for rel in list(root.iter(f"{{{NS_REL}}}Relationship")):
        if rel.get("Type") in replaces or rel.get("Id") == rel_id:
            root.remove(rel)
    ET.SubElement(root, f"{{{NS_REL}}}Relationship", Id=rel_id, Type=rel_type, Target=target)
    return _xml(root, NS_REL)


def inject_vba_and_ribbon(xlsx: bytes, vba_project: bytes, customui: str | None) -> bytes:
    """A copy of the package with xl/vbaProject.bin, the macro-enabled content type and (when customui
    is given) customUI/customUI14.xml wired in. Existing VBA/ribbon parts are replaced."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    names = source.namelist()
    for required in (_CONTENT_TYPES, "xl/workbook.xml"):
        if required not in names:
            raise VBAProjectError(f"package has no {required}; is it an .xlsx?")
    replaced = {
        _CONTENT_TYPES: _content_types(source.read(_CONTENT_TYPES)),
        _WORKBOOK_RELS: _with_relationship(
            source.read(_WORKBOOK_RELS) if _WORKBOOK_RELS in names else None,
            "rIdXlfinVba",
            REL_VBA_PROJECT,
            "vbaProject.bin",
            {REL_VBA_PROJECT},
        ),
        VBA_PART: vba_project,
    }
    if customui is not None:
        replaced[_PACKAGE_RELS] = _with_relationship(
            source.read(_PACKAGE_RELS) if _PACKAGE_RELS in names else None,
            "rIdXlfinUI",
            REL_CUSTOMUI_2007,
            CUSTOMUI_PART,
            {REL_CUSTOMUI_2007, REL_CUSTOMUI_2006},
        )
        replaced[CUSTOMUI_PART] = customui.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        order = names + [n for n in replaced if n not in names]
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, replaced[name] if name in replaced else source.read(name))
    return out.getvalue()


# Function Wizard help (descriptions, category, argument help) for the formulas; the UDF module defines the Sub.
WORKBOOK_OPEN = (
    "Private Sub Workbook_Open()\n"
    "    On Error Resume Next\n"
    '    Application.Run "xlfin_RegisterFunctions"\n'
    "End Sub\n"
)


def template_modules(
    code_names: Sequence[str], lang: str = "en", extra: Sequence[VBAModule] = ()
) -> list[VBAModule]:
    """The template's modules: one document module per code name (the first is the workbook's),
    xlwings' standalone modules from the installed package, the ribbon module, then extra."""
    missing = [i for i, name in enumerate(code_names) if not name]
    if not code_names or missing:
        raise VBAProjectError(
            "every workbook and sheet needs a code name (set wb.code_name and ws.sheet_properties.codeName); "
            f"missing at positions {missing or [0]}"
        )
    registers = any("Sub xlfin_RegisterFunctions()" in m.source for m in extra)
    documents = [
        document_module(name, WORKBOOK_OPEN if index == 0 and registers else "", workbook=index == 0)
        for index, name in enumerate(code_names)
    ]
    ribbon = VBAModule(RIBBON_MODULE, ribbon_module_source(lang), "standard")
    return [*documents, *xlwings_standalone_modules(), ribbon, *extra]


def make_macro_workbook(
    xlsx: bytes, lang: str = "en", extra_modules: Sequence[VBAModule] = (), project_name: str = "xlfin"
) -> bytes:
    """The .xlsm bytes: the package's own code names become document modules, plus xlwings standalone
    VBA, the xlfin ribbon module and customUI14 in the given language."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        code_names = workbook_code_names(archive)
    modules = template_modules(code_names, lang, extra_modules)
    return inject_vba_and_ribbon(xlsx, build_vba_project(modules, project_name), customui_xml(lang))
