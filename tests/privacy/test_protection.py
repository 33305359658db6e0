"""Generated sheets protected without a password (issue #17 item 2); input sheets left as their owner set them;
Excel (the live adapter, what the ribbon's macros run) lifts and restores the protection to write."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml.ElementTree import fromstring
from privacy_helpers import plain_book
from test_cli import edit_workbook
from typer.testing import CliRunner

from xlfin import schema
from xlfin.cli.main import app
from xlfin.schema.tables import WorkbookError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))  # the in-memory Excel engine

import fake_xlwings_engine as fake  # noqa: E402
from test_file_roundtrip import allocations, audit_rows, unapplied  # noqa: E402

from xlfin.excel.live import LiveWorkbook  # noqa: E402

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
runner = CliRunner()


def protection(path: Path) -> dict[str, dict[str, str] | None]:
    """Each sheet's <sheetProtection> attributes as saved (None: unprotected), read from the package XML."""
    out: dict[str, dict[str, str] | None] = {}
    with zipfile.ZipFile(path) as zf:
        rels = {el.get("Id"): el.get("Target") for el in fromstring(zf.read("xl/_rels/workbook.xml.rels"))}
        for sheet in fromstring(zf.read("xl/workbook.xml")).iter(f"{MAIN}sheet"):
            target = rels[sheet.get(REL_ID)]
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            el = fromstring(zf.read(part)).find(f"{MAIN}sheetProtection")
            out[sheet.get("name")] = None if el is None else dict(el.attrib)
    return out


def test_generated_sheets_are_protected_without_password_inputs_untouched(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsm"
    book.write_bytes(plain_book())

    def owner_protects_payments(wb: openpyxl.Workbook) -> None:
        wb["Payments"].protection.sheet = True
        wb["Payments"].protection.password = "owner"

    edit_workbook(book, owner_protects_payments)
    before = protection(book)
    result = runner.invoke(app, ["regenerate", str(book)])
    assert result.exit_code in (0, 1), result.stderr
    after = protection(book)
    generated = {t.sheet_en for t in schema.GENERATED_TABLES} | {schema.DASHBOARD_SHEET["en"]}
    assert generated - {"Dunning Log"} <= set(after)
    for name in generated & set(after):
        attrs = after[name]
        assert attrs is not None and attrs["sheet"] == "1", name
        assert not {"password", "hashValue", "algorithmName"} & set(attrs), name  # no password
        assert attrs.get("autoFilter") == "0" and attrs.get("sort") == "0", name  # filtering and sorting allowed
    for name in ("Customers", "Invoices", "Payments", "Config"):
        assert after[name] == before[name], name  # the owner's protection (or none) exactly as it was
    assert after["Payments"] is not None and after["Customers"] is None


@pytest.fixture
def live_book(engine, tmp_path: Path):
    path = tmp_path / "live.xlsx"
    fake.build_sample(path)
    return fake.open_book(path)


def test_live_adapter_unprotects_to_write_and_protects_again(live_book) -> None:
    live = LiveWorkbook(live_book)
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations(2)), (schema.UNAPPLIED, unapplied())], "en")
    live.append_rows(schema.AUDIT, audit_rows("reconcile"), "en")
    live.commit()
    sheets = {s.name: s.api for s in live_book.sheets}
    assert sheets["Reconciliation"].ProtectContents and sheets["Audit"].ProtectContents
    assert not sheets["Customers"].ProtectContents
    with pytest.raises(fake.ProtectedSheetError):  # what a user typing into the report now meets
        live_book.sheets["Reconciliation"].range("A2").value = "typed over"
    live = LiveWorkbook(live_book)  # the next run, e.g. the ribbon's Reconcile again
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations(3)), (schema.UNAPPLIED, unapplied())], "en")
    live.append_rows(schema.AUDIT, audit_rows("aging"), "en")
    live.commit()
    assert LiveWorkbook(live_book).read_table(schema.AUDIT).frame["action"].tolist() == ["reconcile", "aging"]
    assert len(LiveWorkbook(live_book).read_table(schema.ALLOCATIONS).frame) == 3
    assert live_book.sheets["Reconciliation"].api.ProtectContents


def test_live_adapter_reports_a_password_it_cannot_lift(live_book) -> None:
    live = LiveWorkbook(live_book)
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations(1)), (schema.UNAPPLIED, unapplied())], "en")
    live.commit()
    live_book.sheets["Reconciliation"].api.protection.password = "someone's"
    live = LiveWorkbook(live_book)
    live.replace_sheet("Reconciliation", [(schema.ALLOCATIONS, allocations(2)), (schema.UNAPPLIED, unapplied())], "en")
    with pytest.raises(WorkbookError, match="Reconciliation is protected with a password"):
        live.commit()


def test_file_protection_survives_a_reload() -> None:
    """What openpyxl writes is what Excel reads back: sheet protected, filter and sort allowed."""
    from xlfin.xlsx.protection import file_protection

    wb = openpyxl.Workbook()
    wb.active.protection = file_protection()
    buffer = io.BytesIO()
    wb.save(buffer)
    back = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active.protection
    assert back.sheet and not back.autoFilter and not back.sort and not back.password


def test_ribbon_buttons_work_on_the_protected_template_and_leave_reports_protected(engine, tmp_path: Path,
                                                                                   monkeypatch) -> None:
    from test_cli import small_workbook

    from xlfin.excel import macros

    book = fake.open_book(small_workbook(tmp_path / "book.xlsm"))
    assert book.sheets["Aging"].api.ProtectContents  # the template ships its report sheets protected
    for _ in range(2):
        assert macros.aging(book) is not None, book.app.impl.alerts[-1]
    assert book.sheets["Aging"].api.ProtectContents and book.sheets["Audit"].api.ProtectContents
    audit = LiveWorkbook(book).read_table(schema.AUDIT).frame
    assert audit["verb"].tolist()[-2:] == ["aging", "aging"]
    assert audit["hash_before"].fillna("").tolist()[-1] in ("", None)  # Excel's book: no file hash (docs/privacy.md)

    import xlfin.xlsx.dashboard as render

    def boom(*args, **kwargs):
        raise RuntimeError("dashboard failed")

    monkeypatch.setattr(render, "render_dashboard",
                        lambda wb, data, lang: (wb.sheet_for_charts("Dashboard", lang), boom()))
    assert macros.dashboard(book) is None  # the failure is an alert
    assert book.sheets["Dashboard"].api.ProtectContents  # the sheet it had unprotected is protected again


def test_protection_xml_matches_the_openpyxl_definition() -> None:
    """Writers that emit worksheet XML themselves use the same element openpyxl writes."""
    from xlfin.xlsx.protection import sheet_protection_xml

    xml = sheet_protection_xml()
    el = fromstring(xml)
    assert el.tag == "sheetProtection" and el.get("sheet") == "1"
    assert el.get("autoFilter") == el.get("sort") == el.get("formatColumns") == "0" and "password" not in xml
