"""Run/execute on the file adapter: rows with errors left out and counted, all-or-nothing commits, Audit rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from test_cli import edit_workbook, folder_state, small_workbook, table_rows

from xlfin.app import operations
from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.app.operations import ACTIONS, Run, execute


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return small_workbook(tmp_path / "book.xlsm")


def run_file(path: Path, actions, **kw):
    wb = open_workbook(path)
    try:
        return execute(wb, actions, **kw)
    finally:
        wb.close()


def test_rows_with_unusable_required_values_are_left_out_and_counted(book: Path) -> None:
    def spoil(wb):
        ws = wb["Invoices"]
        ws["C4"] = None  # customer_id blank
        ws["D6"] = "not a date"  # invoice_date
        ws["F8"] = "12O0"  # amount

    edit_workbook(book, spoil)
    wb = open_workbook(book, read_only=True)
    try:
        run = Run(wb)
        total = len(run.raws["invoices"])
        assert len(run.frames["invoices"]) == total - 3
        assert run.skipped_rows == 3
        assert run.validation.errors >= 3
        left_out = set(run.raws["invoices"].frame["invoice_no"]) - set(run.frames["invoices"]["invoice_no"])
        assert len(left_out) == 3
        assert not left_out & set(run.open_items["invoice_no"])
    finally:
        wb.close()
    summary = run_file(book, ["aging"])
    assert summary.validation["rows_left_out"] == 3 and summary.validation["errors"] >= 3
    detail = table_rows(book, schema.AGING_DETAIL)
    assert not left_out & {r["invoice_no"] for r in detail}


def test_clean_run_reports_no_rows_left_out(book: Path) -> None:
    summary = run_file(book, ["validate"])
    assert "rows_left_out" not in summary.validation and summary.validation["errors"] == 0


def test_results_are_computed_once_and_only_when_needed(book: Path, monkeypatch) -> None:
    calls: list[str] = []
    from xlfin.engine import scorecard

    real = scorecard.build_scorecard
    monkeypatch.setattr(scorecard, "build_scorecard", lambda *a, **k: calls.append("score") or real(*a, **k))
    run_file(book, ["aging"])
    assert calls == []
    run_file(book, ["scorecard", "dashboard"])
    assert calls == ["score"]


@pytest.mark.parametrize("stage", ["reconcile", "scorecard", "dunning", "dashboard", "save"])
def test_a_failing_stage_leaves_the_file_byte_identical(book: Path, monkeypatch, stage: str) -> None:
    from xlfin.adapters import file as file_adapter
    from xlfin.engine import scorecard

    def boom(*_a, **_k):
        raise RuntimeError(f"{stage} failed")

    if stage == "reconcile":
        import xlfin.engine.reconcile as rec

        monkeypatch.setattr(rec, "reconcile", boom)
    elif stage == "scorecard":
        monkeypatch.setattr(scorecard, "build_scorecard", boom)
    elif stage == "dunning":
        import xlfin.engine.dunning as dun

        monkeypatch.setattr(dun, "build_dunning", boom)
    elif stage == "dashboard":
        import xlfin.xlsx.dashboard as render

        monkeypatch.setattr(render, "render_dashboard", boom)
    else:
        monkeypatch.setattr(file_adapter, "atomic_write", boom)  # the save itself fails
    before = folder_state(book.parent)
    with pytest.raises(RuntimeError, match=f"{stage} failed"):
        run_file(book, ACTIONS, letters_dir=book.parent / "letters" if stage == "save" else None)
    after = folder_state(book.parent)
    assert after == before  # no letters either: they are moved into place only after the save


def test_audit_rows_are_appended_per_run(book: Path) -> None:
    run_file(book, ["aging"])
    run_file(book, ["validate", "reconcile"])
    run_file(book, ACTIONS)
    audit = table_rows(book, schema.AUDIT)
    assert [r["action"] for r in audit] == ["aging", "validate", "reconcile", *ACTIONS]
    assert all(r["status"] == "ok" and r["source"] == "book.xlsm" for r in audit)
    for r in audit:
        dt.datetime.fromisoformat(r["timestamp"])
        assert isinstance(r["rows_in"], (int, float)) and isinstance(r["rows_out"], (int, float))
    aging_row = audit[0]
    assert aging_row["rows_in"] == 200 and aging_row["rows_out"] == len(table_rows(book, schema.AGING_DETAIL))


def test_unknown_action_is_refused_before_anything_is_read(book: Path) -> None:
    before = folder_state(book.parent)
    with pytest.raises(ValueError, match="unknown action"):
        run_file(book, ["aging", "teleport"])
    assert folder_state(book.parent) == before


def test_as_of_override_and_summary(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy.xlsm"
    summary = run_file(book, ["aging", "validate"], as_of=dt.date(2027, 1, 31), output=out)
    d = summary.as_dict()
    assert d["actions"] == ["validate", "aging"]  # dependency order, not the order asked
    assert d["as_of"] == "2027-01-31" and d["language"] == "en" and d["output"] == str(out)
    assert d["results"]["aging"]["open_items"] == len(table_rows(out, schema.AGING_DETAIL))
    assert d["seconds"] > 0


def test_progress_reports_each_stage(book: Path) -> None:
    seen: list[str] = []
    run_file(book, ACTIONS, progress=seen.append)
    assert seen == ["read", "validate", "reconcile", "aging", "scorecard", "dunning", "forecast", "dashboard", "save"]


def test_reports_use_a_fresh_reconciliation(book: Path) -> None:
    """Aging does not depend on whether Reconcile ran first: the same open items either way."""
    run_file(book, ["aging"])
    alone = pd.DataFrame(table_rows(book, schema.AGING_DETAIL))
    run_file(book, ["reconcile"])
    run_file(book, ["aging"])
    after = pd.DataFrame(table_rows(book, schema.AGING_DETAIL))
    pd.testing.assert_frame_equal(alone, after)


def test_operations_module_exports() -> None:
    assert operations.ACTIONS == ("validate", "reconcile", "aging", "scorecard", "dunning", "forecast", "dashboard")


# ---------------------------------------------------------------- the fast paths of the file adapter (benchmarks/)


def _with_shared_strings(src: Path, dst: Path) -> None:
    """The same workbook as Excel would save it: text cells point into xl/sharedStrings.xml."""
    import re
    import zipfile
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}

    def to_sst(m: re.Match) -> bytes:
        text = m.group(2).decode()
        index = strings.setdefault(text, len(strings))
        return m.group(1) + b't="s"><v>' + str(index).encode() + b"</v></c>"

    cell = re.compile(rb'(<c r="[A-Z]+\d+"(?: s="\d+")? )t="inlineStr"><is><t>([^<]*)</t></is></c>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = cell.sub(to_sst, data)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxml'
                                    b'formats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            zout.writestr(info, data)
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        zout.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                      f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>')
    assert strings


def _all_values(path: Path) -> dict[str, list[tuple]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    skip = {schema.AUDIT.sheet_en, schema.DUNNING_LOG.sheet_en}
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets
            if ws.title not in skip}


@pytest.mark.parametrize("shared_strings", [False, True])
def test_package_reader_reads_what_openpyxl_reads(book: Path, tmp_path: Path, shared_strings: bool) -> None:
    """python-calamine's values, as the adapter normalises them, equal openpyxl's (a date cell is a date)."""
    import datetime as dt

    import openpyxl

    from xlfin.xlsx.opc import Package
    from xlfin.xlsx.read import PackageReader

    path = book
    if shared_strings:
        path = tmp_path / "sst.xlsm"
        _with_shared_strings(book, path)
    run_file(path, ACTIONS)  # generated sheets too: dates, percentages, yes/no, formulas' cached values
    reference = openpyxl.load_workbook(path, data_only=True)
    reader = PackageReader(Package(path.read_bytes()))

    def same(v):
        return v.date() if isinstance(v, dt.datetime) and v.time() == dt.time(0) else v

    try:
        assert reader.worksheet_names() == reference.sheetnames
        for ws in reference.worksheets:
            grid = reader.grid(ws.title)
            want = [[same(v) for v in r] for r in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column,
                                                              values_only=True)]
            got = [[None] * ws.max_column for _ in range(ws.max_row)]
            for i in range(min(grid.shape[0], ws.max_row)):
                for j in range(min(grid.shape[1], ws.max_column)):
                    got[i][j] = same(grid[i, j])
            assert got == want, ws.title
            assert all(v is None for v in grid[ws.max_row:].ravel()) and all(v is None for v in grid[:, ws.max_column:].ravel())
            merged = sorted(f"{openpyxl.utils.get_column_letter(c0)}{r0}:{openpyxl.utils.get_column_letter(c1)}{r1}"
                            for r0, c0, r1, c1 in reader.merged(ws.title))
            assert merged == sorted(str(m) for m in ws.merged_cells.ranges)
        names = sorted((t.display_name, t.sheet, f"{openpyxl.utils.get_column_letter(t.first_col)}{t.first_row}:"
                        f"{openpyxl.utils.get_column_letter(t.last_col)}{t.last_row}") for t in reader.tables)
        assert names == sorted((t.displayName, ws.title, t.ref) for ws in reference.worksheets
                               for t in ws.tables.values())
    finally:
        reader.close()


def test_dunning_levels_out_of_order_are_a_workbook_error_not_an_internal_one(book: Path) -> None:
    from xlfin.schema.tables import WorkbookError

    def misorder(wb):
        ws = wb["Config"]
        top_left = ws.tables["tblDunningLevels"].ref.split(":")[0]
        first = ws[top_left].row
        column = ws[top_left].column + 1  # From Days Overdue
        ws.cell(row=first + 2, column=column, value=90)  # level 2 from 90 days, level 3 from 30

    edit_workbook(book, misorder)
    before = book.read_bytes()
    with pytest.raises(WorkbookError, match="tblDunningLevels"):
        run_file(book, ["dunning"])
    assert book.read_bytes() == before
