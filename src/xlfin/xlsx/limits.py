"""The bounds a workbook must stay within, checked before anything is materialised (SPEC §8, §12).

One streaming pass over every zip member (`inspect_package`) inflates it chunk by chunk (ISA-L's inflate, about three
times zlib's speed): it verifies the size and CRC (a damaged member is unusable input, exit 2, not a crash later),
stops a member that inflates past the part-size or ratio limit before it is held anywhere, refuses XML that declares
entities or a DTD, and for worksheets and the shared-string table measures what python-calamine would allocate: a
worksheet's grid spans from A1 to its farthest cell (one cell in XFD1048576 asks for 17 billion slots), and every
shared string is held. The far addresses are found by a regex that only matches the rare ones (a column of two
or more letters, a row of seven or more digits), run from the first stretch of the part where a vectorised numpy
test of every address says one may be. Parts that pass are kept inflated, up to `max_cached_bytes` in
all, so that nothing inflates them a second time (the workbook hash before and after a run reads them).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from isal import isal_zlib

from xlfin.schema.tables import WorkbookError

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
_CHUNK = 16 << 20
# A cell's or row's address attribute. Rows carry digits only; over-counting a non-cell element only makes the
# bound more careful. Checked on raw bytes because this pass must not build anything per cell.
# Only the rare addresses match: a column of two or more letters, or a row of seven or more digits.
_FAR = re.compile(rb' r="([A-Z]{2,}|[A-Z]?(?=\d{7}))(\d+)')
_ADDRESS_ANY = re.compile(rb' r="[A-Z]{0,3}\d')
_ROW_ANY = re.compile(rb' r="[A-Z]{0,3}(\d+)"')
_TAIL = 32  # bytes kept from the previous chunk so that an address split across chunks is still seen
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)


@dataclass(frozen=True)
class Limits:
    """Size limits for a workbook file; generous for real ledgers, far below what exhausts memory."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_uncompressed_bytes: int = 4 * 1024 * 1024 * 1024
    max_part_bytes: int = 2 * 1024 * 1024 * 1024
    max_member_ratio: float = 200.0  # uncompressed / compressed, checked for members above ratio_min_bytes
    ratio_min_bytes: int = 20 * 1024 * 1024
    max_members: int = 20_000
    max_rows: int = EXCEL_MAX_ROWS
    max_cols: int = EXCEL_MAX_COLS
    # cells of a worksheet's grid (rows x columns from A1 to the farthest cell); a 1,048,576-row table of 40 columns
    # fits, and python-calamine's grid of this many cells stays near 1.3 GB
    max_grid_cells: int = 42_000_000
    max_shared_strings: int = 16_000_000
    max_shared_string_bytes: int = 512 * 1024 * 1024
    # inflated parts kept in memory after the inspection (beyond this, parts are inflated again when read)
    max_cached_bytes: int = 1536 * 1024 * 1024


DEFAULT_LIMITS = Limits()


def mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


@dataclass
class SheetBounds:
    """Bounds of the farthest row and column any address in a worksheet part names (0 when it names none). Rows
    below a million and one-letter columns are counted as 999,999 and 26: exact values only matter beyond."""

    max_row: int = 0
    max_col: int = 0

    def cells(self) -> int:
        return self.max_row * self.max_col


@dataclass
class PackageFacts:
    """What the inspection measured, for the reader to size its work."""

    sheets: dict[str, SheetBounds] = field(default_factory=dict)
    shared_strings: int = 0
    parts: dict[str, bytes] = field(default_factory=dict)  # inflated parts, while within max_cached_bytes


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


def _bounds_of_chunk(chunk: bytes, bounds: SheetBounds) -> None:
    """Raise the bounds to the farthest address in the chunk: one C-level regex pass that matches only the few far
    addresses (rows of 7+ digits, columns of 2+ letters)."""
    start = _first_far_window(chunk)
    far = _FAR.findall(chunk, start) if start is not None else []
    if far:
        cols = {letters for letters, _ in far if len(letters) > 1}
        if cols:
            bounds.max_col = max(bounds.max_col, column_number(max(cols, key=lambda c: (len(c), c))))
        rows = [digits for _, digits in far if len(digits) > 6]
        if rows:
            bounds.max_row = max(bounds.max_row, _largest(rows))
    if (bounds.max_col < 26 or bounds.max_row < 999_999) and _ADDRESS_ANY.search(chunk):
        bounds.max_col = max(bounds.max_col, 26)  # one-letter columns at most: a bound, enough for the grid check
        bounds.max_row = max(bounds.max_row, 999_999)  # rows below a million: made exact only when the check needs it


_WINDOW = 1 << 22  # bytes of a part looked at per vectorised step (a few arrays of this size at a time)
_LOOK = 12  # bytes after an address's `r="` that decide whether _FAR can match there (a letter and 7 digits)


