"""The architecture's layering, checked on the source: every module imports only its own layer or lower ones.

Layers (docs/architecture.md): 1 engine (pure finance) <- 2 schema <- 3 file format <- 4 surfaces. A module's layer is
its folder: ``xlfin.<folder>.*`` takes the folder's layer from :data:`FOLDERS`, so a new module is placed by where it
is written, not by a list entry. The few modules still at the top of the package (owned by engineers who move them
later) are in :data:`LOOSE_MODULES`; any other top-level module has no layer and fails
:func:`test_every_module_has_a_layer`. Imports are read with :mod:`ast` (absolute, relative, inside functions, under
``TYPE_CHECKING``, and ``importlib.import_module`` of a literal name), so nothing is imported to run the check.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = {"xlfin": REPO / "src" / "xlfin", "xlfin_udfs": REPO / "udfs"}  # package name -> its folder

ENGINE, SCHEMA, FILE_FORMAT, SURFACES = 1, 2, 3, 4
LAYER_NAMES = {ENGINE: "engine", SCHEMA: "schema", FILE_FORMAT: "file format", SURFACES: "surfaces"}

# Folder of src/xlfin -> layer. Everything inside a folder (at any depth) has the folder's layer.
FOLDERS: dict[str, int] = {
    "engine": ENGINE,  # pure finance over frames, arrays and plain values: no Excel, no files
    "schema": SCHEMA,  # one definition of every table, key, type, label; settings, i18n, validation, Workbook seam
    "xlsx": FILE_FORMAT,  # the .xlsx/.xlsm file format
    "adapters": FILE_FORMAT,  # the file adapter and its readers (until they join xlsx/)
    "ledger": FILE_FORMAT,  # the ledger in a database (DuckDB, PostgreSQL): another place the input tables live
    "excel": SURFACES,  # xlwings live adapter, UDF wrappers and their build products, ribbon macros
    "vba": SURFACES,  # VBA project (MS-OVBA, CFB) writer and checker
    "template": SURFACES,  # the macro-enabled template workbook
    "outreach": SURFACES,  # letters and sending
    "app": SURFACES,  # one run (operations) and the demo, shared by cli/ and excel/macros
    "cli": SURFACES,  # the xlfin command
}
# Modules still at the top of src/xlfin, each with its layer; nothing new is added here (put it in a folder).
LOOSE_MODULES: dict[str, int] = {
    "xlfin": ENGINE,  # the package root only holds the version: everything imports it implicitly
}
OTHER_PACKAGES: dict[str, int] = {"xlfin_udfs": SURFACES}  # udfs/, installed as the top-level package xlfin_udfs

# Libraries of Excel, files on disk and terminals: the engine works on values only.
ENGINE_FORBIDDEN = ("openpyxl", "xlwings", "typer", "rich", "jinja2")
VOCABULARY = "xlfin.engine.vocabulary"  # the bottom of the stack: no xlfin import at all


def layer_of(module: str) -> int | None:
    """The layer of a module or package: by its folder under xlfin, else its own entry (None: it has no place)."""
    if module in LOOSE_MODULES:
        return LOOSE_MODULES[module]
    parts = module.split(".")
    if parts[0] in OTHER_PACKAGES:
        return OTHER_PACKAGES[parts[0]]
    if parts[0] == "xlfin" and len(parts) > 1:
        return FOLDERS.get(parts[1])
    return None


# ---------------------------------------------------------------- reading the source


@dataclass(frozen=True)
class Import:
    module: str  # the imported module, resolved to an absolute dotted name
    line: int


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def module_name(package: str, root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def source_modules() -> dict[str, Path]:
    """Every module of the project: dotted name -> file."""
    found: dict[str, Path] = {}
    for package, root in SOURCE_ROOTS.items():
        for path in sorted(root.rglob("*.py")):
            found[module_name(package, root, path)] = path
    return found


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    """``from ..x import y`` inside ``module`` -> the absolute name of ``..x`` (as Python's import system does)."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 > len(base) - 1:
        raise ValueError(f"{module}: relative import beyond the top-level package")
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_of(source: str, module: str, *, is_package: bool = False, known: frozenset[str] = frozenset()) -> list[Import]:
    """Every module ``source`` (the text of ``module``) imports, anywhere in the file.

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module in ``known`` (a submodule import),
    else as importing ``pkg``.
    """
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (node.module or "") if node.level == 0 else _resolve_relative(module, is_package, node.level,
                                                                                  node.module)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append(Import(candidate if candidate in known else base, node.lineno))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append(Import(first.value, node.lineno))
    return list(dict.fromkeys(found))  # `from m import a, b` is one import of m


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id in {"import_module", "__import__"}


def _is_project(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in SOURCE_ROOTS)


def upward_imports(module: str, imports: list[Import]) -> list[str]:
    """Problems: imports of a higher layer, or of a project module that has no layer."""
    own = layer_of(module)
    problems = []
    for imp in imports:
        if not _is_project(imp.module):
            continue
        target = layer_of(imp.module)
        if target is None:
            problems.append(f"{module}:{imp.line} imports {imp.module}, which has no layer")
        elif own is not None and target > own:
            problems.append(f"{module} ({LAYER_NAMES[own]}):{imp.line} imports {imp.module} ({LAYER_NAMES[target]})")
    return problems


def forbidden_libraries(module: str, imports: list[Import]) -> list[str]:
    """Problems: an engine module importing a library of Excel, files or terminals."""
    if layer_of(module) != ENGINE:
        return []
    return [f"{module}:{imp.line} imports {imp.module}" for imp in imports
            if imp.module.split(".")[0] in ENGINE_FORBIDDEN]


def check_source(source: str, module: str, *, is_package: bool = False, known: frozenset[str] = frozenset()) -> list[str]:
    """Every layering problem of one module's source text (empty when it keeps to the rules)."""
    imports = imports_of(source, module, is_package=is_package, known=known)
    return upward_imports(module, imports) + forbidden_libraries(module, imports)


MODULES = source_modules()
KNOWN = frozenset(MODULES)


def _imports(module: str) -> list[Import]:
    path = MODULES[module]
    return imports_of(path.read_text(encoding="utf-8"), module, is_package=_is_package(path), known=KNOWN)


# ---------------------------------------------------------------- the rules, on the real source


def test_the_source_is_found() -> None:
    assert {"xlfin", "xlfin.engine.money", "xlfin.engine.openitems", "xlfin.cli", "xlfin_udfs"} <= KNOWN


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in MODULES if layer_of(m) is None)
    assert not unplaced, f"place these modules in a layer of tests/test_layers.py LAYERS: {unplaced}"


