"""Live adapter through real xlwings code (xw.Book, Range.value, sheet.tables) on the in-memory engine."""

from __future__ import annotations

from pathlib import Path

import fake_xlwings_engine as fake
import pandas as pd
import pytest
import xlwings as xw
from test_file_roundtrip import aging_frames, allocations, audit_rows, unapplied

from xlfin import schema
from xlfin.excel.live import LiveWorkbook
from xlfin.adapters import open_workbook
from xlfin.schema.tables import WorkbookError


@pytest.fixture
def book(engine, tmp_path: Path) -> xw.Book:
    path = tmp_path / "live.xlsx"
    fake.build_sample(path)
    return fake.open_book(path)


def test_book_is_a_real_xlwings_book_on_the_fake_engine(book) -> None:
    assert isinstance(book, xw.Book) and book.app.engine.name == fake.ENGINE_NAME
    # xlwings' own converters run on it
    df = book.sheets["Customers"]["A1"].expand().options(pd.DataFrame, index=False).value
    assert df["Customer ID"].tolist() == ["C001", "C002", "00123"]


def test_reads_match_the_file_adapter(book, tmp_path: Path) -> None:
    live = LiveWorkbook(book)
    with open_workbook(tmp_path / "live.xlsx", read_only=True) as file:
        for table in (schema.CUSTOMERS, schema.INVOICES, schema.PAYMENTS, schema.CONFIG, schema.DUNNING_LEVELS):
            a, b = live.read_table(table), file.read_table(table)
            assert (a.sheet, a.header_row, a.first_col, a.positions, a.extra_columns) == \
                   (b.sheet, b.header_row, b.first_col, b.positions, b.extra_columns)
            assert a.frame.shape == b.frame.shape
        assert live.read_config() == file.read_config()
    invoices = live.read_table(schema.INVOICES)
    assert invoices.frame["amount"].tolist() == [1200.5, "12O0", 100.0]  # Excel numbers are doubles
    assert live.language() == "en"


def test_each_table_is_read_in_one_values_call(book, monkeypatch) -> None:
    calls: list[tuple] = []
    real = fake.Range.raw_value.fget

    def counting(self):
        calls.append((self.sheet.name, self.arg1, self.arg2))
        return real(self)

    monkeypatch.setattr(fake.Range, "raw_value", property(counting, fake.Range.raw_value.fset))
    live = LiveWorkbook(book)
    live.read_table(schema.CUSTOMERS)
    customer_reads = [c for c in calls if c[0] == "Customers"]
    # one for the ListObject's header row (to match columns), one for the whole table
    assert customer_reads == [("Customers", (1, 1), (1, 13)), ("Customers", (1, 1), (4, 13))]


def test_staged_writes_appear_only_at_commit(book) -> None:
    live = LiveWorkbook(book)
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations()), (schema.UNAPPLIED, unapplied())],
                       "en")
    live.append_rows(schema.AUDIT, audit_rows("reconcile"), "en")
    assert "Reconciliation" not in [s.name for s in book.sheets]
    with live.running(status="xlfin: reconcile"):
        live.commit()
    names = [s.name for s in book.sheets]
    assert names == ["Customers", "应收发票", "Payments", "Config", "Reconciliation", "Audit", "Notes"]
    fresh = LiveWorkbook(book)
    assert fresh.read_table(schema.ALLOCATIONS).frame["amount"].tolist() == [1100.5, 1100.51]
    assert fresh.read_table(schema.UNAPPLIED).header_row == 5
    assert fresh.read_table(schema.AUDIT).frame["action"].tolist() == ["reconcile"]


def test_text_is_stored_as_text_not_formulas_or_numbers(book) -> None:
    live = LiveWorkbook(book)
    frame = allocations()
    frame.loc[1, "customer_id"] = "00123"
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, frame), (schema.UNAPPLIED, unapplied())], "en")
    live.commit()
    ws = book.sheets["Reconciliation"].api
    assert ws["E2"].value == '=HYPERLINK("http://x","y")' and ws["E2"].data_type == "s"
    assert ws["D6"].value == "+cmd|' /C calc'!A0" and ws["D6"].data_type == "s"
    assert ws["C3"].value == "00123"
    assert ws["D2"].value == 1100.5 and ws["D2"].number_format == "#,##0.00"


def test_rerun_resizes_kept_tables_and_moves_the_lower_one(book) -> None:
    live = LiveWorkbook(book)
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations(1)), (schema.UNAPPLIED, unapplied())],
                       "en")
    live.commit()
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations(6)), (schema.UNAPPLIED, unapplied())],
                       "en")
    live.commit()
    tables = {t.name: t.range.address for t in book.sheets["Reconciliation"].tables}
    assert tables == {"tblAllocations": "$A$1:$F$7", "tblUnapplied": "$A$9:$E$10"}
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations(2)),
                                          (schema.UNAPPLIED, unapplied().iloc[0:0])], "en")
    live.commit()
    tables = {t.name: t.range.address for t in book.sheets["Reconciliation"].tables}
    assert tables == {"tblAllocations": "$A$1:$F$3", "tblUnapplied": "$A$5:$E$6"}
    ws = book.sheets["Reconciliation"].api
    assert ws["A8"].value is None and ws["A10"].value is None  # nothing left from the longer run


