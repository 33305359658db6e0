"""The OPC package of a workbook: parts, content types and relationships, parsed once (ECMA-376 Part 2).

A `Package` is loaded from BYTES (so a decrypting loader can hand over the decrypted package without a temporary
file) and saved to BYTES with `Package.to_bytes`: every member that was not replaced is copied with its original
compressed bytes, CRC and attributes, so a part xlfin does not own is byte-identical after any verb. The small
package XML (relationships, content types) is read here with defusedxml and nowhere else.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from isal import isal_zlib
from defusedxml.ElementTree import ParseError, fromstring

from xlfin.schema.tables import WorkbookError

NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_ID = f"{{{NS_DOC_REL}}}id"
CONTENT_TYPES = "[Content_Types].xml"
REL_OFFICE_DOCUMENT = NS_DOC_REL + "/officeDocument"
REL_WORKSHEET = NS_DOC_REL + "/worksheet"
REL_TABLE = NS_DOC_REL + "/table"
REL_DRAWING = NS_DOC_REL + "/drawing"
REL_CHART = NS_DOC_REL + "/chart"
REL_HYPERLINK = NS_DOC_REL + "/hyperlink"
REL_STYLES = NS_DOC_REL + "/styles"
REL_SHARED_STRINGS = NS_DOC_REL + "/sharedStrings"
REL_CALC_CHAIN = NS_DOC_REL + "/calcChain"
REL_EXTENDED_PROPERTIES = NS_DOC_REL + "/extended-properties"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml(name: str, data: bytes) -> Element:
    """A small part, parsed without entity expansion; WorkbookError (exit 2) when it is not usable XML."""
    try:
        return fromstring(data)
    except DefusedXmlException:
        raise WorkbookError(f"refused: part {name} declares entities or a DTD") from None
    except ParseError as exc:
        raise WorkbookError(f"not a usable workbook: part {name} is not well-formed XML ({exc})") from None


def escape(text: str, quote: bool = True) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # the part name (no leading slash) for an internal target, the raw target for an external one
    external: bool = False


def relationship_attributes(name: str, raw: bytes) -> list[dict[str, str]]:
    """The attributes of each <Relationship> of a relationships part, in file order (the one parser of them)."""
    return [dict(el.attrib) for el in parse_xml(name, raw) if local(el.tag) == "Relationship"]


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    # a package-level relationship (source "/") names its target from the root: no leading slash either way
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target)).lstrip("/")


def relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


def rels_xml(rels: list[Relationship], source_part: str) -> bytes:
    """A relationships part xlfin owns (a generated sheet's, a drawing's)."""
    items = []
    for r in rels:
        target = r.target if r.external else relative(source_part, r.target)
        mode = ' TargetMode="External"' if r.external else ""
        items.append(f'<Relationship Id="{escape(r.id)}" Type="{escape(r.type)}" Target="{escape(target)}"{mode}/>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_REL}">'
            + "".join(items) + "</Relationships>").encode()


class Package:
    """A zip package held as its bytes; parts are inflated on demand and replaced parts kept until `to_bytes`."""

    def __init__(self, data: bytes, source: str = "workbook") -> None:
        self.source = source
        self._data = data
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            self._infos = {i.filename: i for i in self._zip.infolist() if not i.is_dir()}
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise WorkbookError(f"{source}: not an Excel workbook (damaged zip package: {exc})") from None
        self._order = list(self._infos)
        self._inflated: dict[str, bytes] = {}  # members as loaded, inflated once by the limits inspection
        self._changed: dict[str, bytes | list[bytes]] = {}
        self._removed: set[str] = set()
        self._rels: dict[str, list[Relationship]] = {}
        # large written parts deflated on a second thread while the caller goes on (ISA-L and the CRC release the
        # GIL): the chunks given and the future of their deflated bytes
        self._ahead: dict[str, tuple[list[bytes], Future[tuple[bytes, int, int]]]] = {}
        self._deflater: ThreadPoolExecutor | None = None

    @property
    def source_bytes(self) -> bytes:
        """The package as loaded (what a value reader such as python-calamine reads)."""
        return self._data

    @property
    def zip(self) -> zipfile.ZipFile:
        return self._zip

    def names(self) -> list[str]:
        return [n for n in self._order if n not in self._removed]

    def has(self, name: str) -> bool:
        return name not in self._removed and (name in self._changed or name in self._infos)

    def read(self, name: str) -> bytes:
        if name in self._removed:
            raise KeyError(name)
        if name in self._changed:
            data = self._changed[name]
            if isinstance(data, list):  # written as chunks: joined once, when something reads it back
                data = self._changed[name] = b"".join(data)
            return data
        return self.original(name)

    def pieces(self, name: str) -> bytes | list[bytes]:
        """A part as `read` gives it, except that a part written as chunks stays its list of chunks (hashing and
        deflating go through them one by one; joining would copy the largest parts once more)."""
        data = self._changed.get(name)
        return data if isinstance(data, list) and name not in self._removed else self.read(name)

    def original(self, name: str) -> bytes:
        """A member as loaded, whatever was written since."""
        got = self._inflated.get(name)
        if got is not None:
            return got
        try:
            return self._zip.read(name)
        except KeyError:
            raise
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            raise WorkbookError(f"{self.source}: the zip member {name} is damaged ({exc})") from None

    def original_names(self) -> list[str]:
        return list(self._infos)

    def adopt_inflated(self, parts: dict[str, bytes]) -> None:
        """Members already inflated (and checked) by the limits inspection: `read` hands them out as they are."""
        self._inflated.update((name, data) for name, data in parts.items() if name in self._infos)

    def write(self, name: str, data: bytes | list[bytes]) -> None:
        """Replace (or add) a part; a large generated part may be given as a list of chunks, never joined."""
        self._removed.discard(name)
        self._changed[name] = data
        self._ahead.pop(name, None)
        if isinstance(data, list) and sum(map(len, data)) >= DEFLATE_AHEAD_BYTES:
            if self._deflater is None:
                self._deflater = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlfin-deflate")
            self._ahead[name] = (data, self._deflater.submit(deflate, data))
        if name not in self._infos and name not in self._order:
            self._order.append(name)
        if name.endswith(".rels"):
            self._rels = {k: v for k, v in self._rels.items() if rels_name(k) != name}

    def remove(self, name: str) -> None:
        self._changed.pop(name, None)
        self._ahead.pop(name, None)
        self._removed.add(name)
        self._rels = {k: v for k, v in self._rels.items() if rels_name(k) != name and k != name}

    def changed(self) -> set[str]:
        return set(self._changed) | self._removed

    # ------------------------------------------------ relationships

    def relationships(self, part: str) -> list[Relationship]:
        """The relationships of a part ('' for the package), in file order."""
        if part not in self._rels:
            name = "_rels/.rels" if part == "" else rels_name(part)
            out: list[Relationship] = []
            if self.has(name):
                for attrs in relationship_attributes(name, self.read(name)):
                    external = attrs.get("TargetMode") == "External"
                    target = attrs.get("Target", "")
                    out.append(Relationship(attrs.get("Id", ""), attrs.get("Type", ""),
                                            target if external else resolve(part or "/", target), external))
            self._rels[part] = out
        return self._rels[part]

    def related(self, part: str, rel_type: str) -> list[str]:
        return [r.target for r in self.relationships(part) if r.type == rel_type and not r.external]

    def workbook_part(self) -> str:
        for r in self.relationships(""):
            if r.type == REL_OFFICE_DOCUMENT and self.has(r.target):
                return r.target
        fallback = next((n for n in self.names() if n.lower() == "xl/workbook.xml"), None)
        if fallback is None:
            raise WorkbookError(f"{self.source}: not an Excel workbook (a zip package without a workbook part)")
        return fallback

    # ------------------------------------------------ content types

    def content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        """(extension -> type defaults, part name -> type overrides), names without the leading slash."""
        root = parse_xml(CONTENT_TYPES, self.read(CONTENT_TYPES))
        defaults, overrides = {}, {}
        for el in root:
            if local(el.tag) == "Default":
                defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
            elif local(el.tag) == "Override":
                overrides[el.get("PartName", "").lstrip("/")] = el.get("ContentType", "")
        return defaults, overrides

    def set_content_types(self, add: dict[str, str], drop: set[str]) -> None:
        """Add Overrides for new parts and drop those of removed parts; every other entry keeps its bytes."""
        data = self.read(CONTENT_TYPES)
        for part in drop:
            data = drop_element(data, b"<Override ", f'PartName="/{escape(part)}"'.encode())
        overrides = _overrides_of(data)
        fragment = "".join(f'<Override PartName="/{escape(p)}" ContentType="{escape(t)}"/>'
                           for p, t in add.items() if p not in overrides)
        if fragment:
            data = insert_before(data, b"</Types>", fragment.encode())
        self.write(CONTENT_TYPES, data)

    # ------------------------------------------------ saving

    def to_bytes(self) -> bytes:
        """The package as zip bytes: unchanged members as they were (raw compressed bytes), changed and new ones
        deflated (a large part written as chunks was deflated on the second thread already, unless it was
        replaced since)."""
        out = _ZipWriter()
        try:
            for name in self._order:
                if name in self._removed:
                    continue
                if name in self._changed:
                    data = self._changed[name]
                    ahead = self._ahead.get(name)
                    out.add(name, ahead[1].result() if ahead is not None and ahead[0] is data else deflate(data))
                else:
                    out.copy(self._infos[name], self.raw_member(self._infos[name]))
        finally:
            if self._deflater is not None:
                self._deflater.shutdown(wait=False, cancel_futures=True)
                self._deflater = None
            self._ahead.clear()
        return out.finish()

    def raw_member(self, info: zipfile.ZipInfo) -> bytes:
        """The member's compressed bytes as stored, found through its local header."""
        at = info.header_offset
        header = self._data[at:at + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise WorkbookError(f"{self.source}: the zip member {info.filename} is damaged (bad local header)")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = at + 30 + name_len + extra_len
        return self._data[start:start + info.compress_size]


def _overrides_of(data: bytes) -> dict[str, str]:
    root = parse_xml(CONTENT_TYPES, data)
    return {el.get("PartName", "").lstrip("/"): el.get("ContentType", "") for el in root
            if local(el.tag) == "Override"}


def insert_before(xml: bytes, closing: bytes, fragment: bytes) -> bytes:
    at = xml.rfind(closing)
    if at < 0:
        raise WorkbookError(f"unexpected package XML: no {closing.decode()}")
    return xml[:at] + fragment + xml[at:]


def drop_element(xml: bytes, opening: bytes, marker: bytes) -> bytes:
    """Remove the one empty element that starts with `opening` and carries `marker` (an exact attribute)."""
    at = 0
    while True:
        start = xml.find(opening, at)
        if start < 0:
            return xml
        end = xml.find(b">", start) + 1
        if marker in xml[start:end]:
            return xml[:start] + xml[end:]
        at = end


DEFLATE_AHEAD_BYTES = 1 << 20  # parts from this size on are deflated on the second thread as soon as written


def deflate(data: bytes | list[bytes]) -> tuple[bytes, int, int]:
    """A part's raw deflate stream, CRC-32 and size, chunk by chunk. ISA-L deflate: level 2 compresses a generated
    sheet about as well as zlib's level 1 (a little better) in a third of the time; level 3 for small parts, where
    time does not matter (benchmarks/calamine_ratio.py)."""
    chunks = data if isinstance(data, list) else [data]
    size = sum(len(c) for c in chunks)
    comp = isal_zlib.compressobj(2 if size > (1 << 20) else 3, isal_zlib.DEFLATED, -15)
    crc = 0
    out = []
    for chunk in chunks:
        crc = isal_zlib.crc32(chunk, crc)
        out.append(comp.compress(chunk))
    out.append(comp.flush())
    return b"".join(out), crc, size


class _ZipWriter:
    """A minimal zip writer that can copy a member's compressed bytes unchanged (zipfile cannot)."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._central: list[bytes] = []

    def add(self, name: str, deflated: tuple[bytes, int, int]) -> None:
        """A new member from `deflate`'s (raw deflate stream, CRC-32, size)."""
        raw, crc, size = deflated
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.CRC = crc
        info.file_size = size
        info.compress_size = len(raw)
        info.create_version = info.extract_version = 20
        info.flag_bits = 0x800 if not name.isascii() else 0
        self.copy(info, raw)

    def copy(self, info: zipfile.ZipInfo, raw: bytes) -> None:
        if info.file_size >= 0xFFFFFFFF or info.compress_size >= 0xFFFFFFFF or self._buf.tell() >= 0xFFFFFFFF:
            raise WorkbookError("the workbook would exceed 4 GB, the largest package xlfin writes")
        name = info.filename.encode("utf-8" if info.flag_bits & 0x800 or not info.filename.isascii() else "ascii")
        flags = (info.flag_bits & ~0x08) | (0x800 if not info.filename.isascii() else 0)  # sizes in the header
        y, mo, d, h, mi, s = info.date_time
        dos_time = (h << 11) | (mi << 5) | (s // 2)
        dos_date = ((y - 1980) << 9) | (mo << 5) | d
        offset = self._buf.tell()
        extract = max(info.extract_version, 20)
        self._buf.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", extract, flags, info.compress_type, dos_time,
                                    dos_date, info.CRC, info.compress_size, info.file_size, len(name), 0))
        self._buf.write(name)
        self._buf.write(raw)
        comment = info.comment or b""
        self._central.append(struct.pack(
            "<4sBBHHHHHIIIHHHHHII", b"PK\x01\x02", info.create_version, info.create_system, extract, flags,
            info.compress_type, dos_time, dos_date, info.CRC, info.compress_size, info.file_size, len(name), 0,
            len(comment), 0, info.internal_attr, info.external_attr, offset) + name + comment)

    def finish(self) -> bytes:
        start = self._buf.tell()
        for entry in self._central:
            self._buf.write(entry)
        size = self._buf.tell() - start
        count = len(self._central)
        self._buf.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))
        return self._buf.getvalue()
