"""The Dunning list from the posted ledger (ledger/dunning_sql.py) equals the workbook-only run's, on a book with
every shape the dunning run reads: dunning hold, a closed customer, disputed invoices, credit notes, payment plans
kept and broken, a dunning log with earlier levels, unapplied cash, a payment the load left out, custom
tblDunningLevels; in one range and in many; on DuckDB and PostgreSQL; notices, lines and exclusions alike."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from books import sheet_values  # noqa: E402

from xlfin import schema  # noqa: E402
from xlfin.adapters.file import open_workbook  # noqa: E402
from xlfin.app.demo import DEMO_AS_OF, INPUT_KEYS, fill_input_table, set_config  # noqa: E402
from xlfin.app.demo_data import generate_demo  # noqa: E402
from xlfin.app.operations import Run  # noqa: E402
from xlfin.cli.main import app  # noqa: E402
from xlfin.ledger.allocate import post_reconciliation  # noqa: E402
from xlfin.ledger.ddl import init  # noqa: E402
from xlfin.ledger.dunning_sql import dunning_from_ledger, ranges  # noqa: E402
from xlfin.ledger.load import load_raws  # noqa: E402
from xlfin.ledger.pushdown import Figures  # noqa: E402
from xlfin.ledger.store import connect  # noqa: E402

runner = CliRunner()
LEVELS = pd.DataFrame({"level": [1, 2, 5], "from_days": [5, 20, 45],
                       "action": ["Reminder", "Firm letter", "Lawyer's letter"],
                       "template": ["reminder", "firm", "legal"], "fee": [0.0, 12.5, 80.0]})


def _days(n: int) -> dt.date:
    return DEMO_AS_OF - dt.timedelta(days=n)


def _odd(data: dict) -> None:
    """The reference book bent into every shape build_dunning reads."""
    cus, inv, pay, plans = data["customers"], data["invoices"], data["payments"], data["payment_plans"]
    cus.loc[cus["customer_id"].isin(["C1004", "C1008"]), "dunning_hold"] = "Yes"
    cus.loc[cus["customer_id"] == "C1011", "status"] = "Closed"
    overdue = inv.index[(pd.to_datetime(inv["due_date"]) < pd.Timestamp(_days(30))).to_numpy()]
    inv.loc[overdue[::7], "disputed"] = "Yes"
    cus.loc[cus["customer_id"] == "C1013", "currency"] = None  # its invoices' currency from the Config default
    inv.loc[inv["customer_id"] == "C1013", "currency"] = None
    # cash nobody could apply, posted to a customer: its credit may cover the overdue total
    extra = pay.iloc[:2].copy()
    extra["payment_id"] = ["PMT-U1", "PMT-U2"]
    extra["customer_id"] = ["C1028", "C1015"]
    extra["amount"] = [5_000.0, 17.0]
    extra["reference"] = extra["applied_to"] = None
    extra["payment_date"] = [pd.Timestamp(_days(3)), pd.Timestamp(_days(4))]
    pay.loc[len(pay)] = extra.iloc[0]
    pay.loc[len(pay)] = extra.iloc[1]
    # an invoice three days overdue, its customer's only one: below a ladder that starts at five days
    late = inv.iloc[0].copy()
    late[["invoice_no", "customer_id", "invoice_date", "due_date", "amount", "disputed"]] = \
        ["INV-99001", "C1023", pd.Timestamp(_days(33)), pd.Timestamp(_days(3)), 500.0, None]
    inv.loc[len(inv)] = late
    # a payment the load cannot read: its customer is not dunned (its balance is unsure)
    pay["amount"] = pay["amount"].astype(object)
    pay.loc[pay.index[pay["customer_id"] == "C1010"][0], "amount"] = "12,3x"
    # a plan broken at its first instalments (blank list: every invoice due before its first date)
    broken = plans.iloc[0].copy()
    broken[["plan_id", "customer_id", "total", "instalments", "first_date", "invoices"]] = \
        ["PP-009", "C1016", 900.0, 3, pd.Timestamp(_days(70)), None]
    plans.loc[len(plans)] = broken


def _log() -> pd.DataFrame:
    """Earlier notices: a level-1 notice 30 days ago caps C1020 at level 2, a level-2 one lets C1022 reach 5; one
    too old and one dated as-of (today's own run) do not count."""
    rows = [(_days(30), "C1020", 1), (_days(10), "C1019", 2), (_days(15), "C1022", 2), (_days(90), "C1023", 1),
            (_days(0), "C1009", 1), (_days(20), "C1001", 1), (_days(5), "C1001", 2)]
    return pd.DataFrame({"date": [r[0] for r in rows], "customer_id": [r[1] for r in rows],
                         "level": [r[2] for r in rows], "invoices": "INV-1", "total_due": 10.0, "letter": ""})


def _book(path: Path, *, inputs: bool = True, source: str = "workbook", lang="en", config: dict | None = None) -> Path:
    """The odd book (inputs=False: a view book of a ledger), with the custom ladder and the log."""
    from xlfin.template import package_workbook
    from xlfin.template.builder import build_workbook

    wb = build_workbook(lang)
    data = generate_demo(seed=11, customers=30, invoices=400, payments=150, as_of=DEMO_AS_OF, lang=lang)
    _odd(data)
    for key in INPUT_KEYS if inputs else ("customers",):
        fill_input_table(wb, schema.TABLES[key], data[key].iloc[: None if inputs else 1], lang)
    fill_input_table(wb, schema.DUNNING_LEVELS, LEVELS, lang)
    fill_input_table(wb, schema.DUNNING_LOG, _log(), lang)
    set_config(wb, {"as_of_date": DEMO_AS_OF, "ledger_source": source, "dunning_interest_pa": 8.25,
                    "reconcile_fifo": False, **(config or {})}, lang)
    path.write_bytes(package_workbook(wb, lang))
    return path


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory) -> Run:
    wb = open_workbook(_book(tmp_path_factory.mktemp("odd") / "book.xlsm"), read_only=True)
    run = Run(wb)
    _ = run.dunning
    wb.close()
    return run


