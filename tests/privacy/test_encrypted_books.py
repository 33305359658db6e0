"""Every verb on a password-encrypted book (issue #17 item 1): read in memory, written back encrypted with the same
password, atomically; the backup is the previous encrypted file; no plaintext copy anywhere on disk."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from privacy_helpers import PASSWORD, excel_encrypted, encrypted_book, leaks, marker, opened, plain_book, rows
from typer.testing import CliRunner

from xlfin import schema
from xlfin.cli.main import app
from xlfin.xlsx import crypto

runner = CliRunner()


def xlfin(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR for the run, so the scan also covers every temporary file a library might create."""
    tmp = tmp_path / "TMPDIR"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


# verb, extra arguments, the table it must have written
VERBS = [
    ("validate", ["--write"], schema.VALIDATION),
    ("reconcile", [], schema.ALLOCATIONS),
    ("aging", [], schema.AGING),
    ("scorecard", [], schema.SCORECARD),
    ("dunning", [], schema.DUNNING),
    ("dashboard", [], None),
    ("regenerate", [], schema.SCORECARD),
]


def test_every_verb_keeps_the_book_encrypted_and_leaves_no_plaintext(tmp_path: Path, private_tmp: Path,
                                                                     with_password: str) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    book = encrypted_book(folder / "book.xlsm")
    needles = [marker(), PASSWORD]
    for verb, extra, table in VERBS:
        before = book.read_bytes()
        result = xlfin(verb, book, *extra)
        assert result.exit_code in (0, 1), (verb, result.stdout, result.stderr)
        assert PASSWORD not in result.stdout + result.stderr
        after = book.read_bytes()
        assert crypto.is_encrypted(after), verb
        assert (folder / "book.xlsm.bak").read_bytes() == before, verb  # the backup: the previous encrypted bytes
        package = opened(book)  # decrypts with the same password
        if table is not None:
            assert rows(package, table), verb
        audit = rows(package, schema.AUDIT)
        assert audit[-1]["verb"] == verb and audit[-1]["encrypted"] == "Yes"
        assert sorted(p.name for p in folder.iterdir()) == ["book.xlsm", "book.xlsm.bak"], verb  # no temp left
        assert leaks(tmp_path, needles) == [], verb
    assert marker() in str(rows(opened(book), schema.SCORECARD))  # the scan looked for something the book holds
    assert not list(private_tmp.iterdir())


def test_read_only_verbs_and_output_file(tmp_path: Path, private_tmp: Path, with_password: str) -> None:
    book = encrypted_book(tmp_path / "book.xlsm")
    original = book.read_bytes()
    assert xlfin("validate", book).exit_code in (0, 1)
    audit = xlfin("audit", book)
    assert audit.exit_code == 0, audit.stderr
    out = tmp_path / "out.xlsm"
    result = xlfin("regenerate", book, "-o", out)
    assert result.exit_code in (0, 1), result.stderr
    assert book.read_bytes() == original and not (tmp_path / "book.xlsm.bak").exists()
    assert crypto.is_encrypted(out.read_bytes())  # a new file from an encrypted book is encrypted too
    assert rows(opened(out), schema.SCORECARD)
    assert leaks(tmp_path, [marker(), PASSWORD]) == []


@pytest.mark.parametrize("secret", [None, "Hunter2-not-it"])
def test_wrong_or_missing_password_is_exit_2_and_nothing_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 no_password: None, secret: str | None) -> None:
    book = encrypted_book(tmp_path / "book.xlsm")
    if secret:
        monkeypatch.setenv("XLFIN_BOOK_PASSWORD", secret)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for verb in ("aging", "validate", "audit"):
        result = xlfin(verb, book)
        assert result.exit_code == 2, (verb, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("xlfin: ")
        assert ("wrong password" if secret else "encrypted with a password") in lines[0]
        if secret:
            assert secret not in lines[0]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_book_encrypted_by_excel_is_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             no_password: None) -> None:
    """Excel's own encryption decrypts; that book has no xlfin tables, so the clear error is about them."""
    book = tmp_path / "excel.xlsx"
    book.write_bytes(excel_encrypted().read_bytes())
    monkeypatch.setenv("XLFIN_BOOK_PASSWORD", "Password1234_")
    result = xlfin("aging", book)
    assert result.exit_code == 2
    assert "password" not in result.stderr and "not found" in result.stderr, result.stderr


def test_encrypt_verb_encrypts_in_place_without_a_plain_backup(tmp_path: Path, private_tmp: Path,
                                                                with_password: str) -> None:
    book = tmp_path / "book.xlsm"
    plain = plain_book()
    book.write_bytes(plain)
    result = xlfin("encrypt", book)
    assert result.exit_code == 0, result.stderr
    assert crypto.is_encrypted(book.read_bytes()) and opened(book) == plain
    assert sorted(p.name for p in tmp_path.iterdir()) == ["TMPDIR", "book.xlsm"]  # no .bak of the plaintext
    assert leaks(tmp_path, [marker(), PASSWORD]) == []
    again = xlfin("encrypt", book)
    assert again.exit_code == 2 and "already encrypted" in again.stderr
