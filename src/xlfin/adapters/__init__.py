"""Adapters move tables between a workbook and the engine: a file through openpyxl, or a live book through xlwings.

Both implement `Workbook` (see `base`): read tables by name or header row, read Config, stage generated sheets and
log rows, and write them all at `commit`.
"""

from xlfin.schema.tables import RawTable, WorkbookError
from xlfin.schema.workbook import Workbook, sheet_labels, stacked_layout
from .file import FileWorkbook, open_workbook
from .safety import Limits

__all__ = [
    "FileWorkbook",
    "Limits",
    "LiveWorkbook",
    "RawTable",
    "Workbook",
    "WorkbookError",
    "open_workbook",
    "sheet_labels",
    "stacked_layout",
]


def __getattr__(name: str):
    # xlwings is imported only when the live adapter is wanted (the CLI on a server never needs it)
    if name == "LiveWorkbook":
        from xlfin.excel.live import LiveWorkbook

        return LiveWorkbook
    raise AttributeError(name)
