"""The formula registry and the @udf decorator: metadata for the VBA module and the function reference, the
xlwings decorators, and the wrapper that turns every problem into an error value."""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xlwings as xw

from .broadcast import _Result
from .error_log import ERROR_LOG, _cell_key
from .errors import _COM_ERROR, VALUE, XlError, _CallError

CATEGORY = "xlfin"


# ----------------------------------------------------------------------------------------------------------------
# the registry and the decorator


@dataclass(frozen=True)
class ArgInfo:
    name: str
    en: str
    zh: str
    kind: str = "cells"  # "cells": one value or a range; "list": a list by nature; "reference": a cell reference;
    # "hidden": not shown in Excel, VBA passes the expression in HIDDEN_VBA instead
    optional: bool = False
    default: Any = None

    @property
    def visible(self) -> bool:
        return self.kind != "hidden"

    @property
    def xlwings_options(self) -> dict[str, Any]:
        if self.kind == "hidden":
            return {"vba": HIDDEN_VBA[self.name]}
        if self.kind == "reference":
            return {"convert": "range"}
        # ndim=2 keeps a column a column (default ndim flattens it); err_to_str lets input errors propagate
        return {"ndim": 2, "err_to_str": True}


@dataclass(frozen=True)
class Example:
    """A worked example: arguments as Excel would hand them (floats, dates, text, 2-D lists for ranges)."""

    args: tuple
    note_en: str = ""
    note_zh: str = ""


@dataclass(frozen=True)
class UdfInfo:
    name: str
    summary_en: str
    summary_zh: str
    returns_en: str
    returns_zh: str
    args: tuple[ArgInfo, ...]
    call_in_wizard: bool
    example: Example | None
    function: Callable[..., Any] = field(compare=False, repr=False)


    @property
    def visible_args(self) -> tuple[ArgInfo, ...]:
        """The arguments a user types in Excel (the VBA function's parameters)."""
        return tuple(a for a in self.args if a.visible)


REGISTRY: OrderedDict[str, UdfInfo] = OrderedDict()

# Hidden arguments: the VBA wrapper passes these expressions (xlwings' ``vba=`` option) instead of user input.
# The caller's external address names the result's top-left cell for the error log; it is a plain string, so unlike
# xlwings' reserved ``caller`` argument it costs no COM call back into Excel.
CALLER_ARG = "caller_address"
HIDDEN_VBA = {
    CALLER_ARG: "Application.Caller.Address(True, True, 1, True)",
    "cell_address": "cell.Address(True, True, 1, True)",
}


def apply_xlwings_decorators(fn: Callable, info: UdfInfo, func_deco: Callable, arg_deco: Callable) -> Callable:
    """@xw.arg per argument (doc and options), then @xw.func on top (it must come last: xlwings' arg decorator
    resets the category)."""
    for a in info.args:
        fn = arg_deco(a.name, doc=a.en, **a.xlwings_options)(fn)
    fn = arg_deco(CALLER_ARG, doc="", vba=HIDDEN_VBA[CALLER_ARG])(fn)
    return func_deco(category=CATEGORY, call_in_wizard=info.call_in_wizard)(fn)


