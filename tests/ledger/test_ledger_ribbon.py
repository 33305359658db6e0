"""The ribbon's Ledger group (`xlfin.excel.macros.ledger_*`) on a real `xw.Book` over the in-memory xlwings engine.

Each button does what its `xlfin ledger` verb does, through the same app functions: the same rows in the ledger
(Load into Ledger, Post Cash), the same sheets in the workbook (Reports from Ledger) and the same new workbook
(Export Ledger) as the CLI on a copy of the book. Without a ledger in Config a button says how to set one; every
failure is one alert, the book as it was and Excel's state restored.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(TESTS), str(TESTS / "adapters")]

import fake_xlwings_engine as fake  # noqa: E402
from books import sheet_values, write_book  # noqa: E402
from test_macros import APP_DEFAULTS, app_state, last_alert, snapshot  # noqa: E402

from xlfin.cli.main import app  # noqa: E402
from xlfin.excel import macros  # noqa: E402
from xlfin.ledger.ddl import LEDGER_TABLES  # noqa: E402
from xlfin.ledger.load import read_frame  # noqa: E402
from xlfin.ledger.store import connect  # noqa: E402

pytest.importorskip("duckdb")
runner = CliRunner()
REPORTED = ("Aging", "Scorecard", "Dunning", "Dashboard", "Forecast")
BUTTONS = ("ledger_load", "ledger_reconcile", "ledger_report", "ledger_export")


def _cli(*args: object, codes=(0, 1)):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code in codes, result.output + repr(result.exception)
    return result


def _dates_as_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    """PostgreSQL hands back `datetime.date`, DuckDB datetime64: the same dates."""
    def column(c: pd.Series) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(c) or c.map(lambda v: isinstance(v, dt.date)).any():
            return pd.to_datetime(c).astype("datetime64[ns]")
        return c

    return frame.apply(column)


def _ledger_state(source: str) -> dict[str, object]:
    """Everything a posting changes, without the run ids (new each run): input tables, allocations, posted."""
    with connect(source) as store:
        state: dict[str, object] = {t.key: _dates_as_timestamps(read_frame(store, t)) for t in LEDGER_TABLES}
        state["allocations"] = sorted(store.rows("SELECT payment_id, invoice_no, customer_id, amount, rule, "
                                                 "confidence FROM ledger_allocations"))
        state["posted"] = sorted(store.rows("SELECT payment_id, allocated, unapplied, reason, customer_id "
                                            "FROM ledger_posted"), key=str)
        state["rejects"] = sorted(store.rows("SELECT table_key, seq, cells FROM ledger_rejects"))
    return state


def _assert_same_ledger(got: dict, want: dict) -> None:
    for key, frame in want.items():
        if isinstance(frame, pd.DataFrame):
            pd.testing.assert_frame_equal(got[key], frame, check_dtype=False, obj=key)
        else:
            assert got[key] == frame, key


def _as_excel_holds(sheets: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Numbers at the 15 significant digits a cell holds: the fake Excel (openpyxl) and the file writer spell the
    17th digit of a ratio differently, as Excel would not show or keep it."""
    def cell(v):
        return float(f"{v:.15g}") if isinstance(v, float) else v

    return {name: [tuple(cell(v) for v in row) for row in rows] for name, rows in sheets.items()}


def _live_sheets(book, folder: Path) -> dict[str, list[tuple]]:
    """The fake Excel book saved as a file, read back as the CLI's output is read."""
    folder.mkdir(exist_ok=True)
    book.save(str(folder / "live.xlsx"))
    return _as_excel_holds(sheet_values(folder / "live.xlsx"))


