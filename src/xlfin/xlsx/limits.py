"""The bounds a workbook must stay within, checked before anything is materialised (SPEC §8, §12).

One streaming pass over every zip member (`inspect_package`) inflates it chunk by chunk and throws the bytes away:
it verifies the CRC (a damaged member is unusable input, exit 2, not a crash later), stops a member that inflates
past the part-size or ratio limit before it is held anywhere, refuses XML that declares entities or a DTD, and for
worksheets and the shared-string table measures what python-calamine would allocate: a worksheet's grid spans
from A1 to its farthest cell (one cell in XFD1048576 asks for 17 billion slots), and every shared string is
held. Only what passes is handed to python-calamine.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field

from xlfin.schema.tables import WorkbookError

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
_CHUNK = 16 << 20
# A cell's or row's address attribute. Rows carry digits only; over-counting a non-cell element only makes the
# bound more careful. Checked on raw bytes because this pass must not build anything per cell.
_FAR_ROW = re.compile(rb' r="[A-Z]{0,3}(\d{7,})"')
_COL3 = re.compile(rb' r="([A-Z]{3,})\d')
_COL2 = re.compile(rb' r="([A-Z]{2})\d')
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


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


def _bounds_of_chunk(chunk: bytes, bounds: SheetBounds) -> None:
    """Raise the bounds to the farthest address in the chunk. Each search is one C-level regex pass that matches only
    the few far addresses (rows of 7+ digits, columns of 2-3 letters)."""
    far_rows = _FAR_ROW.findall(chunk)
    if far_rows:
        bounds.max_row = max(bounds.max_row, _largest(far_rows))
    for pattern in (_COL3, _COL2):
        cols = pattern.findall(chunk)
        if cols:
            bounds.max_col = max(bounds.max_col, column_number(max(set(cols))))
            break
    else:
        if bounds.max_col < 26 and _ADDRESS_ANY.search(chunk):
            bounds.max_col = 26  # one-letter columns at most: a bound, enough for the grid check
    if bounds.max_row < 999_999 and _ADDRESS_ANY.search(chunk):
        bounds.max_row = 999_999  # rows below a million: a bound, made exact only when the grid check needs it


def _exact_rows(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Every row number of a wide sheet whose bound alone crosses the grid limit (a second, rarer pass)."""
    largest = 0
    tail = b""
    with zf.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            rows = _ROW_ANY.findall(tail + chunk)
            if rows:
                largest = max(largest, _largest(rows))
            tail = chunk[-_TAIL:]
    return largest


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


def inspect_package(zf: zipfile.ZipFile, worksheets: set[str], shared_strings: str | None,
                    limits: Limits = DEFAULT_LIMITS) -> PackageFacts:
    """Stream every member once; WorkbookError naming the limit when one is crossed. Nothing is kept."""
    facts = PackageFacts()
    total = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        name = info.filename
        bounds = SheetBounds() if name in worksheets else None
        size = 0
        tail = b""
        head = b""
        strings = 0
        try:
            with zf.open(info) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    total += len(chunk)
                    _check_size(name, info, size, total, limits)
                    if len(head) < 65536 and _is_xml(name):
                        head += chunk[:65536]
                        _check_prolog(name, _prolog(head))
                    if bounds is not None:
                        _bounds_of_chunk(tail + chunk, bounds)
                        tail = chunk[-_TAIL:]
                        _check_bounds(name, bounds, limits)
                    elif name == shared_strings:
                        strings += (tail + chunk).count(b"<si>") + (tail + chunk).count(b"<si ")
                        strings -= tail.count(b"<si>") + tail.count(b"<si ")
                        tail = chunk[-8:]
                        if strings > limits.max_shared_strings:
                            raise WorkbookError(f"refused: more than {limits.max_shared_strings:,} shared strings "
                                                f"(limit max_shared_strings)")
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
            raise WorkbookError(f"not a usable workbook: the zip member {name} is damaged ({exc})") from None
        if name == shared_strings:
            if size > limits.max_shared_string_bytes:
                raise WorkbookError(f"refused: the shared-string table is {mb(size)}, more than the "
                                    f"{mb(limits.max_shared_string_bytes)} limit (max_shared_string_bytes)")
            facts.shared_strings = strings
        if bounds is not None:
            if bounds.max_row == 999_999 and bounds.cells() > limits.max_grid_cells:
                bounds.max_row = _exact_rows(zf, info)
            _check_bounds(name, bounds, limits, grid=True)
            facts.sheets[name] = bounds
    return facts


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
