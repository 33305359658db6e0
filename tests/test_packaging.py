"""The installed distribution carries every package, the letter templates and the UDF module Excel imports."""

import importlib

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the check itself is the same on every version

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"]


def test_every_package_in_src_is_declared():
    found = sorted(".".join(p.relative_to(ROOT / "src").parts[:-1]) for p in (ROOT / "src").rglob("__init__.py"))
    assert sorted(p for p in _declared() if p != "xlfin_udfs") == found


@pytest.mark.parametrize("name", ["xlfin_udfs", "xlfin.excel.udfs"])
def test_udf_module_importable_by_the_name_excel_uses(name):
    module = importlib.import_module(name)
    assert callable(module.AGING_BUCKET) and callable(module.CREDIT_SCORE)


def test_xlfin_udfs_exports_every_formula():
    import xlfin.excel.udfs
    import xlfin_udfs

    assert set(xlfin_udfs.__all__) == set(xlfin.excel.udfs.__all__)
    assert Path(xlfin_udfs.__file__).resolve().parent == ROOT / "udfs"


def test_letter_templates_ship_as_package_data():
    import xlfin

    templates = Path(xlfin.__file__).parent / "templates" / "letters"
    for lang in ("en", "zh-CN"):
        assert (templates / lang / "reminder.html.j2").exists()
