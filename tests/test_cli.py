"""Every `xlfin` verb end to end through the typer app on small generated workbooks (issue 5 items 4-8).

The workbooks are the demo workbook in miniature: the real template, filled with seeded demo data by the same code as
`xlfin new --demo`, only with fewer rows so the file stays fast. Other test modules import the helpers below.
"""

from __future__ import annotations

import functools
import io
import json
import os
import posixpath
import re
import zipfile
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from defusedxml.ElementTree import fromstring
from typer.testing import CliRunner

from xlfin import schema
from xlfin.cli.main import app
from xlfin.app.demo import DEMO_AS_OF, INPUT_KEYS, _demo_config, fill_input_table, set_config
from xlfin.vba.cfb import write_cfb

SMALL = {"customers": 20, "invoices": 200, "payments": 150}  # the seed gives dunning notices in both languages
# Sheets a run writes; their values must not depend on when the run happened (Audit and the log do).
REPORT_TABLES = (schema.VALIDATION, schema.ALLOCATIONS, schema.AGING, schema.SCORECARD, schema.DUNNING)
TIMESTAMPED = (schema.AUDIT, schema.DUNNING_LOG, schema.OUTBOX)

# ---------------------------------------------------------------- helpers shared with test_operations / test_macros


@functools.lru_cache(maxsize=None)
def small_workbook_bytes(lang: str = "en", seed: int = 7, demo: bool = True) -> bytes:
    """The template in `lang`, filled like `xlfin new --demo` but with SMALL row counts."""
    from xlfin.app.demo_data import generate_demo
    from xlfin.template import package_workbook
    from xlfin.template.builder import build_workbook

    wb = build_workbook(lang)
    if demo:
        data = generate_demo(seed=seed, as_of=DEMO_AS_OF, lang=lang, **SMALL)
        for key in INPUT_KEYS:
            if key in data:
                fill_input_table(wb, schema.TABLES[key], data[key], lang)
        set_config(wb, _demo_config(lang), lang)
    return package_workbook(wb, lang)


def small_workbook(path: Path, lang: str = "en") -> Path:
    path.write_bytes(small_workbook_bytes(lang))
    return path


def edit_workbook(path: Path, change: Callable[[openpyxl.Workbook], None]) -> None:
    """A user's edit: open in a spreadsheet program, change something, save."""
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    change(wb)
    wb.save(path)


def folder_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()}


def sheet_values(path: Path, sheet: str) -> list[list[object]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def table_rows(path: Path, table: schema.Table, lang: str = "en") -> list[dict[str, object]]:
    """Rows of a generated table by key, read from the file with openpyxl (not through xlfin's reader)."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if table.name in ws.tables:
            ref = ws.tables[table.name].ref
            cells = [[c.value for c in row] for row in ws[ref]]
            header, body = cells[0], cells[1:]
            labels = {c.label(lang): c.key for c in table.columns}
            rows = [{labels.get(h, h): v for h, v in zip(header, r)} for r in body]
            return [r for r in rows if any(v is not None for v in r.values())]
    raise AssertionError(f"{table.name} not in {path.name}")


def generated_values(path: Path) -> dict[str, list[list[object]]]:
    """Every report sheet's cell values (Audit and the Dunning Log carry timestamps, so they are left out)."""
    wb = openpyxl.load_workbook(path)
    skip = {t.sheet_en for t in TIMESTAMPED} | {t.sheet_zh for t in TIMESTAMPED}
    names = {t.sheet_en for t in schema.GENERATED_TABLES} | {t.sheet_zh for t in schema.GENERATED_TABLES}
    names |= set(schema.DASHBOARD_SHEET.values())
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets
            if ws.title in names - skip}


def chart_parts(path: Path, sheet: str) -> list[str]:
    """The chart parts the sheet's drawing shows (followed through workbook, sheet and drawing relationships)."""

    def rels_of(zf: zipfile.ZipFile, part: str) -> dict[str, str]:
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", name + ".rels")
        if rels not in zf.namelist():
            return {}
        root = fromstring(zf.read(rels))
        return {el.get("Id"): (el.get("Target").lstrip("/") if el.get("Target").startswith("/")
                               else posixpath.normpath(posixpath.join(folder, el.get("Target")))) for el in root}

    with zipfile.ZipFile(path) as zf:
        wb_rels = rels_of(zf, "xl/workbook.xml")
        root = fromstring(zf.read("xl/workbook.xml"))
        rid = next(el.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
                   for el in root.iter() if el.tag.endswith("}sheet") and el.get("name") == sheet)
        charts: list[str] = []
        for target in rels_of(zf, wb_rels[rid]).values():
            if "/drawings/" in target and target.endswith(".xml"):
                charts += [t for t in rels_of(zf, target).values() if "/charts/" in t]
        for c in charts:
            assert zf.read(c).startswith(b"<")
        return sorted(charts)