@pytest.fixture(scope="module")
def by_cli(tmp_path_factory) -> dict:
    """The CLI's run on the reference book: ledger state after `ledger load` and after `ledger reconcile`, the
    sheets `ledger report` wrote, and the workbook `ledger export` wrote."""
    d = tmp_path_factory.mktemp("cli")
    source = f"duckdb:{d / 'l.duckdb'}"
    book = write_book(d / "book.xlsm", ledger_source=source)
    _cli("ledger", "load", book)
    loaded = _ledger_state(source)
    _cli("ledger", "reconcile", book)
    posted = _ledger_state(source)
    _cli("ledger", "report", book)
    _cli("ledger", "export", d / "export.xlsm", "--source", source)
    return {"loaded": loaded, "posted": posted, "sheets": _as_excel_holds(sheet_values(book)),
            "export": sheet_values(d / "export.xlsm")}


def _ribbon_run(book, tmp_path: Path, source: str, by_cli: dict) -> None:
    """Load, post and report from the ribbon, each step checked against the CLI's."""
    assert macros.ledger_load(book) is not None
    alert = last_alert(book)
    assert alert["mode"] == "info" and "Load into Ledger: done" in alert["prompt"], alert
    assert "626 row(s) loaded or updated" in alert["prompt"] and "Invoices 300" in alert["prompt"]
    _assert_same_ledger(_ledger_state(source), by_cli["loaded"])

    posted = macros.ledger_reconcile(book)
    assert posted is not None and posted.payments_considered == 260 and posted.already_posted == 0
    assert "Post Cash: done" in last_alert(book)["prompt"]
    _assert_same_ledger(_ledger_state(source), by_cli["posted"])

    summary = macros.ledger_report(book)
    assert summary is not None and summary.actions == ["aging", "scorecard", "dunning", "forecast", "dashboard"]
    alert = last_alert(book)
    assert alert["mode"] == "info" and "Total receivables: USD" in alert["prompt"], alert["prompt"]
    live = _live_sheets(book, tmp_path / "saved")
    for name in REPORTED:
        assert live[name] == by_cli["sheets"][name], f"sheet {name} differs from `xlfin ledger report`'s"
    assert app_state(book) == APP_DEFAULTS and book.impl.saved_to[:-1] == []  # only the test's own save


def test_every_ledger_button_does_what_its_cli_verb_does_on_duckdb(engine, tmp_path, by_cli) -> None:
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    book = fake.open_book(write_book(tmp_path / "book.xlsm", ledger_source=source))
    _ribbon_run(book, tmp_path, source, by_cli)

    again = macros.ledger_reconcile(book)  # a second posting finds every payment handled
    assert again.payments_considered == 0 and again.already_posted == 260

    out = tmp_path / "export.xlsm"
    assert macros.ledger_export(book, path=out) == out
    assert "626 row(s) written to" in last_alert(book)["prompt"]
    assert sheet_values(out) == by_cli["export"]


def test_ledger_buttons_on_postgresql(engine, tmp_path, by_cli, pg_db) -> None:
    book = fake.open_book(write_book(tmp_path / "book.xlsm", ledger_source=pg_db))
    _ribbon_run(book, tmp_path, pg_db, by_cli)
    assert pg_db in last_alert(book)["prompt"]  # the alert says which ledger (never a password: none is allowed)


def test_chinese_book_gets_chinese_alerts(engine, tmp_path) -> None:
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    book = fake.open_book(write_book(tmp_path / "账簿.xlsm", lang="zh-CN", ledger_source=source,
                                     customers=8, invoices=60, payments=50))
    macros.ledger_load(book)
    assert "载入台账：完成" in last_alert(book)["prompt"] and "已载入或更新" in last_alert(book)["prompt"]
    macros.ledger_report(book)
    alert = last_alert(book)
    assert alert["mode"] == "critical" and "请先点击“收款过账”" in alert["prompt"], alert
    macros.ledger_reconcile(book)
    assert "收款过账：完成" in last_alert(book)["prompt"]
    assert macros.ledger_report(book) is not None
    assert "台账报表：完成" in last_alert(book)["prompt"] and "账龄" in [s.name for s in book.sheets]


# ---------------------------------------------------------------- no ledger: say how to set one


