"""`workbook_template.xlsm`: build it from the schema, and check a built file (SPEC §2, §3, §6; issue 4).

    build_template(lang) -> bytes          the .xlsm, byte-identical for the same code and language
    write_template(path, lang)             build and write atomically
    check_template(path, lang) -> [str]    structural problems, plus "stale" when it differs from a fresh build
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from ..schema import Lang
from ..xlsx.atomic import atomic_write_bytes
from .builder import CODE_NAMES, SHEETS, build_workbook
from .canonical import canonical_package
from .check import check_structure
from .package import default_udf_module_path, package_xlsm, udf_module_from_file

__all__ = [
    "build_template",
    "package_workbook",
    "write_template",
    "check_template",
    "check_structure",
    "default_udf_module_path",
    "SHEETS",
    "CODE_NAMES",
]


def build_template(lang: Lang = "en", udf_module: Path | None = None) -> bytes:
    """The template's bytes: openpyxl sheets + VBA project + ribbon, packaged reproducibly.

    udf_module: the xlwings UDF wrapper .bas to embed; default: the checkout's udfs/xlfin_udfs.bas if present.
    """
    return package_workbook(build_workbook(lang), lang, udf_module, canonical=True)


def package_workbook(wb, lang: Lang = "en", udf_module: Path | None = None, *, canonical: bool = False) -> bytes:
    """An openpyxl workbook built from the template (possibly filled, e.g. with demo data) -> .xlsm bytes.

    canonical: re-serialise openpyxl's XML parts canonically, so the bytes do not depend on whether openpyxl
    wrote through lxml (the committed template must be reproducible anywhere; big demo books skip the cost)."""
    from xlfin.excel.ribbon import customui_xml

    buffer = io.BytesIO()
    wb.save(buffer)
    xlsx = canonical_package(buffer.getvalue()) if canonical else buffer.getvalue()
    path = udf_module if udf_module is not None else default_udf_module_path()
    extra = [udf_module_from_file(path)] if path is not None else []
    return package_xlsm(xlsx, lang, customui_xml(lang), extra)


def write_template(path: str | os.PathLike[str], lang: Lang = "en", udf_module: Path | None = None) -> Path:
    """Build and write the template atomically (temporary file in the same folder, then rename)."""
    target = Path(path)
    data = build_template(lang, udf_module)
    atomic_write_bytes(target, data, backup=False)  # the one atomic writer (xlsx.atomic); a build needs no .bak
    return target


def check_template(path: str | os.PathLike[str], lang: Lang = "en", udf_module: Path | None = None) -> list[str]:
    """Problems with a built template: structural ones, and "stale" when it is not what a fresh build gives."""
    target = Path(path)
    if not target.is_file():
        return [f"{target} does not exist; run: xlfin template build" + (f" --lang {lang}" if lang != "en" else "")]
    data = target.read_bytes()
    problems = check_structure(data, lang)
    if data != build_template(lang, udf_module):
        problems.append("stale: differs from a fresh build; run: xlfin template build"
                        + (f" --lang {lang}" if lang != "en" else ""))
    return problems
