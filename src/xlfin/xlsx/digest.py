"""The workbook hash the Audit sheet records before and after each run (issue #17).

A file cannot hold its own hash, so the hash is over the workbook's content: SHA-256 of every package part (name and
bytes, in name order) except the Audit sheet itself (its rows, its table, its relationships) and the document's
timestamps (`docProps/core.xml`). For an encrypted book it is taken over the decrypted package, so it does not change
with the random salt of each encryption. Run N's `hash_after` equals run N+1's `hash_before` exactly when nobody
changed the workbook in between; `xlfin audit` checks the current file against the last run the same way.

The Audit row is staged before the package exists, so it carries `HASH_PENDING`; `stamp_hash_after` replaces it in
the final parts, just before they are zipped.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import zipfile
from collections.abc import Mapping, Sequence
from typing import Protocol
from pathlib import Path

from ..schema import AUDIT

HASH_PENDING = "xlfin-hash-after-pending-" + "0" * 39  # 64 characters, the length of the hex digest it becomes
_CORE_PROPS = "docProps/core.xml"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# A part's bytes, or a large generated part as the chunks it was written in (hashed chunk by chunk, never joined)
Part = bytes | Sequence[bytes]


def _pieces(data: Part) -> Sequence[bytes]:
    return (data,) if isinstance(data, (bytes, bytearray)) else data


def _whole(data: Part) -> bytes:
    return data if isinstance(data, bytes) else b"".join(data)


def _rels(parts: Mapping[str, Part], part: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """The relationships part of `part` and its id -> (type, target part) map."""
    from defusedxml.ElementTree import fromstring

    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    out: dict[str, tuple[str, str]] = {}
    if rels_name in parts:
        for el in fromstring(_whole(parts[rels_name])):
            target = el.get("Target", "")
            if el.get("TargetMode") == "External":
                continue
            full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[el.get("Id", "")] = (el.get("Type", ""), full)
    return rels_name, out


def audit_parts(parts: Mapping[str, Part]) -> set[str]:
    """The parts that belong to the Audit sheet (en or zh-CN name): its worksheet, relationships and tables."""
    from defusedxml.ElementTree import fromstring

    workbook = next((n for n in parts if n.lower() == "xl/workbook.xml"), None)
    if workbook is None:
        return set()
    _, rels = _rels(parts, workbook)
    names = {AUDIT.sheet_en, AUDIT.sheet_zh}
    found: set[str] = set()
    for el in fromstring(_whole(parts[workbook])).iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet" and el.get("name") in names and el.get(_R_ID) in rels:
            sheet = rels[el.get(_R_ID)][1]
            sheet_rels, targets = _rels(parts, sheet)
            found |= {sheet, sheet_rels} | {t for kind, t in targets.values() if kind.endswith("/table")}
    return found


def package_digest(parts: Mapping[str, Part]) -> str:
    """SHA-256 over the workbook's parts, without the Audit sheet and the document timestamps."""
    skip = audit_parts(parts) | {_CORE_PROPS}
    h = hashlib.sha256()
    for name in sorted(parts):
        if name in skip:
            continue
        pieces = _pieces(parts[name])
        h.update(name.encode("utf-8") + b"\0" + sum(map(len, pieces)).to_bytes(8, "big"))
        for piece in pieces:
            h.update(piece)
    return h.hexdigest()


def zip_digest(package: Path | bytes) -> str:
    """`package_digest` of a package file or of package bytes."""
    with zipfile.ZipFile(io.BytesIO(package) if isinstance(package, bytes) else package) as zf:
        return package_digest({i.filename: zf.read(i.filename) for i in zf.infolist() if not i.is_dir()})


def stamp_hash_after(parts: dict[str, Part]) -> set[str]:
    """Replace the pending hash in the Audit rows of the final parts by the hash of everything else; the names of
    the parts changed (each now one bytes object)."""
    token = HASH_PENDING.encode()
    holders = {n for n in audit_parts(parts) if token in _whole(parts[n])}
    if holders:
        digest = package_digest(parts).encode()
        for name in holders:
            parts[name] = _whole(parts[name]).replace(token, digest)
    return holders


class PartStore(Protocol):
    """A package that reads and writes parts by name (the file format's package class)."""

    def names(self) -> list[str]: ...

    def read(self, name: str) -> bytes: ...

    def write(self, name: str, data: bytes) -> None: ...


def stamp_package(package: PartStore) -> bool:
    """`stamp_hash_after` on a package object, just before its final bytes are made; True when it changed. A
    package that hands out a large part as its chunks (`pieces`) has it hashed without joining them."""
    pieces = getattr(package, "pieces", package.read)
    parts: dict[str, Part] = {n: pieces(n) for n in package.names()}
    changed = stamp_hash_after(parts)
    for name in changed:
        package.write(name, parts[name])
    return bool(changed)