def _first_far_window(chunk: bytes) -> int | None:
    """The offset of the first window of the chunk in which _FAR may match, or None when it matches nowhere: the
    regex then runs from there only. In numpy, a few vectorised passes per window (a third of the regex's time over
    a worksheet, where every cell has an address and nearly none is far): each ` r="` found, the bytes after it
    are tested for what _FAR needs there — two letters, or seven digits after at most one letter. The test is
    necessary for a match (a superset), so no match before the returned offset is missed, and findall from there
    gives what findall over the whole chunk gives."""
    data = np.frombuffer(chunk, dtype=np.uint8)
    for start in range(0, len(data), _WINDOW):
        window = data[start:start + _WINDOW + _LOOK]
        end = len(window) - _LOOK  # ` r="` at [0, end) are tested here; in the next window from _WINDOW on
        if end < _WINDOW and _FAR.search(chunk, start + max(end, 0)) is not None:
            return start  # the chunk's last bytes, too few for the look-ahead: the regex looked at them
        if end <= 0:
            continue
        at = np.flatnonzero(window[2:end + 2] == 61)  # '=' of a possible ` r="`
        at = at[(window[at + 1] == 114) & (window[at] == 32) & (window[at + 3] == 34)]
        if not at.size:
            continue
        after = [window[at + k] for k in range(4, _LOOK)]
        letter = [(b >= 65) & (b <= 90) for b in after[:2]]
        digit = [(b >= 48) & (b <= 57) for b in after]
        seven = np.logical_and.reduce(digit[1:7])
        if ((letter[0] & letter[1]) | (seven & (digit[0] | (letter[0] & digit[7])))).any():
            return start
    return None


def _exact_rows(data: bytes) -> int:
    """Every row number of a wide sheet whose bound alone crosses the grid limit (a second, rarer pass)."""
    rows = _ROW_ANY.findall(data)
    return _largest(rows) if rows else 0


def _largest(numbers: list[bytes]) -> int:
    longest = max(set(numbers), key=lambda s: (len(s), s))
    return int(longest) if len(longest) < 12 else 10 ** 12


def _check_prolog(name: str, head: bytes) -> None:
    """XML declares a DTD only before its root element; the prolog is all that needs looking at."""
    if _DECLARATION.search(head):
        raise WorkbookError(f"refused: part {name} declares entities or a DTD (XML entity expansion is not allowed)")


def _prolog(head: bytes) -> bytes:
    """The bytes before the root element: declarations, comments, processing instructions, a DOCTYPE."""
    at = 0
    while True:
        lt = head.find(b"<", at)
        if lt < 0 or lt + 1 >= len(head):
            return head
        nxt = head[lt + 1:lt + 2]
        if nxt == b"?":
            at = head.find(b"?>", lt) + 2
        elif head.startswith(b"<!--", lt):
            at = head.find(b"-->", lt) + 3
        elif nxt == b"!":
            return head  # <!DOCTYPE ...: the whole head goes to the check
        else:
            return head[:lt]
        if at < 2:
            return head


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def inspect_package(zf: zipfile.ZipFile, raw: Callable[[zipfile.ZipInfo], bytes], worksheets: set[str],
                    shared_strings: str | None, limits: Limits = DEFAULT_LIMITS) -> PackageFacts:
    """Stream every member once; WorkbookError naming the limit when one is crossed. `raw` gives a member's bytes
    as stored. What passes is kept inflated in `PackageFacts.parts` while the total stays within
    `max_cached_bytes`."""
    facts = PackageFacts()
    total = 0
    kept = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        name = info.filename
        bounds = SheetBounds() if name in worksheets else None
        size = 0
        tail = b""
        head = b""
        strings = 0
        keep = kept + info.file_size <= limits.max_cached_bytes
        # a part small enough to keep is inflated in one piece once its declared size has passed the size limits
        # (the inflate stops at that size), so that no chunks are joined into a second copy
        if keep:
            _check_size(name, info, info.file_size, total + info.file_size, limits)
        pieces: list[bytes] = []
        try:
            for chunk in _inflate(zf, info, raw, whole=keep):
                size += len(chunk)
                total += len(chunk)
                _check_size(name, info, size, total, limits)
                if keep:
                    pieces.append(chunk)
                if len(head) < 65536 and _is_xml(name):
                    head += chunk[:65536]
                    _check_prolog(name, _prolog(head))
                if bounds is not None:
                    _bounds_of_chunk(tail + chunk if tail else chunk, bounds)
                    tail = chunk[-_TAIL:]
                    _check_bounds(name, bounds, limits)
                elif name == shared_strings:
                    strings += (tail + chunk).count(b"<si>") + (tail + chunk).count(b"<si ")
                    strings -= tail.count(b"<si>") + tail.count(b"<si ")
                    tail = chunk[-8:]
                    if strings > limits.max_shared_strings:
                        raise WorkbookError(f"refused: more than {limits.max_shared_strings:,} shared strings "
                                            f"(limit max_shared_strings)")
        except (zipfile.BadZipFile, zlib.error, isal_zlib.error, EOFError, NotImplementedError, RuntimeError,
                OSError) as exc:
            raise WorkbookError(f"not a usable workbook: the zip member {name} is damaged ({exc})") from None
        data = (pieces[0] if len(pieces) == 1 else b"".join(pieces)) if keep else None
        pieces.clear()
        if name == shared_strings:
            if size > limits.max_shared_string_bytes:
                raise WorkbookError(f"refused: the shared-string table is {mb(size)}, more than the "
                                    f"{mb(limits.max_shared_string_bytes)} limit (max_shared_string_bytes)")
            facts.shared_strings = strings
        if bounds is not None:
            if bounds.max_row == 999_999 and bounds.cells() > limits.max_grid_cells:
                bounds.max_row = _exact_rows(data if data is not None else zf.read(info))
            _check_bounds(name, bounds, limits, grid=True)
            facts.sheets[name] = bounds
        if data is not None:
            facts.parts[name] = data
            kept += size
    return facts


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, raw: Callable[[zipfile.ZipInfo], bytes],
             whole: bool = False) -> Iterator[bytes]:
    """A member's bytes in chunks of at most _CHUNK (`whole`: in one chunk): never more than its declared size, and
    only when its size and CRC match what the zip declares (zipfile's own guarantees, with ISA-L's faster inflate
    for deflated members)."""
    if info.flag_bits & 0x1:
        raise NotImplementedError("an encrypted zip member")
    if whole and info.compress_type == zipfile.ZIP_DEFLATED:
        yield _inflate_whole(raw(info), info)
        return
    if whole and info.compress_type == zipfile.ZIP_STORED:
        stored = raw(info)
        if len(stored) != info.file_size or isal_zlib.crc32(stored) != info.CRC:
            raise zipfile.BadZipFile(f"bad size or CRC-32 for {info.filename}")
        yield stored
        return
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with zf.open(info) as stream:  # other methods (Excel never writes them): zipfile checks size and CRC
            while chunk := stream.read(_CHUNK):
                yield chunk
        return
    stored = raw(info)
    if len(stored) != info.compress_size:
        raise EOFError("the member is cut short")
    crc = 0
    size = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for at in range(0, len(stored), _CHUNK):
            chunk = stored[at:at + _CHUNK]
            crc = isal_zlib.crc32(chunk, crc)
            size += len(chunk)
            yield chunk
    else:
        inflater = isal_zlib.decompressobj(-15)
        pending = stored
        while not inflater.eof:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                break
            size += len(chunk)
            if size > info.file_size:
                raise zipfile.BadZipFile("it inflates beyond its declared size")
            crc = isal_zlib.crc32(chunk, crc)
            yield chunk
        if not inflater.eof:
            raise EOFError("its deflate stream ends early")
    if size != info.file_size or crc != info.CRC:
        raise zipfile.BadZipFile(f"bad size or CRC-32 for {info.filename}")


