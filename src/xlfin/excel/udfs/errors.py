"""Excel error values: the XlError a cell shows, the whole-call error, COM error variants on Windows,
and reading the errors input cells already hold."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

VALUE, DIV0, NUM, NA = "#VALUE!", "#DIV/0!", "#NUM!", "#N/A"
INFINITY_TEXT = "∞"  # Excel has no infinite number; ratios with nothing below the line return this text

# Excel error numbers (XlCVError). Through COM a cell error arrives as the int 0x800A0000 + number (signed).
EXCEL_ERROR_NUMBERS: dict[str, int] = {
    "#NULL!": 2000, "#DIV/0!": 2007, "#VALUE!": 2015, "#REF!": 2023, "#NAME?": 2029, "#NUM!": 2036, "#N/A": 2042,
    "#GETTING_DATA": 2043, "#SPILL!": 2045, "#CONNECT!": 2046, "#BLOCKED!": 2047, "#UNKNOWN!": 2048,
    "#FIELD!": 2049, "#CALC!": 2050,
}
_COM_ERROR_BASE = -2146828288  # 0x800A0000 as a signed 32-bit int
_COM_ERROR_TEXT = {_COM_ERROR_BASE + n: text for text, n in EXCEL_ERROR_NUMBERS.items()}
_CLASSIC_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}



# ----------------------------------------------------------------------------------------------------------------
# error values


class XlError(str):
    """One cell's Excel error: ``str(e)`` is the error text (``#VALUE!``), ``e.message`` the reason."""

    def __new__(cls, code: str, message: str = ""):  # returns an XlError (Self needs Python 3.11)
        obj = super().__new__(cls, code)
        obj.message = message
        return obj

    @property
    def code(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"XlError({str(self)!r}, {self.message!r})"

    def __reduce__(self):
        return (XlError, (str(self), self.message))


class _CallError(Exception):
    """A problem with the whole call (not one cell): the formula returns one error value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _com_error_factory() -> Callable[[str], Any] | None:
    """On Windows with pywin32, a VT_ERROR variant per error text (what VBA's CVErr makes); else None."""
    if sys.platform != "win32":
        return None
    try:
        import pythoncom
        from win32com.client import VARIANT
    except ImportError:
        return None

    def make(code: str) -> Any:
        number = EXCEL_ERROR_NUMBERS.get(code if code in _CLASSIC_ERRORS else VALUE)
        return VARIANT(pythoncom.VT_ERROR, _COM_ERROR_BASE + number)

    return make


_COM_ERROR = _com_error_factory()


def _error_text_of(value: Any) -> str | None:
    """The Excel error an input cell holds (as err_to_str text or as the raw COM int), else None."""
    if isinstance(value, str):
        text = value.strip().upper()
        return text if text in EXCEL_ERROR_NUMBERS else None
    if type(value) is int:
        return _COM_ERROR_TEXT.get(value)
    return None


def _propagated(code_text: str) -> str:
    return code_text if code_text in _CLASSIC_ERRORS else VALUE
