"""Detail beyond a sheet's rows: the ledger keeps every row, the sheet the top rows and a note (issue #16 item 2)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import sheet_values, write_book  # noqa: E402

from xlfin import schema  # noqa: E402
from xlfin.cli.main import app  # noqa: E402
from xlfin.ledger.overflow import rows_needed, shares, top_rows  # noqa: E402

runner = CliRunner()
CAP = 60  # rows a generated sheet may use in these tests (Config ledger_sheet_rows)


def _cli(*args: str) -> int:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output + repr(result.exception)
    return result.exit_code


def test_shares_fit_the_sheet_and_keep_small_tables_whole() -> None:
    assert shares([10, 3, 0], 100) == [10, 3, 0]  # fits: untouched
    got = shares([500, 3, 0, 400], 60)
    assert got[1] == 3 and got[2] == 0
    assert rows_needed(got) <= 60 and rows_needed([g + 0 for g in got]) >= 57  # nearly all rows used
    assert abs(got[0] - got[3]) <= 1  # the two large ones share equally


def test_top_rows_oldest_first_else_largest() -> None:
    aged = pd.DataFrame({"invoice_no": list("abcd"), "days_overdue": [5, 90, 90, 0], "outstanding": [1, 2, 7, -9]})
    assert top_rows(aged, 3)["invoice_no"].tolist() == ["c", "b", "a"]
    paid = pd.DataFrame({"payment_id": list("abcd"), "amount": [5, -90, 90, 1]})
    assert top_rows(paid, 3)["payment_id"].tolist() == ["b", "c", "a"]  # by size, ties in engine order


def _blocks(rows: list[tuple]) -> list[list[tuple]]:
    """A stacked sheet's tables: lists of rows (header first), split at blank rows."""
    out, cur = [], []
    for r in rows:
        if all(v is None for v in r):
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(r)
    if cur:
        out.append(cur)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("overflow")
    plain = write_book(d / "plain.xlsm")
    assert _cli("regenerate", str(plain)) == 0
    ledger = d / "ledger.duckdb"
    source = write_book(d / "source.xlsm")
    assert _cli("ledger", "load", str(source), "--source", f"duckdb:{ledger}") == 0
    view = write_book(d / "view.xlsm", customers=1, invoices=0, payments=0, ledger_source=f"duckdb:{ledger}",
                      config={"ledger_sheet_rows": CAP})
    assert _cli("regenerate", str(view)) == 0
    return sheet_values(plain), sheet_values(view), ledger


def test_cut_sheets_keep_top_rows_and_a_note_and_the_ledger_every_row(runs) -> None:
    plain, cut, ledger = runs
    for sheet, table, order_col in (("Reconciliation", schema.ALLOCATIONS, "amount"),
                                    ("Aging", schema.AGING_DETAIL, "days_overdue")):
        assert len(cut[sheet]) <= CAP < len(plain[sheet])
        full = next(b for b in _blocks(plain[sheet]) if b[0][0] == table.columns[0].en)
        short = next(b for b in _blocks(cut[sheet]) if b[0][0] == table.columns[0].en)
        note = short[1][0]
        assert f"{len(full) - 1:,} rows in all" in note and f"report_{table.key}" in note and "共" in note
        run_id = note.split("run ")[1].split(":")[0]
        with duckdb.connect(str(ledger), read_only=True) as con:
            stored = con.execute(f"SELECT * FROM report_{table.key} WHERE run_id = ? ORDER BY row_no",
                                 [run_id]).fetchall()
        assert len(stored) == len(full) - 1
        # every row of the workbook-only run is in the ledger, in the engine's order (money in cents)
        keys = [c.key for c in table.columns]
        for row, db_row in zip(full[1:], stored):
            for key, value, got in zip(keys, row, db_row[2:]):
                want = round(value * 100) if table.columns[keys.index(key)].type == "money" and value is not None \
                    else value
                assert got == want, (key, row, db_row)
        # the shown rows are the first of the sorted order, taken from the full detail
        shown = short[2:]
        assert set(shown) <= set(full[1:])
        col = keys.index(order_col)
        values = [abs(r[col]) if order_col == "amount" else r[col] for r in shown]
        assert values == sorted(values, reverse=True)
        rest = [abs(r[col]) if order_col == "amount" else r[col] for r in full[1:] if r not in set(shown)]
        assert max(rest) <= min(values)


def test_sheets_that_fit_are_unchanged(runs) -> None:
    plain, cut, _ = runs
    assert cut["Scorecard"] == plain["Scorecard"]
    assert cut["Dunning"] == plain["Dunning"]


@given(st.integers(0, 400), st.integers(0, 4000), st.integers(5, 300))
def test_a_table_cut_in_sql_is_not_cut_again(summary: int, detail: int, limit: int) -> None:
    """The Aging detail is cut in SQL to its share of [summary, detail]; when the sheet is fitted, that table keeps
    its rows (fixed) and the sheet fits: the note's rows and report table are written once."""
    from xlfin.ledger.overflow import rows_needed, shares

    keep = shares([summary, detail], limit)[1]
    allowed = shares([summary, keep], limit, frozenset({1}))
    assert allowed[1] == keep
    assert rows_needed([max(a, 0) for a in allowed]) <= max(limit, rows_needed([0, 0]))
