"""Helpers for the privacy tests (issue #17): encrypted copies of the small demo workbook, leak scans."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers of tests/test_cli.py

from test_cli import small_workbook_bytes, table_rows  # noqa: E402

from xlfin import schema  # noqa: E402
from xlfin.xlsx import crypto  # noqa: E402

PASSWORD = "Tr0ub4dor&3-秘密"  # non-ASCII on purpose: Excel hashes the password as UTF-16
# A book encrypted by Excel itself (msoffcrypto-tool's tests/inputs/example_password.xlsx and
# tests/outputs/example.xlsx, MIT) belongs in ../shared/fixtures/excel; the tests that need it skip until it is there.
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "excel"


def excel_encrypted(name: str = "excel_encrypted_Password1234_.xlsx") -> Path:
    import pytest

    path = DATA / name
    if not path.exists():
        pytest.skip(f"Excel-encrypted fixture {name} is not in ../shared/fixtures/excel")
    return path


def plain_book() -> bytes:
    return small_workbook_bytes("en")


def encrypted_book(path: Path, secret: str = PASSWORD) -> Path:
    path.write_bytes(crypto.encrypt(plain_book(), secret))
    return path


def opened(path: Path, secret: str = PASSWORD) -> bytes:
    """The package inside an encrypted file, decrypted with msoffcrypto directly (not through xlfin's module)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(path, "rb") as fh:
        book = OOXMLFile(fh)
        book.load_key(password=secret, verify_password=True)
        out = io.BytesIO()
        book.decrypt(out, verify_integrity=True)
    return out.getvalue()


def rows(package: bytes, table: schema.Table) -> list[dict[str, object]]:
    return table_rows(io.BytesIO(package), table)  # type: ignore[arg-type] - openpyxl reads file objects too


def marker() -> str:
    """A customer's name from the book: plaintext that must never be found on disk outside the encrypted file."""
    return str(rows(plain_book(), schema.CUSTOMERS)[0]["name"])


def leaks(folder: Path, needles: list[str]) -> list[str]:
    """Files under `folder` holding any needle, in their bytes (UTF-8 or UTF-16) or inside a zip they are."""
    found = []
    patterns = [n.encode(enc) for n in needles for enc in ("utf-8", "utf-16-le")]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        blobs = [data]
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                blobs += [zf.read(n) for n in zf.namelist()]
        if any(p in blob for blob in blobs for p in patterns):
            found.append(str(path))
    return found
