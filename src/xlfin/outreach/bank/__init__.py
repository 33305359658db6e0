"""Bank files -> transactions (pure: bytes in, transactions out). Formats: camt.053, camt.054, MT940, CSV."""

from __future__ import annotations

from collections.abc import Mapping

from .camt import parse_camt
from .csv_import import parse_csv
from .model import BankFile, BankFileError, BankTransaction
from .mt940 import parse_mt940

FORMATS = ("auto", "camt053", "camt054", "mt940", "csv")

__all__ = ["FORMATS", "BankFile", "BankFileError", "BankTransaction", "detect_format", "parse_bank_file"]


def detect_format(data: bytes) -> str:
    """By content, never by extension: XML -> camt, a ':20:' field near the top -> MT940, else CSV."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "camt054" if b"BkToCstmrDbtCdtNtfctn" in data[:65536] else "camt053"
    lines = [ln.strip() for ln in head.splitlines()[:12]]
    if any(ln.startswith((b":20:", b"{1:", b"{4:")) for ln in lines):
        return "mt940"
    return "csv"


def parse_bank_file(data: bytes, name: str, fmt: str = "auto", encoding: str | None = None,
                    csv_columns: Mapping[str, str] | None = None) -> BankFile:
    """One file's transactions; a malformed file raises BankFileError naming the file and the line or element."""
    if fmt not in FORMATS:
        raise BankFileError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", name)
    if not data.strip():
        raise BankFileError("the file is empty", name)
    kind = detect_format(data) if fmt == "auto" else fmt
    if kind in ("camt053", "camt054"):
        found, txs = parse_camt(data, name)
        if fmt != "auto" and found != fmt:
            raise BankFileError(f"--format {fmt} given, but the file is a {found}", name)
        return BankFile(name, found, txs)
    if kind == "mt940":
        return BankFile(name, "mt940", parse_mt940(data, name))
    used, txs = parse_csv(data, name, encoding, csv_columns)
    return BankFile(name, "csv", txs, encoding=used)
