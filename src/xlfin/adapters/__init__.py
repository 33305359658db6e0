"""The file adapter moves tables between a workbook file and the engine, on top of `xlfin.xlsx` (the file format).

It implements `Workbook` (see `xlfin.schema.workbook`): read tables by name or header row, read Config, stage generated
sheets and log rows, and write them all at `commit`. The live adapter over an open book (xlwings) is a surface:
`xlfin.excel.live.LiveWorkbook`.
"""

from xlfin.schema.tables import RawTable, WorkbookError
from xlfin.schema.workbook import Workbook, sheet_labels, stacked_layout
from .file import FileWorkbook, open_workbook
from .safety import Limits

__all__ = [
    "FileWorkbook",
    "Limits",
    "RawTable",
    "Workbook",
    "WorkbookError",
    "open_workbook",
    "sheet_labels",
    "stacked_layout",
]

