"""`xlfin ledger report`: the per-customer sheets from a posted ledger equal the workbook-only run's (issue #16)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import sheet_values, write_book  # noqa: E402
from test_ledger_equivalence import _dirty  # noqa: E402
from test_ledger_overflow import _blocks  # noqa: E402

from xlfin import schema  # noqa: E402
from xlfin.cli.main import app  # noqa: E402
from xlfin.ledger.store import connect  # noqa: E402

runner = CliRunner()
REPORTED = ("Aging", "Scorecard", "Dunning", "Dashboard", "Forecast")
CHUNK = "40"  # invoices + payments per customer chunk: the 25-customer book is scored in several chunks
CAP = 60


def _cli(*args: str, codes=(0, 1)):
    result = runner.invoke(app, list(args))
    assert result.exit_code in codes, result.output + repr(result.exception)
    return result


def _posted(d: Path, source: str, *, lang: str = "en", mutate=None, config: dict | None = None) -> Path:
    """A fresh ledger loaded from the reference book and reconciled; returns the book that views it."""
    loaded = write_book(d / "source.xlsm", lang=lang, mutate=mutate)
    _cli("ledger", "load", str(loaded), "--source", source)
    view = write_book(d / "view.xlsm", customers=1, invoices=0, payments=0, ledger_source=source, lang=lang,
                      config=config)
    _cli("ledger", "reconcile", str(view), "--chunk-rows", CHUNK)
    return view


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> dict:
    book = write_book(tmp_path_factory.mktemp("plain") / "book.xlsm")
    assert _cli("regenerate", str(book)).exit_code == 0
    return sheet_values(book)


def _assert_same(plain: dict, got: dict, names=REPORTED) -> None:
    for name in names:
        assert got[name] == plain[name], f"sheet {name} differs"
    assert len(got["Aging"]) > 20 and len(got["Scorecard"]) == 26 and len(got["Dunning"]) >= 2


@pytest.fixture(scope="module")
def duck(tmp_path_factory) -> tuple[str, Path]:
    """A fresh DuckDB ledger of the reference book, posted; (source, the book that views it)."""
    d = tmp_path_factory.mktemp("duck")
    source = f"duckdb:{d / 'l.duckdb'}"
    return source, _posted(d, source)


def test_duckdb_report_equals_the_workbook_run(plain, duck) -> None:
    _source, view = duck
    result = _cli("ledger", "report", str(view), "--chunk-rows", CHUNK)
    assert result.exit_code == 0
    assert "Total receivables" in result.output and "Credit grades" in result.output
    _assert_same(plain, sheet_values(view))


def test_postgres_report_equals_the_workbook_run(plain, tmp_path, pg_db) -> None:
    view = _posted(tmp_path, pg_db)
    assert _cli("ledger", "report", str(view), "--chunk-rows", CHUNK).exit_code == 0
    _assert_same(plain, sheet_values(view))


def test_chinese_book_report_equals_the_workbook_run(tmp_path) -> None:
    book = write_book(tmp_path / "plain.xlsm", lang="zh-CN")
    assert _cli("regenerate", str(book)).exit_code == 0
    want = sheet_values(book)
    (tmp_path / "l").mkdir()
    view = _posted(tmp_path / "l", f"duckdb:{tmp_path / 'l.duckdb'}", lang="zh-CN")
    result = _cli("ledger", "report", str(view))
    assert "应收" in result.output or "账龄" in result.output, result.output  # the summary in the book's language
    got = sheet_values(view)
    for table in (schema.AGING, schema.SCORECARD, schema.DUNNING, schema.CASH_FORECAST):
        assert got[table.sheet_zh] == want[table.sheet_zh], table.sheet_zh
    assert got[schema.DASHBOARD_SHEET["zh-CN"]] == want[schema.DASHBOARD_SHEET["zh-CN"]]


def test_nobody_to_dun_gives_the_workbook_runs_sheets(tmp_path) -> None:
    """No dunning candidate at all (the minimum above every overdue total): the report still runs, exit 0. (An
    empty list of customer ids once reached DuckDB as a DOUBLE column and stopped the run with exit 3.)"""
    config = {"dunning_min_amount": 10**9}
    book = write_book(tmp_path / "plain.xlsm", config=config)
    assert _cli("regenerate", str(book)).exit_code == 0
    want = sheet_values(book)
    (tmp_path / "l").mkdir()
    view = _posted(tmp_path / "l", f"duckdb:{tmp_path / 'l.duckdb'}", config=config)
    assert _cli("ledger", "report", str(view), codes=(0,)).exit_code == 0
    got = sheet_values(view)
    assert len(got["Dunning"]) == len(want["Dunning"])
    for name in REPORTED:
        assert got[name] == want[name], name


def test_dirty_book_same_sheets_and_exit_1_for_the_rows_left_out(tmp_path) -> None:
    book = write_book(tmp_path / "plain.xlsm", mutate=_dirty)
    assert _cli("regenerate", str(book)).exit_code == 1
    want = sheet_values(book)
    view = _posted(tmp_path, f"duckdb:{tmp_path / 'l.duckdb'}", mutate=_dirty)
    result = _cli("ledger", "report", str(view), "--json")
    assert result.exit_code == 1 and '"rows_left_out"' in result.output
    got = sheet_values(view)
    for name in REPORTED:
        assert got[name] == want[name], name


def test_detail_beyond_the_sheet_is_cut_in_sql(plain, duck, tmp_path) -> None:
    """ledger_sheet_rows = 60: report_aging_detail holds every row of the workbook run's detail in its order, the
    sheet the same top rows as the in-memory ledger run shows (overflow.top_rows), after the note."""
    source, _view = duck
    view = write_book(tmp_path / "view.xlsm", customers=1, invoices=0, payments=0, ledger_source=source,
                      config={"ledger_sheet_rows": CAP})
    twin = write_book(tmp_path / "twin.xlsm", customers=1, invoices=0, payments=0, ledger_source=source,
                      config={"ledger_sheet_rows": CAP})
    assert _cli("aging", str(twin)).exit_code == 0  # the in-memory ledger run, cut in Python
    assert _cli("ledger", "report", str(view)).exit_code == 0
    got, memory = sheet_values(view)["Aging"], sheet_values(twin)["Aging"]
    assert len(got) <= CAP < len(plain["Aging"])
    note_row = next(i for i, r in enumerate(got) if isinstance(r[0], str) and "rows in all" in r[0])
    assert got[:note_row] == memory[:note_row] and got[note_row + 1:] == memory[note_row + 1:]
    run_id = got[note_row][0].split("run ")[1].split(":")[0]
    with connect(source) as store:
        stored = store.rows("SELECT * FROM report_aging_detail WHERE run_id = %s ORDER BY row_no", (run_id,))
        runs = store.rows("SELECT rows_total, rows_shown FROM report_runs WHERE run_id = %s "
                          "AND table_name = %s", (run_id, "report_aging_detail"))
    full = next(b for b in _blocks(plain["Aging"]) if b[0][0] == schema.AGING_DETAIL.columns[0].en)[1:]
    assert runs == [(len(full), len(got) - note_row - 1)] and f"{len(full):,} rows in all" in got[note_row][0]
    money = [c.type == "money" for c in schema.AGING_DETAIL.columns]
    assert [tuple(round(v * 100) if m else v for v, m in zip(row, money)) for row in full] == \
        [tuple(r[2:]) for r in stored]


def test_unusable_input_exits_2_and_writes_nothing(tmp_path) -> None:
    book = write_book(tmp_path / "book.xlsm")
    before = book.read_bytes()
    assert "no ledger" in _cli("ledger", "report", str(book), codes=(2,)).output
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    assert "ledger init" in _cli("ledger", "report", str(book), "--source", source, codes=(2,)).output
    _cli("ledger", "load", str(book), "--source", source)  # loaded, never reconciled
    assert "ledger reconcile" in _cli("ledger", "report", str(book), "--source", source, codes=(2,)).output
    assert book.read_bytes() == before
    # posted, then one more payment loaded: the report runs (posted cash only) and says how many are waiting
    _cli("ledger", "reconcile", str(book), "--source", source)
    with connect(source) as store:
        store.execute("INSERT INTO payments (payment_id, payment_date, customer_id, amount, _seq) "
                      "SELECT 'LATE-1', MIN(payment_date), MIN(customer_id), 100, 99999 FROM payments")
    result = _cli("ledger", "report", str(book), "--source", source, codes=(0,))
    assert "1 payment(s) in the ledger not posted yet" in result.output
