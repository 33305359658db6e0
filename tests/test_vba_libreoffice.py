"""LibreOffice, an independent VBA importer, reads every generated module into its Basic library."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import ElementTree as SafeET

from xlfin.vba.check import read_vba_project
from xlfin.vba.xlsm import make_macro_workbook

SCRIPT_NS = "http://openoffice.org/2000/script"
KIND_BY_LO_TYPE = {"normal": "standard", "class": "class", "document": "document"}

pytestmark = pytest.mark.libreoffice


def _xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.code_name = "ThisWorkbook"
    workbook.active.title = "Customers"
    workbook.active.sheet_properties.codeName = "Sheet1"
    workbook.create_sheet("xlwings.conf").sheet_properties.codeName = "Sheet2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_every_module_reaches_the_basic_library(tmp_path: Path, make_libreoffice) -> None:
    xlsm = make_macro_workbook(_xlsx(), lang="en")
    source = tmp_path / "book.xlsm"
    source.write_bytes(xlsm)
    make_libreoffice(timeout=120).convert([source], "ods", tmp_path)
    with zipfile.ZipFile(io.BytesIO(xlsm)) as archive:
        expected = read_vba_project(archive.read("xl/vbaProject.bin"))
    library = f"Basic/{expected.project_name}/"
    with zipfile.ZipFile(tmp_path / "book.ods") as ods:
        found = {}
        for name in ods.namelist():
            if name.startswith(library) and name.endswith(".xml") and not name.endswith("script-lb.xml"):
                module = SafeET.fromstring(ods.read(name))
                found[module.get(f"{{{SCRIPT_NS}}}name")] = (
                    module.get(f"{{{SCRIPT_NS}}}moduleType"),
                    module.text or "",
                )
    assert set(found) == {m.name for m in expected.modules}
    for module in expected.modules:
        lo_type, text = found[module.name]
        assert KIND_BY_LO_TYPE[lo_type] == module.kind, module.name
        body = [line for line in module.source.split("\r\n") if line and not line.startswith("Attribute ")]
        lo_lines = set(text.splitlines())
        assert all(line in lo_lines for line in body[:40]), module.name
