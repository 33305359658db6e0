"""Vectorisation: arguments broadcast to the result's shape, one engine call over whole columns, the per-cell
answer assembled (values, blanks, error values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .coerce import _Arg, _number_list, _numbers
from .errors import INFINITY_TEXT, VALUE, XlError, _CallError

# ----------------------------------------------------------------------------------------------------------------
# broadcasting and assembling the answer


@dataclass
class _Grid:
    """Arguments broadcast to the result's shape."""

    func: str
    args: list[_Arg]
    shape: tuple[int, ...]
    out_ndim: int  # 0 scalar, 1 one-dimensional (Python lists in), 2 a range
    error_mask: np.ndarray = field(init=False)
    errors: np.ndarray = field(init=False)
    blank: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.error_mask = np.zeros(self.shape, dtype=bool)
        self.errors = np.full(self.shape, None, dtype=object)
        for a in self.args:
            if a.error_mask is not None:
                new = np.broadcast_to(a.error_mask, self.shape) & ~self.error_mask
                if new.any():
                    self.errors[new] = np.broadcast_to(a.errors, self.shape)[new]
                    self.error_mask |= new
        self.blank = np.zeros(self.shape, dtype=bool)
        for a in self.args:
            if a.required:
                self.blank |= np.broadcast_to(a.blank, self.shape)
        self.blank &= ~self.error_mask

    def values(self, arg: _Arg, fill: Any = np.nan) -> np.ndarray:
        """The argument broadcast to the result shape, with ``fill`` in its error cells (a writable copy)."""
        out = np.array(np.broadcast_to(arg.values, self.shape))
        if arg.error_mask is not None:
            out[np.broadcast_to(arg.error_mask, self.shape)] = fill
        return out

    @property
    def ok(self) -> np.ndarray:
        return ~self.error_mask & ~self.blank

    def fail(self, mask: np.ndarray, code: str, message: str) -> None:
        """Mark cells (not already errors or blank) as errors with one message."""
        mask = mask & ~self.error_mask
        if mask.any():
            self.errors[mask] = XlError(code, f"{self.func}: {message}")
            self.error_mask |= mask
            self.blank &= ~mask

    def adopt(self, mask: np.ndarray, errors: np.ndarray) -> None:
        """Mark cells as errors with ready-made XlError values (keeping their codes)."""
        mask = mask & ~self.error_mask
        if mask.any():
            self.errors[mask] = errors[mask]
            self.error_mask |= mask
            self.blank &= ~mask

    def fail_each(self, mask: np.ndarray, code: str, messages: np.ndarray) -> None:
        mask = mask & ~self.error_mask
        for idx in zip(*np.nonzero(mask)):
            self.errors[idx] = XlError(code, f"{self.func}: {messages[idx]}")
        self.error_mask |= mask
        self.blank &= ~mask

    def result(self, values: np.ndarray, *, undefined: tuple[str, str] | None = None,
               kind: str = "float") -> _Result:
        """Per-cell answer: values where the cell is fine, None where blank, the XlError where bad.

        ``undefined`` = (code, message) for cells whose inputs are fine but the engine found no answer (NaN).
        ``kind``: "float", "int" (whole numbers), "object" (labels, letters) or "ratio" (+inf shown as ∞).
        """
        values = np.broadcast_to(values, self.shape)
        if kind in ("float", "int", "ratio"):
            v = np.asarray(values, dtype=np.float64)
            nan = np.isnan(v) & self.ok
            if undefined is not None:
                self.fail(nan, *undefined)
            else:
                self.blank |= nan
            if kind == "int":
                out = np.where(np.isfinite(v), v, 0).astype(np.int64).astype(object)
            else:
                out = v.astype(object)
                if kind == "ratio":
                    out[np.isposinf(v)] = INFINITY_TEXT
        else:
            out = np.array(values, dtype=object)  # engines give None for blank labels: shown blank as they are
        out[self.blank | ~self.ok] = None
        if self.error_mask.any():
            out[self.error_mask] = self.errors[self.error_mask]
        return _Result(out, self.error_mask, self.out_ndim)


@dataclass
class _Result:
    values: np.ndarray  # object, result shape
    error_mask: np.ndarray | None
    out_ndim: int

    @classmethod
    def single(cls, value: Any) -> _Result:
        arr = np.empty((), dtype=object)
        arr[()] = value
        mask = np.array(isinstance(value, XlError))
        return cls(arr, mask, 0)

    def public(self) -> Any:
        """What a Python caller gets: a scalar, or an object ndarray of the input's rank."""
        if self.out_ndim == 0:
            return self.values.reshape(-1)[0] if self.values.size else None
        if self.out_ndim == 1:
            return self.values.reshape(-1)
        return self.values


def _grid(func: str, *args: _Arg) -> _Grid:
    shapes = [a.shape for a in args]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        sizes = ", ".join(f"{a.name} {a.shape[0]}x{a.shape[1]}" for a in args if a.values.ndim == 2)
        raise _CallError(VALUE, f"{func}: ranges of different sizes ({sizes}); give ranges of one size, "
                                "or single cells") from None
    ranks = [a.ndim_in for a in args if a.ndim_in > 0]
    out_ndim = 0 if not ranks else (1 if all(r == 1 for r in ranks) else 2)
    if out_ndim == 0:
        shape = (1,)  # scalars work as one-element columns; _Result.public() hands back the scalar
    return _Grid(func, list(args), shape, out_ndim)


def _flat(x: np.ndarray) -> np.ndarray:
    """1-D view for engines (they take columns); results are reshaped back."""
    return np.asarray(x).reshape(-1)


def _engine_error(func: str, name: str, exc: Exception) -> _CallError:
    return _CallError(VALUE, f"{func}: {name}: {exc}")


def _numeric_udf(func: str, engine_fn: Callable, inputs: dict[str, Any], *, undefined: tuple[str, str],
                 kind: str = "float", optional: tuple[str, ...] = (),
                 defaults: dict[str, float] | None = None) -> _Result:
    """A formula over numbers only: each argument parsed by name (``optional`` ones may be blank, ``defaults`` fill
    blanks), broadcast, one engine call over the columns in ``inputs`` order, the per-cell answer."""
    defaults = defaults or {}
    nums = [_numbers(func, name, value, required=name not in optional, default=defaults.get(name))
            for name, value in inputs.items()]
    g = _grid(func, *nums)
    out = engine_fn(*(_flat(g.values(a)) for a in nums))
    return g.result(np.reshape(out, g.shape), undefined=undefined, kind=kind)


def _label_udf(func: str, engine_fn: Callable, name: str, value: Any, cutoffs: Any,
               default_cutoffs: tuple[float, ...]) -> _Result:
    """A formula that labels numbers (grade, ABC class) by cut-offs: a bad ``cutoffs`` spoils the whole call."""
    c = _number_list(func, "cutoffs", cutoffs)
    v = _numbers(func, name, value)
    g = _grid(func, v)
    try:
        labels = engine_fn(_flat(g.values(v)), c if c is not None else default_cutoffs)
    except ValueError as exc:
        raise _engine_error(func, "cutoffs", exc) from None
    return g.result(np.asarray(labels, dtype=object).reshape(g.shape), kind="object")