def test_append_rows_adds_below_existing_rows(book) -> None:
    live = LiveWorkbook(book)
    summary, detail = aging_frames()
    for action in ("aging", "dunning"):
        live.replace_sheet("Aging", [(schema.AGING, summary), (schema.AGING_DETAIL, detail)], "en")
        live.append_rows(schema.AUDIT, audit_rows(action), "en")
        live.commit()
    audit = LiveWorkbook(book).read_table(schema.AUDIT)
    assert audit.frame["action"].tolist() == ["aging", "dunning"]
    assert [t.range.address for t in book.sheets["Audit"].tables] == ["$A$1:$N$3"]  # 14 columns (issue #17)


def test_app_state_is_restored_after_an_error(book) -> None:
    app = book.app
    live = LiveWorkbook(book)
    with pytest.raises(RuntimeError), live.running(status="xlfin: validate"):
        assert (app.screen_updating, app.enable_events, app.calculation) == (False, False, "manual")
        assert app.status_bar == "xlfin: validate"
        live.progress("reading")
        raise RuntimeError("boom")
    assert (app.screen_updating, app.enable_events, app.display_alerts, app.calculation) == \
           (True, True, True, "automatic")
    assert app.status_bar is False  # Excel has the status bar back
    assert "xlfin: reading …" in app.impl.status_history


def test_failed_run_writes_nothing(book) -> None:
    live = LiveWorkbook(book)
    live.replace_sheet("Validation", [(schema.VALIDATION, pd.DataFrame())], "en")
    live.mark_problems([{"cell": "Customers!B3", "message": "bad", "severity": "error"}])
    live.close()  # the run failed before commit
    live.commit()
    assert "Validation" not in [s.name for s in book.sheets]
    assert book.sheets["Customers"]["B3"].color is None


def test_mark_problems_colours_cells_and_adds_notes(book) -> None:
    customers = book.sheets["Customers"]
    customers["C3"].add_note("call Bo first")
    live = LiveWorkbook(book)
    problems = [
        {"cell": "Customers!B3", "message": "name missing", "severity": "error"},
        {"cell": "Customers!C3", "message": "contact odd", "severity": "warning"},
        {"cell": "'应收发票'!M5", "message": "amount is not a number", "severity": "error"},
        {"cell": None, "message": "no cell"},
    ]
    live.mark_problems(problems)
    live.commit()
    assert customers["B3"].color == (255, 199, 206)
    assert customers["B3"].note.text == "xlfin: name missing"
    assert customers["C3"].color == (255, 235, 156)
    assert customers["C3"].note.text == "call Bo first\n\nxlfin: contact odd"
    assert book.sheets["应收发票"]["M5"].note.text == "xlfin: amount is not a number"
    live.mark_problems([{"cell": "Customers!B3", "message": "still missing", "severity": "error"}])
    live.commit()
    assert customers["B3"].note.text == "xlfin: still missing"


def test_sheet_for_charts_is_an_xlwings_sheet(book) -> None:
    live = LiveWorkbook(book)
    sheet = live.sheet_for_charts("Dashboard", "zh-CN")
    assert isinstance(sheet, xw.Sheet) and sheet.name == "仪表板"
    sheet["A1"].value = [["KPI", 1.0]]
    again = live.sheet_for_charts("Dashboard", "zh-CN")
    assert again["A1"].value is None


def test_missing_table_is_a_workbook_error(book) -> None:
    book.sheets["Payments"].delete()
    with pytest.raises(WorkbookError, match="tblPayments not found"):
        LiveWorkbook(book).read_table(schema.PAYMENTS)


def test_merged_cells_in_a_table_are_refused(book) -> None:
    book.sheets["Customers"].api.merge_cells("B2:C2")
    with pytest.raises(WorkbookError, match=r"tblCustomers: merged cells in A1:M4"):
        LiveWorkbook(book).read_table(schema.CUSTOMERS)


def test_commit_with_output_saves_a_copy(book, tmp_path: Path) -> None:
    live = LiveWorkbook(book)
    live.replace_sheet("Validation", [(schema.VALIDATION, pd.DataFrame())], "en")
    out = live.commit(tmp_path / "copy.xlsx")
    assert out == tmp_path / "copy.xlsx"
    with open_workbook(out, read_only=True) as wb:
        assert wb.has_table(schema.VALIDATION)
