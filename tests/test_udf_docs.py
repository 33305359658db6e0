"""The generated function reference: up to date, one section and one computed example per formula, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlfin.excel import udf_docs, udfs

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("lang,name", list(udf_docs.LANGUAGES.items()))
def test_committed_reference_is_up_to_date(lang, name):
    path = DOCS / name
    assert path.exists(), "run python -m xlfin.excel.udf_docs"
    assert path.read_text(encoding="utf-8") == udf_docs.render(lang), "stale: run python -m xlfin.excel.udf_docs"


@pytest.mark.parametrize("lang", list(udf_docs.LANGUAGES))
def test_every_formula_has_a_section_and_an_example(lang):
    text = udf_docs.render(lang)
    sections = text.split("\n## ")[1:]
    by_name = {s.split("\n", 1)[0]: s for s in sections}
    example = "**Example**" if lang == "en" else "**示例**"
    for name, info in udfs.REGISTRY.items():
        assert name in by_name, name
        body = by_name[name]
        assert example in body, name
        assert "cell_address" not in body and "caller_address" not in body
        for a in info.visible_args:
            assert f"`{a.name}`" in body and (a.en if lang == "en" else a.zh) in body
        assert (info.summary_en if lang == "en" else info.summary_zh) in body


def test_examples_are_computed_not_typed():
    en = udf_docs.render("en")
    assert "`=DSO(150000, 1800000, 365)` → **30.42**" in en
    assert "`=CLV(100, 0.8, 0.1)` → **266.67**" in en
    assert '`=ALTMAN_Z(80, 50, 0, -30, 15, 100, 100, 210, "Z")` → **1.56**' in en
    assert "**73.71**" in en and "`=DSO_COUNTBACK(212000, A2:C2, 30)`" in en
    assert "`=XLFIN_ERROR(B3)` → #VALUE! DAYS_OVERDUE: due_date (row 2 of its range)" in en


def test_example_values_follow_the_code(monkeypatch):
    """Change what a formula returns and the rendered example changes: the numbers are not stored text."""
    info = udfs.REGISTRY["CLV"]
    monkeypatch.setitem(udfs.REGISTRY, "CLV", udfs.UdfInfo(
        info.name, info.summary_en, info.summary_zh, info.returns_en, info.returns_zh, info.args,
        info.call_in_wizard, info.example, lambda *a: 1.25))
    assert "`=CLV(100, 0.8, 0.1)` → **1.25**" in udf_docs.render("en")


def test_chinese_reference_is_chinese():
    zh = udf_docs.render("zh-CN")
    assert zh.startswith("# xlfin 单元格公式")
    assert "账龄区间" in zh and "**示例**" in zh and "[English](functions.md)" in zh


def test_check_mode(tmp_path):
    assert udf_docs.main(["--check", "--dir", str(tmp_path)]) == 1
    assert udf_docs.main(["--dir", str(tmp_path)]) == 0
    assert udf_docs.main(["--check", "--dir", str(tmp_path)]) == 0
