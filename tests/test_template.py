"""workbook_template.xlsm: reproducible build, structure per SPEC §3, checks that catch a broken or stale file."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlfin import schema
from xlfin.schema.settings import CONFIG_KEY_NAMES, defined_name
from xlfin.template import CODE_NAMES, SHEETS, build_template, check_structure, check_template, write_template
from xlfin.template.builder import XLWINGS_CONF_SHEET, invoice_formulas
from xlfin.template.package import FIXED_DOC_TIME, normalise_zip
from xlfin.vba.check import read_vba_project

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def en() -> bytes:
    return build_template("en")


@pytest.fixture(scope="module")
def zh() -> bytes:
    return build_template("zh-CN")


def _wb(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _replace_member(data: bytes, name: str, edit) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in source.namelist():
            payload = source.read(member)
            target.writestr(member, edit(payload) if member == name else payload)
    return normalise_zip(out.getvalue())


def _sheet_part(data: bytes, title: str) -> str:
    """The zip member of a worksheet, found through workbook.xml and its relationships (parsed, not matched)."""
    from defusedxml import ElementTree as SafeET

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_id = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    archive = zipfile.ZipFile(io.BytesIO(data))
    workbook = SafeET.fromstring(archive.read("xl/workbook.xml"))
    rid = next(s.get(rel_id) for s in workbook.iter(f"{main}sheet") if s.get("name") == title)
    rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def test_two_builds_are_byte_identical(en: bytes) -> None:
    assert build_template("en") == en


def test_package_is_reproducible_and_macro_enabled(en: bytes) -> None:
    archive = zipfile.ZipFile(io.BytesIO(en))
    names = archive.namelist()
    assert names[0] == "[Content_Types].xml"
    assert names[1:] == sorted(names[1:])
    assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = archive.read("docProps/core.xml").decode()
    assert core.count(FIXED_DOC_TIME) == 2
    types = archive.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert 'PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"' in types
    rels = archive.read("_rels/.rels").decode()
    assert 'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"' in rels
    assert 'Target="customUI/customUI14.xml"' in rels
    assert "customUI/customUI14.xml" in names


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_fresh_build_has_no_structural_problems(lang: str, en: bytes, zh: bytes) -> None:
    assert check_structure(en if lang == "en" else zh, lang) == []


def test_check_template_clean_then_stale(tmp_path: Path, en: bytes) -> None:
    path = write_template(tmp_path / "workbook_template.xlsm", "en")
    assert path.read_bytes() == en
    assert check_template(path, "en") == []
    # Structurally fine but not what the code builds now: only staleness is reported.
    path.write_bytes(_replace_member(en, "docProps/core.xml", lambda raw: raw.replace(b"xlfin", b"someone", 1)))
    problems = check_template(path, "en")
    assert len(problems) == 1 and problems[0].startswith("stale")
    assert check_template(tmp_path / "missing.xlsm", "en")[0].endswith("run: xlfin template build")


def test_committed_template_is_current() -> None:
    path = REPO / "workbook_template.xlsm"
    assert path.is_file(), "workbook_template.xlsm must be committed at the repository root (xlfin template build)"
    assert check_template(path, "en") == []


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_spec_sheet_and_table_with_headers_of_the_language(lang: str, en: bytes, zh: bytes) -> None:
    wb = _wb(en if lang == "en" else zh)
    assert wb.sheetnames[0] == schema.START_SHEET[lang]
    assert schema.DASHBOARD_SHEET[lang] in wb.sheetnames
    for table in schema.ALL_TABLES:
        ws = wb[table.sheet(lang)]
        xl = ws.tables[table.name]
        assert [c.name for c in xl.tableColumns] == table.headers(lang)
        first = ws[xl.ref.split(":")[0]]
        cells = [ws.cell(row=first.row, column=first.column + j).value for j in range(len(table.columns))]
        assert cells == table.headers(lang)
        if len(ws.tables) == 1 or table.kind == "config":
            assert ws.freeze_panes is not None
    if lang == "zh-CN":
        assert wb["应收发票"]["A1"].value == "发票号"
        assert wb["客户"].tables["tblCustomers"].tableColumns[10].name == "状态"


def test_code_names_on_workbook_and_every_sheet(en: bytes) -> None:
    wb = _wb(en)
    assert wb.code_name == "ThisWorkbook"
    assert [wb[s.title("en")].sheet_properties.codeName for s in SHEETS] == list(CODE_NAMES[1:])
    info = read_vba_project(zipfile.ZipFile(io.BytesIO(en)).read("xl/vbaProject.bin"))
    documents = {m.name for m in info.modules if m.kind == "document"}
    assert documents == set(CODE_NAMES)
    assert {"xlfinRibbon", "xlwings", "Dictionary"} <= {m.name for m in info.modules}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_drop_down_lists_for_closed_lists_and_currency(lang: str, en: bytes, zh: bytes) -> None:
    wb = _wb(en if lang == "en" else zh)
    wanted = {
        (schema.CUSTOMERS, "status"): [c.label(lang) for c in schema.CUSTOMER_STATUS],
        (schema.CUSTOMERS, "dunning_hold"): [c.label(lang) for c in schema.YES_NO],
        (schema.CUSTOMERS, "currency"): list(schema.CURRENCIES),
        (schema.INVOICES, "doc_type"): [c.label(lang) for c in schema.DOC_TYPE],
        (schema.INVOICES, "disputed"): [c.label(lang) for c in schema.YES_NO],
        (schema.INVOICES, "currency"): list(schema.CURRENCIES),
        (schema.PAYMENTS, "method"): [c.label(lang) for c in schema.PAYMENT_METHOD],
        (schema.PAYMENTS, "currency"): list(schema.CURRENCIES),
        (schema.PAYMENT_PLANS, "frequency"): [c.label(lang) for c in schema.FREQUENCY],
    }
    for (table, key), values in wanted.items():
        ws = wb[table.sheet(lang)]
        # a cell far below the table: rows added later by any tool are covered too
        cell = f"{openpyxl.utils.get_column_letter(table.keys.index(key) + 1)}500"
        lists = [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list" and cell in dv.sqref]
        assert lists == ['"' + ",".join(values) + '"'], (table.name, key, lists)
    assert ("是" in wanted[(schema.INVOICES, "disputed")]) == (lang == "zh-CN")


def test_config_keys_are_named_cells(en: bytes) -> None:
    wb = _wb(en)
    for key in CONFIG_KEY_NAMES:
        (sheet, coordinate), = wb.defined_names[defined_name(key)].destinations
        cell = wb[sheet][coordinate.replace("$", "")]
        assert cell.offset(column=-1).value == key
    (sheet, coordinate), = wb.defined_names["DefaultTermsDays"].destinations
    assert wb[sheet][coordinate.replace("$", "")].value == 30
    (sheet, coordinate), = wb.defined_names["AsOfDate"].destinations
    assert wb[sheet][coordinate.replace("$", "")].value is None
    levels = wb["Config"].tables["tblDunningLevels"]
    assert levels.ref.endswith("5")  # header + the four default levels


def test_invoices_formula_columns_and_hidden_xlwings_conf(en: bytes) -> None:
    wb = _wb(en)
    ws = wb["Invoices"]
    formulas = invoice_formulas("en")
    row2 = {c.key: ws.cell(row=2, column=i + 1).value for i, c in enumerate(schema.INVOICES.columns)}
    assert {k: row2[k] for k in formulas} == formulas
    assert "SUMIFS(tblAllocations[Amount],tblAllocations[Invoice No]," in formulas["paid"]
    assert "AsOfDate" in formulas["days_overdue"] and "TODAY()" in formulas["days_overdue"]
    calculated = {c.name: c.calculatedColumnFormula for c in ws.tables["tblInvoices"].tableColumns}
    assert calculated["Status"] is not None and calculated["Invoice No"] is None
    conf = wb[XLWINGS_CONF_SHEET]
    assert conf.sheet_state == "hidden"
    assert (conf["A1"].value, conf["B1"].value) == ("UDF Modules", "xlfin_udfs")
    assert conf["A3"].value is None  # the blank row that ends the settings xlwings reads
    assert any(cf.sqref for cf in ws.conditional_formatting)
    assert any(cf.sqref for cf in wb["Customers"].conditional_formatting)


def test_zh_formulas_use_zh_labels(zh: bytes) -> None:
    formulas = invoice_formulas("zh-CN")
    assert "tblInvoices[[#This Row],[发票号]]" in formulas["paid"]
    assert '"部分付款"' in formulas["status"] and '"Partly Paid"' not in formulas["status"]
    assert _wb(zh)["应收发票"]["P2"].value == formulas["status"]


# ------------------------------------------------------------------ negative: the checks must catch these


def test_mistyped_ribbon_callback_is_a_problem(en: bytes) -> None:
    broken = _replace_member(en, "customUI/customUI14.xml",
                             lambda raw: raw.replace(b'onAction="xlfin_validate"', b'onAction="xlfin_validat"'))
    problems = check_structure(broken, "en")
    assert any("xlfin_validat'" in p and "no Sub" in p for p in problems), problems


def test_missing_sheet_code_name_is_a_problem(en: bytes) -> None:
    part = _sheet_part(en, "Invoices")
    broken = _replace_member(en, part, lambda raw: raw.replace(b' codeName="shInvoices"', b"", 1))
    problems = check_structure(broken, "en")
    assert any("shInvoices" in p for p in problems), problems


def test_missing_workbook_code_name_is_a_problem(en: bytes) -> None:
    broken = _replace_member(en, "xl/workbook.xml", lambda raw: raw.replace(b' codeName="ThisWorkbook"', b""))
    problems = check_structure(broken, "en")
    assert any("ThisWorkbook" in p for p in problems), problems


def test_wrong_language_headers_are_problems(zh: bytes) -> None:
    problems = check_structure(zh, "en")
    assert any(p.startswith("tblInvoices: sheet 'Invoices' is missing") for p in problems)


def test_lost_drop_down_is_a_problem(en: bytes) -> None:
    part = _sheet_part(en, "Payments")
    broken = _replace_member(en, part, lambda raw: re.sub(
        rb'<dataValidation [^>]*><formula1>"Bank Transfer[^<]*</formula1></dataValidation>', b"", raw))
    problems = check_structure(broken, "en")
    assert any("tblPayments[Method]" in p for p in problems), problems


def test_lost_calculated_column_is_a_problem(en: bytes) -> None:
    archive = zipfile.ZipFile(io.BytesIO(en))
    part = next(n for n in archive.namelist() if n.startswith("xl/tables/") and b'name="tblInvoices"' in archive.read(n))
    broken = _replace_member(en, part, lambda raw: re.sub(
        rb'(<tableColumn id="16" name="Status")><calculatedColumnFormula>.*?</calculatedColumnFormula></tableColumn>',
        rb"\1/>", raw))
    problems = check_structure(broken, "en")
    assert problems == ["tblInvoices[Status]: no calculated column formula (Excel would not fill new rows)"]


def test_udf_wrapper_module_is_embedded_when_given(tmp_path: Path) -> None:
    bas = tmp_path / "xlfin_udfs.bas"
    bas.write_text('Attribute VB_Name = "xlwings_udfs"\r\n#Const App = "Microsoft Excel"\r\n'
                   "Function CLV(margin, retention, discount_rate, Optional acquisition_cost)\r\n"
                   '    CLV = XLPy.CallUDF("xlfin_udfs", "CLV", Array(margin, retention, discount_rate, '
                   "acquisition_cost), ThisWorkbook, Application.Caller)\r\nEnd Function\r\n", encoding="cp1252")
    data = build_template("en", udf_module=bas)
    info = read_vba_project(zipfile.ZipFile(io.BytesIO(data)).read("xl/vbaProject.bin"))
    modules = {m.name: m for m in info.modules}
    assert modules["xlwings_udfs"].kind == "standard"
    assert 'XLPy.CallUDF("xlfin_udfs", "CLV"' in modules["xlwings_udfs"].source
    assert [p for p in check_structure(data, "en") if "xlwings_udfs" in p] == []