def test_every_loose_module_exists() -> None:
    # a stale entry (a module moved into a folder or removed) must go, so the list only shrinks
    stale = [m for m in LOOSE_MODULES if m not in MODULES]
    assert not stale, f"LOOSE_MODULES entries without a module: {stale}"


def test_folders_are_packages_not_modules() -> None:
    # a module named like a folder (xlfin/engine.py) would take the folder's layer without being in it
    assert not [f for f in FOLDERS if (SOURCE_ROOTS["xlfin"] / f"{f}.py").exists()]


def test_layer_by_folder_at_any_depth() -> None:
    assert layer_of("xlfin.engine.reconcile.engine") == ENGINE
    assert layer_of("xlfin.schema") == SCHEMA and layer_of("xlfin.schema.workbook") == SCHEMA
    assert layer_of("xlfin.adapters.file") == FILE_FORMAT and layer_of("xlfin.xlsx.anything") == FILE_FORMAT
    assert layer_of("xlfin.excel.udfs.coerce") == SURFACES and layer_of("xlfin.cli.main") == SURFACES
    assert layer_of("xlfin_udfs") == SURFACES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_downward(module: str) -> None:
    problems = upward_imports(module, _imports(module))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer_of(m) == ENGINE))
def test_engine_imports_no_excel_file_or_terminal_library(module: str) -> None:
    problems = forbidden_libraries(module, _imports(module))
    assert not problems, "\n".join(problems)


