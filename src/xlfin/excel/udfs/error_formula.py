"""XLFIN_ERROR: the message behind an xlfin error value in a cell."""

from __future__ import annotations

from .broadcast import _Result
from .error_log import ERROR_LOG, _cell_key
from .errors import VALUE, XlError
from .registry import udf

# ----------------------------------------------------------------------------------------------------------------
# the message behind an error value


@udf(
    zh="某个单元格中 xlfin 错误值的原因（例如 =XLFIN_ERROR(B7)）；该单元格没有 xlfin 错误时为空。",
    returns=("The message, or blank when the cell holds no xlfin error.", "错误原因；无 xlfin 错误时为空。"),
    args={"cell": ("The cell showing the error (a reference).", "显示错误的单元格（引用）。", "reference"),
          "cell_address": ("", "", "hidden")},
)
def XLFIN_ERROR(cell, cell_address=None):
    """Why an xlfin formula shows an error in a cell: =XLFIN_ERROR(B7) gives the message (function, argument, row
    and reason) of the error in B7, or blank when there is none."""
    key = _cell_key(cell_address) or _cell_key(cell)
    if key is None:
        return _Result.single(XlError(VALUE, "XLFIN_ERROR: cell must be a cell reference such as B7"))
    return _Result.single(ERROR_LOG.message_at(*key))