runner = CliRunner()


def xlfin(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def refused_one_line(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xlfin: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return small_workbook(tmp_path / "book.xlsm")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("regenerated")
    path = small_workbook(folder / "book.xlsm")
    result = xlfin("regenerate", path, "--json")
    assert result.exit_code == 0, result.stderr
    return path, json.loads(result.stdout)


@pytest.fixture
def small_demo_data(monkeypatch):
    """`xlfin new --demo` with the built-in generator shrunk to SMALL rows."""
    import xlfin.app.demo_data as demo_data

    real = demo_data.generate_demo
    monkeypatch.setattr(demo_data, "generate_demo", lambda **kw: real(**{**kw, **SMALL}))


# ---------------------------------------------------------------- new


@pytest.mark.parametrize("lang, sheets, header", [
    ("en", ["Customers", "Invoices", "Payments", "Config", "Dashboard"], "Invoice No"),
    ("zh-CN", ["客户", "应收发票", "收款", "设置", "仪表板"], "发票号"),
])
def test_new_creates_the_template_in_each_language(tmp_path: Path, lang: str, sheets: list[str], header: str) -> None:
    path = tmp_path / "new.xlsm"
    result = xlfin("new", path, "--lang", lang)
    assert result.exit_code == 0, result.stderr
    wb = openpyxl.load_workbook(path)
    assert set(sheets) <= set(wb.sheetnames)
    inv = wb[schema.INVOICES.sheet(lang)]
    assert inv["A1"].value == header and schema.INVOICES.name in inv.tables
    assert all(v is None for v in [c.value for c in inv[2]][:12])  # no data, only the computed columns' formulas
    with zipfile.ZipFile(path) as zf:
        assert "xl/vbaProject.bin" in zf.namelist() and any(n.startswith("customUI/") for n in zf.namelist())


def test_new_demo_fills_inputs_and_every_report(tmp_path: Path, small_demo_data) -> None:
    path = tmp_path / "demo.xlsm"
    result = xlfin("new", path, "--demo", "--seed", 3)
    assert result.exit_code == 0, result.stderr
    assert "created" in result.stdout
    assert len(table_rows(path, schema.INVOICES)) == SMALL["invoices"]
    for table in (schema.ALLOCATIONS, schema.AGING, schema.SCORECARD, schema.AUDIT):
        assert table_rows(path, table), table.name
    assert len(chart_parts(path, "Dashboard")) == 5  # ageing, top overdue, ABC, monthly, 13-week forecast


def test_new_refuses_to_overwrite(book: Path) -> None:
    before = folder_state(book.parent)
    line = refused_one_line(xlfin("new", book))
    assert "exists" in line and "--force" in line
    assert folder_state(book.parent) == before
    assert xlfin("new", book, "--force").exit_code == 0
    assert table_rows(book, schema.CUSTOMERS) == []


def test_new_refuses_an_unknown_language(tmp_path: Path) -> None:
    refused_one_line(xlfin("new", tmp_path / "x.xlsm", "--lang", "fr"))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- validate


def _bad_amount(wb: openpyxl.Workbook) -> None:
    wb["Invoices"]["F5"] = "12O0"  # letter O for zero, as typed


def test_validate_clean_exits_0_and_changes_nothing(book: Path) -> None:
    before = folder_state(book.parent)
    result = xlfin("validate", book)
    assert result.exit_code == 0, result.stdout
    assert "0 error(s)" in result.stdout
    assert folder_state(book.parent) == before


def test_validate_names_the_bad_cell_and_exits_1(book: Path) -> None:
    edit_workbook(book, _bad_amount)
    before = folder_state(book.parent)
    result = xlfin("validate", book)
    assert result.exit_code == 1
    assert "Invoices!F5" in result.stdout and "1 error(s)" in result.stdout
    data = json.loads(xlfin("validate", book, "--json").stdout)
    assert data["errors"] == 1 and data["exit_code"] == 1
    bad = [p for p in data["problems"] if p["severity"] == "error"]
    assert [(p["cell"], p["code"], p["column"]) for p in bad] == [("Invoices!F5", "bad_amount", "Amount")]
    assert "12O0" in bad[0]["message"]
    assert folder_state(book.parent) == before


def test_validate_write_fills_the_validation_sheet(book: Path) -> None:
    edit_workbook(book, _bad_amount)
    original = book.read_bytes()
    result = xlfin("validate", book, "--write", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["validation"]["errors"] == 1
    rows = table_rows(book, schema.VALIDATION)
    errors = [r for r in rows if r["severity"] == "error"]
    assert [(r["cell"], r["code"]) for r in errors] == [("Invoices!F5", "bad_amount")]
    assert Path(str(book) + ".bak").read_bytes() == original
    audit = table_rows(book, schema.AUDIT)
    assert [r["action"] for r in audit] == ["validate"]


# ---------------------------------------------------------------- one report at a time


@pytest.mark.parametrize("verb, sheet, tables", [
    ("reconcile", "Reconciliation", [schema.ALLOCATIONS, schema.UNAPPLIED]),
    ("aging", "Aging", [schema.AGING, schema.AGING_DETAIL]),
    ("scorecard", "Scorecard", [schema.SCORECARD]),
    ("dashboard", "Dashboard", []),
])
def test_each_verb_regenerates_its_part_only(book: Path, verb: str, sheet: str, tables: list) -> None:
    result = xlfin(verb, book, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["actions"] == [verb] and verb in summary["results"]
    assert summary["as_of"] == DEMO_AS_OF.isoformat() and summary["output"] == str(book)
    for table in tables:
        assert table_rows(book, table), table.name
    if verb == "dashboard":
        assert len(chart_parts(book, "Dashboard")) == 5  # ageing, top overdue, ABC, monthly, 13-week forecast
        assert summary["results"]["dashboard"]["kpi_total_ar"] > 0
    untouched = [t for t in (schema.ALLOCATIONS, schema.AGING, schema.SCORECARD, schema.DUNNING) if t not in tables]
    for table in untouched:
        assert table_rows(book, table) == [], table.name
    assert [r["action"] for r in table_rows(book, schema.AUDIT)] == [verb]


def test_plain_summary_is_printed_without_json(book: Path) -> None:
    result = xlfin("aging", book)
    assert result.exit_code == 0, result.stderr
    assert "Aging, as of 2026-11-20" in result.stdout and "Written:" in result.stdout


def test_dunning_letters_and_log(book: Path, tmp_path: Path) -> None:
    plain = xlfin("dunning", book, "--json")
    assert plain.exit_code == 0, plain.stderr
    notices = json.loads(plain.stdout)["results"]["dunning"]["notices"]
    assert notices > 0 and len(table_rows(book, schema.DUNNING)) == notices
    assert table_rows(book, schema.DUNNING_LOG) == []  # a list is not a notice sent

    letters = tmp_path / "letters"
    result = xlfin("dunning", book, "--letters", letters, "--json")
    assert result.exit_code == 0, result.stderr
    res = json.loads(result.stdout)["results"]["dunning"]
    assert res["letters"] == notices and res["letters_dir"] == str(letters)
    files = [p for p in letters.rglob("*") if p.is_file()]
    for suffix in (".html", ".txt", ".eml"):
        assert len([p for p in files if p.suffix == suffix]) == notices, suffix
    log = table_rows(book, schema.DUNNING_LOG)
    assert len(log) == notices
    assert {r["customer_id"] for r in log} == {r["customer_id"] for r in table_rows(book, schema.DUNNING)}

    assert xlfin("dunning", book).exit_code == 0
    assert len(table_rows(book, schema.DUNNING_LOG)) == notices
    assert [r["action"] for r in table_rows(book, schema.AUDIT)] == ["dunning", "letters", "dunning"]


# ---------------------------------------------------------------- regenerate


def test_regenerate_fills_every_report_sheet(regenerated) -> None:
    path, summary = regenerated
    assert summary["actions"] == ["validate", "reconcile", "aging", "scorecard", "dunning", "forecast", "dashboard"]
    wb = openpyxl.load_workbook(path)
    for table in REPORT_TABLES[1:] + (schema.UNAPPLIED, schema.AGING_DETAIL):
        assert table_rows(path, table), table.name
    validation = table_rows(path, schema.VALIDATION)
    assert summary["validation"]["errors"] == 0
    assert len(validation) == summary["validation"]["warnings"]
    dash = wb["Dashboard"]
    assert dash["A1"].value and isinstance(dash["B4"].value, (int, float))
    assert len(chart_parts(path, "Dashboard")) == 5  # ageing, top overdue, ABC, monthly, 13-week forecast
    audit = table_rows(path, schema.AUDIT)
    assert [r["action"] for r in audit] == summary["actions"]
    assert all(r["status"] == "ok" for r in audit)
    assert Path(str(path) + ".bak").read_bytes() == small_workbook_bytes("en")
    with zipfile.ZipFile(path) as zf:  # macros and ribbon survive the save
        assert "xl/vbaProject.bin" in zf.namelist() and "customUI/customUI14.xml" in zf.namelist()


def test_regenerate_twice_gives_the_same_reports(book: Path) -> None:
    assert xlfin("regenerate", book).exit_code == 0
    first = generated_values(book)
    assert xlfin("regenerate", book).exit_code == 0
    second = generated_values(book)
    assert first.keys() == second.keys() and len(first) == 7
    for sheet in first:
        assert first[sheet] == second[sheet], sheet
    assert len(table_rows(book, schema.AUDIT)) == 14


def test_output_leaves_path_untouched(book: Path, tmp_path: Path) -> None:
    before = folder_state(book.parent)
    out = tmp_path / "out" / "report.xlsm"
    out.parent.mkdir()
    result = xlfin("regenerate", book, "-o", out, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["output"] == str(out)
    assert folder_state(book.parent) == before
    assert table_rows(out, schema.SCORECARD)
    refused_one_line(xlfin("aging", book, "-o", tmp_path / "report.xlsx"))  # a macro workbook stays .xlsm
    assert folder_state(book.parent) == before


def test_as_of_changes_ageing(book: Path, tmp_path: Path) -> None:
    later = tmp_path / "later.xlsm"
    first = json.loads(xlfin("aging", book, "--json", "--as-of", "2026-11-20").stdout)
    second = json.loads(xlfin("aging", book, "--json", "--as-of", "2027-06-30", "-o", later).stdout)
    assert first["as_of"] == "2026-11-20" and second["as_of"] == "2027-06-30"
    assert second["results"]["aging"]["overdue"] > first["results"]["aging"]["overdue"]
    days_then = {r["invoice_no"]: r["days_overdue"] for r in table_rows(book, schema.AGING_DETAIL)}
    days_later = {r["invoice_no"]: r["days_overdue"] for r in table_rows(later, schema.AGING_DETAIL)}
    common = [k for k in days_then if k in days_later and days_then[k] and days_then[k] > 0]
    assert common and all(days_later[k] - days_then[k] == 222 for k in common)
    refused_one_line(xlfin("aging", book, "--as-of", "someday"))


def test_template_build_and_check(tmp_path: Path) -> None:
    target = tmp_path / "template.xlsm"
    result = xlfin("template", "build", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert xlfin("template", "build", "--check", "-o", target).exit_code == 0
    edit_workbook(target, lambda wb: wb["Start"].cell(1, 1, "changed"))
    stale = xlfin("template", "build", "--check", "-o", target)
    assert stale.exit_code == 1 and str(target) in stale.stderr


def test_version() -> None:
    result = xlfin("--version")
    assert result.exit_code == 0 and result.stdout.startswith("xlfin ")


# ---------------------------------------------------------------- bad input: one line, exit 2, nothing changed


def _not_a_workbook(path: Path) -> Path:
    bad = path.with_name("notes.xlsx")
    bad.write_text("customer,amount\nC001,100\n")
    return bad


def _old_xls(path: Path) -> Path:
    bad = path.with_name("old.xls")
    bad.write_bytes(write_cfb({"Workbook": b"\x09\x08" + b"\x00" * 4000, "\x05SummaryInformation": b"\x00" * 200}))
    return bad


def _encrypted(path: Path) -> Path:
    pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(path, "rb") as fh:
        OOXMLFile(fh).encrypt("secret", out)
    bad = path.with_name("locked.xlsm")
    bad.write_bytes(out.getvalue())
    return bad


def _missing_table(path: Path) -> Path:
    def drop(wb):
        ws = wb["Payments"]
        del ws.tables[schema.PAYMENTS.name]
        for row in ws.iter_rows():
            for c in row:
                c.value = None
    edit_workbook(path, drop)
    return path


def _renamed_header(path: Path) -> Path:
    edit_workbook(path, lambda wb: wb["Invoices"].cell(1, 1, "Invoice Number"))
    return path


def _merged_cells(path: Path) -> Path:
    edit_workbook(path, lambda wb: wb["Invoices"].merge_cells("I3:J3"))
    return path


def _read_only(path: Path) -> Path:
    os.chmod(path, 0o444)
    return path


BAD_INPUTS = {
    "not a workbook": (_not_a_workbook, r"not an Excel workbook"),
    "xls": (_old_xls, r"old Excel 97-2003 \.xls"),
    "encrypted": (_encrypted, r"encrypted with a password; set XLFIN_BOOK_PASSWORD"),
    "missing table": (_missing_table, r"tblPayments not found"),
    "renamed header": (_renamed_header, r"'Invoice No' \(发票号\) not found"),
    "merged cells": (_merged_cells, r"merged cells I3:J3"),
    "read-only target": (_read_only, r"read-only"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize("verb", ["regenerate", "dunning"])
def test_bad_input_one_line_exit_2_nothing_changed(book: Path, case: str, verb: str) -> None:
    make, pattern = BAD_INPUTS[case]
    path = make(book)
    before = folder_state(path.parent)
    args = [verb, path] + (["--letters", path.parent / "letters"] if verb == "dunning" else [])
    line = refused_one_line(xlfin(*args))
    assert re.search(pattern, line), line
    assert folder_state(path.parent) == before
    assert not (path.parent / "letters").exists()


@pytest.mark.parametrize("case", ["not a workbook", "missing table", "renamed header"])
def test_validate_bad_input_exits_2(book: Path, case: str) -> None:
    make, pattern = BAD_INPUTS[case]
    path = make(book)
    before = folder_state(path.parent)
    assert re.search(pattern, refused_one_line(xlfin("validate", path, "--json")))
    assert folder_state(path.parent) == before


def test_missing_file_exits_2(tmp_path: Path) -> None:
    assert "no such file" in refused_one_line(xlfin("aging", tmp_path / "nope.xlsm"))


# ---------------------------------------------------------------- zh-CN end to end


def test_zh_cn_workbook_end_to_end(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "账簿.xlsm", "zh-CN")
    letters = tmp_path / "催款函"
    result = xlfin("regenerate", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["language"] == "zh-CN"
    assert xlfin("dunning", path, "--letters", letters).exit_code == 0
    wb = openpyxl.load_workbook(path)
    for sheet in ("校验结果", "核销", "账龄", "信用评估", "催收", "催收记录", "仪表板", "操作日志"):
        assert sheet in wb.sheetnames, sheet
    assert not {"Reconciliation", "Aging", "Scorecard", "Dunning", "Audit"} & set(wb.sheetnames)
    for table in (schema.ALLOCATIONS, schema.AGING, schema.SCORECARD, schema.DUNNING, schema.AUDIT):
        ws = wb[table.sheet_zh]
        ref = ws.tables[table.name].ref
        header = [c.value for c in ws[ref][0]]
        assert header == table.headers("zh-CN"), table.name
        assert table_rows(path, table, "zh-CN"), table.name
    assert {r["severity"] for r in table_rows(path, schema.VALIDATION, "zh-CN")} <= {"错误", "警告"}
    assert len(chart_parts(path, "仪表板")) == 5  # ageing, top overdue, ABC, monthly, 13-week forecast
    assert any(p.suffix == ".html" for p in letters.rglob("*"))


def test_validate_prints_severity_in_the_books_language(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "账簿.xlsm", "zh-CN")
    edit_workbook(path, lambda wb: wb[schema.INVOICES.sheet_zh].__setitem__("F5", "12O0"))
    result = xlfin("validate", path)
    assert result.exit_code == 1
    assert "错误" in result.stdout and "error" not in result.stdout