def _inflate_whole(stored: bytes, info: zipfile.ZipInfo) -> bytes:
    """A deflated member in one piece, inflating at most one byte past its declared size."""
    if len(stored) != info.compress_size:
        raise EOFError("the member is cut short")
    inflater = isal_zlib.decompressobj(-15)
    data = inflater.decompress(stored, info.file_size + 1) if info.file_size else inflater.decompress(stored, 1)
    if len(data) > info.file_size:
        raise zipfile.BadZipFile("it inflates beyond its declared size")
    if not inflater.eof:
        raise EOFError("its deflate stream ends early")
    if len(data) != info.file_size or isal_zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"bad size or CRC-32 for {info.filename}")
    return data


def _check_size(name: str, info: zipfile.ZipInfo, size: int, total: int, limits: Limits) -> None:
    if size > limits.max_part_bytes:
        raise WorkbookError(f"refused: part {name} expands beyond {mb(limits.max_part_bytes)} (limit max_part_bytes)")
    if size > limits.ratio_min_bytes and size / max(info.compress_size, 1) > limits.max_member_ratio:
        raise WorkbookError(f"refused: part {name} expands more than {limits.max_member_ratio:.0f}-fold "
                            f"(limit max_member_ratio); a possible zip bomb")
    if total > limits.max_uncompressed_bytes:
        raise WorkbookError(f"refused: the workbook expands beyond {mb(limits.max_uncompressed_bytes)} "
                            f"(limit max_uncompressed_bytes)")


def _check_bounds(name: str, bounds: SheetBounds, limits: Limits, grid: bool = False) -> None:
    if bounds.max_row > limits.max_rows:
        raise WorkbookError(f"refused: {name} addresses row {bounds.max_row:,}, beyond the {limits.max_rows:,} rows "
                            f"a sheet may have (limit max_rows)")
    if bounds.max_col > limits.max_cols:
        raise WorkbookError(f"refused: {name} addresses column {bounds.max_col:,}, beyond the {limits.max_cols:,} "
                            f"columns a sheet may have (limit max_cols)")
    if grid and bounds.cells() > limits.max_grid_cells:
        raise WorkbookError(f"refused: {name} spans {bounds.max_row:,} rows x {bounds.max_col:,} columns, more than "
                            f"the {limits.max_grid_cells:,} cells a sheet may span (limit max_grid_cells)")
