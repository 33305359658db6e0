"""Rewrite xlfin's pre-relayout module paths (issue #12 item 4) to the new folders, in place.

    python tools/relayout.py [--check] [FILE_OR_DIR ...]

With no paths it walks src/ tests/ benchmarks/ udfs/ (Python files). A file given by name may be of any kind (docs,
shell scripts): those get only the dotted-name rewrite. Rewrites

- absolute dotted names anywhere in the text: ``import xlfin.letters``, ``from xlfin.money import x``,
  ``"xlfin.macros"`` in a RunPython string or a ``monkeypatch`` target, ``python -m xlfin.udf_docs``;
- ``from PKG import MODULE`` where MODULE moved (``from xlfin import letters`` -> ``from xlfin.outreach import letters``);
- ``from xlfin.cli import x`` -> ``from xlfin.cli.main import x`` (cli.py is cli/main.py; ``xlfin.cli:main`` still works);
- relative imports (``from ..letters import x``, ``from .schema import y``), resolved from the file's own location
  (and, for a file that was itself moved, from the location its code was written for), into absolute ones.

Idempotent: new names never match an old one. ``--check`` changes nothing and exits 1 when any old path remains.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = ("src", "tests", "benchmarks", "udfs")
SKIP = {Path("tools/relayout.py"), Path("tests/test_relayout.py")}  # they quote the old names on purpose

# Old module -> new module. A package entry also maps everything inside it (xlfin.reconcile.engine -> ...).
MOVES: dict[str, str] = {
    "xlfin.reconcile.synth": "support.synth",  # test-data generator, now tests/support/synth.py
    "xlfin.reconcile": "xlfin.engine.reconcile",
    "xlfin.dunning": "xlfin.engine.dunning",
    "xlfin.payment_plans": "xlfin.engine.payment_plans",
    "xlfin.dashboard": "xlfin.engine.dashboard",
    "xlfin.money": "xlfin.engine.money",
    "xlfin.dates": "xlfin.engine.dates",
    "xlfin.amount_words": "xlfin.engine.amount_words",
    "xlfin.vocabulary": "xlfin.engine.vocabulary",
    "xlfin.settings": "xlfin.schema.settings",
    "xlfin.i18n": "xlfin.schema.i18n",
    "xlfin.tables": "xlfin.schema.tables",
    "xlfin.frames": "xlfin.schema.frames",
    "xlfin.validate": "xlfin.schema.validate",
    "xlfin.adapters.base": "xlfin.schema.workbook",
    "xlfin.adapters.live": "xlfin.excel.live",
    "xlfin.macros": "xlfin.excel.macros",
    "xlfin.udf_registration": "xlfin.excel.udf_registration",
    "xlfin.udf_docs": "xlfin.excel.udf_docs",
    "xlfin.build_products": "xlfin.excel.build_products",
    "xlfin.udfs": "xlfin.excel.udfs",
    "xlfin.letters": "xlfin.outreach.letters",
    "xlfin.operations": "xlfin.app.operations",
    "xlfin.demo": "xlfin.app.demo",
    "xlfin.demo_data": "xlfin.app.demo_data",
    "xlfin.ribbon": "xlfin.excel.ribbon",
    "xlfin.atomic": "xlfin.xlsx.atomic",
}
# Files whose module name kept its meaning though the file moved (new path -> old path), besides MOVES' own files:
# schema.py is now the schema package, cli.py is cli/main.py behind a cli package that re-exports app and main.
EXTRA_FILE_MOVES = {"xlfin.schema": ("xlfin.schema", False), "xlfin.cli.main": ("xlfin.cli", False)}

CLI_PACKAGE, CLI_MODULE = "xlfin.cli", "xlfin.cli.main"  # `from xlfin.cli import x` -> `from xlfin.cli.main import x`

# Names that left a package's namespace: (old package, name) -> the module that has it now.
NAME_MOVES: dict[tuple[str, str], str] = {
    ("xlfin.adapters", "LiveWorkbook"): "xlfin.excel.live",  # the file-format layer no longer re-exports it
}

_OLD = sorted(MOVES, key=len, reverse=True)
_DOTTED = re.compile(r"(?<![\w.])(" + "|".join(re.escape(m) for m in _OLD) + r")(?![\w])")


def new_name(module: str) -> str:
    """The module's name after the relayout (unchanged when it did not move)."""
    for old in _OLD:
        if module == old or module.startswith(old + "."):
            return MOVES[old] + module[len(old):]
    return module


def old_location(module: str) -> tuple[str, bool] | None:
    """For a moved module (by its new name): its old name and whether it was a package; None if it did not move."""
    if module in EXTRA_FILE_MOVES:
        return EXTRA_FILE_MOVES[module]
    for old, new in MOVES.items():
        if module == new or module.startswith(new + "."):
            return old + module[len(new):], False
    return None


def rewrite_dotted(text: str) -> str:
    return _DOTTED.sub(lambda m: MOVES[m.group(1)], text)


# ---------------------------------------------------------------- the project's modules, for resolving imports


def project_modules(root: Path = ROOT) -> dict[str, bool]:
    """Dotted name -> is a package, for every module under src/xlfin and tests/support as they are on disk."""
    found: dict[str, bool] = {}
    for package, folder in (("xlfin", root / "src" / "xlfin"), ("support", root / "tests" / "support")):
        for path in folder.rglob("*.py"):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found[".".join(parts)] = is_package
    return found


def module_of(path: Path, root: Path = ROOT) -> tuple[str, bool] | None:
    """The dotted name of a file under src/ or tests/support/ (and whether it is a package's __init__), else None."""
    path = path.resolve()
    if path.is_relative_to(root / "src"):
        parts = list(path.relative_to(root / "src").with_suffix("").parts)
    elif path.is_relative_to(root / "tests" / "support"):
        parts = list(path.relative_to(root / "tests").with_suffix("").parts)
    else:
        return None
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str | None:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 >= len(base):
        return None
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


