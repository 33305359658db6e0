"""One interface for moving tables between a workbook and the engine, file (openpyxl) or live (xlwings).

Finding a table, matching its headers, building the `RawTable` and reading Config are the same in both modes, so
they live here, over a handful of primitives each adapter implements (sheet names, ListObjects, one 2-D block
read per table). Writes are staged: `replace_sheet`/`append_rows` record what to write and `commit` applies it,
so a run that fails half-way leaves the workbook as it was (SPEC §8).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from xlfin.engine.money import MoneyError, to_decimal
from ..schema import (
    ALL_TABLES,
    CONFIG,
    CONFIG_TABLES,
    DASHBOARD_SHEET,
    DUNNING_LEVELS,
    GENERATED_TABLES,
    INPUT_TABLES,
    START_SHEET,
    HeaderMatch,
    Lang,
    Table,
    match_headers,
)
from xlfin.schema.settings import DEFAULT_DUNNING_LEVELS, ConfigProblem, DunningLevel, Settings, settings_from_rows
from xlfin.schema.tables import RawTable, WorkbookError, column_letter, to_cells

HEADER_SCAN_ROWS = 50  # a header row further down than this is not looked for
HEADER_SCAN_COLS = 200

Cells = list[list[object]]


@dataclass(frozen=True)
class ListObjectInfo:
    """An Excel Table (ListObject) as an adapter sees it: name and 1-based bounds, header row included."""

    name: str
    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    header_rows: int = 1
    totals_rows: int = 0


@dataclass
class Location:
    """Where a table's header row is and how far its data may extend."""

    sheet: str
    header_row: int
    first_col: int
    last_col: int
    last_row: int | None  # None: a header-only table, extent found by reading down
    list_object: str | None = None
    totals_rows: int = 0


@dataclass
class StagedReplace:
    sheet_en: str
    blocks: list[tuple[Table, Cells]]
    lang: Lang


@dataclass
class StagedAppend:
    table: Table
    rows: Cells
    lang: Lang


@dataclass
class _Candidate:
    location: Location
    match: HeaderMatch
    headers: list[object]
    score: int
    on_own_sheet: bool
    list_object: bool = field(default=False)


# ---------------------------------------------------------------- sheet names and order

def sheet_labels(sheet_en: str) -> dict[Lang, str]:
    """en and zh-CN names of a known sheet; an unknown sheet keeps its name in both."""
    for t in ALL_TABLES:
        if t.sheet_en == sheet_en:
            return {"en": t.sheet_en, "zh-CN": t.sheet_zh}
    for labels in (DASHBOARD_SHEET, START_SHEET):
        if labels["en"] == sheet_en:
            return dict(labels)  # type: ignore[return-value]
    return {"en": sheet_en, "zh-CN": sheet_en}


def _canonical_order() -> list[str]:
    order = [START_SHEET["en"]]
    for t in INPUT_TABLES + CONFIG_TABLES + GENERATED_TABLES:
        if t.sheet_en == "Audit":
            order.append(DASHBOARD_SHEET["en"])
        if t.sheet_en not in order:
            order.append(t.sheet_en)
    return order


SHEET_ORDER = _canonical_order()


def sheet_rank(name: str) -> int | None:
    """Position of a known sheet (either language) in the workbook's canonical order; None for a user's sheet."""
    for i, en in enumerate(SHEET_ORDER):
        if name in sheet_labels(en).values():
            return i
    return None


def insert_position(existing: Sequence[str], sheet_en: str) -> int:
    """0-based index for a new generated sheet: after the last known sheet that comes before it."""
    rank = sheet_rank(sheet_en)
    pos = len(existing)
    if rank is None:
        return pos
    last_before = -1
    for i, name in enumerate(existing):
        r = sheet_rank(name)
        if r is not None and r < rank:
            last_before = i
    return last_before + 1 if last_before >= 0 else pos


def stacked_layout(row_counts: Sequence[int], top: int = 1) -> list[int]:
    """Header rows of tables stacked on one sheet with a blank row between (an empty table keeps one blank row)."""
    tops = []
    for n in row_counts:
        tops.append(top)
        top += 1 + max(n, 1) + 1
    return tops


# ---------------------------------------------------------------- cell helpers