def test_vocabulary_imports_nothing_of_xlfin() -> None:
    assert not [imp.module for imp in _imports(VOCABULARY) if _is_project(imp.module)]


# ---------------------------------------------------------------- the checker itself


@pytest.mark.parametrize(("source", "module", "is_package"), [
    ("from xlfin.schema import INVOICES\n", "xlfin.engine.openitems", False),
    ("import xlfin.schema.settings\n", "xlfin.engine.dunning", False),
    ("from xlfin import schema\n", "xlfin.engine.money", False),
    ("from ..schema import DUNNING\n", "xlfin.engine.aging", False),
    ("from ...schema import settings\n", "xlfin.engine.reconcile", True),
    ("def f():\n    from ..adapters.file import FileAdapter\n    return FileAdapter\n", "xlfin.schema.validate", False),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from xlfin.app.operations import Op\n", "xlfin.schema.i18n",
     False),
    ("import importlib\nm = importlib.import_module('xlfin.cli')\n", "xlfin.schema.validate", False),
    ("from xlfin.brand_new import thing\n", "xlfin.cli", False),
    ("from xlfin.excel.live import LiveWorkbook\n", "xlfin.adapters.file", False),
    ("from ..outreach import letters\n", "xlfin.schema.validate", False),
], ids=["absolute", "import-module", "from-package", "relative", "relative-package", "inside-function",
        "type-checking", "import_module", "unplaced-target", "file-format-to-surface", "schema-to-surface-folder"])
def test_checker_finds_an_upward_import(source: str, module: str, is_package: bool) -> None:
    assert check_source(source, module, is_package=is_package, known=KNOWN)


@pytest.mark.parametrize(("source", "module"), [
    ("import openpyxl\n", "xlfin.engine.aging"),
    ("def f():\n    from jinja2 import Template\n", "xlfin.engine.dunning"),
    ("from rich.console import Console\n", "xlfin.engine.reconcile.engine"),
])
def test_checker_finds_a_forbidden_library_in_the_engine(source: str, module: str) -> None:
    assert check_source(source, module, known=KNOWN)


@pytest.mark.parametrize(("source", "module", "is_package"), [
    ("from xlfin.engine.money import to_cents\nfrom .aging import day_numbers\nimport numpy\n", "xlfin.engine.credit", False),
    ("from . import aging\n", "xlfin.engine", True),
    ("from xlfin.engine import openitems\nfrom ..engine.money import to_cents\n", "xlfin.schema.settings", False),
    ("from . import tables\nfrom .workbook import Workbook\n", "xlfin.schema", True),
    ("import openpyxl\nfrom xlfin.schema import INVOICES\n", "xlfin.adapters.file", False),
    ("from xlfin.cli import app\nimport xlfin.excel.live\n", "xlfin.template.builder", False),
])
def test_checker_accepts_downward_and_sideways_imports(source: str, module: str, is_package: bool) -> None:
    assert check_source(source, module, is_package=is_package, known=KNOWN) == []


def test_relative_imports_resolve_like_python() -> None:
    assert _resolve_relative("xlfin.engine.aging", False, 1, "openitems") == "xlfin.engine.openitems"
    assert _resolve_relative("xlfin.engine.aging", False, 2, "schema") == "xlfin.schema"
    assert _resolve_relative("xlfin.engine", True, 1, "aging") == "xlfin.engine.aging"
    assert _resolve_relative("xlfin.engine", True, 2, None) == "xlfin"
    with pytest.raises(ValueError, match="beyond"):
        _resolve_relative("xlfin.engine.money", False, 3, "x")


def test_submodule_import_from_a_package_is_the_submodule() -> None:
    imports = imports_of("from xlfin import schema, __version__\n", "xlfin.engine.money", known=KNOWN)
    assert [i.module for i in imports] == ["xlfin.schema", "xlfin"]


def test_a_module_outside_the_table_has_no_layer() -> None:
    assert layer_of("xlfin.brand_new") is None
    assert layer_of("xlfin.engine.brand_new") == ENGINE
    assert layer_of("xlfin.engineering") is None  # a prefix of a name is not its package
