"""The module Excel imports through xlwings (``UDF Modules`` = ``xlfin_udfs``): xlfin's cell formulas.

A thin shim: the wrappers live in the installed package (:mod:`xlfin.udfs`), so ``UDF Modules`` = ``xlfin.udfs`` works
as well once xlfin is installed. ``xlfin_udfs.bas`` next to this file is the matching VBA module
(``python -m xlfin.udf_registration`` regenerates it).
"""

from xlfin.udfs import *  # re-export every formula for xlwings' Import Functions
from xlfin.udfs import __all__  # noqa: F401