@pytest.mark.parametrize("lang, words", [("en", ("set ledger_source on the Config sheet", "PGPASSWORD")),
                                         ("zh-CN", ("在“设置”工作表中将 ledger_source 设为", "PGPASSWORD"))])
def test_without_a_ledger_every_button_says_how_to_set_one(engine, tmp_path, lang, words) -> None:
    book = fake.open_book(write_book(tmp_path / "book.xlsm", lang=lang, customers=5, invoices=20, payments=10))
    before = snapshot(book)
    for entry in BUTTONS:
        book.sheets[0].activate()
        assert getattr(macros, entry)(book) is None
        alert = last_alert(book)
        assert alert["mode"] == "info" and all(w in alert["prompt"] for w in words), alert["prompt"]
        assert macros.action_label(entry, lang) in alert["prompt"]  # names the button that was clicked
        assert book.api.active.title == ("Config" if lang == "en" else "设置")
    assert snapshot(book) == before and app_state(book) == APP_DEFAULTS
    assert list(tmp_path.glob("*.duckdb")) == []


def test_a_refused_ledger_source_is_named_in_the_hint(engine, tmp_path) -> None:
    book = fake.open_book(write_book(tmp_path / "book.xlsm", customers=5, invoices=20, payments=10,
                                     ledger_source="postgresql://ar:secret@db.example/ar"))
    assert macros.ledger_load(book) is None
    prompt = last_alert(book)["prompt"]
    assert "Config: ledger_source" in prompt and "must not hold a password" in prompt
    assert "set ledger_source on the Config sheet" in prompt and "secret" not in prompt  # the password is not echoed


# ---------------------------------------------------------------- failures: one alert, book unchanged


def test_an_empty_ledger_asks_for_a_load_first(engine, tmp_path) -> None:
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    book = fake.open_book(write_book(tmp_path / "book.xlsm", customers=5, invoices=20, payments=10,
                                     ledger_source=source))
    before = snapshot(book)
    for entry in ("ledger_reconcile", "ledger_report", "ledger_export"):
        assert getattr(macros, entry)(book, **({"path": tmp_path / "x.xlsm"} if entry == "ledger_export" else {})) \
            is None
        alert = last_alert(book)
        assert alert["mode"] == "critical" and "has no tables yet: click Load into Ledger first" in alert["prompt"]
    assert macros.aging(book) is None  # the workbook verbs in ledger mode say the same
    assert "click Load into Ledger first" in last_alert(book)["prompt"]
    assert snapshot(book) == before and app_state(book) == APP_DEFAULTS
    assert not (tmp_path / "x.xlsm").exists()


def test_reports_before_posting_ask_for_post_cash(engine, tmp_path) -> None:
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    book = fake.open_book(write_book(tmp_path / "book.xlsm", customers=5, invoices=20, payments=10,
                                     ledger_source=source))
    macros.ledger_load(book)
    before = snapshot(book)
    assert macros.ledger_report(book) is None
    alert = last_alert(book)
    assert alert["mode"] == "critical" and "click Post Cash first, then Reports from Ledger" in alert["prompt"]
    assert snapshot(book) == before and app_state(book) == APP_DEFAULTS


