"""Bad input (issue 5 item 7): every unusable workbook gives one clear WorkbookError and no file changes."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fake_xlwings_engine import build_sample

from xlfin import schema
from xlfin.adapters import Limits, open_workbook
from xlfin.schema.tables import WorkbookError
from xlfin.vba.cfb import write_cfb


def state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file in a folder: 'no file changed' means this is equal before and after."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()}


def refused(path: Path, pattern: str, **kw) -> None:
    before = state(path.parent)
    with pytest.raises(WorkbookError, match=pattern) as info:
        wb = open_workbook(path, **kw)
        try:
            wb.read_table(schema.INVOICES)
            wb.read_table(schema.PAYMENTS)
            wb.read_table(schema.CUSTOMERS)
            wb.commit()
        finally:
            wb.close()
    assert "\n" not in str(info.value)  # one line for the CLI's stderr
    assert state(path.parent) == before


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    build_sample(path)
    return path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="no such file"):
        open_workbook(tmp_path / "nope.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("customer,amount\nC001,100\n")
    refused(path, r"not an Excel workbook")


def test_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    refused(path, r"zip package without a workbook part")


def test_old_xls(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(write_cfb({"Workbook": b"\x09\x08" + b"\x00" * 4000, "\x05SummaryInformation": b"\x00" * 200}))
    refused(path, r"old Excel 97-2003 \.xls file")


def test_encrypted_workbook_without_password(sample: Path, tmp_path: Path) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(sample, "rb") as fh:
        OOXMLFile(fh).encrypt("secret", out)
    path = tmp_path / "locked.xlsx"
    path.write_bytes(out.getvalue())
    assert msoffcrypto.OfficeFile(io.BytesIO(out.getvalue())).is_encrypted()
    refused(path, r"encrypted with a password; set XLFIN_BOOK_PASSWORD")


def test_encrypted_container_by_stream_names(tmp_path: Path) -> None:
    path = tmp_path / "locked2.xlsx"
    path.write_bytes(write_cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 600,
                                "EncryptedPackage": b"\x00" * 5000}))
    refused(path, r"encrypted with a password")


def test_xlsb(tmp_path: Path) -> None:
    path = tmp_path / "binary.xlsb"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x00")
    refused(path, r"binary \.xlsb")


def test_file_too_large(sample: Path) -> None:
    refused(sample, r"larger than the 0 MB limit", limits=Limits(max_file_bytes=100))


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b" " * 3_000_000)
    refused(path, r"possible zip bomb", limits=Limits(ratio_min_bytes=1_000_000, max_member_ratio=100))
    refused(path, r"expands to", limits=Limits(max_uncompressed_bytes=1_000_000))


def test_entity_expansion_is_refused(sample: Path, tmp_path: Path) -> None:
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(sample) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/workbook.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
                        b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' + body)
            dst.writestr(name, data)
    refused(path, r"declares entities or a DTD")


def test_missing_table(sample: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    del wb["Payments"]
    wb.save(sample)
    refused(sample, r"^Payments: table tblPayments not found")


def test_renamed_required_header(sample: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    ws = wb["Payments"]
    ws["E1"] = "Amt"
    ws.tables["tblPayments"].tableColumns[4].name = "Amt"
    wb.save(sample)
    refused(sample, r"^tblPayments: column 'Amount' \(金额\) not found; headers are: Payment ID, .*Amt, Currency")


def test_renamed_header_in_a_header_only_table(sample: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    ws = wb["应收发票"]
    for row in ws.iter_rows(min_row=3, max_row=3):
        for c in row:
            if c.value == "发票号":
                c.value = "票号"
    wb.save(sample)
    refused(sample, r"^应收发票: column 'Invoice No' \(发票号\) not found; headers are: .*票号")


def test_duplicate_header(sample: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    ws = wb["Customers"]
    ws["N1"] = "Customer Name"
    ws["N2"] = "again"
    wb.save(sample)
    # the extra header is outside the ListObject, so the table itself is fine ...
    with open_workbook(sample, read_only=True) as book:
        assert "name" in book.read_table(schema.CUSTOMERS).frame
    ws.tables["tblCustomers"].ref = "A1:N4"
    ws.tables["tblCustomers"]._initialise_columns()
    for j, c in enumerate(ws.tables["tblCustomers"].tableColumns):
        c.name = str(ws.cell(1, j + 1).value)
    wb.save(sample)
    refused(sample, r"the same column appears twice \('Customer Name' in column N\)")


def test_merged_cells_in_a_table(sample: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    wb["Customers"].merge_cells("B2:C2")
    wb.save(sample)
    refused(sample, r"^tblCustomers: merged cells B2:C2 inside the table \(Customers!A1:M4\); unmerge them")


def test_text_in_a_money_column_is_not_an_adapter_error(sample: Path) -> None:
    with open_workbook(sample, read_only=True) as wb:
        raw = wb.read_table(schema.INVOICES)
    assert "12O0" in raw.frame["amount"].tolist()  # validation reports it, naming the cell


@pytest.mark.parametrize("where", ["file", "folder"])
def test_read_only_target(sample: Path, where: str) -> None:
    target = sample if where == "file" else sample.parent
    mode = target.stat().st_mode
    target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH | (stat.S_IXUSR if where == "folder" else 0))
    try:
        if where == "folder" and os.access(sample.parent, os.W_OK):
            pytest.skip("running as root: a folder without write bits is still writable")
        refused(sample, r"read-only; nothing was changed")
    finally:
        target.chmod(mode)


def test_read_only_output_target(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old")
    out.chmod(0o444)
    before = state(tmp_path)
    with open_workbook(sample) as wb:
        wb.replace_sheet("Validation", [(schema.VALIDATION, pd.DataFrame())], "en")
        with pytest.raises(WorkbookError, match=r"out\.xlsx: the file is read-only"):
            wb.commit(out)
    assert state(tmp_path) == before


def test_file_changed_since_opened(sample: Path) -> None:
    wb = open_workbook(sample)
    wb.replace_sheet("Validation", [(schema.VALIDATION, pd.DataFrame())], "en")
    other = openpyxl.load_workbook(sample)
    other["Notes"]["A5"] = "typed meanwhile in Excel"
    other.save(sample)
    before = state(sample.parent)
    with pytest.raises(WorkbookError, match="changed since it was opened"):
        wb.commit()
    assert state(sample.parent) == before


def test_read_only_open_refuses_commit(sample: Path) -> None:
    before = state(sample.parent)
    with open_workbook(sample, read_only=True) as wb, pytest.raises(WorkbookError, match="opened read-only"):
        wb.commit()
    assert state(sample.parent) == before
