"""Sheet protection of generated sheets (issue #17 item 2): no password, against accidental edits only.

A report sheet is replaced whole on every run, so typing into it loses the typing; protection says so up front.
Without a password anyone can lift it (Review > Unprotect Sheet). Users keep what they need to read a report:
selecting and copying cells, filtering (AutoFilter on the table headers), sorting where Excel allows it, column
widths and row heights, and moving or resizing the Dashboard's charts. Input sheets are never touched: they keep
whatever protection their owner set.

One definition, two writers: `protect_file_sheet` for openpyxl (the file adapter) and `protect_live_sheet` /
`unprotect_live_sheet` for Excel through xlwings (the live adapter must lift protection to write, then restore it).
"""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from xlfin.schema.tables import WorkbookError

# What a user may still do on a protected generated sheet (openpyxl's flag = True means "forbidden").
ALLOWED = ("autoFilter", "sort", "formatColumns", "formatRows", "selectLockedCells", "selectUnlockedCells", "objects")
# The same allowances for Excel's Worksheet.Protect (COM keyword arguments).
EXCEL_PROTECT_ARGS = {
    "DrawingObjects": False,  # charts stay movable: they are redrawn on every run anyway
    "Contents": True,
    "Scenarios": True,
    "AllowFormattingColumns": True,
    "AllowFormattingRows": True,
    "AllowSorting": True,
    "AllowFiltering": True,
}


def file_protection() -> SheetProtection:
    """`<sheetProtection sheet="1" .../>` without a password, with the allowances above."""
    protection = SheetProtection(sheet=True)
    for flag in ALLOWED:
        setattr(protection, flag, False)
    return protection


def protect_file_sheet(ws: Worksheet) -> None:
    ws.protection = file_protection()


def sheet_protection_xml() -> str:
    """The same protection as the `<sheetProtection/>` element, for writers that emit worksheet XML themselves
    (the same bytes whichever XML library openpyxl found)."""
    attrs = " ".join(f'{name}="{value}"' for name, value in file_protection())
    return f"<sheetProtection {attrs}/>"


def _api(sheet: Any) -> Any:
    return sheet.api


def unprotect_live_sheet(sheet: Any) -> bool:
    """Lift the (password-less) protection of a generated sheet in Excel so xlfin can write it; True if it was on."""
    api = _api(sheet)
    if not bool(getattr(api, "ProtectContents", False)):
        return False
    try:
        api.Unprotect()
    except Exception:  # noqa: BLE001 - COM raises its own error types; the cause for a user is the password
        raise WorkbookError(f"sheet {sheet.name} is protected with a password; unprotect it (Review > Unprotect "
                            "Sheet) and run again") from None
    return True


def protect_live_sheet(sheet: Any) -> None:
    """Protect a generated sheet in Excel again, with the same allowances as the file adapter writes."""
    _api(sheet).Protect(**EXCEL_PROTECT_ARGS)
