"""xlfin cell formulas (SPEC §5): xlwings UDF wrappers over the engine, one Python call per formula.

Excel imports these through xlwings (``UDF Modules`` = ``xlfin_udfs``, the shim ``udfs/__init__.py``, installed as the package ``xlfin_udfs``). Each
wrapper only converts what Excel hands over (floats, datetimes, text, None, 2-D lists), broadcasts it, calls the
engine once on whole arrays and assembles the per-cell answer. The finance lives in :mod:`xlfin.engine`.

Conventions every formula follows:

- **Ranges**: every argument that takes one value also takes a range; the result has the broadcast shape of those
  arguments (a column with a single cell → that column; a column with a row → a table) and spills as a dynamic array.
  Arguments that are lists by nature (``edges``, ``weights``, ``cutoffs``, ``sales_newest_first``, the experiences of
  ``PAYMENT_INDEX``, the ``values`` of ``ABC_CLASS``) take a range or a text such as ``"30,60,90,120"``.
  From Python, a scalar gives a scalar, a 1-D list a 1-D object ndarray, a 2-D list a 2-D object ndarray.
- **Blanks**: a blank required input gives a blank (None) result in that cell.
- **Errors**: a bad input gives an :class:`XlError` in that cell only — a ``str`` subclass whose value is the Excel
  error text (``#VALUE!``, ``#DIV/0!``, ``#NUM!``, or the error the input cell already held) and whose ``.message``
  says which formula, which argument (and which row of its range) and why. Called from Excel on Windows the error
  becomes a real Excel error value (a COM ``VT_ERROR`` variant); elsewhere the text ``#VALUE!`` travels, which
  xlwings' Office.js engine turns into an error itself. The message is read in the sheet with
  ``=XLFIN_ERROR(cell)`` and in Python with :func:`last_errors`. Problems that concern the whole call (bad
  ``edges``, ranges of different sizes) give one error value. Nothing raises out of a wrapper.

On Linux ``xlwings.func/arg/ret`` are no-ops, so the metadata (argument docs, zh-CN texts, xlwings options) is kept in
:data:`REGISTRY` by :func:`udf`, which then applies the xlwings decorators; :mod:`xlfin.excel.udf_registration` re-applies the
classic decorators to generate the VBA module and :mod:`xlfin.excel.udf_docs` writes the function reference.
"""

# the package's public names beside the formulas (udf_registration, udf_docs, tests, benchmarks use them)
from .error_log import ERROR_LOG, ErrorLog, last_errors  # noqa: F401
from .errors import DIV0, EXCEL_ERROR_NUMBERS, INFINITY_TEXT, NA, NUM, VALUE, XlError  # noqa: F401
from .registry import (  # noqa: F401
    CALLER_ARG,
    CATEGORY,
    HIDDEN_VBA,
    REGISTRY,
    ArgInfo,
    Example,
    UdfInfo,
    apply_xlwings_decorators,
    udf,
)

# the formulas, imported in the order they register (the VBA module and the reference follow REGISTRY / FORMULAS)
from .aging_formulas import AGING_BUCKET, DAYS_OVERDUE
from .collection_formulas import BEST_DSO, CEI, DSO, DSO_COUNTBACK, PAYMENT_INDEX
from .credit_formulas import ALTMAN_Z, CREDIT_GRADE, CREDIT_LIMIT, CREDIT_SCORE
from .ratio_formulas import CURRENT_RATIO, DEBT_RATIO, INTEREST_COVERAGE, QUICK_RATIO
from .segment_formulas import ABC_CLASS, CLV
from .error_formula import XLFIN_ERROR

__all__ = [
    "ABC_CLASS",
    "AGING_BUCKET",
    "ALTMAN_Z",
    "BEST_DSO",
    "CEI",
    "CLV",
    "CREDIT_GRADE",
    "CREDIT_LIMIT",
    "CREDIT_SCORE",
    "CURRENT_RATIO",
    "DAYS_OVERDUE",
    "DEBT_RATIO",
    "DSO",
    "DSO_COUNTBACK",
    "INTEREST_COVERAGE",
    "PAYMENT_INDEX",
    "QUICK_RATIO",
    "XLFIN_ERROR",
]

# SPEC §5 order, for the function reference
FORMULAS = ("AGING_BUCKET", "DAYS_OVERDUE", "DSO", "DSO_COUNTBACK", "BEST_DSO", "CEI", "PAYMENT_INDEX", "ALTMAN_Z",
            "CREDIT_SCORE", "CREDIT_GRADE", "CREDIT_LIMIT", "CURRENT_RATIO", "QUICK_RATIO", "DEBT_RATIO",
            "INTEREST_COVERAGE", "ABC_CLASS", "CLV", "XLFIN_ERROR")
