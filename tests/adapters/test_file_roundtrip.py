"""File adapter: read every SPEC table, stage generated sheets, commit atomically, and keep everything else."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fake_xlwings_engine import (
    CUSTOM_UI,
    CUSTOM_UI_RELS,
    INVOICE_TOP_LEFT,
    PNG,
    UI_REL_TYPE,
    USER_COLUMN,
    VBA_BYTES,
    build_sample,
    make_xlsm,
)
from openpyxl.utils import get_column_letter

from xlfin import schema
from xlfin.adapters import FileWorkbook, open_workbook
from xlfin.schema.workbook import stacked_layout
from xlfin.schema.settings import DEFAULT_DUNNING_LEVELS

GENERATED = ("Reconciliation", "Aging", "Audit", "Dunning Log")


@pytest.fixture
def sample(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "book.xlsx"
    info = build_sample(path)
    return path, info


@pytest.fixture
def sample_xlsm(tmp_path: Path) -> Path:
    xlsx = tmp_path / "plain.xlsx"
    build_sample(xlsx)
    xlsm = tmp_path / "book.xlsm"
    make_xlsm(xlsx, xlsm)
    return xlsm


def allocations(n: int = 2) -> pd.DataFrame:
    return pd.DataFrame({
        "payment_id": [f"P-{i}" for i in range(n)], "invoice_no": [f"INV-{i}" for i in range(n)],
        "customer_id": ["C001"] * n, "amount": [110050 + i for i in range(n)],
        "rule": ['=HYPERLINK("http://x","y")'] + ["exact"] * (n - 1), "confidence": ["high"] * n,
    })


def unapplied() -> pd.DataFrame:
    return pd.DataFrame({"payment_id": ["P-9"], "customer_id": [None], "unapplied_amount": [5000],
                         "reason": ["+cmd|' /C calc'!A0"], "candidates": ["INV-1, INV-2"]})


def aging_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = pd.DataFrame({"customer_id": ["C001"], "name": ["Acme"], "Current": [100], "1-30": [0], "31-60": [0],
                            "61-90": [0], "91-120": [0], "120+": [2500], "total": [2600], "overdue": [2500],
                            "overdue_pct": [2500 / 2600]})
    detail = pd.DataFrame({"invoice_no": ["INV-1"], "customer_id": ["C001"],
                           "due_date": pd.to_datetime(["2026-02-04"]), "days_overdue": [40], "bucket": ["31-60"],
                           "outstanding": [2500]})
    return summary, detail


def audit_rows(action: str) -> pd.DataFrame:
    return pd.DataFrame([{"timestamp": "2026-03-01T10:00:00", "user": "ann", "action": action, "source": "book",
                          "rows_in": 3, "rows_out": 2, "status": "ok", "message": ""}])


def run(path: Path, output: Path | None = None, lang: str = "en") -> Path | None:
    with open_workbook(path) as wb:
        wb.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations()), (schema.UNAPPLIED, unapplied())],
                         lang)
        summary, detail = aging_frames()
        wb.replace_sheet("Aging", [(schema.AGING, summary), (schema.AGING_DETAIL, detail)], lang)
        return wb.commit(output)


# ---------------------------------------------------------------- reading


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_reads_listobject_tables_with_addresses(sample) -> None:
    path, _ = sample
    with open_workbook(path, read_only=True) as wb:
        customers = wb.read_table(schema.CUSTOMERS)
        payments = wb.read_table(schema.PAYMENTS)
    assert (customers.sheet, customers.header_row, customers.first_col) == ("Customers", 1, 1)
    assert customers.frame["customer_id"].tolist() == ["C001", "C002", "00123"]
    assert customers.cell("credit_limit", 1) == "Customers!I3"
    assert customers.frame["credit_limit"].tolist()[:2] == [10000, 5000]
    assert payments.cell("reference", 0) == "Payments!H2"
    # text that looks like a formula comes back as the text it is
    assert payments.frame["reference"].tolist() == ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0"]
    assert payments.frame["payment_date"].iloc[0] == dt.date(2026, 2, 1)  # a date cell reads as a date


def test_reads_header_only_table_in_zh_with_shuffled_columns_and_user_column(sample) -> None:
    path, info = sample
    with open_workbook(path, read_only=True) as wb:
        raw = wb.read_table(schema.INVOICES)
    top, left = INVOICE_TOP_LEFT
    assert (raw.sheet, raw.header_row, raw.first_col) == ("应收发票", top, left)
    assert raw.language == "zh-CN"
    assert raw.positions == {k: i for i, k in enumerate(info["keys"])}
    assert raw.extra_columns == [USER_COLUMN]
    assert raw.frame[USER_COLUMN].tolist() == ["mine 1", "mine 2", "mine 3"]
    amount_col = get_column_letter(left + info["keys"].index("amount"))
    assert raw.cell("amount", 1) == f"'应收发票'!{amount_col}{top + 2}"
    # text in a money column is not the adapter's business: the raw text reaches validation
    assert raw.frame["amount"].tolist() == [1200.5, "12O0", 100]
    assert raw.frame["invoice_date"].tolist()[2] == "2026年3月5日"
    assert len(raw) == 3


def test_config_and_dunning_levels(sample) -> None:
    path, info = sample
    with open_workbook(path, read_only=True) as wb:
        config = wb.read_table(schema.CONFIG)
        settings, problems, levels = wb.read_config()
        assert wb.language() == "en"
    assert len(config) == info["config_rows"]  # the header-only table stops where tblDunningLevels starts
    assert problems == []
    assert settings.default_terms_days == 30
    assert [(lv.level, lv.from_days, str(lv.fee)) for lv in levels] == [(1, 1, "0.00"), (2, 20, "25.50")]


def test_language_from_config_then_sheet_names(tmp_path: Path) -> None:
    zh = tmp_path / "zh.xlsx"
    build_sample(zh, language="zh-CN")
    with open_workbook(zh, read_only=True) as wb:
        assert wb.language() == "zh-CN"
        assert wb.read_config()[0].language == "zh-CN"
    bare = openpyxl.Workbook()
    bare.active.title = "客户"
    bare.create_sheet("应收发票")
    bare.create_sheet("Payments")
    bare.save(tmp_path / "bare.xlsx")
    with open_workbook(tmp_path / "bare.xlsx", read_only=True) as wb:
        assert wb.language() == "zh-CN"
        settings, problems, levels = wb.read_config()
    assert settings.language == "zh-CN" and problems == []
    assert levels == DEFAULT_DUNNING_LEVELS["zh-CN"]


def test_has_table(sample) -> None:
    path, _ = sample
    with open_workbook(path, read_only=True) as wb:
        assert wb.has_table(schema.INVOICES) and wb.has_table(schema.DUNNING_LEVELS)
        assert not wb.has_table(schema.FINANCIALS)
        assert not wb.has_table(schema.DUNNING_LOG)


# ---------------------------------------------------------------- writing


def test_replace_commit_reopen(sample) -> None:
    path, _ = sample
    original = path.read_bytes()
    assert run(path) == path
    assert path.with_name("book.xlsx.bak").read_bytes() == original
    with open_workbook(path, read_only=True) as wb:
        names = wb._sheet_names()
        alloc = wb.read_table(schema.ALLOCATIONS)
        unap = wb.read_table(schema.UNAPPLIED)
        detail = wb.read_table(schema.AGING_DETAIL)
    # new generated sheets come after every existing sheet: no sheet's index (nor a sheet-local name) moves
    assert names == ["Customers", "应收发票", "Payments", "Config", "Notes", "Reconciliation", "Aging"]
    assert alloc.frame["amount"].tolist() == [1100.5, 1100.51]
    assert (alloc.header_row, unap.header_row) == tuple(stacked_layout([2, 1]))
    assert unap.frame["reason"].tolist() == ["+cmd|' /C calc'!A0"]
    assert detail.frame["due_date"].tolist() == [dt.date(2026, 2, 4)]


def test_strings_are_written_as_strings_never_formulas(sample) -> None:
    path, _ = sample
    run(path)
    ws = openpyxl.load_workbook(path)["Reconciliation"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    hyperlink = next(c for c in cells if c.value.startswith("=HYPERLINK"))
    dde = next(c for c in cells if c.value.startswith("+cmd"))
    assert hyperlink.data_type == "s" and dde.data_type == "s"
    with zipfile.ZipFile(path) as zf:
        sheet_xml = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    formulas = [f for x in sheet_xml for f in re.findall(rb"<f>([^<]*)</f>", x)]
    assert formulas == [b"SUM(E2:E3)"]  # the user's own formula on Payments; none from written text


def test_zh_run_renames_the_generated_sheet(sample) -> None:
    path, _ = sample
    run(path)
    run(path, lang="zh-CN")
    wb = openpyxl.load_workbook(path)
    assert "核销" in wb.sheetnames and "Reconciliation" not in wb.sheetnames
    assert wb["核销"]["A1"].value == "收款编号"
    assert {t for ws in wb.worksheets for t in ws.tables} >= {"tblAllocations", "tblUnapplied"}


def _sheet_parts(path: Path) -> dict[str, bytes]:
    """Sheet name -> its worksheet XML, plus the XML of the tables on it."""
    from xlfin.xlsx.opc import REL_TABLE, Package

    package = Package(path.read_bytes())
    rels = {r.id: r.target for r in package.relationships("xl/workbook.xml")}
    out = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', package.read("xl/workbook.xml").decode()):
        part = rels[rid]
        out[name] = package.read(part) + b"".join(package.read(t) for t in package.related(part, REL_TABLE))
    return out


def test_two_identical_runs_give_identical_generated_sheets(sample) -> None:
    path, _ = sample
    run(path)
    first = _sheet_parts(path)
    run(path)
    second = _sheet_parts(path)
    for name in ("Reconciliation", "Aging"):
        assert first[name] == second[name]


def test_output_leaves_path_untouched(sample, tmp_path: Path) -> None:
    path, _ = sample
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    out = tmp_path / "out" / "result.xlsx"
    out.parent.mkdir()
    assert run(path, output=out) == out
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert not path.with_name("book.xlsx.bak").exists()
    with open_workbook(out, read_only=True) as wb:
        assert len(wb.read_table(schema.ALLOCATIONS)) == 2


def test_one_backup_is_kept(sample) -> None:
    path, _ = sample
    run(path)
    after_first = path.read_bytes()
    run(path)
    backups = [p for p in path.parent.iterdir() if p.name.startswith("book.xlsx.")]
    assert [p.name for p in backups] == ["book.xlsx.bak"]
    assert backups[0].read_bytes() == after_first
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def _snapshot(path: Path, sheets: list[str]) -> dict:
    wb = openpyxl.load_workbook(path)
    snap = {}
    for name in sheets:
        ws = wb[name]
        snap[name] = {
            "cells": {c.coordinate: (c.value, c.data_type, c.number_format) for row in ws.iter_rows() for c in row},
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation),
            "tables": {n: (t.ref, [c.name for c in t.tableColumns], t.tableStyleInfo.name if t.tableStyleInfo
                           else None) for n, t in ((t.name, t) for t in ws.tables.values())},
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
        }
    return snap


def test_input_sheets_are_untouched(sample) -> None:
    path, _ = sample
    inputs = ["Customers", "应收发票", "Payments", "Config", "Notes"]
    before = _snapshot(path, inputs)
    assert before["Payments"]["validations"] and before["Payments"]["cells"]["L1"][0] == "=SUM(E2:E3)"
    run(path)
    with open_workbook(path) as wb:
        wb.append_rows(schema.AUDIT, audit_rows("aging"), "en")
        wb.commit()
    assert _snapshot(path, inputs) == before


def test_append_rows_keeps_existing_rows(sample) -> None:
    path, _ = sample
    for action in ("validate", "aging"):
        with open_workbook(path) as wb:
            wb.append_rows(schema.AUDIT, audit_rows(action), "en")
            wb.append_rows(schema.AUDIT, audit_rows(action + "2"), "en")
            wb.commit()
    with open_workbook(path, read_only=True) as wb:
        audit = wb.read_table(schema.AUDIT)
    assert audit.frame["action"].tolist() == ["validate", "validate2", "aging", "aging2"]
    assert audit.frame["rows_in"].tolist() == [3, 3, 3, 3]


def test_nothing_is_written_before_commit(sample) -> None:
    path, _ = sample
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    wb = open_workbook(path)
    wb.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations())], "en")
    wb.close()
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_sheet_for_charts_gives_an_empty_generated_sheet(sample) -> None:
    from xlfin.xlsx.sheet import ChartSpec, GeneratedSheet

    path, _ = sample
    with open_workbook(path) as wb:
        sheet = wb.sheet_for_charts("Dashboard", "en")
        sheet.cell(1, 1, "x")
        sheet.cell(1, 2, 1)
        sheet.charts.append(ChartSpec("col", "t", 1, 1, 1, 1, [2], (2, 4)))
        wb.commit()
    book = openpyxl.load_workbook(path)
    assert book["Dashboard"]["A1"].value == "x" and len(book["Dashboard"]._charts) == 1
    with open_workbook(path) as wb:
        sheet = wb.sheet_for_charts("Dashboard", "zh-CN")
        assert isinstance(sheet, GeneratedSheet) and not sheet.charts
        wb.commit()
    book = openpyxl.load_workbook(path)
    assert "仪表板" in book.sheetnames and book["仪表板"]["A1"].value is None and book["仪表板"]._charts == []


# ---------------------------------------------------------------- macro workbooks


def test_vba_and_ribbon_survive_a_run_byte_identical(sample_xlsm: Path, tmp_path: Path) -> None:
    run(sample_xlsm)
    out = tmp_path / "copy.xlsm"
    run(sample_xlsm, output=out)
    for path in (sample_xlsm, out):
        with zipfile.ZipFile(path) as zf:
            assert zf.read("xl/vbaProject.bin") == VBA_BYTES
            assert zf.read("customUI/customUI14.xml") == CUSTOM_UI
            assert zf.read("customUI/_rels/customUI14.xml.rels") == CUSTOM_UI_RELS
            assert zf.read("customUI/images/logo.png") == PNG
            root_rels = zf.read("_rels/.rels").decode()
            types = zf.read("[Content_Types].xml").decode()
            assert root_rels.count(UI_REL_TYPE) == 1 and 'Target="customUI/customUI14.xml"' in root_rels
            assert "macroEnabled" in types and 'Extension="png"' in types
            assert 'PartName="/customUI/customUI14.xml"' in types
            assert zf.testzip() is None
    wb = openpyxl.load_workbook(sample_xlsm, keep_vba=True)
    assert "Reconciliation" in wb.sheetnames


def test_output_must_keep_the_macro_extension(sample_xlsm: Path, tmp_path: Path) -> None:
    from xlfin.schema.tables import WorkbookError

    with pytest.raises(WorkbookError, match="same kind of extension"):
        run(sample_xlsm, output=tmp_path / "lost_macros.xlsx")
    assert not (tmp_path / "lost_macros.xlsx").exists()


def test_file_workbook_class_is_what_open_returns(sample) -> None:
    path, _ = sample
    wb = open_workbook(path, read_only=True)
    assert isinstance(wb, FileWorkbook) and wb.name == "book.xlsx"
    wb.close()
