"""The formulas called the way classic xlwings calls them from Excel, through xlwings' own conversion.

Values arrive as Excel sends them through COM (floats for numbers and undecorated dates, datetimes for date-formatted
cells, None for blanks, ints for error cells, tuples of rows for ranges); each argument goes through
``xlwings.conversion.read`` with the options the classic ``@xw.arg`` decorators recorded, the result through
``xlwings.conversion.write`` with the ``@xw.ret`` options, and then ``CallUDF``'s unwrapping of 1x1 and 1xN results
(xlwings/udfs.py ``call_udf``, com_server.py ``CallUDF``). A 20-line stub ``excel`` engine stands in for the Windows
one (same cleaning rules as ``xlwings._xlwindows``), registered for this module's tests only.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import xlwings
from xlwings import conversion
from xlwings.main import Engine

from xlfin.excel import udf_registration, udfs

MISSING = -2147352572  # what VBA passes for an omitted Optional argument
CELL_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
               -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!"}
NA = -2146826246


class StubExcelEngine:
    """The data-cleaning half of xlwings._xlwindows.Engine, without COM."""

    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(value):
            if value in ("", None):
                return empty_as
            if isinstance(value, dt.datetime):  # pywintypes.TimeType is a datetime subclass
                return datetime_builder(month=value.month, day=value.day, year=value.year, hour=value.hour,
                                        minute=value.minute, second=value.second,
                                        microsecond=value.microsecond, tzinfo=None)
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            if isinstance(value, int) and value in CELL_ERRORS:
                return CELL_ERRORS[value] if err_to_str else None
            return value

        return [[clean(c) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, options):
        if pd.isna(x) if not isinstance(x, (list, tuple, np.ndarray)) else False:
            return ""
        if isinstance(x, np.number):
            return float(x)
        return "" if x is None else x


@pytest.fixture(scope="module")
def excel_engine():
    """The stub as xlwings' "excel" engine for this module only (whatever was registered before comes back)."""
    previous = xlwings.engines.engines_by_name.get("excel")
    engine = Engine(impl=StubExcelEngine())
    xlwings.engines.engines.append(engine)
    xlwings.engines.engines_by_name["excel"] = engine
    yield engine
    xlwings.engines.engines.remove(engine)
    if previous is None:
        del xlwings.engines.engines_by_name["excel"]
    else:
        xlwings.engines.engines_by_name["excel"] = previous


@pytest.fixture(scope="module")
def xlfuncs():
    """The formulas as marked by xlwings' classic decorators (exactly the __xlfunc__ Windows would see)."""
    with udf_registration.classic_xlwings_udfs() as xludfs:
        return udf_registration.decorated_functions(xludfs)


class FakeRange:
    """A range passed by reference: what conversion.read(convert='range') touches, plus the external address
    that VBA's ``Range.Address(True, True, xlA1, True)`` gives for it."""

    def __init__(self, book, sheet, row, column, engine=None):
        self.row, self.column = row, column
        app = type("App", (), {"engine": engine})()
        self.sheet = type("S", (), {"name": sheet, "book": type("B", (), {"name": book, "app": app})()})()
        col = ""
        n = column
        while n:
            n, rem = divmod(n - 1, 26)
            col = chr(65 + rem) + col
        self.external_address = f"[{book}]{sheet}!${col}${row}"


def com_value(value):
    """A range as COM's Range.Value gives it: a scalar for one cell, else a tuple of row tuples."""
    if isinstance(value, list):
        rows = tuple(tuple(r) for r in value)
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    return value


def call_udf(xlfuncs, name, *args, caller=None):
    """xlwings.udfs.call_udf without COM: the VBA wrapper's Array(...) (typed arguments, MISSING for omitted
    optionals, the vba= expressions evaluated), then read every argument, call, write, unwrap as CallUDF does."""
    func = xlfuncs[name]
    info = func.__xlfunc__
    typed = iter(args)
    vba_values = {"Application.Caller.Address(True, True, 1, True)":
                  caller.external_address if caller is not None else None}
    values = []
    for arg_info in info["args"]:
        if arg_info["vba"]:
            if arg_info["vba"].startswith("cell."):
                values.append(values[0].external_address)  # cell.Address(...) of XLFIN_ERROR's reference
            else:
                values.append(vba_values[arg_info["vba"]])
        else:
            values.append(next(typed, MISSING))
    read = []
    for arg, arg_info in zip(values, info["args"]):
        if isinstance(arg, int) and arg == MISSING:
            read.append(arg_info.get("optional", None))
        elif isinstance(arg, FakeRange):
            read.append(conversion.read(arg, None, arg_info["options"]))
        else:
            read.append(conversion.read(None, com_value(arg), arg_info["options"]))
    ret = func(*read)
    res = conversion.write(ret, None, info["ret"]["options"])
    if len(res) == 1 and len(res[0]) == 1:
        return res[0][0]
    if len(res) == 1 and len(res[0]) > 1:
        return res[0]
    return res