def test_a_server_that_does_not_answer_is_an_alert(engine, tmp_path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    book = fake.open_book(write_book(tmp_path / "book.xlsm", customers=5, invoices=20, payments=10,
                                     ledger_source=f"postgresql://ar@127.0.0.1:{port}/ar"))
    before = snapshot(book)
    for entry in ("ledger_load", "ledger_report"):
        assert getattr(macros, entry)(book) is None
        alert = last_alert(book)
        assert alert["mode"] == "critical" and "cannot connect to the PostgreSQL ledger" in alert["prompt"], alert
        assert "Traceback" not in alert["prompt"]
    assert snapshot(book) == before and app_state(book) == APP_DEFAULTS


def test_a_failing_report_stage_alerts_and_writes_nothing(engine, tmp_path, monkeypatch) -> None:
    from xlfin.app.ledger_report import LedgerReportRun

    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    book = fake.open_book(write_book(tmp_path / "book.xlsm", customers=8, invoices=60, payments=50,
                                     ledger_source=source))
    macros.ledger_load(book)
    macros.ledger_reconcile(book)
    before = snapshot(book)

    def broken(self):
        raise RuntimeError("dunning engine exploded")

    monkeypatch.setattr(LedgerReportRun, "stage_dunning", broken)
    assert macros.ledger_report(book) is None
    alert = last_alert(book)
    assert alert["mode"] == "critical" and alert["prompt"] == (
        "Reports from Ledger failed: dunning engine exploded")
    assert snapshot(book) == before and app_state(book) == APP_DEFAULTS


def test_a_relative_duckdb_file_is_next_to_the_workbook(engine, tmp_path, monkeypatch) -> None:
    """Excel's working directory is not the user's: `duckdb:ar.duckdb` is the file beside the book, for the Ledger
    buttons and for the workbook verbs reading from it."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    book = fake.open_book(write_book(tmp_path / "book.xlsm", customers=8, invoices=60, payments=50,
                                     ledger_source="duckdb:ar.duckdb"))
    macros.ledger_load(book)
    assert (tmp_path / "ar.duckdb").is_file() and not (elsewhere / "ar.duckdb").exists()
    assert str(tmp_path / "ar.duckdb") in last_alert(book)["prompt"]
    view = fake.open_book(write_book(tmp_path / "view.xlsm", customers=1, invoices=0, payments=0,
                                     ledger_source="duckdb:ar.duckdb"))
    summary = macros.aging(view)  # no invoice in this book: the rows come from the ledger beside it
    assert summary is not None and summary.results["aging"]["open_items"] > 0


def test_export_asks_before_replacing_a_file_and_never_replaces_the_open_book(engine, tmp_path, monkeypatch) -> None:
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    path = write_book(tmp_path / "book.xlsm", customers=5, invoices=20, payments=10, ledger_source=source)
    book = fake.open_book(path)
    macros.ledger_load(book)
    out = tmp_path / "out.xlsm"
    out.write_bytes(b"the user's file")
    answers = iter(["no", "yes"])
    app = book.app.impl
    shown = app.alert

    def alert(prompt, title, buttons, mode, callback):
        shown(prompt, title, buttons, mode, callback)
        return next(answers) if buttons == "yes_no" else "ok"

    monkeypatch.setattr(app, "alert", alert)
    assert macros.ledger_export(book, path=out) is None  # "no": nothing written
    assert "exists. Replace it?" in last_alert(book)["prompt"] and out.read_bytes() == b"the user's file"
    assert macros.ledger_export(book, path=out) == out  # "yes"
    assert sheet_values(out)["Invoices"][1:] and "written to" in last_alert(book)["prompt"]

    before = path.read_bytes()
    assert macros.ledger_export(book, path=path) is None
    assert "is this workbook" in last_alert(book)["prompt"] and path.read_bytes() == before


def test_export_from_the_save_as_dialog(engine, tmp_path, monkeypatch) -> None:
    """Without a path the user picks one in Excel's Save As dialog (cancel: nothing happens); .xlsm is kept."""
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    book = fake.open_book(write_book(tmp_path / "book.xlsm", customers=5, invoices=20, payments=10,
                                     ledger_source=source))
    macros.ledger_load(book)
    asked: list[tuple] = []
    picks = iter([False, str(tmp_path / "picked.xlsx")])

    def dialog(*args):
        asked.append(args)
        return next(picks)

    monkeypatch.setattr(book.app.impl, "GetSaveAsFilename", dialog, raising=False)
    alerts = len(book.app.impl.alerts)
    assert macros.ledger_export(book) is None and len(book.app.impl.alerts) == alerts  # cancelled: no alert
    assert macros.ledger_export(book) == tmp_path / "picked.xlsm"
    assert asked[0][0] == str(tmp_path / "book-ledger.xlsm") and "*.xlsm" in asked[0][1]
    assert (tmp_path / "picked.xlsm").is_file()
