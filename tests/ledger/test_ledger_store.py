"""Choosing the ledger, keeping secrets out of the workbook, loading by key, and exporting back."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import write_book  # noqa: E402

from xlfin.adapters.file import open_workbook  # noqa: E402
from xlfin.app.operations import Run  # noqa: E402
from xlfin.cli.main import app  # noqa: E402
from xlfin.ledger.ddl import LEDGER_TABLES, create_table_sql  # noqa: E402
from xlfin.ledger.load import read_frame  # noqa: E402
from xlfin.ledger.store import LedgerError, Source, connect, parse_source  # noqa: E402
from xlfin.schema.settings import settings_from_rows  # noqa: E402

runner = CliRunner()


@pytest.mark.parametrize(("text", "expected"), [
    ("", None), ("workbook", None), ("Workbook", None),
    ("duckdb:/data/ar.duckdb", Source("duckdb", "/data/ar.duckdb")),
    ("/data/ar.duckdb", Source("duckdb", "/data/ar.duckdb")),
    ("postgresql://ar@db.example/ledger", Source("postgresql", "postgresql://ar@db.example/ledger")),
    ("postgres://db.example:5433/ledger", Source("postgresql", "postgres://db.example:5433/ledger")),
])
def test_sources(text: str, expected: Source | None) -> None:
    assert parse_source(text) == expected


@pytest.mark.parametrize("text", ["postgresql://ar:s3cret@db/ledger", "mysql://db/ledger", "duckdb:"])
def test_unusable_sources_are_refused(text: str) -> None:
    with pytest.raises(LedgerError) as info:
        parse_source(text)
    assert "s3cret" not in str(info.value)


def test_config_refuses_a_password_and_keeps_the_workbook() -> None:
    settings, problems = settings_from_rows([("ledger_source", "postgresql://ar:s3cret@db/ledger")])
    assert settings.ledger_source == "workbook"
    assert [p.key for p in problems] == ["ledger_source"] and "PGPASSWORD" in problems[0].message
    settings, problems = settings_from_rows([("ledger_source", "postgresql://ar@db/ledger")])
    assert settings.ledger_source == "postgresql://ar@db/ledger" and not problems


def test_tables_follow_the_schema_keys() -> None:
    sql = create_table_sql(next(t for t in LEDGER_TABLES if t.key == "invoices"))
    assert '"amount" BIGINT' in sql and '"invoice_date" DATE' in sql and '"disputed" BOOLEAN' in sql
    assert 'PRIMARY KEY ("invoice_no")' in sql and '"paid"' not in sql  # computed columns are not stored


def test_a_run_on_a_ledger_without_tables_exits_2_and_changes_nothing(tmp_path) -> None:
    book = write_book(tmp_path / "b.xlsm", customers=2, invoices=3, payments=1,
                      ledger_source=f"duckdb:{tmp_path / 'empty.duckdb'}")
    before = book.read_bytes()
    result = runner.invoke(app, ["aging", str(book)])
    assert result.exit_code == 2, result.output
    assert "ledger init" in result.output
    assert book.read_bytes() == before


def test_a_password_on_the_command_line_is_refused(tmp_path) -> None:
    result = runner.invoke(app, ["ledger", "init", "--source", "postgresql://ar:s3cret@127.0.0.1/x"])
    assert result.exit_code == 2 and "PGPASSWORD" in result.output and "s3cret" not in result.output


def test_load_is_idempotent_and_export_gives_the_same_rows_back(tmp_path) -> None:
    src = f"duckdb:{tmp_path / 'l.duckdb'}"
    book = write_book(tmp_path / "b.xlsm", customers=8, invoices=60, payments=40)
    for _ in range(2):
        assert runner.invoke(app, ["ledger", "load", str(book), "--source", src]).exit_code == 0
    with connect(src) as store:
        first = {t.key: read_frame(store, t) for t in LEDGER_TABLES}
    assert runner.invoke(app, ["ledger", "load", str(book), "--source", src]).exit_code == 0
    with connect(src) as store:
        again = {t.key: read_frame(store, t) for t in LEDGER_TABLES}
    for key in first:
        pd.testing.assert_frame_equal(first[key], again[key])
    assert len(first["invoices"]) == 60 and len(first["payments"]) == 40

    out = tmp_path / "exported.xlsm"
    result = runner.invoke(app, ["ledger", "export", str(out), "--source", src])
    assert result.exit_code == 0, result.output
    frames = {}
    for path in (book, out):
        wb = open_workbook(path, read_only=True)
        try:
            frames[path] = Run(wb).frames
        finally:
            wb.close()
    for key in ("customers", "invoices", "payments", "financials", "payment_plans"):
        a = frames[book][key].drop(columns=["_row"], errors="ignore").reset_index(drop=True)
        b = frames[out][key].drop(columns=["_row"], errors="ignore").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
