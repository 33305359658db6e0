"""A minimal, deterministic Compound File Binary (MS-CFB) version 3 writer and reader.

Writer layout, in sector order: FAT sectors, directory, mini FAT, mini stream, then the large streams.
Timestamps and CLSIDs are zero, so the same tree always gives the same bytes.

Each storage's children form a binary search tree ordered as MS-CFB 2.6.4 requires: shorter names
first, equal lengths by upper-cased name. The tree is built balanced from the sorted list and coloured
as a valid red-black tree (the deepest level red, everything else black).

The reader exists so that `xlfin.vba.check` can verify a vbaProject.bin without third-party parsers;
tests cross-check both directions against olefile.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_HEADER_DIFAT = 109
_IDS_PER_SECTOR = SECTOR // 4
_ENTRIES_PER_SECTOR = SECTOR // 128
_RED, _BLACK = 0, 1
_STORAGE, _STREAM, _ROOT = 1, 2, 5

Tree = Mapping[str, Union[bytes, "Tree"]]
"""A storage: name -> bytes (a stream) or a nested mapping (a child storage)."""


class CFBError(ValueError):
    """A tree that cannot be written, or bytes that are not a readable compound file."""


def name_key(name: str) -> tuple[int, str]:
    """MS-CFB sibling order: UTF-16 length first, then the upper-cased name."""
    return (len(name.encode("utf-16-le")) // 2, name.upper())


@dataclass
class _Node:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Node] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN


def _check_name(name: str) -> None:
    if not name or len(name) > 31:
        raise CFBError(f"entry name {name!r} must be 1..31 characters")
    if any(c in name for c in "/\\:!"):
        raise CFBError(f"entry name {name!r} contains one of / \\ : !")


def _build_nodes(name: str, kind: int, tree: Tree) -> _Node:
    node = _Node(name, kind)
    seen: dict[str, str] = {}
    for child_name, value in tree.items():
        _check_name(child_name)
        if child_name.upper() in seen:
            raise CFBError(f"names {seen[child_name.upper()]!r} and {child_name!r} differ only in case")
        seen[child_name.upper()] = child_name
        if isinstance(value, (bytes, bytearray, memoryview)):
            node.children.append(_Node(child_name, _STREAM, bytes(value)))
        else:
            node.children.append(_build_nodes(child_name, _STORAGE, value))
    node.children.sort(key=lambda n: name_key(n.name))
    return node


def _number(root: _Node) -> list[_Node]:
    """Depth-first numbering; the root is entry 0."""
    order: list[_Node] = []

    def visit(node: _Node) -> None:
        node.sid = len(order)
        order.append(node)
        for child in node.children:
            visit(child)

    visit(root)
    return order


def _link_siblings(parent: _Node) -> None:
    """Balanced BST over the sorted children, coloured red-black valid."""
    children = parent.children
    if not children:
        return
    depth_of: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = children[mid]
        depth_of[mid] = depth
        node.left = build(lo, mid, depth + 1)
        node.right = build(mid + 1, hi, depth + 1)
        return node.sid

    parent.child = build(0, len(children), 0)
    deepest = max(depth_of.values())
    for index, node in enumerate(children):
        # Size-balanced trees have all empty links at depths deepest or deepest+1, so red leaves on the
        # deepest level equalise the black height; the root itself must stay black.
        node.color = _RED if deepest > 0 and depth_of[index] == deepest else _BLACK


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i + 1 < count else ENDOFCHAIN


def _dir_entry(node: _Node, size: int) -> bytes:
    encoded = node.name.encode("utf-16-le") + b"\x00\x00"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded),
        node.kind,
        node.color,
        node.left,
        node.right,
        node.child,
        b"\x00" * 16,
        0,
        0,
        0,
        node.start,
        size,
    )


_EMPTY_ENTRY = struct.pack(
    "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\x00" * 16, 0, 0, 0, 0, 0
)


def write_cfb(tree: Tree) -> bytes:
    """Serialise a storage tree into compound-file bytes (version 3, 512-byte sectors)."""
    root = _build_nodes("Root Entry", _ROOT, tree)
    nodes = _number(root)
    for node in nodes:
        _link_siblings(node)
        if node.kind == _STORAGE:
            node.start = 0  # MS-CFB 2.6.3: storage objects have no data
    streams = [n for n in nodes if n.kind == _STREAM]
    small = [n for n in streams if len(n.data) < MINI_CUTOFF]
    large = [n for n in streams if len(n.data) >= MINI_CUTOFF]

    mini_stream = bytearray()
    minifat: list[int] = []
    for node in small:
        if not node.data:
            continue  # an empty stream owns no sector; its start stays ENDOFCHAIN
        count = -(-len(node.data) // MINI_SECTOR)
        node.start = len(minifat)
        minifat.extend([0] * count)
        _chain(minifat, node.start, count)
        mini_stream += node.data.ljust(count * MINI_SECTOR, b"\x00")

    def sectors(nbytes: int) -> int:
        return -(-nbytes // SECTOR)

    n_dir = sectors(len(nodes) * 128)
    n_minifat = sectors(len(minifat) * 4)
    n_mini = sectors(len(mini_stream))
    n_large = sum(sectors(len(n.data)) for n in large)
    n_other = n_dir + n_minifat + n_mini + n_large
    n_fat = 1
    while n_fat * _IDS_PER_SECTOR < n_fat + n_other:
        n_fat += 1
    if n_fat > _HEADER_DIFAT:
        raise CFBError(
            f"{n_fat} FAT sectors needed; this writer supports at most {_HEADER_DIFAT} (about 7 MB)"
        )

    fat = [FREESECT] * (n_fat * _IDS_PER_SECTOR)
    for i in range(n_fat):
        fat[i] = FATSECT
    next_sector = n_fat
    dir_start = next_sector
    _chain(fat, dir_start, n_dir)
    next_sector += n_dir
    minifat_start = next_sector if n_minifat else ENDOFCHAIN
    _chain(fat, next_sector, n_minifat)
    next_sector += n_minifat
    if n_mini:
        root.start = next_sector
        _chain(fat, next_sector, n_mini)
        next_sector += n_mini
    for node in large:
        count = sectors(len(node.data))
        node.start = next_sector
        _chain(fat, next_sector, count)
        next_sector += count

    difat = list(range(n_fat)) + [FREESECT] * (_HEADER_DIFAT - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        MAGIC,
        b"\x00" * 16,
        0x003E,
        0x0003,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,
        n_fat,
        dir_start,
        0,
        MINI_CUTOFF,
        minifat_start,
        n_minifat,
        ENDOFCHAIN,
        0,
    ) + struct.pack(f"<{_HEADER_DIFAT}I", *difat)

    directory = bytearray()
    for node in nodes:
        size = len(mini_stream) if node.kind == _ROOT else len(node.data)
        directory += _dir_entry(node, size)
    while len(directory) % SECTOR:
        directory += _EMPTY_ENTRY

    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    minifat_bytes += b"\xff" * (n_minifat * SECTOR - len(minifat_bytes))

    body = bytearray(header)
    body += struct.pack(f"<{len(fat)}I", *fat)
    body += directory
    body += minifat_bytes
    body += bytes(mini_stream).ljust(n_mini * SECTOR, b"\x00")
    for node in large:
        body += node.data.ljust(sectors(len(node.data)) * SECTOR, b"\x00")
    return bytes(body)


# ---------------------------------------------------------------------------------------------- reader


@dataclass(frozen=True)
class DirEntry:
    sid: int
    name: str
    kind: int
    color: int
    left: int
    right: int
    child: int
    start: int
    size: int

    @property
    def is_storage(self) -> bool:
        return self.kind in (_STORAGE, _ROOT)


class CompoundFile:
    """Read access to a compound file: directory entries and stream contents by path."""

    def __init__(self, data: bytes) -> None:
        data = bytes(data)
        if len(data) < SECTOR or data[:8] != MAGIC:
            raise CFBError("not a compound file (bad signature)")
        (major, byte_order, sector_shift, mini_shift) = struct.unpack_from("<HHHH", data, 26)
        if byte_order != 0xFFFE or sector_shift not in (9, 12) or mini_shift != 6:
            raise CFBError("unsupported compound file header")
        self._data = data
        self.sector_size = 1 << sector_shift
        (n_fat, dir_start, _, cutoff, minifat_start, n_minifat, difat_start, n_difat) = struct.unpack_from(
            "<IIIIIIII", data, 44
        )
        self.version = major
        self.mini_cutoff = cutoff
        fat_sectors = [s for s in struct.unpack_from(f"<{_HEADER_DIFAT}I", data, 76) if s != FREESECT]
        sector = difat_start
        per = self.sector_size // 4
        for _ in range(n_difat):
            ids = struct.unpack_from(f"<{per}I", self._sector(sector))
            fat_sectors.extend(s for s in ids[:-1] if s != FREESECT)
            sector = ids[-1]
        if len(fat_sectors) != n_fat:
            raise CFBError(f"header says {n_fat} FAT sectors, DIFAT lists {len(fat_sectors)}")
        self._fat: list[int] = []
        for s in fat_sectors:
            self._fat.extend(struct.unpack_from(f"<{per}I", self._sector(s)))
        directory = self._read_chain(dir_start)
        self.entries: list[DirEntry] = []
        for sid in range(len(directory) // 128):
            raw = directory[sid * 128 : (sid + 1) * 128]
            (name_raw, name_len, kind, color, left, right, child, _clsid, _state, _c, _m, start, size) = (
                struct.unpack("<64sHBBIII16sIQQIQ", raw)
            )
            name = name_raw[: max(name_len - 2, 0)].decode("utf-16-le", errors="replace")
            if self.version == 3:
                size &= 0xFFFFFFFF
            self.entries.append(DirEntry(sid, name, kind, color, left, right, child, start, size))
        if not self.entries or self.entries[0].kind != _ROOT:
            raise CFBError("first directory entry is not the root")
        root = self.entries[0]
        self._minifat: list[int] = []
        if n_minifat:
            raw_minifat = self._read_chain(minifat_start)
            self._minifat = list(struct.unpack(f"<{len(raw_minifat) // 4}I", raw_minifat))
        self._mini_stream = self._read_chain(root.start)[: root.size] if root.size else b""

    def _sector(self, sector: int) -> bytes:
        offset = (sector + 1) * self.sector_size
        if sector >= FATSECT or offset + self.sector_size > len(self._data):
            raise CFBError(f"sector {sector} lies outside the file")
        return self._data[offset : offset + self.sector_size]

    def _read_chain(self, start: int) -> bytes:
        out = bytearray()
        sector = start
        seen: set[int] = set()
        while sector != ENDOFCHAIN:
            if sector in seen or sector >= len(self._fat):
                raise CFBError(f"broken FAT chain at sector {sector}")
            seen.add(sector)
            out += self._sector(sector)
            sector = self._fat[sector]
        return bytes(out)

    def _read_mini_chain(self, start: int, size: int) -> bytes:
        out = bytearray()
        sector = start
        seen: set[int] = set()
        while sector != ENDOFCHAIN and len(out) < size:
            if sector in seen or sector >= len(self._minifat):
                raise CFBError(f"broken mini FAT chain at mini sector {sector}")
            seen.add(sector)
            out += self._mini_stream[sector * MINI_SECTOR : (sector + 1) * MINI_SECTOR]
            sector = self._minifat[sector]
        return bytes(out)

    def children(self, entry: DirEntry) -> list[DirEntry]:
        """A storage's children in tree (in-order) order, i.e. the order the BST claims is sorted."""
        out: list[DirEntry] = []
        stack: list[int] = []
        sid = entry.child
        seen: set[int] = set()
        while stack or sid != NOSTREAM:
            while sid != NOSTREAM:
                if sid in seen or sid >= len(self.entries):
                    raise CFBError(f"directory tree under {entry.name!r} is cyclic or points outside")
                seen.add(sid)
                stack.append(sid)
                sid = self.entries[sid].left
            sid = stack.pop()
            out.append(self.entries[sid])
            sid = self.entries[sid].right
        return out

    def find(self, path: str) -> DirEntry:
        """Entry at a '/'-separated path, matched case-insensitively as CFB does."""
        entry = self.entries[0]
        for part in [p for p in path.split("/") if p]:
            match = [c for c in self.children(entry) if c.name.upper() == part.upper()]
            if not match:
                raise CFBError(f"no entry {path!r} (missing {part!r})")
            entry = match[0]
        return entry

    def exists(self, path: str) -> bool:
        try:
            self.find(path)
        except CFBError:
            return False
        return True

    def read_stream(self, path: str) -> bytes:
        entry = self.find(path)
        if entry.kind != _STREAM:
            raise CFBError(f"{path!r} is not a stream")
        if entry.size < self.mini_cutoff:
            data = self._read_mini_chain(entry.start, entry.size)
        else:
            data = self._read_chain(entry.start)
        if len(data) < entry.size:
            raise CFBError(f"stream {path!r} is shorter than its recorded size {entry.size}")
        return data[: entry.size]

    def walk(self, entry: DirEntry | None = None, prefix: str = "") -> list[str]:
        """Every stream and storage path below entry (default: root), depth first."""
        entry = entry or self.entries[0]
        out: list[str] = []
        for child in self.children(entry):
            path = f"{prefix}{child.name}"
            out.append(path)
            if child.is_storage:
                out.extend(self.walk(child, path + "/"))
        return out

    def order_problems(self) -> list[str]:
        """Sibling trees that are not binary search trees in MS-CFB order (lookups would miss entries)."""
        problems: list[str] = []
        for entry in self._storages():
            try:
                kids = self.children(entry)
            except CFBError as exc:
                problems.append(str(exc))
                continue
            keys = [name_key(k.name) for k in kids]
            for a, b, ka, kb in zip(kids, kids[1:], keys, keys[1:]):
                if not ka < kb:
                    problems.append(
                        f"storage {entry.name!r}: sibling {b.name!r} is not ordered after {a.name!r} "
                        "(MS-CFB: by name length, then upper-cased name)"
                    )
        return problems

    def colour_problems(self) -> list[str]:
        """Red-black rule violations. Office tolerates these (Aspose-written files have them), so they
        are reported separately from ordering problems."""
        problems: list[str] = []
        for entry in self._storages():
            try:
                self.children(entry)  # rejects cyclic trees before the recursive walk below
            except CFBError:
                continue
            problems.extend(self._colour_problems(entry))
        return problems

    def _storages(self) -> list[DirEntry]:
        return [e for e in self.entries if e.is_storage]

    def _colour_problems(self, storage: DirEntry) -> list[str]:
        if storage.child == NOSTREAM:
            return []
        problems: list[str] = []
        if self.entries[storage.child].color != _BLACK:
            problems.append(f"storage {storage.name!r}: sibling tree root is not black")

        def black_height(sid: int, parent_red: bool) -> int:
            if sid == NOSTREAM:
                return 1
            node = self.entries[sid]
            red = node.color == _RED
            if red and parent_red:
                problems.append(f"storage {storage.name!r}: red entry {node.name!r} has a red parent")
            left = black_height(node.left, red)
            right = black_height(node.right, red)
            if left != right:
                problems.append(f"storage {storage.name!r}: unequal black height below {node.name!r}")
            return max(left, right) + (0 if red else 1)

        black_height(storage.child, False)
        return problems