def _same(got, want) -> None:
    pd.testing.assert_frame_equal(got.notices, want.notices)
    pd.testing.assert_frame_equal(got.items, want.items)
    pd.testing.assert_frame_equal(got.excluded, want.excluded)
    assert got.levels == want.levels


def test_the_odd_book_has_every_shape(plain_run) -> None:
    run = plain_run.dunning
    assert [lv.level for lv in run.levels] == [1, 2, 5]
    reasons = set(run.excluded["reason"])
    assert {"closed", "dunning_hold", "payment_left_out", "covered_by_credit", "below_first_level"} <= reasons
    assert len(run.notices) >= 5 and set(run.notices["level"]) >= {2, 5}
    capped = run.notices[run.notices["customer_id"] == "C1020"]
    assert list(capped["level"]) == [2] and int(capped["max_days_overdue"].iloc[0]) >= 45  # the log's cap
    assert (run.items["plan_id"] == "PP-009").any()  # lines of the broken plan carry it
    assert run.notices["interest"].sum() > 0 and run.notices["fee"].sum() > 0
    assert plain_run.validation.customers_with_left_out("payments") == ["C1010"]


@pytest.mark.parametrize("kind", ["duckdb", "postgresql"])
def test_dunning_from_the_ledger_equals_the_workbook_run(plain_run, tmp_path, kind, request) -> None:
    source = f"duckdb:{tmp_path / 'l.duckdb'}" if kind == "duckdb" else request.getfixturevalue("pg_db")
    run = plain_run
    with connect(source) as store:
        init(store)
        load_raws(store, run.raws, run.validation, run.settings)
        post_reconciliation(store, run.settings, run.as_of)
        items = Figures(store, run.settings, run.as_of).TABLE
        assert len(ranges(store, items, 25)) > 4
        whole = dunning_from_ledger(store, run.settings, run.as_of, run.config[2], run.dunning_log, items)
        pieces = dunning_from_ledger(store, run.settings, run.as_of, run.config[2], run.dunning_log, items,
                                     chunk_rows=25)
        alone = dunning_from_ledger(store, run.settings, run.as_of, run.config[2], run.dunning_log)
    for got in (whole, pieces, alone):
        _same(got, run.dunning)


