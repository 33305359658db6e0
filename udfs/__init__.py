"""``xlfin_udfs``: the module Excel imports through xlwings (``UDF Modules`` = ``xlfin_udfs``), xlfin's cell formulas.

This folder is installed as the top-level package ``xlfin_udfs`` (pyproject maps it), so a workbook anywhere finds it
once xlfin is pip-installed. A thin shim: the wrappers live in :mod:`xlfin.excel.udfs`. ``xlfin_udfs.bas`` beside this file
is the matching VBA module (``python -m xlfin.excel.udf_registration`` regenerates it); the template embeds it.
"""

from xlfin.excel.udfs import *  # re-export every formula for xlwings' Import Functions
from xlfin.excel.udfs import __all__  # noqa: F401
