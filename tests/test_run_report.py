"""The CLI's human summary (issue #11 item 6): formatted money, percentages and days in the workbook's language,
the file written and a next step — never a raw dict or a float with 14 decimals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_cli import edit_workbook, small_workbook, xlfin

from xlfin.cli.main import _progress
from xlfin.app.report import days, money, percent, summary_lines

RAW = re.compile(r"[{}\[\]]|\d\.\d{4,}|'[a-z_]+':")  # a dict/list, a long float, a repr'd key

RESULT = {  # a run summary as operations.RunSummary.as_dict() gives it, with the raw floats it really carries
    "actions": ["validate", "reconcile", "aging", "scorecard", "dunning", "dashboard"], "as_of": "2026-11-20",
    "language": "en", "output": "book.xlsx", "seconds": 5.912345,
    "validation": {"errors": 2, "warnings": 1, "exit_code": 1, "rows_left_out": 2},
    "results": {
        "reconcile": {"payments": 4500, "auto_applied_pct": 97.8, "amount_unapplied": 744160.98,
                      "writeoffs_proposed": 882.27, "exceptions_by_reason": {"no_match": 1, "overpayment": 171}},
        "aging": {"customers": 165, "open_items": 769, "total": 2373374.32, "overdue": 950037.9,
                  "overdue_pct": 0.4003},
        "scorecard": {"customers": 200, "grades": {"A": 72, "B": 63}, "over_limit": 12},
        "dunning": {"notices": 45, "by_level": {"1": 45}, "excluded": {"disputed": 12, "closed": 1},
                    "total_due": 626335.71, "letters": 45, "letters_dir": "letters"},
        "dashboard": {"kpi_total_ar": 2373374.32, "kpi_overdue_pct": 0.40028995510493265,
                      "kpi_dso": 73.57150882104666, "kpi_cei": 92.34505015231602, "kpi_unapplied": 744160.98,
                      "top_overdue": [["Granite Engineering Co.", 157968.28]]},
    },
}


def test_formatters_round_half_up_and_group_thousands() -> None:
    assert money(1234567.5, "USD") == "USD 1,234,567.50"
    assert money(0.125) == "0.13" and money(-2.5, "CNY") == "CNY -2.50" and money(None) == "-"
    assert percent(0.40028995510493265) == "40.0%" and percent(92.34505015231602, already_percent=True) == "92.3%"
    assert percent(0.00049) == "0.0%" and percent(None) == "-"
    assert days(73.57150882104666, "en") == "73.6 days" and days(73.55, "zh-CN") == "73.6 天"


@pytest.mark.parametrize("lang, words", [
    ("en", ["as of 2026-11-20", "USD 2,373,374.32", "40.0%", "73.6 days", "92.3%", "level 1: 45", "Written: book.xlsx",
            "Next: open the Validation sheet"]),
    ("zh-CN", ["截至 2026-11-20", "CNY 2,373,374.32", "40.0%", "73.6 天", "第1级 45 份", "已写入：book.xlsx",
               "下一步：打开“校验结果”工作表"]),
])
def test_summary_is_short_formatted_and_in_the_workbook_language(lang: str, words: list[str]) -> None:
    text = "\n".join(summary_lines({**RESULT, "language": lang}, "USD" if lang == "en" else "CNY"))
    for w in words:
        assert w in text, (w, text)
    assert not RAW.search(text), text
    assert len(text.splitlines()) <= 16


def test_next_step_points_at_the_report_when_the_data_is_clean() -> None:
    clean = {**RESULT, "validation": {"errors": 0, "warnings": 0, "exit_code": 0}}
    assert summary_lines(clean, "USD")[-1] == "Next: open the Dashboard and Dunning sheets."
    aging_only = {**clean, "actions": ["aging"], "results": {"aging": RESULT["results"]["aging"]}}
    assert summary_lines(aging_only, "USD")[-1] == "Next: open the Aging sheet."


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_cli_regenerate_prints_the_human_summary(tmp_path: Path, lang: str) -> None:
    book = small_workbook(tmp_path / "book.xlsm", lang)
    result = xlfin("regenerate", book)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert not RAW.search(out), out
    currency = "USD" if lang == "en" else "CNY"
    assert re.search(rf"{currency} \d{{1,3}}(,\d{{3}})*\.\d\d", out), out
    assert re.search(r"\d+\.\d%", out) and str(book) in out
    assert ("Next: open the" if lang == "en" else "下一步") in out
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_a_verb_on_a_book_with_errors_completes_with_exit_1(tmp_path: Path) -> None:
    book = small_workbook(tmp_path / "book.xlsm")
    edit_workbook(book, lambda wb: wb["Invoices"].cell(5, 6, "12O0"))
    result = xlfin("aging", book)
    assert result.exit_code == 1, result.stderr
    assert "1 error(s)" in result.stdout and "Validation sheet" in result.stdout
    data = json.loads(xlfin("aging", book, "--json").stdout)  # --json keeps the machine form
    assert data["validation"]["errors"] == 1 and isinstance(data["results"]["aging"]["total"], float)


def test_no_progress_bar_off_a_terminal() -> None:
    assert _progress(True) == (None, None)


def test_progress_bar_goes_to_stderr_on_a_terminal(tmp_path: Path, monkeypatch) -> None:
    import importlib
    import io

    from rich.console import Console

    cli_main = importlib.import_module("xlfin.cli.main")  # the module (xlfin.cli.main as an attribute is the function)

    screen = io.StringIO()
    monkeypatch.setattr(cli_main, "err", Console(file=screen, force_terminal=True, width=100))
    book = small_workbook(tmp_path / "book.xlsm")
    result = xlfin("aging", book)
    assert result.exit_code == 0, result.stderr
    assert "xlfin:" in screen.getvalue() and "━" in screen.getvalue()  # the bar was drawn, on stderr only
    assert "━" not in result.stdout and "Written:" in result.stdout