def serial(day):
    return float((day - dt.date(1899, 12, 30)).days)


AS_OF = dt.date(2026, 3, 31)


def test_classic_metadata(xlfuncs):
    info = xlfuncs["AGING_BUCKET"].__xlfunc__
    assert info["category"] == "xlfin" and info["call_in_wizard"] is False and info["volatile"] is False
    assert [a["name"] for a in info["args"]] == ["due_date", "as_of", "edges", "caller_address"]
    assert info["args"][3]["vba"] == "Application.Caller.Address(True, True, 1, True)"
    assert info["args"][0]["options"] == {"ndim": 2, "err_to_str": True}
    assert info["args"][0]["doc"].startswith("Due date(s)")
    assert "optional" in info["args"][1] and info["args"][1]["optional"] is None
    assert xlfuncs["DSO"].__xlfunc__["args"][2]["optional"] == 365
    assert xlfuncs["XLFIN_ERROR"].__xlfunc__["args"][0]["options"] == {"convert": "range"}
    assert info["ret"]["doc"] == udfs.REGISTRY["AGING_BUCKET"].summary_en
    assert udfs.AGING_BUCKET is not xlfuncs["AGING_BUCKET"]  # the module's own functions stay unmarked
    xe = xlfuncs["XLFIN_ERROR"].__xlfunc__["args"]
    assert [(a["name"], a["vba"]) for a in xe] == [("cell", None), ("cell_address", "cell.Address(True, True, 1, True)"),
                                                    ("caller_address", "Application.Caller.Address(True, True, 1, True)")]


def test_single_cells_come_back_as_scalars(excel_engine, xlfuncs):
    assert call_udf(xlfuncs, "DSO", 150000.0, 1800000.0) == pytest.approx(150000 / 1800000 * 365)
    assert call_udf(xlfuncs, "AGING_BUCKET", serial(dt.date(2026, 2, 1)), serial(AS_OF)) == "31-60"
    assert call_udf(xlfuncs, "DAYS_OVERDUE", dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 31)) == 30


def test_spec_worked_examples_through_xlwings(excel_engine, xlfuncs):
    assert round(call_udf(xlfuncs, "DSO_COUNTBACK", 212000.0, [[100000.0, 80000.0, 70000.0]], 30.0), 1) == 73.7
    assert round(call_udf(xlfuncs, "DSO_COUNTBACK", 212000.0, [[100000.0], [80000.0], [70000.0]]), 1) == 73.7
    assert call_udf(xlfuncs, "CLV", 100.0, 0.8, 0.1) == 266.67
    assert round(call_udf(xlfuncs, "ALTMAN_Z", 80.0, 50.0, 0.0, -30.0, 15.0, 100.0, 100.0, 210.0, "Z"), 2) == 1.56


def test_a_column_spills_a_column_with_blanks_and_errors(excel_engine, xlfuncs):
    due = [[serial(dt.date(2026, 3, 10))], [None], [dt.datetime(2025, 10, 1)], ["later"], [NA], ["2026/2/1"]]
    out = call_udf(xlfuncs, "AGING_BUCKET", due, serial(AS_OF))
    assert out == [["1-30"], [""], ["120+"], ["#VALUE!"], ["#N/A"], ["31-60"]]
    assert out[3][0].message == 'AGING_BUCKET: due_date (row 4 of its range): text "later" is not a date'


def test_a_row_spills_a_row(excel_engine, xlfuncs):
    out = call_udf(xlfuncs, "DAYS_OVERDUE", [[serial(dt.date(2026, 3, 1)), serial(dt.date(2026, 3, 30))]],
                   serial(AS_OF))
    assert out == [30, 1]  # CallUDF hands a 1xN result to VBA as a 1-D array, which Excel lays out as a row


