"""Ribbon entry points (`xlfin.excel.macros`) on a real `xw.Book` backed by the in-memory xlwings engine.

Each button runs the same operations as the CLI through the live adapter and ends in one alert; a failure is an
alert too, and leaves the book exactly as it was, with Excel's application state restored.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "adapters"))

import fake_xlwings_engine as fake  # noqa: E402
from test_cli import small_workbook  # noqa: E402

from xlfin import __version__, schema
from xlfin.excel import macros  # noqa: E402
from xlfin.excel.live import LiveWorkbook  # noqa: E402

APP_DEFAULTS = {"screen_updating": True, "display_alerts": True, "enable_events": True, "calculation": "automatic"}


@pytest.fixture
def book(engine, tmp_path: Path):
    path = small_workbook(tmp_path / "book.xlsm")
    return fake.open_book(path)


@pytest.fixture
def zh_book(engine, tmp_path: Path):
    path = small_workbook(tmp_path / "账簿.xlsm", "zh-CN")
    return fake.open_book(path)


def snapshot(book) -> dict[str, object]:
    """Everything a user could see: sheets, their cells, tables, charts."""
    out: dict[str, object] = {}
    for ws in book.api.worksheets:
        out[ws.title] = ({k: (c.value, c.number_format) for k, c in ws._cells.items() if c.value is not None},
                         sorted((t.name, t.ref) for t in ws.tables.values()), len(ws._charts))
    return out


def app_state(book) -> dict[str, object]:
    return {k: book.app.impl.state[k] for k in APP_DEFAULTS}


def last_alert(book) -> dict:
    alerts = book.app.impl.alerts
    assert alerts, "no alert shown"
    return alerts[-1]


def rows(book, table: schema.Table) -> list[dict]:
    raw = LiveWorkbook(book).read_table(table)
    return [r for r in raw.frame.to_dict("records") if any(v not in (None, "") for v in r.values())]


# ---------------------------------------------------------------- every button


@pytest.mark.parametrize("entry, tables", [
    ("validate", [schema.VALIDATION]),
    ("reconcile", [schema.ALLOCATIONS, schema.UNAPPLIED]),
    ("aging", [schema.AGING, schema.AGING_DETAIL]),
    ("scorecard", [schema.SCORECARD]),
    ("dunning", [schema.DUNNING]),
])
def test_report_buttons_write_their_tables(book, entry: str, tables: list) -> None:
    summary = getattr(macros, entry)(book)
    assert summary is not None and summary.actions == [entry]
    for table in tables:
        if table is schema.VALIDATION:
            assert len(rows(book, table)) == summary.validation["warnings"] + summary.validation["errors"]
        else:
            assert rows(book, table), table.name
    alert = last_alert(book)
    assert alert["mode"] == "info" and "done" in alert["prompt"] and "error(s)" in alert["prompt"]
    assert [r["action"] for r in rows(book, schema.AUDIT)] == [entry]
    assert app_state(book) == APP_DEFAULTS
    assert book.app.impl.history  # the run did switch Excel's state off first


def test_letters_button_writes_letters_next_to_the_workbook_and_logs_them(book, tmp_path: Path) -> None:
    summary = macros.letters(book)
    assert summary is not None
    notices = summary.results["dunning"]["notices"]
    assert notices > 0 and summary.results["dunning"]["letters"] == notices
    letters = tmp_path / "letters"
    assert len([p for p in letters.rglob("*.html")]) == notices
    assert len(rows(book, schema.DUNNING_LOG)) == notices
    macros.dunning(book)
    assert len(rows(book, schema.DUNNING_LOG)) == notices  # the list alone sends nothing
    assert [r["action"] for r in rows(book, schema.AUDIT)] == ["letters", "dunning"]


def test_dashboard_without_chart_support_still_writes_the_figures(book) -> None:
    summary = macros.dashboard(book)
    assert summary is not None and last_alert(book)["mode"] == "info"
    ws = book.sheets["Dashboard"].api
    assert ws["A1"].value and isinstance(ws["B4"].value, (int, float))
    labels = [ws.cell(r, 23).value for r in range(1, 60)]
    assert sum(1 for v in labels if v) >= 4  # the four chart data blocks
    assert len(ws._charts) == 0  # the in-memory engine has no charts; nothing failed because of it


def test_regenerate_all(book) -> None:
    summary = macros.regenerate_all(book)
    assert summary is not None
    assert summary.actions == ["validate", "reconcile", "aging", "scorecard", "dunning", "forecast", "dashboard"]
    for table in (schema.ALLOCATIONS, schema.AGING, schema.SCORECARD, schema.DUNNING):
        assert rows(book, table), table.name
    assert [r["action"] for r in rows(book, schema.AUDIT)] == summary.actions
    assert app_state(book) == APP_DEFAULTS
    assert book.impl.saved_to == []  # the ribbon never saves the user's file behind their back


def test_about_and_settings(book) -> None:
    macros.about(book)
    assert __version__ in last_alert(book)["prompt"]
    book.sheets["Start"].activate()
    macros.settings(book)
    assert "Config" in last_alert(book)["prompt"]
    assert book.api.active.title == "Config"


def test_zh_cn_book_gets_chinese_messages_and_sheets(zh_book) -> None:
    summary = macros.aging(zh_book)
    assert summary is not None
    assert "完成" in last_alert(zh_book)["prompt"]
    assert "账龄" in [s.name for s in zh_book.sheets]
    macros.settings(zh_book)
    assert zh_book.api.active.title == "设置"


# ---------------------------------------------------------------- failures: one alert, book unchanged


def test_a_failing_stage_alerts_and_leaves_the_book_unchanged(book, monkeypatch) -> None:
    from xlfin.app import operations

    before = snapshot(book)

    def broken(self):
        raise RuntimeError("scorecard engine exploded")

    monkeypatch.setattr(operations.Run, "stage_scorecard", broken)
    monkeypatch.setitem(operations.STAGES, "scorecard", broken)
    assert macros.regenerate_all(book) is None
    alert = last_alert(book)
    assert alert["mode"] == "critical" and "scorecard engine exploded" in alert["prompt"]
    assert snapshot(book) == before
    assert app_state(book) == APP_DEFAULTS


def test_unusable_table_alerts_and_leaves_the_book_unchanged(book) -> None:
    book.api["Invoices"]["A1"].value = "Invoice Number"
    before = snapshot(book)
    assert macros.reconcile(book) is None
    alert = last_alert(book)
    assert alert["mode"] == "critical" and "Invoice No" in alert["prompt"]
    assert snapshot(book) == before
    assert app_state(book) == APP_DEFAULTS


def test_rows_with_errors_are_reported_in_the_alert(book) -> None:
    book.api["Invoices"]["C5"].value = None  # a required Customer ID
    summary = macros.aging(book)
    assert summary is not None and summary.validation["rows_left_out"] == 1
    assert "left out" in last_alert(book)["prompt"]


def test_caller_is_used_when_no_book_is_given(book, monkeypatch) -> None:
    import xlwings as xw

    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    assert macros.scorecard() is not None
    assert rows(book, schema.SCORECARD)
