"""SPEC §12 / issue #11: limits are checked before data is materialised; hostile books give exit 2 and write nothing.

The refusals run in a subprocess under a 2 GB address-space limit (RLIMIT_AS): a check that allocated first would
die there instead of refusing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli import small_workbook

from xlfin import schema
from xlfin.adapters import Limits, open_workbook
from xlfin.schema.tables import WorkbookError
from xlfin.xlsx.opc import Package
from xlfin.xlsx.read import PackageReader

TWO_GB = 2 * 1024 ** 3
RUN_UNDER_LIMIT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from xlfin.cli import app
app(sys.argv[1:])
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return small_workbook(tmp_path_factory.mktemp("limits") / "base.xlsm")


def _sheet_part(book: Path, name: str) -> str:
    reader = PackageReader(Package(book.read_bytes()))
    return reader.sheet(name).part


def rewrite(src: Path, dst: Path, part: str, edit) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info.filename)
            out.writestr(info.filename, edit(data) if info.filename == part else data)
    return dst


def xlfin_under_2gb(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", RUN_UNDER_LIMIT.format(limit=TWO_GB), *args], capture_output=True,
                          text=True, timeout=300, env=env)


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def far_cell(data: bytes) -> bytes:
    return data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>')


def beyond_excel(data: bytes) -> bytes:
    return data.replace(b"</sheetData>", b'<row r="2000000"><c r="A2000000" t="n"><v>1</v></c></row></sheetData>')


def dtd(data: bytes) -> bytes:
    body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
    return b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + body


@pytest.mark.parametrize("edit, message", [
    (far_cell, "max_grid_cells"),
    (beyond_excel, "max_rows"),
    (dtd, "entities or a DTD"),
], ids=["cell-in-XFD1048576", "row-2000000", "dtd-in-a-sheet"])
def test_hostile_sheets_are_refused_under_2gb_with_exit_2(base: Path, tmp_path: Path, edit, message: str) -> None:
    book = rewrite(base, tmp_path / "hostile.xlsm", _sheet_part(base, "Invoices"), edit)
    before = folder_state(tmp_path)
    done = xlfin_under_2gb("regenerate", str(book))
    assert done.returncode == 2, done.stderr[-2000:]
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert folder_state(tmp_path) == before


def test_shared_string_bomb_is_refused_under_2gb(base: Path, tmp_path: Path) -> None:
    """Twenty million tiny shared strings compress to almost nothing; they are refused before any is held."""
    book = tmp_path / "sst.xlsm"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            out.writestr(info.filename, zin.read(info.filename))
        out.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                     + b"<si><t>x</t></si>" * 20_000_000 + b"</sst>")
    before = folder_state(tmp_path)
    done = xlfin_under_2gb("validate", str(book))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "zip bomb" in done.stderr or "shared strings" in done.stderr, done.stderr
    assert folder_state(tmp_path) == before


def _with_shared_strings(base: Path, book: Path, count: int) -> Path:
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            out.writestr(info.filename, data)
        out.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                     + b"<si><t>x</t></si>" * count + b"</sst>")
    return book


def test_shared_string_count_and_size_limits_name_the_limit(base: Path, tmp_path: Path) -> None:
    book = _with_shared_strings(base, tmp_path / "sst.xlsm", 50)
    PackageReader(Package(book.read_bytes()), Limits(max_shared_strings=50))
    with pytest.raises(WorkbookError, match="max_shared_strings"):
        PackageReader(Package(book.read_bytes()), Limits(max_shared_strings=49))
    with pytest.raises(WorkbookError, match="max_shared_string_bytes"):
        PackageReader(Package(book.read_bytes()), Limits(max_shared_string_bytes=100))


def test_a_damaged_zip_member_is_exit_2_not_a_crash(base: Path, tmp_path: Path) -> None:
    data = bytearray(base.read_bytes())
    with zipfile.ZipFile(base) as zf:
        info = zf.getinfo(_sheet_part(base, "Invoices"))
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF  # one flipped byte in the middle of the deflate stream
    book = tmp_path / "crc.xlsm"
    book.write_bytes(bytes(data))
    before = folder_state(tmp_path)
    done = xlfin_under_2gb("regenerate", str(book))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "damaged" in done.stderr
    assert folder_state(tmp_path) == before


def test_a_table_whose_ref_spans_the_whole_sheet_is_read_without_allocating_it(base: Path, tmp_path: Path) -> None:
    package = Package(base.read_bytes())
    reader = PackageReader(package)
    table = next(t for t in reader.tables if t.display_name == schema.PAYMENTS.name)
    book = rewrite(base, tmp_path / "wide.xlsm", table.part,
                   lambda d: d.replace(f'ref="{_ref(table)}"'.encode(), b'ref="A1:XFD1048576"'))
    done = xlfin_under_2gb("regenerate", str(book))
    assert done.returncode in (0, 1), done.stderr[-2000:]
    with open_workbook(book, read_only=True) as wb:
        assert len(wb.read_table(schema.PAYMENTS)) == len(PackageReader(Package(base.read_bytes())).grid("Payments")) - 1


def test_a_merged_range_over_the_rest_of_a_sheet_is_reported_not_materialised(base: Path, tmp_path: Path) -> None:
    def merge(data: bytes) -> bytes:
        at = data.index(b"</sheetData>") + len(b"</sheetData>")
        return data[:at] + b'<mergeCells count="1"><mergeCell ref="A3:XFD1048576"/></mergeCells>' + data[at:]

    book = rewrite(base, tmp_path / "merged.xlsm", _sheet_part(base, "Payments"), merge)
    before = folder_state(tmp_path)
    done = xlfin_under_2gb("regenerate", str(book))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "merged cells A3:XFD1048576" in done.stderr
    assert folder_state(tmp_path) == before


def _ref(table) -> str:
    from xlfin.xlsx.sheet import column_letter

    return f"{column_letter(table.first_col)}{table.first_row}:{column_letter(table.last_col)}{table.last_row}"


_ADDRESS_BITS = st.sampled_from([' r="', ' r="A', ' r="AB', ' r="XFD', ' r="1', ' r="A1', ' r="1048576', ' r="A1048577',
                                 ' r="B9999999', ' r="ZZ12', ' r="a12', '"', ' ', 'r=', '="', 'Q', 'AA', '7', '1234567',
                                 '99', '<c', '/>', ' s="1"', '\u00e9'])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ADDRESS_BITS, max_size=60), st.sampled_from([1, 5, 16, 64, 1 << 22]))
def test_the_vector_prefilter_finds_every_far_address_the_regex_finds(bits: list[str], window: int) -> None:
    """The numpy pass only says where the far-address regex must start: from there it finds, in every layout of
    addresses across the windows (tiny windows put boundaries everywhere), what it finds over the whole part."""
    import xlfin.xlsx.limits as limits_module

    chunk = "".join(bits).encode("utf-8")
    original = limits_module._WINDOW
    limits_module._WINDOW = window
    try:
        start = limits_module._first_far_window(chunk)
    finally:
        limits_module._WINDOW = original
    found = limits_module._FAR.findall(chunk, start) if start is not None else []
    assert found == limits_module._FAR.findall(chunk)
