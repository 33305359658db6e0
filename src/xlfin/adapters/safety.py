"""Checks made before a workbook from outside is parsed or written (SPEC §8).

Each check raises `WorkbookError` with one line a user can act on, and none of them changes a file. They run
before openpyxl sees the bytes: the signature tells an old .xls or a password-protected workbook from a zip, and the
zip's central directory gives the uncompressed sizes, so a zip bomb is refused without inflating it.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import IO

from xlfin.schema.tables import WorkbookError
from xlfin.xlsx.limits import DEFAULT_LIMITS, Limits

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
MACRO_SUFFIXES = (".xlsm", ".xltm")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def ensure_safe_parser() -> None:
    """openpyxl must parse through defusedxml, which refuses entity declarations (billion laughs, XXE)."""
    import openpyxl

    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise WorkbookError("refusing to parse workbooks without defusedxml: install defusedxml and unset "
                            "OPENPYXL_DEFUSEDXML=False")


def _ole2_kind(path: Path) -> str:
    """'encrypted', 'xls' or 'other' for an OLE2 compound file."""
    try:
        import olefile
    except ImportError:  # olefile ships with oletools; without it, tell the two cases apart by name bytes
        data = path.read_bytes()[: 1 << 20]
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            return "encrypted"
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            return "xls"
        return "other"
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=False)}
    except Exception:  # noqa: BLE001 - a damaged container is still not a workbook we can read
        return "other"
    if {"encryptedpackage", "encryptioninfo"} & streams:
        return "encrypted"
    if {"workbook", "book"} & streams:
        return "xls"
    return "other"


def check_input_file(path: Path, limits: Limits = DEFAULT_LIMITS, *, allow_encrypted: bool = False) -> bool:
    """Refuse anything that is not a readable .xlsx/.xlsm within the size limits, before parsing it.

    True when the file is an encrypted workbook (allowed only with `allow_encrypted`): its zip is checked with
    `check_zip` once it has been decrypted in memory."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if not path.is_file():
        raise WorkbookError(f"{path}: not a file")
    size = path.stat().st_size
    if size == 0:
        raise WorkbookError(f"{path}: the file is empty, not an Excel workbook")
    if size > limits.max_file_bytes:
        raise WorkbookError(f"{path}: the file is {_mb(size)}, larger than the {_mb(limits.max_file_bytes)} limit")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if head == OLE2_SIGNATURE:
        kind = _ole2_kind(path)
        if kind == "encrypted" and allow_encrypted:
            if path.suffix.lower() not in WORKBOOK_SUFFIXES:
                raise WorkbookError(f"{path}: unsupported file type {path.suffix or '(none)'}; use .xlsx or .xlsm")
            return True
        if kind == "encrypted":
            raise WorkbookError(f"{path}: the workbook is password-protected (encrypted); remove the password in "
                                "Excel (File > Info > Protect Workbook) and save it again")
        if kind == "xls":
            raise WorkbookError(f"{path}: an old Excel 97-2003 .xls file; open it in Excel and save it as .xlsx "
                                "or .xlsm")
        raise WorkbookError(f"{path}: not an Excel workbook (an OLE2 compound document)")
    if not head.startswith(ZIP_SIGNATURES):
        raise WorkbookError(f"{path}: not an Excel workbook (.xlsx/.xlsm files are zip packages)")
    check_zip(path, limits)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{path}: unsupported file type {path.suffix or '(none)'}; use .xlsx or .xlsm")
    return False


def check_zip(path: Path, limits: Limits = DEFAULT_LIMITS, source: IO[bytes] | None = None) -> None:
    """The package must be a workbook, and its declared uncompressed sizes within limits (zip-bomb check).
    `source`: the package in memory (a decrypted book), `path` only names it in messages."""
    try:
        with zipfile.ZipFile(path if source is None else source) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise WorkbookError(f"{path}: not an Excel workbook (damaged zip package: {exc})") from None
    names = {i.filename for i in infos}
    if "xl/workbook.bin" in names:
        raise WorkbookError(f"{path}: a binary .xlsb workbook; save it as .xlsx or .xlsm")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/workbook") for n in names):
        raise WorkbookError(f"{path}: not an Excel workbook (a zip package without a workbook part)")
    if len(infos) > limits.max_members:
        raise WorkbookError(f"{path}: the package has {len(infos)} parts, more than the {limits.max_members} limit")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.ratio_min_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_member_ratio:
                raise WorkbookError(f"{path}: part {info.filename} expands {ratio:.0f}-fold to "
                                    f"{_mb(info.file_size)}; refusing a possible zip bomb")
    if total > limits.max_uncompressed_bytes:
        raise WorkbookError(f"{path}: the workbook expands to {_mb(total)}, more than the "
                            f"{_mb(limits.max_uncompressed_bytes)} limit")


def _file_writable(path: Path) -> bool:
    """Writable for us, and not marked read-only: a file without any write bit is respected even by root,
    as Excel respects the read-only attribute."""
    mode = path.stat().st_mode
    return os.access(path, os.W_OK) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def check_writable(target: Path) -> None:
    """The target file (if it exists) and its folder must be writable: the save goes through a temporary file
    and a backup in the same folder."""
    target = Path(target)
    folder = target.resolve().parent
    if not folder.is_dir():
        raise WorkbookError(f"{target}: the folder {folder} does not exist")
    if target.exists():
        if not target.is_file():
            raise WorkbookError(f"{target}: not a file")
        if not _file_writable(target):
            raise WorkbookError(f"{target}: the file is read-only; nothing was changed")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WorkbookError(f"{target}: the folder {folder} is read-only; nothing was changed")


def check_output_suffix(source: Path, output: Path) -> None:
    """A macro workbook saved under .xlsx (or the reverse) is a file Excel refuses to open."""
    src_macro = Path(source).suffix.lower() in MACRO_SUFFIXES
    out_macro = Path(output).suffix.lower() in MACRO_SUFFIXES
    if Path(output).suffix.lower() not in WORKBOOK_SUFFIXES or src_macro != out_macro:
        raise WorkbookError(f"{output}: the output must have the same kind of extension as {Path(source).name} "
                            f"({Path(source).suffix})")
