"""xlsx.crypto and xlsx.password (issue #17 item 1): bytes to bytes in memory; passwords from env, keyring, TTY."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from privacy_helpers import PASSWORD, excel_encrypted, plain_book

from xlfin.schema.tables import WorkbookError
from xlfin.xlsx import crypto, password
from xlfin.xlsx.password import Secret

# the real lookups, taken before tests/conftest.py's autouse fixture swaps them out for every test
REAL_FROM_KEYRING = password.from_keyring
REAL_CAN_PROMPT = password.can_prompt
EXCEL_PASSWORD = "Password1234_"


def test_a_book_encrypted_by_excel_decrypts_to_its_package() -> None:
    data = excel_encrypted().read_bytes()
    assert crypto.is_encrypted(data)
    package = crypto.decrypt(data, EXCEL_PASSWORD)
    assert package == excel_encrypted("excel_encrypted_Password1234_.plain.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        assert b"Microsoft Macintosh Excel" in zf.read("docProps/app.xml")
    with pytest.raises(crypto.WrongPassword):
        crypto.decrypt(data, "password1234_")


def test_encrypt_then_decrypt_gives_the_same_package_with_agile_encryption() -> None:
    package = plain_book()
    sealed = crypto.encrypt(package, PASSWORD)
    assert crypto.is_encrypted(sealed) and not crypto.is_encrypted(package)
    assert package not in sealed and b"PK\x03\x04" not in sealed[:8]
    assert crypto.decrypt(sealed, PASSWORD) == package
    assert crypto.encrypt(package, PASSWORD) != sealed  # a fresh random salt every time
    import olefile

    with olefile.OleFileIO(io.BytesIO(sealed)) as ole:
        info = ole.openstream("EncryptionInfo").read()
    assert info[:4] == b"\x04\x00\x04\x00"  # version 4.4: agile, as Excel 2010+ writes
    assert b'cipherAlgorithm="AES"' in info and b'hashAlgorithm="SHA512"' in info


def test_wrong_and_missing_passwords_are_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(crypto.encrypt(plain_book(), PASSWORD))
    with pytest.raises(WorkbookError, match=r"wrong password .*\(from XLFIN_BOOK_PASSWORD\)") as info:
        crypto.read_book(path, [Secret("nope", password.ENV_VAR)])
    assert "nope" not in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(WorkbookError, match="encrypted with a password; set XLFIN_BOOK_PASSWORD"):
        crypto.read_book(path, [])
    book = crypto.read_book(path, [Secret("nope", "the prompt"), Secret(PASSWORD, "the prompt")])  # asked again
    assert book.encrypted and book.package == plain_book()
    assert PASSWORD not in repr(book) and PASSWORD not in str(book.password)


def test_a_damaged_encrypted_package_is_not_reported_as_a_wrong_password(tmp_path: Path) -> None:
    sealed = bytearray(crypto.encrypt(plain_book(), PASSWORD))
    sealed[-2000] ^= 0xFF  # a bit flipped inside EncryptedPackage: the HMAC check catches it
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(sealed))
    with pytest.raises(WorkbookError, match="damaged|cannot be decrypted|not an Excel"):
        crypto.read_book(path, [Secret(PASSWORD, password.ENV_VAR)])


def test_password_sources_in_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    book = tmp_path / "b.xlsx"
    asked: list[str] = []
    monkeypatch.setattr(password, "from_prompt", lambda path: asked.append(path.name) or Secret("typed", "the prompt"))
    monkeypatch.setattr(password, "from_keyring", lambda path: Secret("kept", "the OS keyring"))
    monkeypatch.setattr(password, "can_prompt", lambda: True)
    monkeypatch.setenv(password.ENV_VAR, "from-env")
    assert [s.value for s in password.candidates(book)] == ["from-env"]  # a configured password is not second-guessed
    monkeypatch.delenv(password.ENV_VAR)
    assert [s.source for s in password.candidates(book)] == ["the OS keyring"]
    monkeypatch.setattr(password, "from_keyring", lambda path: None)
    assert [s.value for s in password.candidates(book)] == ["typed"] * password.PROMPT_ATTEMPTS
    monkeypatch.setattr(password, "can_prompt", lambda: False)  # a batch job: never waits for input
    asked.clear()
    assert list(password.candidates(book)) == [] and asked == []


def test_keyring_lookup_by_book_then_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys
    import types

    store = {("xlfin", "default"): "shared"}
    fake = types.SimpleNamespace(get_password=lambda service, user: store.get((service, user)))
    monkeypatch.setitem(sys.modules, "keyring", fake)
    book = tmp_path / "b.xlsx"
    assert REAL_FROM_KEYRING(book) == Secret("shared", "the OS keyring")
    store[("xlfin", str(book.resolve()))] = "own"
    assert REAL_FROM_KEYRING(book).value == "own"

    def broken(service, user):
        raise RuntimeError("no backend")

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=broken))
    assert REAL_FROM_KEYRING(book) is None
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed
    assert REAL_FROM_KEYRING(book) is None


def test_prompt_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stream(io.StringIO):
        def __init__(self, tty: bool) -> None:
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    monkeypatch.setattr("sys.stdin", Stream(True))
    monkeypatch.setattr("sys.stderr", Stream(False))  # output redirected: a script, not a person
    assert not REAL_CAN_PROMPT()
    monkeypatch.setattr("sys.stderr", Stream(True))
    assert REAL_CAN_PROMPT()
