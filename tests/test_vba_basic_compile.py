"""Every VBA module of the template compiles in LibreOffice Basic, in VBA-compatibility mode (issue 15 item 3).

LibreOffice is an independent VBA importer and compiler. `tools/lo_uno.py basic` loads the book in headless
LibreOffice (its import turns on `Option VBASupport 1` in each module), resolves `#If` conditional compilation
as 64-bit Windows Excel does, comments out the lines on the allow-list below, and compiles each module on its
own; a module that does not compile is narrowed down to the lines responsible. Anything not on the list is an
error. The list must stay small and every entry must still be needed (a stale entry fails too).

Needs LibreOffice and its Python bridge (Debian: python3-uno; `.ci/run` installs both). Skipped without them,
unless XLFIN_REQUIRE_LIBREOFFICE=1.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlfin.template import build_template
from xlfin.vba.check import read_vba_project
from xlfin.vba.project import VBAModule
from xlfin.vba.xlsm import make_macro_workbook

pytestmark = pytest.mark.libreoffice

TOOL = Path(__file__).resolve().parents[1] / "tools" / "lo_uno.py"

# module -> exact lines (stripped) that only Excel's VBA compiles, each with the reason.
EXCEL_ONLY_LINES: dict[str, list[str]] = {
    # xlwings' Dictionary class (VBA-Dictionary by Tim Hall) initialises its Enum from VBA's built-in constants;
    # LibreOffice Basic accepts only literal Enum values. Excel compiles it; the values are 0, 1 and 2.
    "Dictionary": [
        "BinaryCompare = VBA.vbBinaryCompare",
        "TextCompare = VBA.vbTextCompare",
        "DatabaseCompare = VBA.vbDatabaseCompare",
    ],
}


def uno_python() -> str:
    """A Python that can `import uno` (LibreOffice's bridge): XLFIN_UNO_PYTHON, else the system python3."""
    required = os.environ.get("XLFIN_REQUIRE_LIBREOFFICE") == "1"
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    candidates = [os.environ.get("XLFIN_UNO_PYTHON"), "/usr/bin/python3", shutil.which("python3")]
    for python in filter(None, candidates):
        probe = subprocess.run([python, "-c", "import uno"], capture_output=True, check=False)
        if soffice and probe.returncode == 0:
            return python
    if required:
        pytest.fail("XLFIN_REQUIRE_LIBREOFFICE=1 but soffice or a Python with LibreOffice's uno module is missing")
    pytest.skip("LibreOffice or its Python bridge (python3-uno) is not installed")


def compile_books(books: list[Path], tmp_path: Path) -> dict[str, dict]:
    allow = tmp_path / "allowed.json"
    allow.write_text(json.dumps(EXCEL_ONLY_LINES), encoding="utf-8")
    done = subprocess.run([uno_python(), str(TOOL), "basic", *map(str, books), f"--allow={allow}"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _broken_book() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.code_name = "ThisWorkbook"
    workbook.active.sheet_properties.codeName = "Sheet1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    broken = VBAModule("Broken", 'Sub Fine()\n    x = 1\nEnd Sub\n\nSub Bad()\n    x = (1 +\nEnd Sub\n', "standard")
    return make_macro_workbook(buffer.getvalue(), extra_modules=[broken])


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("basic")
    books = {"en": tmp / "template_en.xlsm", "broken": tmp / "broken.xlsm"}
    books["en"].write_bytes(build_template("en"))
    books["broken"].write_bytes(_broken_book())
    out = compile_books(list(books.values()), tmp)
    return {key: out[str(path)] for key, path in books.items()}


def test_every_template_module_compiles_in_vba_mode(results: dict[str, dict]) -> None:
    report = results["en"]
    expected = {m.name for m in read_vba_project(zipfile.ZipFile(io.BytesIO(build_template("en")))
                                                 .read("xl/vbaProject.bin")).modules}
    assert set(report["modules"]) == expected
    for name, module in report["modules"].items():
        assert module["vba_support"], f"{name}: LibreOffice did not import it in VBA mode"
        assert module["errors"] == [], f"{name} does not compile in LibreOffice Basic: {module['errors']}"


def test_allow_list_is_small_and_every_entry_is_still_needed(results: dict[str, dict]) -> None:
    modules = results["en"]["modules"]
    assert sum(len(lines) for lines in EXCEL_ONLY_LINES.values()) <= 10
    for name, lines in EXCEL_ONLY_LINES.items():
        assert sorted(modules[name]["allowed"]) == sorted(lines), f"{name}: stale allow-list entry"


def test_a_syntax_error_is_found_and_located(results: dict[str, dict]) -> None:
    broken = results["broken"]["modules"]["Broken"]
    assert [text.strip() for _, text in broken["errors"]] == ["x = (1 +"]
    assert all(m["errors"] == [] for name, m in results["broken"]["modules"].items() if name != "Broken")