def test_column_and_row_broadcast_to_a_table(excel_engine, xlfuncs):
    out = call_udf(xlfuncs, "DSO", [[100.0], [200.0]], [[1000.0, 2000.0, 0.0]])
    assert [[round(v, 2) if isinstance(v, float) else str(v) for v in row] for row in out] == [
        [36.5, 18.25, "#DIV/0!"], [73.0, 36.5, "#DIV/0!"]]


def test_omitted_optionals_take_their_defaults(excel_engine, xlfuncs):
    due = [[serial(dt.date(2026, 3, 1))], [serial(dt.date(2025, 12, 1))]]
    assert call_udf(xlfuncs, "AGING_BUCKET", due, serial(AS_OF)) == [["1-30"], ["91-120"]]
    assert call_udf(xlfuncs, "AGING_BUCKET", due, serial(AS_OF), "60,90") == [["1-60"], ["90+"]]
    assert call_udf(xlfuncs, "AGING_BUCKET", due, serial(AS_OF), [[60.0, 90.0]]) == [["1-60"], ["90+"]]
    assert call_udf(xlfuncs, "CREDIT_LIMIT", 2500000.0, 1200000.0, "B") == 180000.0
    assert call_udf(xlfuncs, "ALTMAN_Z", 80.0, 50.0, 0.0, -30.0, 15.0, 100.0, 100.0) == pytest.approx(0.1095)


def test_blank_cell_arguments(excel_engine, xlfuncs):
    assert call_udf(xlfuncs, "DSO", None, 1000.0) == ""  # a blank result reaches Excel as an empty cell
    assert call_udf(xlfuncs, "DSO", 100.0, 1000.0, None) == pytest.approx(36.5)  # blank `days` → 365
    assert call_udf(xlfuncs, "CREDIT_GRADE", [[85.0], [None], [10.0]]) == [["A"], [""], ["E"]]


def test_error_cells_in_lists_fail_the_call_with_a_reason(excel_engine, xlfuncs):
    out = call_udf(xlfuncs, "CREDIT_GRADE", 70.0, [[80.0], [NA], [50.0], [35.0]])
    assert out == "#N/A" and "cutoffs" in out.message


def test_ratio_infinity_and_scores(excel_engine, xlfuncs):
    assert call_udf(xlfuncs, "INTEREST_COVERAGE", 5.0, None) == "∞"
    assert call_udf(xlfuncs, "CREDIT_SCORE", 1.8, 0.45, "∞", 0.06, 75.0, 0.12) == pytest.approx(
        udfs.CREDIT_SCORE(1.8, 0.45, 1e9, 0.06, 75.0, 0.12))
    assert call_udf(xlfuncs, "ABC_CLASS", [[500.0], [300.0], [100.0], [50.0], [10.0]]) == [
        ["A"], ["A"], ["B"], ["B"], ["C"]]  # shares before: 0, .52, .83, .94, .99
    assert call_udf(xlfuncs, "PAYMENT_INDEX", [[-5.0], [0.0], [15.0], [45.0]],
                    [[1000.0], [2000.0], [500.0], [1500.0]]) == pytest.approx(69.0)


def test_caller_files_messages_for_xlfin_error(excel_engine, xlfuncs):
    udfs.ERROR_LOG.clear()
    anchor = FakeRange("template.xlsm", "Invoices", 2, 14, excel_engine)  # formula in N2
    out = call_udf(xlfuncs, "DAYS_OVERDUE", [[serial(dt.date(2026, 3, 1))], [True], [serial(dt.date(2026, 1, 1))]],
                   serial(AS_OF), caller=anchor)
    assert out == [[30], ["#VALUE!"], [89]]
    message = call_udf(xlfuncs, "XLFIN_ERROR", FakeRange("template.xlsm", "Invoices", 3, 14, excel_engine))
    assert message == "#VALUE! DAYS_OVERDUE: due_date (row 2 of its range): TRUE is not a date"
    assert call_udf(xlfuncs, "XLFIN_ERROR", FakeRange("template.xlsm", "Invoices", 4, 14, excel_engine)) == ""
    # (typing a value instead of a reference fails in VBA: cell.Address raises, the wrapper shows Err.Description)
