"""The error log behind =XLFIN_ERROR(cell): the error cells of recent results, filed by their address."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

# ----------------------------------------------------------------------------------------------------------------
# error log behind =XLFIN_ERROR(cell)


@dataclass
class _ErrorBlock:
    function: str
    rows: int
    cols: int
    flat_positions: np.ndarray  # sorted flat indices of the error cells in the result
    errors: list  # XlError per position


class ErrorLog:
    """The error cells of recent formula results, by the result's top-left cell (book, sheet, row, column).

    Bounded: the oldest results are forgotten first once ``max_cells`` error cells are held.
    """

    def __init__(self, max_cells: int = 2_000_000) -> None:
        self.max_cells = max_cells
        self._blocks: OrderedDict[Any, _ErrorBlock] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()
        self.last: tuple[Any, _ErrorBlock] | None = None

    def record(self, anchor: Any, function: str, out: Any, error_mask: np.ndarray | None) -> None:
        with self._lock:
            old = self._blocks.pop(anchor, None)
            if old is not None:
                self._cells -= len(old.errors)
            if error_mask is None or not error_mask.any():
                self.last = (anchor, _ErrorBlock(function, 0, 0, np.zeros(0, np.int64), []))
                return
            grid = np.asarray(out, dtype=object)
            grid2 = grid.reshape(1, 1) if grid.ndim == 0 else grid.reshape(grid.shape[0], -1)
            mask2 = np.asarray(error_mask).reshape(grid2.shape)
            positions = np.flatnonzero(mask2)
            block = _ErrorBlock(function, grid2.shape[0], grid2.shape[1], positions, list(grid2.ravel()[positions]))
            self.last = (anchor, block)
            if anchor is None:
                return
            self._blocks[anchor] = block
            self._cells += len(block.errors)
            while self._cells > self.max_cells and len(self._blocks) > 1:
                _, dropped = self._blocks.popitem(last=False)
                self._cells -= len(dropped.errors)

    def forget(self, anchor: Any) -> None:
        with self._lock:
            old = self._blocks.pop(anchor, None)
            if old is not None:
                self._cells -= len(old.errors)

    def has_blocks(self) -> bool:
        return bool(self._blocks)

    def message_at(self, book: str, sheet: str, row: int, col: int) -> str | None:
        """The message of the error shown in that cell, if an xlfin formula result put one there."""
        with self._lock:
            for (b, s, r0, c0), block in reversed(self._blocks.items()):
                if b != book or s != sheet:
                    continue
                r, c = row - r0, col - c0
                if 0 <= r < block.rows and 0 <= c < block.cols:
                    flat = r * block.cols + c
                    i = int(np.searchsorted(block.flat_positions, flat))
                    if i < len(block.flat_positions) and block.flat_positions[i] == flat:
                        err = block.errors[i]
                        return f"{err.code} {err.message}"
                    return None
        return None

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()
            self._cells = 0
            self.last = None


ERROR_LOG = ErrorLog()


def last_errors() -> list[dict[str, Any]]:
    """The error cells of the most recent formula call: function, (row, column) in the result, code, message."""
    if ERROR_LOG.last is None:
        return []
    _, block = ERROR_LOG.last
    return [{"function": block.function, "position": divmod(int(p), max(block.cols, 1)), "code": e.code,
             "message": e.message} for p, e in zip(block.flat_positions, block.errors)]


_ADDRESS = re.compile(r"^'?\[(?P<book>[^\]]+)\](?P<sheet>.+?)'?!\$?(?P<col>[A-Za-z]{1,3})\$?(?P<row>\d+)")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _cell_key(where: Any) -> tuple[str, str, int, int] | None:
    """(book, sheet, row, column) of a cell's top-left corner, from an external address as VBA's
    ``Range.Address(True, True, xlA1, True)`` writes it (``'[Book 1.xlsm]My Sheet'!$B$2:$B$9``) or from an
    xlwings Range; None when it is neither."""
    if where is None:
        return None
    if isinstance(where, str):
        m = _ADDRESS.match(where.strip())
        if m is None:
            return None
        sheet = m["sheet"].replace("''", "'") if where.strip().startswith("'") else m["sheet"]
        return (m["book"], sheet, int(m["row"]), _column_number(m["col"]))
    try:
        sheet = where.sheet
        return (str(sheet.book.name), str(sheet.name), int(where.row), int(where.column))
    except Exception:  # noqa: BLE001 - anything that is not a range has no address
        return None