def udf(*, zh: str, returns: tuple[str, str], args: dict[str, tuple[str, str] | tuple[str, str, str]],
        example: Example | None = None, costly: bool = False) -> Callable[[Callable], Callable]:
    """Register a formula: ``args`` maps each parameter to (en doc, zh doc[, kind]); the docstring's first paragraph
    is the English summary (Excel's function description, ≤ 255 characters).

    The function Excel calls gets one extra, hidden parameter ``caller_address`` (the VBA wrapper passes the calling
    cell's external address) so that error messages are filed under the result's address for ``=XLFIN_ERROR(cell)``.
    Called with a caller address on Windows, error cells are handed back as COM error values.
    """

    def deco(impl: Callable) -> Callable:
        sig = inspect.signature(impl)
        if set(args) != set(sig.parameters):
            raise TypeError(f"{impl.__name__}: documented args {sorted(args)} != parameters {list(sig.parameters)}")
        infos = []
        for p in sig.parameters.values():
            en, zh_doc, *kind = args[p.name]
            infos.append(ArgInfo(p.name, en, zh_doc, kind[0] if kind else "cells",
                                 p.default is not inspect.Parameter.empty,
                                 None if p.default is inspect.Parameter.empty else p.default))
        summary = inspect.cleandoc(impl.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        name = impl.__name__
        params = [*sig.parameters.values(),
                  inspect.Parameter(CALLER_ARG, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
        entry_sig = sig.replace(parameters=params, return_annotation=inspect.Signature.empty)

        @functools.wraps(impl)
        def entry(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                bound = entry_sig.bind(*call_args, **call_kwargs)
            except TypeError as exc:
                return _Result.single(XlError(VALUE, f"{name}: {exc}")).public()
            bound.apply_defaults()
            caller = bound.arguments.pop(CALLER_ARG)
            try:
                with np.errstate(all="ignore"):  # undefined cells are reported per cell, not as warnings
                    result = impl(**bound.arguments)
            except _CallError as exc:
                result = _Result.single(XlError(exc.code, exc.message))
            except Exception as exc:  # noqa: BLE001 - a formula never raises into Excel
                result = _Result.single(XlError(VALUE, f"{name}: unexpected problem: {type(exc).__name__}: {exc}"))
            _file_errors(name, caller, result)
            return _to_excel(result) if caller is not None and _COM_ERROR is not None else result.public()

        entry.__signature__ = entry_sig
        entry.__annotations__ = {}
        entry.__doc__ = summary
        info = UdfInfo(name, summary, zh, returns[0], returns[1], tuple(infos), not costly, example, entry)
        entry.xlfin = info
        REGISTRY[name] = info
        return apply_xlwings_decorators(entry, info, xw.func, xw.arg)

    return deco


def _file_errors(name: str, caller: Any, result: _Result) -> None:
    has_errors = result.error_mask is not None and bool(np.any(result.error_mask))
    if caller is None:
        ERROR_LOG.record(None, name, result.values, result.error_mask)
        return
    if not has_errors and not ERROR_LOG.has_blocks():
        return  # nothing to file and nothing stale to forget
    anchor = _cell_key(caller)
    if anchor is None:
        ERROR_LOG.record(None, name, result.values, result.error_mask)
    else:
        ERROR_LOG.record(anchor, name, result.values, result.error_mask)


def _to_excel(result: _Result) -> Any:
    """Windows/COM: XlError cells become VT_ERROR variants, so Excel shows real error values."""
    out = result.values.copy()
    if result.error_mask is not None and np.any(result.error_mask):
        errors = out[result.error_mask]
        variants = np.empty(errors.shape, dtype=object)  # filled one by one: a variant may look like a sequence
        for k, e in enumerate(errors):
            variants[k] = _COM_ERROR(e.code)
        out[result.error_mask] = variants
    return _Result(out, result.error_mask, result.out_ndim).public()


# argument docs (en, zh-CN) that several formulas share, word for word
_DOC: dict[str, tuple[str, str]] = {
    "due_date": ("Due date(s): a date, a serial number or a range of them.", "到期日：日期、序列号或其区域。"),
    "credit_sales": ("Credit sales of the period.", "本期赊销额。"),
    "days": ("Days in the period (default 365).", "期间天数（默认 365）。"),
    "current_assets": ("Current assets.", "流动资产。"),
    "current_liabilities": ("Current liabilities.", "流动负债。"),
    "ebit": ("Earnings before interest and tax.", "息税前利润。"),
    "total_assets": ("Total assets.", "资产总额。"),
    "total_liabilities": ("Total liabilities.", "负债总额。"),
}


def _docs(*names: str) -> dict[str, tuple[str, str]]:
    return {name: _DOC[name] for name in names}
