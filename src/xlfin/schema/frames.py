"""Raw workbook tables -> typed frames the engine can trust, plus a problem for every cell that does not parse.

`coerce_table` types each input column of a `RawTable` by its schema type:

| type      | frame dtype                  | blank      | accepted                                              |
|-----------|------------------------------|------------|-------------------------------------------------------|
| money     | Int64 cents (int64 when the column is required and every cell parsed) | NA | numbers, '1,234.50', '¥1,234.50', '(12.00)' |
| date      | datetime64[ns] (midnight)    | NaT        | datetimes, Excel serials, ISO, 2026/3/5, 2026年3月5日, 3/5/2026 |
| int       | Int64                        | NA         | whole numbers (also 30.0, '30', '1,000')              |
| bool      | bool                         | False      | yes/no, 是/否, true/false, 1/0, y/n, x                 |
| enum      | object: canonical English value | None    | the value, its en or zh-CN label, its aliases         |
| currency  | object: 3 upper-case letters | None       | 'usd', 'ＵＳＤ', RMB/人民币 (-> CNY) and a few Chinese names |
| float/pct | float64                      | NaN        | numbers; '12%' -> 0.12 in a pct column                |
| text, email, phone | object: stripped str | None     | anything; integral numbers lose their '.0' (an id typed as 1001) |

A cell that does not parse becomes NA (False for bool) and a `Problem` (error) naming its cell, e.g.
`Invoices!F17  Amount: 'abc' is not an amount`. Nothing is guessed and nothing raises. Rows blank in every
input column are dropped (tables often end in blank rows; computed and user columns may be filled down).
Rule checks (required, unique, ranges, cross-table) live in `xlfin.schema.validate`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from xlfin.engine.cellvalues import MONEY_MAX_UNITS as _MONEY_MAX
from xlfin.engine.cellvalues import CellValueError, date_value, money_cents, number, whole_number, yes_no
from xlfin.engine.cellvalues import is_blank as _is_blank_scalar
from xlfin.engine.dates import SERIAL_MAX, SERIAL_MIN, AmbiguousDate, DateError, serials_to_datetime64
from xlfin.engine.money import MoneyError, float_cents
from xlfin.schema import TABLES, VALIDATION, Column, Lang, Table
from .tables import RawTable

__all__ = [
    "CURRENCY_ALIASES",
    "Problem",
    "apply_defaults",
    "blank_mask",
    "coerce_table",
    "empty_frame",
    "problems_frame",
    "raw_table_from_frame",
    "text_value",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One validation finding, addressed to the cell a user must fix."""

    severity: Severity
    sheet: str
    cell: str
    column: str
    row_key: str
    code: str
    message: str