# ---------------------------------------------------------------- rewriting one import statement


def _targets(base: str, names: list[ast.alias], modules: dict[str, bool]) -> list[tuple[str, str, str | None]]:
    """(new module, name, asname) per imported name; a name that is a (moved) module is imported from its new parent."""
    out = []
    for alias in names:
        full = f"{base}.{alias.name}"
        if (base, alias.name) in NAME_MOVES:
            out.append((NAME_MOVES[base, alias.name], alias.name, alias.asname))
        elif full in MOVES or (alias.name != "*" and new_name(full) != full and new_name(full) in modules):
            moved = new_name(full)
            parent, _, leaf = moved.rpartition(".")
            asname = alias.asname or (alias.name if leaf != alias.name else None)
            out.append((parent, leaf, asname))
        else:
            out.append((new_name(base), alias.name, alias.asname))
    return out


def _exists(module: str, modules: dict[str, bool]) -> bool:
    return module in modules or module in MOVES.values()


def _absolute_base(node: ast.ImportFrom, where: tuple[str, bool] | None, modules: dict[str, bool]) -> str | None:
    """The absolute module a relative import meant: from the code's original location first (a moved file keeps the
    relative imports written for its old place), else from where the file is now."""
    if node.level == 0:
        return node.module
    if where is None:
        return None
    candidates = []
    old = old_location(where[0])
    if old is not None:
        candidates.append((old[0], old[1] if where[0] in EXTRA_FILE_MOVES else where[1]))
    candidates.append(where)
    for module, is_package in candidates:
        base = _resolve(module, is_package, node.level, node.module)
        if base is not None and (_exists(new_name(base), modules) or base in MOVES):
            return base
    return None


def rewrite_import(node: ast.ImportFrom, where: tuple[str, bool] | None, modules: dict[str, bool]) -> str | None:
    """The new statement text for one ``from ... import ...``, or None when it needs no change."""
    base = _absolute_base(node, where, modules)
    if base is None:
        return None
    targets = _targets(base, node.names, modules)
    if where is None or where[0] != CLI_PACKAGE:
        # the old module xlfin.cli is now xlfin.cli.main; its package re-exports only app and main, and importing
        # from the package while cli/main.py is still loading (it imports its verbs at the bottom) would be circular
        targets = [(CLI_MODULE if module == CLI_PACKAGE else module, name, asname) for module, name, asname in targets]
    unchanged = [(new_name(base), a.name, a.asname) for a in node.names]
    if node.level == 0 and targets == [(base, a.name, a.asname) for a in node.names]:
        return None  # absolute and nothing moved
    if node.level > 0 and targets == unchanged and where is not None:
        here = _resolve(where[0], where[1], node.level, node.module)
        if here == new_name(base):
            return None  # the relative import already means the right module from here
    groups: dict[str, list[str]] = {}
    for module, name, asname in targets:
        groups.setdefault(module, []).append(f"{name} as {asname}" if asname else name)
    return "\n".join(f"from {module} import {', '.join(names)}" for module, names in groups.items())


def rewrite_python(text: str, where: tuple[str, bool] | None, modules: dict[str, bool]) -> str:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return rewrite_dotted(text)
    lines = text.splitlines(keepends=True)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            new = rewrite_import(node, where, modules)
            if new is not None:
                edits.append((node, new))
    for node, new in sorted(edits, key=lambda e: e[0].lineno, reverse=True):
        first = lines[node.lineno - 1]
        indent = first[: len(first) - len(first.lstrip())]
        head = re.match(r"\s*from\s+[.\w]+\s+import\b", first)
        single = new.count("\n") == 0
        new_module = new.split(" import ")[0][len("from "):] if single else None
        old_names = [(a.name, a.asname) for a in node.names]
        new_names = new.split(" import ", 1)[1] if single else None
        same_names = single and new_names == ", ".join(f"{n} as {a}" if a else n for n, a in old_names)
        if head and same_names:
            # keep the statement's own layout and comments: change only the module after `from`
            lines[node.lineno - 1] = re.sub(r"^(\s*from\s+)[.\w]+(\s+import\b)", rf"\g<1>{new_module}\g<2>", first,
                                            count=1)
            continue
        tail = lines[node.end_lineno - 1]
        rest = tail[node.end_col_offset:]
        replacement = "".join(f"{indent}{stmt}\n" for stmt in new.splitlines())
        if rest.strip():
            replacement = replacement[:-1] + rest
        lines[node.lineno - 1:node.end_lineno] = [replacement]
    return rewrite_dotted("".join(lines))


def rewrite_file(path: Path, modules: dict[str, bool]) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return rewrite_dotted(text)
    return rewrite_python(text, module_of(path), modules)


def files_to_visit(paths: list[str]) -> list[Path]:
    if not paths:
        paths = [str(ROOT / d) for d in DEFAULT_DIRS]
    found: list[Path] = []
    for p in map(Path, paths):
        found.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return [f for f in found if not any(f.resolve() == (ROOT / s) for s in SKIP)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any old module path remains")
    parser.add_argument("paths", nargs="*", help="files or folders (default: src tests benchmarks udfs)")
    args = parser.parse_args(argv)
    modules = project_modules()
    stale = []
    for path in files_to_visit(args.paths):
        old = path.read_text(encoding="utf-8")
        new = rewrite_file(path, modules)
        if new != old:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "old module paths in" if args.check else "rewrote"
    for path in stale:
        print(f"{verb} {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