def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_address(address: str) -> tuple[str, int, int] | None:
    """`Invoices!D17` / `'应收发票'!D17` -> (sheet, row, col); None when it is not a single-cell address."""
    m = re.fullmatch(r"\s*(?:'((?:[^']|'')+)'|([^!']+))!\$?([A-Za-z]{1,3})\$?(\d+)\s*", str(address))
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") if m.group(1) else m.group(2)
    col = 0
    for ch in m.group(3).upper():
        col = col * 26 + (ord(ch) - 64)
    return sheet, int(m.group(4)), col


def _label_list(keys: Iterable[str], table: Table) -> str:
    return ", ".join(f"'{table.column(k).en}' ({table.column(k).zh})" for k in keys)


def _header_text(headers: Sequence[object]) -> str:
    shown = [str(h).strip() for h in headers if not is_blank(h)]
    return ", ".join(shown) if shown else "(none)"


# ---------------------------------------------------------------- the interface


class Workbook(ABC):
    """A workbook the engine reads tables from and writes generated sheets to.

    Reads see the workbook as it was opened; writes are staged until `commit`.
    """

    def __init__(self) -> None:
        self._staged: list[StagedReplace | StagedAppend] = []
        self._block_cache: dict[str, Cells] = {}
        self._config_cache: tuple[Settings, list[ConfigProblem], tuple[DunningLevel, ...]] | None = None

    # ------------------------------------------------ primitives each adapter provides

    @property
    @abstractmethod
    def name(self) -> str:
        """The workbook's file name, for messages and the audit log."""

    @abstractmethod
    def _sheet_names(self) -> list[str]: ...

    @abstractmethod
    def _list_objects(self) -> list[ListObjectInfo]: ...

    @abstractmethod
    def _extent(self, sheet: str) -> tuple[int, int]:
        """(last used row, last used column), 1-based; (0, 0) for an empty sheet."""

    @abstractmethod
    def _read_block(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> Cells:
        """Values of a rectangle in ONE call, as rows; formula cells give their last computed value."""

    def _read_grid(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> np.ndarray:
        """The same rectangle as a (rows, columns) object array; an adapter that holds cells in arrays skips the
        lists."""
        return _grid(self._read_block(sheet, first_row, first_col, last_row, last_col), last_col - first_col + 1)

    @abstractmethod
    def _merged_in(self, sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str | None:
        """A description of merged cells inside the rectangle (e.g. 'D5:E5'), or None."""

    @abstractmethod
    def _apply_replace(self, op: StagedReplace) -> None: ...

    @abstractmethod
    def _apply_append(self, op: StagedAppend) -> None: ...

    # ------------------------------------------------ language

    def language(self) -> Lang:
        """Config `language`, else the language of the sheet names, else English."""
        value = self._config_value("language")
        if isinstance(value, str) and value.strip() in ("en", "zh-CN"):
            return value.strip()  # type: ignore[return-value]
        return self._sheet_language() or "en"

    def _sheet_language(self) -> Lang | None:
        en = zh = 0
        for name in self._sheet_names():
            for sheet_en in SHEET_ORDER:
                labels = sheet_labels(sheet_en)
                if labels["en"] == labels["zh-CN"]:
                    continue
                en += name == labels["en"]
                zh += name == labels["zh-CN"]
        if zh > en:
            return "zh-CN"
        return "en" if en else None

    # ------------------------------------------------ finding tables

    def _top_rows(self, sheet: str) -> Cells:
        """The first rows of a sheet, read once, where header rows are looked for."""
        if sheet not in self._block_cache:
            last_row, last_col = self._extent(sheet)
            if last_row == 0 or last_col == 0:
                self._block_cache[sheet] = []
            else:
                self._block_cache[sheet] = self._read_block(sheet, 1, 1, min(last_row, HEADER_SCAN_ROWS),
                                                            min(last_col, HEADER_SCAN_COLS))
        return self._block_cache[sheet]

    def _list_object(self, name: str) -> ListObjectInfo | None:
        for lo in self._list_objects():
            if lo.name.lower() == name.lower():
                return lo
        return None

    def _candidates(self, table: Table) -> list[_Candidate]:
        """Every header row on any sheet that names at least one of the table's columns, best first."""
        own = {table.sheet_en, table.sheet_zh}
        # An input table is never looked for on a generated sheet (a zh Scorecard also has 客户编号 and 客户名称).
        skip = set() if table.kind == "generated" else {n for t in GENERATED_TABLES for n in (t.sheet_en, t.sheet_zh)}
        others = {t.name.lower() for t in ALL_TABLES if t.name.lower() != table.name.lower()}
        by_header = {(lo.sheet, lo.first_row, lo.first_col): lo for lo in self._list_objects() if lo.header_rows}
        found: list[_Candidate] = []
        for sheet in self._sheet_names():
            if sheet in skip and sheet not in own:
                continue
            for r, row in enumerate(self._top_rows(sheet), start=1):
                match = match_headers(row, table)
                score = len(match.positions)
                if score == 0 or (score < 2 and sheet not in own):
                    continue
                cols = sorted(match.positions.values())
                first, last = cols[0], cols[-1]
                while first > 0 and not is_blank(row[first - 1]):
                    first -= 1
                while last + 1 < len(row) and not is_blank(row[last + 1]):
                    last += 1
                lo = next((lo for (s, hr, fc), lo in by_header.items()
                           if s == sheet and hr == r and fc <= first + 1 <= lo.last_col), None)
                if lo is not None and lo.name.lower() in others:
                    continue  # another schema table's ListObject, not a renamed copy of this one
                if lo is not None:
                    loc = Location(sheet, r, lo.first_col, lo.last_col, lo.last_row - lo.totals_rows, lo.name,
                                   lo.totals_rows)
                    headers = row[lo.first_col - 1:lo.last_col]
                else:
                    loc = Location(sheet, r, first + 1, last + 1, None)
                    headers = row[first:last + 1]
                found.append(_Candidate(loc, match_headers(headers, table), list(headers), score, sheet in own,
                                        lo is not None))
        found.sort(key=lambda c: (not c.match.ok, -c.score, not c.on_own_sheet, not c.list_object))
        return found

    def _locate(self, table: Table) -> tuple[Location, HeaderMatch, list[object]]:
        lo = self._list_object(table.name)
        if lo is not None:
            if not lo.header_rows:
                raise WorkbookError(f"{lo.sheet}: table {lo.name} has no header row; turn on its header row")
            headers = self._read_block(lo.sheet, lo.first_row, lo.first_col, lo.first_row, lo.last_col)[0]
            loc = Location(lo.sheet, lo.first_row, lo.first_col, lo.last_col, lo.last_row - lo.totals_rows, lo.name,
                           lo.totals_rows)
            return loc, match_headers(headers, table), list(headers)
        # a partial header elsewhere (Invoices also has Customer ID and Amount) is not this table
        candidates = [c for c in self._candidates(table) if c.match.ok or c.on_own_sheet]
        if not candidates:
            raise WorkbookError(
                f"{table.sheet_en}: table {table.name} not found (no Excel table of that name and no header row "
                f"with its columns on any sheet; expected headers such as {_header_text(table.headers('en')[:4])})")
        best = candidates[0]
        return best.location, best.match, best.headers

    def has_table(self, table: Table) -> bool:
        """True when the table is there: a ListObject of its name, its full header row, or a header row on its own
        sheet (then reading it reports what is wrong rather than silently skipping it)."""
        if self._list_object(table.name) is not None:
            return True
        return any(c.match.ok or c.on_own_sheet for c in self._candidates(table))

    # ------------------------------------------------ reading

    def read_table(self, table: Table) -> RawTable:
        loc, match, headers = self._locate(table)
        where = loc.list_object or loc.sheet
        if match.missing_required:
            missing = match.missing_required
            noun = "column" if len(missing) == 1 else "columns"
            raise WorkbookError(f"{where}: {noun} {_label_list(missing, table)} not found; headers are: "
                                f"{_header_text(headers)}")
        if match.duplicates:
            dup = ", ".join(f"'{h}' in column {column_letter(loc.first_col + i)}" for i, h in match.duplicates)
            raise WorkbookError(f"{where}: the same column appears twice ({dup}); keep one")
        last_row = loc.last_row
        if last_row is None:
            last_row = self._extent(loc.sheet)[0]
        width = loc.last_col - loc.first_col + 1
        if last_row > loc.header_row:
            data = self._read_grid(loc.sheet, loc.header_row, loc.first_col, last_row, loc.last_col)[1:]
        else:
            data = _grid([], width)
        if loc.last_row is None:
            data = _grid(self._cut_at_next_table(data.tolist(), table), width)
        n = len(data)
        while n and all(is_blank(v) for v in data[n - 1]):
            n -= 1
        data = data[:n]
        merged = self._merged_in(loc.sheet, loc.header_row, loc.first_col, loc.header_row + max(len(data), 0),
                                 loc.last_col)
        if merged:
            raise WorkbookError(f"{where}: merged cells {merged} inside the table ({loc.sheet}!"
                                f"{column_letter(loc.first_col)}{loc.header_row}:{column_letter(loc.last_col)}"
                                f"{loc.header_row + len(data)}); unmerge them")
        frame, extra = _frame(data, match)
        return RawTable(table=table, frame=frame, sheet=loc.sheet, header_row=loc.header_row,
                        first_col=loc.first_col, positions=dict(match.positions), language=match.language,
                        extra_columns=extra)

    def _cut_at_next_table(self, data: Cells, table: Table) -> Cells:
        """A header-only table ends where another table's header row starts (e.g. Config holds two tables)."""
        others = [t for t in ALL_TABLES if t is not table and t.name != table.name]
        for i, row in enumerate(data):
            if all(is_blank(v) for v in row) or not any(isinstance(v, str) for v in row):
                continue
            for other in others:
                m = match_headers(row, other)
                if m.ok and len(m.positions) >= 2 and len(m.positions) > len(match_headers(row, table).positions):
                    return data[:i]
        return data

    def _config_rows(self) -> RawTable | None:
        return self.read_table(CONFIG) if self.has_table(CONFIG) else None

    def _config_value(self, key: str) -> object:
        raw = self._config_rows()
        if raw is None or raw.frame.empty:
            return None
        for k, v in zip(raw.frame["key"].tolist(), raw.frame.get("value", pd.Series([None] * len(raw))).tolist()):
            if isinstance(k, str) and k.strip() == key:
                return v
        return None

    def read_config(self) -> tuple[Settings, list[ConfigProblem], tuple[DunningLevel, ...]]:
        """tblConfig and tblDunningLevels, parsed; defaults where a table or a value is absent or bad."""
        if self._config_cache is not None:
            return self._config_cache
        fallback = self._sheet_language() or "en"
        raw = self._config_rows()
        if raw is None:
            rows: list[tuple[Any, Any]] = []
        else:
            values = raw.frame["value"].tolist() if "value" in raw.frame else [None] * len(raw)
            rows = list(zip(raw.frame["key"].tolist(), values))
        settings, problems = settings_from_rows(rows, fallback)
        levels, level_problems = self._dunning_levels(settings.language)
        self._config_cache = (settings, problems + level_problems, levels)
        return self._config_cache

    def _dunning_levels(self, lang: Lang) -> tuple[tuple[DunningLevel, ...], list[ConfigProblem]]:
        if not self.has_table(DUNNING_LEVELS):
            return DEFAULT_DUNNING_LEVELS[lang], []
        raw = self.read_table(DUNNING_LEVELS)
        levels: list[DunningLevel] = []
        problems: list[ConfigProblem] = []
        records = raw.frame.to_dict("records")
        for i, rec in enumerate(records):
            if all(is_blank(v) for v in rec.values()):
                continue
            try:
                fee = rec.get("fee")
                levels.append(DunningLevel(
                    level=_whole(rec.get("level"), "level"), from_days=_whole(rec.get("from_days"), "from_days"),
                    action="" if is_blank(rec.get("action")) else str(rec.get("action")).strip(),
                    template="" if is_blank(rec.get("template")) else str(rec.get("template")).strip(),
                    fee=Decimal(0) if is_blank(fee) else to_decimal(fee)))
            except (ValueError, MoneyError) as exc:  # pydantic's ValidationError is a ValueError
                msg = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
                problems.append(ConfigProblem("dunning_levels", i, f"{raw.cell('level', i)}: {msg}"))
        if not levels:
            problems.append(ConfigProblem("dunning_levels", None,
                                          "tblDunningLevels has no usable level; the default levels are used"))
            return DEFAULT_DUNNING_LEVELS[lang], problems
        levels.sort(key=lambda lv: lv.level)
        return tuple(levels), problems

    # ------------------------------------------------ staged writes

    def replace_sheet(self, sheet_en_name: str, tables: list[tuple[Table, pd.DataFrame]], lang: Lang) -> None:
        """Stage a generated sheet: the tables stacked with a blank row between, in the workbook's language."""
        blocks = [(table, self._cells_of(df, table)) for table, df in tables]
        self._staged.append(StagedReplace(sheet_en_name, blocks, lang))

    def _cells_of(self, df: pd.DataFrame, table: Table) -> Cells:
        """A generated table's cells as this adapter stages them: rows of plain values (`to_cells`); an adapter
        that writes a column at a time may keep the converted columns instead (a `CellColumns` stands for rows)."""
        return to_cells(df, table)

    def append_rows(self, table: Table, df: pd.DataFrame, lang: Lang) -> None:
        """Stage rows to add below a log table's existing rows (Dunning Log, Audit)."""
        rows = to_cells(df, table)
        for op in self._staged:
            if isinstance(op, StagedAppend) and op.table.name == table.name:
                op.rows.extend(rows)
                return
        self._staged.append(StagedAppend(table, rows, lang))

    def mark_problems(self, problems: Iterable[object]) -> None:  # noqa: B027 - a deliberate no-op default
        """Point at offending cells in the workbook itself; only the live adapter can show this."""

    def _apply_staged(self) -> None:
        for op in self._staged:
            if isinstance(op, StagedReplace):
                self._apply_replace(op)
            else:
                self._apply_append(op)
        self._staged.clear()

    @abstractmethod
    def sheet_for_charts(self, sheet_en_name: str, lang: Lang) -> Any: ...

    @abstractmethod
    def commit(self, output: Path | None = None) -> Path | None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _whole(value: object, what: str) -> int:
    try:
        f = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what}: expected a whole number, got {value!r}") from None
    if f != int(f):
        raise ValueError(f"{what}: expected a whole number, got {value!r}")
    return int(f)


def _grid(rows: Sequence[Sequence[object]], width: int) -> np.ndarray:
    """Rows of cell values -> a (rows, width) object array, short rows padded with None."""
    out = np.full((len(rows), width), None, dtype=object)
    for i, row in enumerate(rows):
        values = list(row[:width])
        if values:
            out[i, :len(values)] = values
    return out


def _frame(data: np.ndarray, match: HeaderMatch) -> tuple[pd.DataFrame, list[str]]:
    """Schema columns (by key, in schema order) then the user's own columns under their header text."""
    n = len(data)
    columns: dict[str, int] = {}
    for col in match.table.columns:
        if col.key in match.positions:
            columns[col.key] = match.positions[col.key]
    extra: list[str] = []
    for j, text in match.unknown:
        label = str(text).strip()
        while label in columns:
            label += " (2)"
        columns[label] = j
        extra.append(label)
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(n)), extra
    # The columns taken in one copy, laid out as pandas keeps an object block (a row per column), and handed over
    # without another: a Series per column and the frame's consolidation copied every cell twice (2.8 s at Excel's
    # row limit). The same frame: one object block, the same labels and values.
    block = np.empty((len(columns), n), dtype=object)
    for i, j in enumerate(columns.values()):
        block[i] = data[:, j]  # a strided copy per column: faster than numpy's gather across them
    frame = pd.DataFrame(block.T, columns=list(columns), index=pd.RangeIndex(n), dtype=object, copy=False)
    return frame, extra


def problem_cells(problems: Iterable[object]) -> list[tuple[str, int, int, str, str]]:
    """(sheet, row, col, message, severity) of every problem that names one cell, in order, de-duplicated."""
    out: list[tuple[str, int, int, str, str]] = []
    seen: dict[tuple[str, int, int], int] = {}
    for p in problems:
        get = p.get if isinstance(p, dict) else (lambda k, _p=p: getattr(_p, k, None))
        cell = get("cell")
        if not cell:
            continue
        parsed = parse_address(str(cell))
        if parsed is None:
            continue
        message = str(get("message") or "")
        severity = str(get("severity") or "error")
        if parsed in seen:
            i = seen[parsed]
            s, r, c, m, sev = out[i]
            out[i] = (s, r, c, f"{m}\n{message}", "error" if "error" in (sev, severity) else sev)
            continue
        seen[parsed] = len(out)
        out.append((*parsed, message, severity))
    return out