# Well-known names of currencies that are not guesses: RMB and 人民币 are CNY everywhere.
CURRENCY_ALIASES = {
    "RMB": "CNY", "人民币": "CNY", "元": "CNY", "美元": "USD", "欧元": "EUR", "英镑": "GBP", "日元": "JPY",
    "港币": "HKD", "港元": "HKD", "新加坡元": "SGD", "澳元": "AUD", "加元": "CAD", "瑞士法郎": "CHF",
    "韩元": "KRW", "新台币": "TWD",
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_NS_MIN = np.datetime64("1677-09-22", "D")  # datetime64[ns] covers 1677-09-21 .. 2262-04-11
_NS_MAX = np.datetime64("2262-04-10", "D")
_SHOW_MAX = 40


# ---------------------------------------------------------------- small helpers


def blank_mask(s: pd.Series) -> np.ndarray:
    """True where a raw cell is empty: None, NaN/NaT, or text of only spaces."""
    if len(s) == 0:
        return np.zeros(0, dtype=bool)
    na = s.isna().to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        # plain strings (nearly every cell) are tested inline; anything else by the general rule
        if kind == "empty":  # every cell None/NaN/NA: blank, without testing each
            return np.ones(len(s), dtype=bool)
        if kind == "string":
            # None (calamine's empty cell) tested before the isinstance call: optional columns are mostly empty
            return np.fromiter(((not v.strip()) if v.__class__ is str else
                                (v is None or not (isinstance(v, str) and v.strip()))
                                for v in s.to_numpy(dtype=object)), dtype=bool, count=len(s))
        if s.dtype == object and kind not in ("floating", "integer", "mixed-integer-float", "datetime", "date",
                                             "boolean", "decimal"):
            return np.array([(not v.strip()) if v.__class__ is str else _is_blank_scalar(v)
                             for v in s.to_numpy(dtype=object)], dtype=bool)
    return na


def text_value(v: Any) -> str | None:
    """A cell as text: stripped; an integral number without '.0' (ids typed as numbers); a date as ISO."""
    if _is_blank_scalar(v):
        return None
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if f.is_integer() and abs(f) < 1e16:
            return str(int(f))
        return repr(f)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def _show(v: Any) -> str:
    """A raw value quoted for a message, shortened so one bad paste cannot flood the report."""
    text = text_value(v)
    text = "" if text is None else text
    if len(text) > _SHOW_MAX:
        text = text[: _SHOW_MAX - 1] + "…"
    return f"'{text}'"


def _message(code: str, lang: Lang, **values: Any) -> str:
    # The catalogue lives in xlfin.schema.validate (one dict, every code); imported here at call time because
    # validate builds on this module.
    from .validate import message

    return message(code, lang, **values)


def _language(raw: RawTable, settings: Any | None) -> Lang:
    lang = getattr(settings, "language", None) or raw.language or "en"
    return "zh-CN" if lang == "zh-CN" else "en"


# ---------------------------------------------------------------- per-type coercion
# Each coercer takes the raw column (kept rows only) and returns the typed values plus [(position, value)] of the
# cells that did not parse, with an optional reason code (default: the type's code).

Bad = list[tuple]  # (position, value) or (position, value, problem code) when the type's code would mislead


def _kind(s: pd.Series) -> str:
    if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
        if pd.api.types.is_bool_dtype(s.dtype):
            return "boolean"
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            return "datetime64"
        if pd.api.types.is_numeric_dtype(s.dtype):
            return "numeric"
    return pd.api.types.infer_dtype(s, skipna=True)


def _strip_or_none(v: Any) -> str | None:
    if isinstance(v, str):
        return v.strip() or None
    return None


def _plain_text(s: pd.Series) -> np.ndarray | None:
    """A column of plain strings and blanks as stripped text (None for blank), or None when it holds anything else.

    One comprehension with plain strings and None inline: several times faster than .str.strip() on object columns.
    Element by element, so the result for a subset of the rows is the subset of the result."""
    kind = _kind(s)
    if kind == "empty":  # an optional column nobody filled in: every cell None/NaN/NA
        return np.full(len(s), None, dtype=object)
    if kind != "string":
        return None
    values = s.to_numpy(dtype=object)
    return np.array([(v.strip() or None) if v.__class__ is str else (None if v is None else _strip_or_none(v))
                     for v in values], dtype=object)


def _coerce_text(s: pd.Series) -> tuple[pd.Series, Bad]:
    plain = _plain_text(s)
    if plain is not None:
        return pd.Series(plain, dtype=object), []
    values = s.to_numpy(dtype=object)
    return pd.Series([(v.strip() or None) if v.__class__ is str else text_value(v) for v in values], dtype=object), []


def _numeric_money(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float amounts -> (cents, valid, bad) with NaN as blank and non-finite/huge as bad."""
    blank = np.isnan(x)
    bad = ~blank & ~(np.abs(np.nan_to_num(x, nan=0.0, posinf=np.inf, neginf=np.inf)) < _MONEY_MAX)
    ok = ~blank & ~bad
    cents = float_cents(np.where(ok, x, 0.0))
    return cents, ok, bad


def _coerce_money(s: pd.Series, column: Column) -> tuple[pd.Series, Bad]:
    kind = _kind(s)
    n = len(s)
    if kind in ("numeric", "floating", "integer", "mixed-integer-float", "empty"):
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        cents, ok, bad_mask = _numeric_money(x)
        bad = [(int(i), s.iat[i]) for i in np.flatnonzero(bad_mask)]
    else:
        values = s.to_numpy(dtype=object)
        cents = np.zeros(n, dtype=np.int64)
        ok = np.zeros(n, dtype=bool)
        bad = []
        float_pos: list[int] = []
        float_val: list[float] = []
        for i, v in enumerate(values):
            if _is_blank_scalar(v):
                continue
            if isinstance(v, (float, np.floating)) or (isinstance(v, (int, np.integer)) and not isinstance(v, bool)):
                float_pos.append(i)
                float_val.append(float(v))
                continue
            try:
                cents[i] = money_cents(v)
                ok[i] = True
            except (MoneyError, ValueError, ArithmeticError):
                bad.append((i, v))
        if float_pos:
            pos = np.asarray(float_pos, dtype=np.int64)
            c, good, wrong = _numeric_money(np.asarray(float_val, dtype=np.float64))
            cents[pos[good]] = c[good]
            ok[pos[good]] = True
            bad.extend((int(p), values[p]) for p in pos[wrong])
            bad.sort(key=lambda t: t[0])
    if column.required and ok.all():
        return pd.Series(cents, dtype=np.int64), bad
    return pd.Series(pd.arrays.IntegerArray(cents, ~ok)), bad


def _coerce_int(s: pd.Series) -> tuple[pd.Series, Bad]:
    kind = _kind(s)
    n = len(s)
    if kind in ("numeric", "floating", "integer", "mixed-integer-float", "empty"):
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        blank = np.isnan(x)
        finite = np.isfinite(x)
        bad_mask = ~blank & (~finite | (np.abs(np.where(finite, x, 0.0)) > 2**53))
        safe = np.where(finite & ~bad_mask, x, 0.0)
        bad_mask |= safe != np.round(safe)
        ok = ~blank & ~bad_mask
        values = np.where(ok, safe, 0).astype(np.int64)
        bad = [(int(i), s.iat[i]) for i in np.flatnonzero(bad_mask)]
    else:
        values = np.zeros(n, dtype=np.int64)
        ok = np.zeros(n, dtype=bool)
        bad = []
        for i, v in enumerate(s.to_numpy(dtype=object)):
            if _is_blank_scalar(v):
                continue
            try:
                values[i] = whole_number(v)
                ok[i] = True
            except (ValueError, TypeError, OverflowError):
                bad.append((i, v))
    return pd.Series(pd.arrays.IntegerArray(values, ~ok)), bad


def _coerce_float(s: pd.Series, pct: bool) -> tuple[pd.Series, Bad]:
    kind = _kind(s)
    if kind in ("numeric", "floating", "integer", "mixed-integer-float", "empty"):
        return pd.Series(pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)), []
    out = np.full(len(s), np.nan)
    bad: Bad = []
    for i, v in enumerate(s.to_numpy(dtype=object)):
        if _is_blank_scalar(v):
            continue
        try:
            out[i] = number(v, percent=pct)
        except CellValueError:
            bad.append((i, v))
    return pd.Series(out), bad


def _to_ns(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[D] -> (datetime64[ns], out_of_range mask): nanosecond dates end in 2262."""
    d = days.astype("datetime64[D]")
    out_of_range = ~np.isnat(d) & ((d < _NS_MIN) | (d > _NS_MAX))
    d = np.where(out_of_range, np.datetime64("NaT"), d)
    return d.astype("datetime64[ns]"), out_of_range


def _datetime_objects(s: pd.Series) -> np.ndarray | None:
    """A column of date/datetime objects -> datetime64[D] in one pass; None when pandas cannot do it losslessly
    (time zones, mixed objects), leaving the per-cell path to parse and report."""
    try:
        converted = pd.to_datetime(s.astype(object), cache=False)
    except (ValueError, TypeError, OverflowError):
        return None
    if not pd.api.types.is_datetime64_dtype(converted.dtype):
        return None
    if (converted.isna().to_numpy() != s.isna().to_numpy()).any():
        return None
    return converted.to_numpy().astype("datetime64[D]")


def _coerce_date(s: pd.Series) -> tuple[pd.Series, Bad]:
    kind = _kind(s)
    n = len(s)
    bad_pos: list[int] = []
    ambiguous: set[int] = set()
    if kind == "datetime64":
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        days = s.to_numpy().astype("datetime64[D]")  # native unit: datetime64[s] may hold 9999-12-31
    elif kind in ("numeric", "floating", "integer", "mixed-integer-float", "empty"):
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        wrong = ~np.isnan(x) & ((x < SERIAL_MIN) | (x > SERIAL_MAX))
        days = serials_to_datetime64(np.where(wrong, np.nan, x))
        bad_pos = list(np.flatnonzero(wrong))
    elif kind in ("datetime", "date") and (fast := _datetime_objects(s)) is not None:
        days = fast
    else:
        values = s.to_numpy(dtype=object)
        days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        todo = np.ones(n, dtype=bool)
        if kind == "string":
            # ISO text is the common case from CSV-like sources: one vectorised pass, the rest one by one.
            iso = pd.to_datetime(pd.Series(values, dtype=object).str.strip(), format="%Y-%m-%d", errors="coerce")
            hit = iso.notna().to_numpy()
            days[hit] = iso.to_numpy(dtype="datetime64[ns]")[hit].astype("datetime64[D]")
            todo = ~hit
        for i in np.flatnonzero(todo):
            v = values[i]
            if _is_blank_scalar(v):
                continue
            try:
                d = date_value(v)
            except AmbiguousDate:
                ambiguous.add(int(i))
                bad_pos.append(int(i))
                continue
            except (DateError, ValueError, OverflowError):
                bad_pos.append(int(i))
                continue
            if d is not None:
                days[i] = np.datetime64(d, "D")
    ns, out_of_range = _to_ns(days)
    bad_pos = sorted(set(bad_pos) | {int(i) for i in np.flatnonzero(out_of_range)})
    return pd.Series(ns), [(i, s.iat[i], "ambiguous_date") if i in ambiguous else (i, s.iat[i]) for i in bad_pos]


def _choice_map(s: pd.Series, convert: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray]:
    """Convert each distinct value once (enum columns repeat a handful of values): (values, codes)."""
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    converted = np.array([convert(u) for u in uniques] + [None], dtype=object)
    return converted[codes], codes


_MISSING = object()


def _coerce_enum(s: pd.Series, column: Column) -> tuple[pd.Series, Bad]:
    def convert(v: Any) -> Any:
        if _is_blank_scalar(v):
            return None
        hit = column.canonical(text_value(v))
        return _MISSING if hit is None else hit

    values, _ = _choice_map(s, convert)
    wrong = np.fromiter((v is _MISSING for v in values), dtype=bool, count=len(values))
    bad = [(int(i), s.iat[i]) for i in np.flatnonzero(wrong)]
    values[wrong] = None
    return pd.Series(values, dtype=object), bad


def _yes_no(column: Column, v: Any) -> Any:
    try:
        return yes_no(v)  # one table of spellings for every yes/no column (engine.cellvalues)
    except CellValueError:
        return _MISSING


def _coerce_bool(s: pd.Series, column: Column) -> tuple[pd.Series, Bad]:
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(s.fillna(False).to_numpy(dtype=bool)), []
    values, _ = _choice_map(s, lambda v: _yes_no(column, v))
    values[np.equal(values, None)] = False  # the NA sentinel slot: blank is "no"
    wrong = np.fromiter((v is _MISSING for v in values), dtype=bool, count=len(values))
    bad = [(int(i), s.iat[i]) for i in np.flatnonzero(wrong)]
    values[wrong] = False
    return pd.Series(values.astype(bool)), bad


def normalise_currency(v: Any) -> Any:
    """A currency cell -> 'USD', None for blank, or the module's _MISSING marker when it is not a code."""
    text = text_value(v)
    if text is None:
        return None
    t = unicodedata.normalize("NFKC", text).strip()
    t = CURRENCY_ALIASES.get(t, CURRENCY_ALIASES.get(t.upper(), t.upper()))
    return t if _CURRENCY.match(t) else _MISSING


def _coerce_currency(s: pd.Series) -> tuple[pd.Series, Bad]:
    values, _ = _choice_map(s, normalise_currency)
    wrong = np.fromiter((v is _MISSING for v in values), dtype=bool, count=len(values))
    bad = [(int(i), s.iat[i]) for i in np.flatnonzero(wrong)]
    values[wrong] = None
    return pd.Series(values, dtype=object), bad


_TEXT_TYPES = frozenset({"text", "email", "phone"})  # the types `_coerce_text` reads (see `_coerce_column`)
_TYPE_CODE = {"money": "bad_amount", "int": "bad_int", "date": "bad_date", "enum": "bad_choice", "bool": "bad_choice",
              "currency": "bad_currency", "float": "bad_number", "pct": "bad_number"}


def _coerce_column(s: pd.Series, column: Column) -> tuple[pd.Series, Bad]:
    t = column.type
    if t == "money":
        return _coerce_money(s, column)
    if t == "int":
        return _coerce_int(s)
    if t == "date":
        return _coerce_date(s)
    if t == "bool":
        return _coerce_bool(s, column)
    if t == "enum":
        return _coerce_enum(s, column)
    if t == "currency":
        return _coerce_currency(s)
    if t in ("float", "pct"):
        return _coerce_float(s, t == "pct")
    return _coerce_text(s)


def _blank_column(column: Column, n: int) -> pd.Series:
    t = column.type
    if t in ("money", "int"):
        return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
    if t == "date":
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    if t == "bool":
        return pd.Series(np.zeros(n, dtype=bool))
    if t in ("float", "pct"):
        return pd.Series(np.full(n, np.nan))
    return pd.Series([None] * n, dtype=object)


def _allowed(column: Column, lang: Lang) -> str:
    if not column.choices:
        return "Yes / No" if lang == "en" else "是 / 否"
    return " / ".join(c.label(lang) for c in column.choices)


def row_key_strings(values: pd.Series) -> list[str]:
    """The identifying value of each row as text for messages ('' when blank)."""
    return [text_value(v) or "" for v in values.astype(object).to_numpy(dtype=object)]


def empty_frame(table: Table) -> pd.DataFrame:
    """A typed frame with no rows: every input column of `table` plus `_row`."""
    cols = {c.key: _blank_column(c, 0) for c in table.input_columns}
    cols["_row"] = pd.Series(np.zeros(0, dtype=np.int64))
    return pd.DataFrame(cols)


# ---------------------------------------------------------------- the public entry points


def coerce_table(raw: RawTable, settings: Any | None = None,
                 blanks: dict[str, np.ndarray] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """A RawTable -> (typed frame, problems). See the module docstring for the types. Never raises on cell data.

    `blanks`: when given, filled with the `blank_mask` of each raw input column (by key, over all raw rows), so the
    rule checks that need them again do not test every cell a second time."""
    table = raw.table
    lang = _language(raw, settings)
    src = raw.frame.reset_index(drop=True)
    inputs = table.input_columns
    present = [c for c in inputs if c.key in src.columns]
    problems: list[Problem] = []

    for c in inputs:
        if c.key not in src.columns and c.required:
            problems.append(Problem("error", raw.sheet, raw.cell(None, -1), c.label(lang), "", "missing_column",
                                    _message("missing_column", lang, column=c.label(lang))))

    # Text columns of plain strings are stripped once over all raw rows: their blanks are the cells that come out
    # None, and the kept rows' typed values are taken from the same pass (no second pass over the cells).
    texts: dict[str, np.ndarray] = {}
    if present:
        filled = np.zeros(len(src), dtype=bool)
        # Required columns first: once every row has a value somewhere, the other columns cannot change which rows
        # are kept, and testing each of their cells for blanks is skipped.
        for c in sorted(present, key=lambda c: not c.required):
            plain = _plain_text(src[c.key]) if c.type in _TEXT_TYPES else None
            if plain is not None:
                texts[c.key] = plain
            blank = np.equal(plain, None) if plain is not None else blank_mask(src[c.key])
            if blanks is not None:
                blanks[c.key] = blank
            filled |= ~blank
            if filled.all():
                break
        rows = np.flatnonzero(filled)
    else:
        rows = np.zeros(0, dtype=np.int64)
    every_row = len(rows) == len(src)
    kept = src if every_row else src.iloc[rows].reset_index(drop=True)
    n = len(kept)

    typed: dict[str, pd.Series] = {}
    bad_cells: dict[str, Bad] = {}
    for c in inputs:
        if c.key in texts:
            typed[c.key] = pd.Series(texts[c.key] if every_row else texts[c.key][rows], dtype=object)
        elif c.key in kept.columns:
            values, bad = _coerce_column(kept[c.key], c)
            typed[c.key] = values.reset_index(drop=True)
            if bad:
                bad_cells[c.key] = bad
            if every_row and blanks is not None and c.type in _TEXT_TYPES and c.key not in blanks \
                    and _kind(kept[c.key]) in ("string", "empty"):
                blanks[c.key] = typed[c.key].isna().to_numpy()  # plain text: blank exactly where it came out None
        else:
            typed[c.key] = _blank_column(c, n)

    row_keys = row_key_strings(typed[table.row_key]) if table.row_key and bad_cells else [""] * n
    for c in inputs:
        for pos, value, *reason in bad_cells.get(c.key, ()):
            label = c.label(lang)
            code = reason[0] if reason else _TYPE_CODE.get(c.type, "bad_value")
            extra = {"allowed": _allowed(c, lang)} if c.type in ("enum", "bool") else {}
            problems.append(Problem(
                "error", raw.sheet, raw.cell(c.key, int(rows[pos])), label, row_keys[pos], code,
                _message(code, lang, column=label, value=_show(value), **extra)))
    problems.sort(key=problem_sort_key)

    out = pd.DataFrame(typed)
    out["_row"] = rows.astype(np.int64)
    known = set(table.keys)
    for extra_col in src.columns:
        if extra_col not in known and extra_col != "_row":
            out[extra_col] = kept[extra_col].to_numpy()
    return out, problems


def _terms_by_customer(customers: pd.DataFrame | None) -> pd.Series:
    if customers is None or len(customers) == 0 or "payment_terms_days" not in customers.columns:
        return pd.Series(dtype="Int64")
    s = pd.Series(customers["payment_terms_days"].to_numpy(), index=customers["customer_id"].to_numpy())
    return s[~s.index.duplicated(keep="first") & s.index.notna()]


def _currency_by_customer(customers: pd.DataFrame | None) -> pd.Series:
    if customers is None or len(customers) == 0 or "currency" not in customers.columns:
        return pd.Series(dtype=object)
    s = pd.Series(customers["currency"].to_numpy(dtype=object), index=customers["customer_id"].to_numpy())
    return s[~s.index.duplicated(keep="first") & s.index.notna()]


def apply_defaults(frames: dict[str, pd.DataFrame], settings: Any) -> dict[str, pd.DataFrame]:
    """Fill the blanks SPEC §3.1 gives a meaning to. Returns new frames; the given ones are not changed.

    customers: currency → base currency, status → Active, payment_terms_days → default_terms_days;
    invoices: doc_type → Invoice, due_date → invoice_date + the customer's terms (else the default),
    currency → the customer's currency (else base); payments: currency → the customer's or base;
    payment_plans: frequency → Monthly.
    """
    out = dict(frames)
    base = settings.base_currency
    default_terms = int(settings.default_terms_days)
    customers = frames.get("customers")
    if customers is not None:
        cus = customers.copy()
        if "currency" in cus.columns:
            cus["currency"] = cus["currency"].astype(object).where(cus["currency"].notna(), base)
        if "status" in cus.columns:
            cus["status"] = cus["status"].astype(object).where(cus["status"].notna(), "Active")
        if "payment_terms_days" in cus.columns:
            cus["payment_terms_days"] = cus["payment_terms_days"].astype("Int64").fillna(default_terms)
        out["customers"] = customers = cus
    currency_of = _currency_by_customer(customers)
    terms_of = _terms_by_customer(customers)

    invoices = frames.get("invoices")
    if invoices is not None:
        inv = invoices.copy()
        if "doc_type" in inv.columns:
            inv["doc_type"] = inv["doc_type"].astype(object).where(inv["doc_type"].notna(), "Invoice")
        if {"due_date", "invoice_date", "customer_id"} <= set(inv.columns):
            terms = inv["customer_id"].map(terms_of).astype("Float64").fillna(float(default_terms))
            computed = inv["invoice_date"] + pd.to_timedelta(terms.to_numpy(dtype=np.float64), unit="D")
            inv["due_date"] = inv["due_date"].fillna(computed).astype("datetime64[ns]")
        if "currency" in inv.columns:
            inv["currency"] = _fill_currency(inv, currency_of, base)
        out["invoices"] = inv

    payments = frames.get("payments")
    if payments is not None and "currency" in payments.columns:
        pay = payments.copy()
        pay["currency"] = _fill_currency(pay, currency_of, base)
        out["payments"] = pay

    plans = frames.get("payment_plans")
    if plans is not None and "frequency" in plans.columns:
        pp = plans.copy()
        pp["frequency"] = pp["frequency"].astype(object).where(pp["frequency"].notna(), "Monthly")
        out["payment_plans"] = pp
    return out


def _fill_currency(df: pd.DataFrame, currency_of: pd.Series, base: str) -> pd.Series:
    cur = df["currency"].astype(object)
    if "customer_id" in df.columns and len(currency_of):
        cur = cur.where(cur.notna(), df["customer_id"].map(currency_of).astype(object))
    return cur.where(cur.notna(), base).astype(object)


# ---------------------------------------------------------------- reporting

_CELL = re.compile(r"^(?:'(?:[^']|'')*'|[^!]*)!([A-Z]+)(\d+)$")
_SHEET_ORDER = {name: i for i, name in enumerate(
    n for t in TABLES.values() if t.kind != "generated" for n in (t.sheet_en, t.sheet_zh))}


def _cell_sort_key(cell: str) -> tuple[int, int]:
    m = _CELL.match(cell or "")
    if not m:
        return (0, 0)
    letters, row = m.groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return (int(row), col)


def problem_sort_key(p: Problem) -> tuple:
    """Errors first, then input-sheet order, row, column, code: the same problems always list the same way."""
    return (0 if p.severity == "error" else 1, _SHEET_ORDER.get(p.sheet, len(_SHEET_ORDER)), p.sheet,
            *_cell_sort_key(p.cell), p.code, p.column, p.message)


def problems_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """Problems as tblValidation rows (keys as columns), sorted deterministically."""
    keys = [c.key for c in VALIDATION.columns]
    ordered = sorted(problems, key=problem_sort_key)
    return pd.DataFrame({k: pd.Series([getattr(p, k) for p in ordered], dtype=object) for k in keys})


def raw_table_from_frame(table: Table | str, frame: pd.DataFrame, lang: Lang = "en", sheet: str | None = None,
                         header_row: int = 1, first_col: int = 1) -> RawTable:
    """A frame with key-named columns as if read from a worksheet (tests, demo data, CSV-like sources).

    Columns keep their order; schema keys get positions, other columns are the user's own.
    """
    t = TABLES[table] if isinstance(table, str) else table
    known = set(t.keys)
    positions = {col: i for i, col in enumerate(frame.columns) if col in known}
    extra = [str(col) for col in frame.columns if col not in known]
    return RawTable(t, frame.astype(object).reset_index(drop=True), sheet or t.sheet(lang), header_row=header_row,
                    first_col=first_col, positions=positions, language=lang, extra_columns=extra)

