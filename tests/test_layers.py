"""The architecture's layering, checked on the source: every module imports only its own layer or lower ones.

Layers (developers' guide): 1 engine (pure finance logic) ← 2 schema ← 3 adapters ← 4 surfaces. Every module must be
placed in :data:`LAYERS`; a new module that is not fails :func:`test_every_module_has_a_layer`, so its place is chosen
on purpose. Imports are read with :mod:`ast` (absolute, relative, inside functions, under ``TYPE_CHECKING``, and
``importlib.import_module`` of a literal name), so nothing is imported to run the check.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = {"xlfin": REPO / "src" / "xlfin", "xlfin_udfs": REPO / "udfs"}  # package name -> its folder

ENGINE, SCHEMA, ADAPTERS, SURFACES = 1, 2, 3, 4
LAYER_NAMES = {ENGINE: "engine", SCHEMA: "schema", ADAPTERS: "adapters", SURFACES: "surfaces"}

# Module -> layer. A name ending in ".*" places a package and everything inside it; other names are exact.
LAYERS: dict[str, int] = {
    # 1 engine: pure finance logic over frames, arrays and plain values.
    "xlfin": ENGINE,  # the package root only holds the version: everything imports it implicitly
    "xlfin.vocabulary": ENGINE,
    "xlfin.money": ENGINE,
    "xlfin.dates": ENGINE,
    "xlfin.amount_words": ENGINE,
    "xlfin.engine.*": ENGINE,
    "xlfin.reconcile.*": ENGINE,
    "xlfin.dunning": ENGINE,
    "xlfin.payment_plans": ENGINE,
    "xlfin.dashboard": ENGINE,
    # 2 schema: tables, labels, settings, validation.
    "xlfin.schema": SCHEMA,
    "xlfin.settings": SCHEMA,
    "xlfin.i18n": SCHEMA,
    "xlfin.tables": SCHEMA,
    "xlfin.frames": SCHEMA,
    "xlfin.models": SCHEMA,
    "xlfin.validate": SCHEMA,
    "xlfin.access_log": SCHEMA,  # who/where/hashes/recipients of a run, for the Audit rows
    # 3 adapters: workbooks, files, VBA, ribbon XML, rendering.
    "xlfin.adapters.*": ADAPTERS,
    "xlfin.xlsx.*": ADAPTERS,  # the file format: encryption, password sources, package digests
    "xlfin.xlsx_tables": ADAPTERS,
    "xlfin.atomic": ADAPTERS,
    "xlfin.letters": ADAPTERS,
    "xlfin.vba.*": ADAPTERS,
    "xlfin.ribbon": ADAPTERS,
    "xlfin.dashboard_render": ADAPTERS,
    # 4 surfaces: what users and Excel call.
    "xlfin.operations": SURFACES,
    "xlfin.cli": SURFACES,
    "xlfin.macros": SURFACES,
    "xlfin.udfs": SURFACES,
    "xlfin.udf_registration": SURFACES,
    "xlfin.udf_docs": SURFACES,
    "xlfin.build_products": SURFACES,
    "xlfin.template.*": SURFACES,
    "xlfin.demo": SURFACES,
    "xlfin.demo_data": SURFACES,
    "xlfin.audit_view": SURFACES,
    "xlfin_udfs.*": SURFACES,  # udfs/, installed as the top-level package xlfin_udfs
}

# Libraries of Excel, files on disk and terminals: the engine works on values only.
ENGINE_FORBIDDEN = ("openpyxl", "xlwings", "typer", "rich", "jinja2")
VOCABULARY = "xlfin.vocabulary"  # the bottom of the stack: no xlfin import at all


def layer_of(module: str) -> int | None:
    """The layer of a module or package, by its exact entry or the nearest enclosing ``pkg.*`` entry."""
    if module in LAYERS:
        return LAYERS[module]
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        layer = LAYERS.get(".".join(parts[:n]) + ".*")
        if layer is not None:
            return layer
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
    assert {"xlfin", "xlfin.money", "xlfin.engine.openitems", "xlfin.cli", "xlfin_udfs"} <= KNOWN


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in MODULES if layer_of(m) is None)
    assert not unplaced, f"place these modules in a layer of tests/test_layers.py LAYERS: {unplaced}"


def test_every_layer_entry_names_existing_modules() -> None:
    # a stale entry (a module renamed or removed) would silently place some future module
    stale = [entry for entry in LAYERS
             if not any(m == entry.removesuffix(".*") or m.startswith(entry.removesuffix("*")) for m in MODULES)]
    assert not stale, f"LAYERS entries without a module: {stale}"


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
    ("import xlfin.settings\n", "xlfin.dunning", False),
    ("from xlfin import schema\n", "xlfin.money", False),
    ("from ..schema import DUNNING\n", "xlfin.engine.aging", False),
    ("from .. import settings\n", "xlfin.reconcile", True),
    ("def f():\n    from .adapters.file import FileAdapter\n    return FileAdapter\n", "xlfin.validate", False),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from xlfin.operations import Op\n", "xlfin.letters",
     False),
    ("import importlib\nm = importlib.import_module('xlfin.cli')\n", "xlfin.validate", False),
    ("from xlfin.brand_new import thing\n", "xlfin.cli", False),
], ids=["absolute", "import-module", "from-package", "relative", "relative-package", "inside-function",
        "type-checking", "import_module", "unplaced-target"])
def test_checker_finds_an_upward_import(source: str, module: str, is_package: bool) -> None:
    assert check_source(source, module, is_package=is_package, known=KNOWN)


@pytest.mark.parametrize(("source", "module"), [
    ("import openpyxl\n", "xlfin.engine.aging"),
    ("def f():\n    from jinja2 import Template\n", "xlfin.dunning"),
    ("from rich.console import Console\n", "xlfin.reconcile.engine"),
])
def test_checker_finds_a_forbidden_library_in_the_engine(source: str, module: str) -> None:
    assert check_source(source, module, known=KNOWN)


@pytest.mark.parametrize(("source", "module", "is_package"), [
    ("from xlfin.money import to_cents\nfrom .aging import day_numbers\nimport numpy\n", "xlfin.engine.credit", False),
    ("from . import aging\n", "xlfin.engine", True),
    ("from xlfin.engine import openitems\nfrom .money import to_cents\n", "xlfin.schema", False),
    ("import openpyxl\nfrom xlfin.schema import INVOICES\n", "xlfin.adapters.file", False),
    ("from xlfin.cli import app\nimport xlfin.adapters.live\n", "xlfin.template.builder", False),
])
def test_checker_accepts_downward_and_sideways_imports(source: str, module: str, is_package: bool) -> None:
    assert check_source(source, module, is_package=is_package, known=KNOWN) == []


def test_relative_imports_resolve_like_python() -> None:
    assert _resolve_relative("xlfin.engine.aging", False, 1, "openitems") == "xlfin.engine.openitems"
    assert _resolve_relative("xlfin.engine.aging", False, 2, "schema") == "xlfin.schema"
    assert _resolve_relative("xlfin.engine", True, 1, "aging") == "xlfin.engine.aging"
    assert _resolve_relative("xlfin.engine", True, 2, None) == "xlfin"
    with pytest.raises(ValueError, match="beyond"):
        _resolve_relative("xlfin.money", False, 3, "x")


def test_submodule_import_from_a_package_is_the_submodule() -> None:
    imports = imports_of("from xlfin import schema, __version__\n", "xlfin.money", known=KNOWN)
    assert [i.module for i in imports] == ["xlfin.schema", "xlfin"]


def test_a_module_outside_the_table_has_no_layer() -> None:
    assert layer_of("xlfin.brand_new") is None
    assert layer_of("xlfin.engine.brand_new") == ENGINE
    assert layer_of("xlfin.engineering") is None  # a prefix of a name is not its package
