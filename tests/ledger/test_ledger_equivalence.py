"""With Config ledger_source set, every verb reads the input tables from the ledger and writes the same sheets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import sheet_values, write_book  # noqa: E402

from xlfin.cli.main import app  # noqa: E402

runner = CliRunner()


def _cli(*args: str) -> int:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output + repr(result.exception)
    return result.exit_code


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory) -> tuple[Path, dict]:
    """The workbook-only run of the reference book: the truth the ledger runs must match."""
    d = tmp_path_factory.mktemp("plain")
    book = write_book(d / "book.xlsm")
    code = _cli("regenerate", str(book))
    return book, {"code": code, "sheets": sheet_values(book)}


def _ledger_run(tmp: Path, source: str, lang: str = "en") -> tuple[int, dict]:
    source_book = write_book(tmp / "source.xlsm", lang=lang)  # the same data, loaded into the ledger
    assert _cli("ledger", "init", "--source", source) == 0
    assert _cli("ledger", "load", str(source_book), "--source", source) == 0
    assert _cli("ledger", "load", str(source_book), "--source", source) == 0  # idempotent: loading again is a no-op
    # The book the user looks at: Config points at the ledger; its input sheets are EMPTY so nothing can leak in.
    book = write_book(tmp / "view.xlsm", customers=1, invoices=0, payments=0, ledger_source=source, lang=lang)
    code = _cli("regenerate", str(book))
    return code, sheet_values(book)


def _assert_same_reports(plain: dict, ledger: dict, expected: set[str] = frozenset(
        {"Reconciliation", "Aging", "Scorecard", "Dunning", "Dashboard", "Forecast", "Validation"})) -> None:
    from xlfin import schema

    inputs = {n for t in schema.INPUT_TABLES for n in (t.sheet_en, t.sheet_zh)}
    generated = [name for name in plain["sheets"] if name not in inputs]
    assert expected <= set(generated)
    for name in generated:
        assert ledger[name] == plain["sheets"][name], f"sheet {name} differs"


def test_duckdb_ledger_run_equals_workbook_run(plain_run, tmp_path) -> None:
    _book, plain = plain_run
    code, sheets = _ledger_run(tmp_path, f"duckdb:{tmp_path / 'ledger.duckdb'}")
    assert code == plain["code"]
    _assert_same_reports(plain, sheets)


def test_postgres_ledger_run_equals_workbook_run(plain_run, tmp_path, pg_db) -> None:
    _book, plain = plain_run
    code, sheets = _ledger_run(tmp_path, pg_db)
    assert code == plain["code"]
    _assert_same_reports(plain, sheets)


def test_duckdb_ledger_run_equals_workbook_run_in_chinese(tmp_path) -> None:
    from xlfin import schema

    plain_book = write_book(tmp_path / "plain.xlsm", lang="zh-CN")
    code = _cli("regenerate", str(plain_book))
    plain = {"code": code, "sheets": sheet_values(plain_book)}
    (tmp_path / "l").mkdir()
    ledger_code, sheets = _ledger_run(tmp_path / "l", f"duckdb:{tmp_path / 'ledger.duckdb'}", lang="zh-CN")
    assert ledger_code == code
    _assert_same_reports(plain, sheets, {schema.AGING.sheet_zh, schema.SCORECARD.sheet_zh, schema.DUNNING.sheet_zh,
                                         schema.CASH_FORECAST.sheet_zh})


def _dirty(data: dict) -> None:
    """Mistakes users make: unreadable amounts and dates, repeated and missing keys, a payment to no one."""
    inv, pay, cus = data["invoices"], data["payments"], data["customers"]
    inv["amount"] = inv["amount"].astype(object)
    inv.loc[3, "amount"] = "12,3x"
    inv["invoice_date"] = inv["invoice_date"].astype(object)
    inv.loc[5, "invoice_date"] = "31/31/2026"
    inv.loc[8, "invoice_no"] = inv.loc[7, "invoice_no"]
    inv.loc[9, "customer_id"] = None
    inv.loc[10, "customer_id"] = "NOBODY"
    pay["amount"] = pay["amount"].astype(object)
    pay.loc[4, "amount"] = -5
    pay.loc[6, "payment_id"] = pay.loc[2, "payment_id"]
    cus["email"] = cus["email"].astype(object)
    cus.loc[1, "email"] = "not-an-address"


def test_a_dirty_book_gives_the_same_sheets_and_exit_code(tmp_path) -> None:
    plain_book = write_book(tmp_path / "plain.xlsm", mutate=_dirty)
    code = _cli("regenerate", str(plain_book))
    plain = {"code": code, "sheets": sheet_values(plain_book)}
    assert code == 1
    source = f"duckdb:{tmp_path / 'ledger.duckdb'}"
    loaded = write_book(tmp_path / "source.xlsm", mutate=_dirty)
    assert _cli("ledger", "load", str(loaded), "--source", source) == 1  # rows left out: reported, exit 1
    assert _cli("ledger", "load", str(loaded), "--source", source) == 1
    book = write_book(tmp_path / "view.xlsm", customers=1, invoices=0, payments=0, ledger_source=source)
    assert _cli("regenerate", str(book)) == code
    sheets = sheet_values(book)
    validation = sheets["Validation"]
    assert len(validation) > 5 and validation == plain["sheets"]["Validation"]
    _assert_same_reports(plain, sheets)
