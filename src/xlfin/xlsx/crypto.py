"""Excel's "Encrypt with Password" (ECMA-376 agile encryption), bytes to bytes, in memory (issue #17).

An encrypted .xlsx/.xlsm is an OLE2 compound file holding `EncryptionInfo` and `EncryptedPackage` streams; the
package inside is the ordinary zip. msoffcrypto-tool does the cryptography; this module only moves bytes, so no
decrypted copy is ever written to disk. Books encrypted with the older "standard" scheme (Excel 2007) are read;
every book is written back with agile encryption (AES-256, SHA-512, 100 000 spins: what current Excel writes).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xlfin.schema.tables import WorkbookError
from .password import Secret, candidates

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STREAMS = ("encryptioninfo", "encryptedpackage")


def is_encrypted(data: bytes) -> bool:
    """An OLE2 compound file with the two streams of an encrypted OOXML package."""
    if not data.startswith(OLE2_SIGNATURE):
        return False
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=False)}
    except Exception:  # noqa: BLE001 - a damaged container is not an encrypted workbook we can read
        return False
    return all(s in streams for s in _STREAMS)


class WrongPassword(Exception):
    """The password does not open this package (kept apart from damage, which is a different message)."""


def decrypt(data: bytes, password: str) -> bytes:
    """The plain package of an encrypted book; WrongPassword or WorkbookError-worthy ValueError otherwise."""
    from msoffcrypto import exceptions
    from msoffcrypto.format.ooxml import OOXMLFile

    try:
        book = OOXMLFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - msoffcrypto raises parse errors of several kinds
        raise ValueError(f"damaged encryption header ({_first_line(exc)})") from None
    try:
        book.load_key(password=password, verify_password=True)
    except exceptions.InvalidKeyError:
        raise WrongPassword() from None
    except Exception as exc:  # noqa: BLE001 - unsupported schemes (extensible, certificates)
        raise ValueError(f"unsupported encryption ({_first_line(exc)})") from None
    out = io.BytesIO()
    try:
        # the agile HMAC also proves the encrypted bytes were not damaged or tampered with
        book.decrypt(out, verify_integrity=book.type == "agile")
    except exceptions.InvalidKeyError as exc:
        if "integrity" in str(exc).lower():
            raise ValueError("the encrypted package is damaged (integrity check failed)") from None
        raise WrongPassword() from None
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"cannot be decrypted ({_first_line(exc)})") from None
    return out.getvalue()


def encrypt(package: bytes, password: str) -> bytes:
    """The OLE2 container Excel opens with `password`, holding `package` (a zip) with agile encryption."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(package)).encrypt(password, out)
    return out.getvalue()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class BookBytes:
    """A workbook file as read: its plain package (decrypted in memory) and, when encrypted, the password."""

    path: Path
    package: bytes = field(repr=False)
    password: Secret | None = None  # set only for an encrypted book; used to encrypt it again on save

    @property
    def encrypted(self) -> bool:
        return self.password is not None

    def seal(self, package: bytes) -> bytes:
        """The bytes to write for `package`: encrypted with the book's password when the book was encrypted."""
        return encrypt(package, self.password.value) if self.password is not None else package


def open_encrypted(path: Path, data: bytes, passwords: Iterable[Secret] | None = None) -> BookBytes:
    """Decrypt an encrypted book's bytes with the first password that opens it; one clear WorkbookError otherwise."""
    path = Path(path)
    tried: Secret | None = None
    for secret in passwords if passwords is not None else candidates(path):
        tried = secret
        try:
            package = decrypt(data, secret.value)
        except WrongPassword:
            continue
        except ValueError as exc:
            raise WorkbookError(f"{path}: the encrypted workbook {exc}") from None
        return BookBytes(path, package, secret)
    if tried is None:
        raise WorkbookError(f"{path}: the workbook is encrypted with a password; set XLFIN_BOOK_PASSWORD, store it "
                            "in the OS keyring (service xlfin) or run xlfin on a terminal to be asked")
    raise WorkbookError(f"{path}: wrong password for the encrypted workbook (from {tried.source}); nothing was changed")


def read_book(path: Path, passwords: Iterable[Secret] | None = None) -> BookBytes:
    """The file's bytes and its plain package: itself for a plain book, decrypted in memory for an encrypted one."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if is_encrypted(data):
        return open_encrypted(path, data, passwords)
    return BookBytes(path, data)


def encrypt_file(path: Path, passwords: Iterable[Secret] | None = None) -> Secret:
    """Encrypt a plain book in place (for servers without Excel), atomically; no backup, because the backup would
    be the plaintext this is meant to remove. The password comes from the same sources as for reading one."""
    from .atomic import atomic_write_bytes

    path = Path(path)
    data = path.read_bytes()
    if is_encrypted(data):
        raise WorkbookError(f"{path}: the workbook is already encrypted")
    if not data.startswith(b"PK"):
        raise WorkbookError(f"{path}: not an Excel workbook (.xlsx/.xlsm files are zip packages)")
    secret = next(iter(passwords if passwords is not None else candidates(path)), None)
    if secret is None:
        raise WorkbookError(f"{path}: no password given; set XLFIN_BOOK_PASSWORD, store it in the OS keyring "
                            "(service xlfin) or run xlfin on a terminal to be asked")
    atomic_write_bytes(path, encrypt(data, secret.value), backup=False)
    return secret