def test_ledger_report_writes_the_regenerate_dunning_sheet_and_summary(tmp_path) -> None:
    """`xlfin ledger report` after `ledger reconcile` on a fresh ledger: the Dunning sheet and the summary's
    dunning figures (notices, levels, exclusions by reason, total due) equal `regenerate`'s."""
    plain = _book(tmp_path / "plain.xlsm")
    regen = runner.invoke(app, ["regenerate", str(plain), "--json"])
    assert regen.exit_code == 1, regen.output  # the unreadable payment amount
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    assert runner.invoke(app, ["ledger", "load", str(plain), "--source", source]).exit_code == 1
    view = _book(tmp_path / "view.xlsm", inputs=False, source=source)
    assert runner.invoke(app, ["ledger", "reconcile", str(view)]).exit_code in (0, 1)
    report = runner.invoke(app, ["ledger", "report", str(view), "--json", "--chunk-rows", "30"])
    assert report.exit_code == 1, report.output
    assert sheet_values(view)["Dunning"] == sheet_values(plain)["Dunning"]
    want, got = (json.loads(r.output[r.output.index("{"):])["results"]["dunning"] for r in (regen, report))
    assert got == want and want["notices"] >= 5 and want["excluded"]["payment_left_out"] == 1


def test_nobody_overdue_still_checks_the_ladder(tmp_path) -> None:
    """A ledger with documents but no overdue item: the run checks tblDunningLevels as the workbook run does."""
    from xlfin.engine.dunning import DunningError
    from xlfin.schema.settings import DunningLevel, Settings

    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    with connect(source) as store:
        init(store)
        store.execute("INSERT INTO customers (customer_id, name, _seq) VALUES ('C1', 'One', 1)")
        store.execute("INSERT INTO invoices (invoice_no, customer_id, invoice_date, due_date, amount, _seq) "
                      "VALUES ('I1', 'C1', DATE '2026-01-01', DATE '2026-12-31', 100, 1)")
        good = (DunningLevel(level=1, from_days=1, action="a", template="t"),)
        twice = good * 2
        as_of = dt.date(2026, 6, 1)
        assert dunning_from_ledger(store, Settings(), as_of, good).notices.empty
        with pytest.raises(DunningError, match="unique"):
            dunning_from_ledger(store, Settings(), as_of, twice)
        store.execute("DELETE FROM invoices")
        assert dunning_from_ledger(store, Settings(), as_of, twice).notices.empty  # no documents: nothing checked


def test_notices_beyond_the_sheet_follow_the_overflow_rule(plain_run, tmp_path) -> None:
    """ledger_sheet_rows = 8: the Dunning sheet holds a note and the largest notices, report_dunning every notice
    of the workbook run (overflow.py's rule, as for the other cut tables)."""
    plain = _book(tmp_path / "plain.xlsm")
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    runner.invoke(app, ["ledger", "load", str(plain), "--source", source])
    view = _book(tmp_path / "view.xlsm", inputs=False, source=source, config={"ledger_sheet_rows": 8})
    assert runner.invoke(app, ["ledger", "reconcile", str(view)]).exit_code in (0, 1)
    from xlfin.app.ledger_report import execute_report
    from xlfin.ledger.view import ledger_view

    book = ledger_view(open_workbook(view))
    try:
        execute_report(book, actions=["dunning"])
    finally:
        book.close()
    sheet = sheet_values(view)["Dunning"]
    assert len(sheet) <= 8 and any(isinstance(r[0], str) and "rows in all" in r[0] for r in sheet)
    want = plain_run.dunning.notices
    with connect(source) as store:
        stored = store.frame("SELECT customer_id, total_due FROM report_dunning ORDER BY row_no")
    assert list(stored["customer_id"]) == list(want["customer_id"])
    assert list(stored["total_due"].astype("int64")) == list(want["total_due"])


def test_every_sheet_cut_short_keeps_a_note(tmp_path) -> None:
    """ledger_sheet_rows = 8 for all five sheets: the Forecast's week table has no text column, so its note goes in
    its first free column (it stopped `ledger report` with exit 3 before); every cut sheet shows the note."""
    plain = _book(tmp_path / "plain.xlsm")
    source = f"duckdb:{tmp_path / 'l.duckdb'}"
    runner.invoke(app, ["ledger", "load", str(plain), "--source", source])
    view = _book(tmp_path / "view.xlsm", inputs=False, source=source, config={"ledger_sheet_rows": 8})
    assert runner.invoke(app, ["ledger", "reconcile", str(view)]).exit_code in (0, 1)
    done = runner.invoke(app, ["ledger", "report", str(view)])
    assert done.exit_code in (0, 1), done.output
    sheets = sheet_values(view)
    for name in ("Aging", "Dunning", "Forecast"):
        cells = [v for row in sheets[name] for v in row]
        assert len(sheets[name]) <= 8 and any(isinstance(v, str) and "rows in all" in v for v in cells), name
