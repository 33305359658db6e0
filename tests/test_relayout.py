"""tools/relayout.py: old module paths (before the #12 relayout) rewritten to the new folders, idempotently."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("relayout", ROOT / "tools" / "relayout.py")
relayout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relayout)

MODULES = relayout.project_modules()
SRC = ROOT / "src" / "xlfin"


def rewrite(text: str, path: Path | None = None) -> str:
    where = relayout.module_of(path) if path is not None else None
    return relayout.rewrite_python(text, where, MODULES)


@pytest.mark.parametrize(("old", "new"), [
    ("from xlfin.letters import render_letters\n", "from xlfin.outreach.letters import render_letters\n"),
    ("import xlfin.money as m\nx = xlfin.money.to_cents\n", "import xlfin.engine.money as m\nx = xlfin.engine.money.to_cents\n"),
    ("from xlfin.reconcile.engine import reconcile\n", "from xlfin.engine.reconcile.engine import reconcile\n"),
    ("from xlfin.reconcile.synth import generate\n", "from support.synth import generate\n"),
    ("from xlfin.adapters.base import Workbook\n", "from xlfin.schema.workbook import Workbook\n"),
    ("from xlfin import letters, schema\n", "from xlfin.outreach import letters\nfrom xlfin import schema\n"),
    ("from xlfin import validate as V\n", "from xlfin.schema import validate as V\n"),
    ("from xlfin.adapters import base\n", "from xlfin.schema import workbook as base\n"),
    ("from xlfin.adapters import LiveWorkbook, open_workbook\n",
     "from xlfin.excel.live import LiveWorkbook\nfrom xlfin.adapters import open_workbook\n"),
    ('monkeypatch.setattr("xlfin.operations.execute", f)\n', 'monkeypatch.setattr("xlfin.app.operations.execute", f)\n'),
    ('RunPython "import xlfin.macros as m; m.aging()"\n', 'RunPython "import xlfin.excel.macros as m; m.aging()"\n'),
    ("from xlfin.demo_data import generate_demo\n", "from xlfin.app.demo_data import generate_demo\n"),
    ("from xlfin.cli import AsOfOpt, app\n", "from xlfin.cli.main import AsOfOpt, app\n"),
], ids=["absolute", "import-as", "package-inside", "synth", "base", "from-package", "from-package-as", "renamed-leaf",
        "name-left-package", "string", "runpython", "underscore-name", "cli-module"])
def test_absolute_forms(old: str, new: str) -> None:
    assert rewrite(old) == new


def test_names_that_kept_their_path_are_left_alone() -> None:
    text = "from xlfin.schema import Lang\nfrom xlfin.cli.main import app\nimport xlfin_udfs\nfrom xlfin.engine import aging\n"
    assert rewrite(text) == text


def test_relative_imports_of_a_file_that_stayed() -> None:
    old = "from ..tables import WorkbookError\nfrom .base import (\n    Workbook,\n)\nfrom .fastread import FastXlsx\n"
    new = ("from xlfin.schema.tables import WorkbookError\nfrom xlfin.schema.workbook import (\n    Workbook,\n)\n"
           "from .fastread import FastXlsx\n")
    assert rewrite(old, SRC / "adapters" / "file.py") == new


def test_relative_imports_of_a_moved_file_resolve_from_where_the_code_was_written() -> None:
    # dunning.py was src/xlfin/dunning.py: `.money` still means the money module (now beside it in engine/),
    # `.schema` meant xlfin.schema, `. import __version__` the package root
    old = ("from . import __version__\nfrom .money import to_cents\nfrom .schema import Lang\n"
           "def f():\n    from .letters import render_letters\n")
    new = ("from xlfin import __version__\nfrom .money import to_cents\nfrom xlfin.schema import Lang\n"
           "def f():\n    from xlfin.outreach.letters import render_letters\n")
    assert rewrite(old, SRC / "engine" / "dunning.py") == new


def test_comments_in_a_rewritten_statement_are_kept() -> None:
    old = "from .vocabulary import (  # noqa: F401 - re-exported\n    DOC_TYPE,\n)\n"
    assert rewrite(old, SRC / "schema" / "__init__.py") == old.replace(".vocabulary", "xlfin.engine.vocabulary")


def test_cli_verbs_import_the_cli_module_not_the_package() -> None:
    # a verb module imported at the bottom of cli/main.py: the package is still half-initialised then
    old = "from ..cli import AsOfOpt, app\n"
    assert rewrite(old, SRC / "outreach" / "cli_verbs.py") == "from xlfin.cli.main import AsOfOpt, app\n"
    assert rewrite("from .main import app, main\n", SRC / "cli" / "__init__.py") == "from .main import app, main\n"


def test_new_relative_imports_in_a_moved_file_are_kept() -> None:
    text = "from ..schema import Lang\nfrom .live import LiveWorkbook\n"
    assert rewrite(text, SRC / "excel" / "macros.py") == text


def test_idempotent() -> None:
    text = "from xlfin import letters, money\nfrom .schema import Lang\nimport xlfin.udfs\n"
    once = rewrite(text, SRC / "engine" / "dunning.py")
    assert rewrite(once, SRC / "engine" / "dunning.py") == once


def test_check_mode_exits_1_until_the_file_is_rewritten(tmp_path: Path) -> None:
    py = tmp_path / "sample.py"
    py.write_text("from xlfin.money import to_cents\n", "utf-8")
    doc = tmp_path / "notes.md"
    doc.write_text("run `python -m xlfin.udf_docs --check`\n", "utf-8")
    assert relayout.main(["--check", str(py), str(doc)]) == 1
    assert py.read_text("utf-8") == "from xlfin.money import to_cents\n"  # --check changes nothing
    assert relayout.main([str(py), str(doc)]) == 0
    assert py.read_text("utf-8") == "from xlfin.engine.money import to_cents\n"
    assert doc.read_text("utf-8") == "run `python -m xlfin.excel.udf_docs --check`\n"
    assert relayout.main(["--check", str(py), str(doc)]) == 0


def test_the_repository_has_no_old_paths_left() -> None:
    # ribbon.py's comments are left to its owner (only its RunPython string changed here)
    stale = [p for p in relayout.files_to_visit([]) if p.name != "ribbon.py"
             and relayout.rewrite_file(p, MODULES) != p.read_text("utf-8")]
    assert not stale, f"run python tools/relayout.py on: {stale}"
