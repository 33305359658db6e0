"""Dunning (SPEC §4): who to chase, at which level, for how much. Pure logic over frames; letters are in
:mod:`xlfin.outreach.letters`.

Rules and the decisions behind them:

- **One consolidated notice per customer and run**, listing every overdue undisputed invoice (outstanding > 0 and at
  least one day past due: an invoice due on the as-of day is not yet overdue, as in ageing).
- **Level** = the highest level of ``tblDunningLevels`` whose ``from_days`` the customer's *oldest* item on the notice
  reaches, capped at one step above the last level in the Dunning Log for that customer within the 60 days before
  as_of. With no log entry in that window the cap is the first level: a customer is never sent a final notice without
  having had the earlier ones. "Last" is the newest log date (the highest level on that date). Log entries dated on
  the as-of day itself do not count: they are this day's own run, so re-running the list or the letters on the same
  day gives the same levels instead of escalating once per click. Steps follow the ladder, so levels 1, 2, 5 step
  1 → 2 → 5.
- **Excluded customers** (``excluded``, one reason code each, the first that applies in this order):
  ``unknown_customer`` (items of a customer not in tblCustomers), ``closed``, ``dunning_hold``, ``payment_left_out``
  (a payment of the customer was left out by validation — a duplicate Payment ID, an unreadable amount — so its
  balance may be overstated and a notice could chase money already received; fix the row first), ``disputed`` (every
  overdue item is disputed), ``payment_plan`` (every undisputed overdue item is covered by a plan the customer keeps
  to; see :mod:`xlfin.engine.payment_plans`), ``mixed_currency`` (the items on the notice are in more than one currency: a
  notice cannot add them up), ``below_first_level`` (the oldest item has not reached the first level's days),
  ``below_min_amount`` (overdue total < dunning_min_amount), ``covered_by_credit`` (unapplied payments plus open
  credit notes of the customer ≥ the overdue total). A status of ``On Hold`` is a credit hold, not a dunning hold:
  those customers are still chased.
- **Disputed items** and items of a **kept payment plan** are left off the notice; the customer is still dunned for the
  rest. Items of a **broken plan** are dunned and carry the plan_id, so the letter can say so.
- **Interest** per item = outstanding × rate ÷ 100 ÷ 365 × days overdue (actual/365 simple interest, as ERPNext),
  rounded half-up to the cent in exact integer arithmetic (100.00 overdue 15 days at 10 % → 0.41). The level's **fee**
  is charged once per notice. total_due = overdue + interest + fee.
- Ordering: level descending, overdue amount descending, customer_id; items by due date, then invoice number.
- The Dunning Log is appended by the surface only when letters are produced, with :func:`log_rows`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from xlfin.engine.aging import day_numbers
from .money import to_cents
from xlfin.engine.openitems import is_credit_note
from .payment_plans import coverage_and_status, text_ids
from xlfin.engine.cellvalues import yes_no_array
from .vocabulary import CUSTOMER_STATUS, canonical

__all__ = [
    "EXCLUDED_COLUMNS",
    "EXCLUSION_REASONS",
    "ITEM_COLUMNS",
    "LOG_COLUMNS",
    "LOG_WINDOW_DAYS",
    "NOTICE_COLUMNS",
    "DunningError",
    "DunningLevel",
    "DunningRun",
    "DunningSettings",
    "attach_letters",
    "build_dunning",
    "check_ladder",
    "interest_cents",
    "log_rows",
]

# tblDunning and tblDunningLog in table order (tests/test_engine_schema_contract.py holds them to xlfin.schema)
NOTICE_COLUMNS: tuple[str, ...] = ("customer_id", "name", "level", "invoices", "overdue_amount", "max_days_overdue",
                                   "interest", "fee", "total_due", "contact", "email", "action", "letter")
LOG_COLUMNS: tuple[str, ...] = ("date", "customer_id", "level", "invoices", "total_due", "letter")
ITEM_COLUMNS = ["customer_id", "invoice_no", "invoice_date", "due_date", "days_overdue", "outstanding", "interest",
                "currency", "plan_id"]
EXCLUDED_COLUMNS = ["customer_id", "reason"]
LOG_WINDOW_DAYS = 60

# Reason codes in the order they are tested, with their labels (en, zh-CN).
EXCLUSION_REASONS: dict[str, tuple[str, str]] = {
    "unknown_customer": ("Customer not in the Customers table", "客户表中无此客户"),
    "closed": ("Customer is closed", "客户已关闭"),
    "dunning_hold": ("Dunning hold", "已暂停催收"),
    "payment_left_out": ("A payment of this customer was left out by validation; balance unsure",
                         "该客户有收款行因数据错误未参与计算，余额待核实"),
    "disputed": ("All overdue invoices are disputed", "逾期发票均有争议"),
    "payment_plan": ("Covered by a payment plan that is kept to", "已纳入分期计划且按期履行"),
    "mixed_currency": ("Overdue invoices in more than one currency", "逾期发票币种不一致"),
    "below_first_level": ("Not yet overdue long enough for the first level", "逾期天数未达第一级催收"),
    "below_min_amount": ("Overdue total below the dunning minimum", "逾期金额低于催收起点"),
    "covered_by_credit": ("Unapplied credit covers the overdue total", "未核销贷方余额足以抵偿逾期金额"),
}

_DATE_UNIT = "datetime64[s]"
_NAT = np.iinfo(np.int64).min
_MONEY = ("overdue_amount", "interest", "fee", "total_due")


class DunningError(ValueError):
    """Input the dunning run cannot use (the message names the table, the column and why)."""


class DunningLevel(BaseModel):
    """One rung of the ladder (a tblDunningLevels row): from how many days overdue, what to do, which letter, the fee."""

    model_config = ConfigDict(frozen=True)

    level: int = Field(ge=1)
    from_days: int = Field(ge=1)
    action: str
    template: str
    fee: Decimal = Decimal("0")

    @property
    def fee_cents(self) -> int:
        return to_cents(self.fee)  # half-up, like every amount; int() would truncate 12.345 to 12.34


@runtime_checkable
class DunningSettings(Protocol):
    """The settings a run reads; :class:`xlfin.schema.settings.Settings` has them (the engine does not import it)."""

    @property
    def base_currency(self) -> str: ...

    @property
    def dunning_min_amount_cents(self) -> int: ...

    @property
    def dunning_interest_pa(self) -> float: ...


@dataclass(frozen=True, eq=False)
class DunningRun:
    notices: pd.DataFrame  # exactly tblDunning's columns
    items: pd.DataFrame  # ITEM_COLUMNS, one row per invoice on a notice
    excluded: pd.DataFrame  # customer_id, reason (a code of EXCLUSION_REASONS)
    levels: tuple[DunningLevel, ...] = field(default=())  # the ladder used, so letters find each level's template


# ---------------------------------------------------------------- inputs


def check_ladder(levels: Sequence[DunningLevel]) -> tuple[DunningLevel, ...]:
    """The ladder sorted by level, or DunningError when it cannot be used: what a run with open items checks
    (a caller that found no open item to read, but whose ledger has documents, checks it as the run would)."""
    ladder = tuple(sorted(levels, key=lambda lv: lv.level))
    if not ladder:
        raise DunningError("tblDunningLevels is empty: at least one dunning level is needed")
    numbers = [lv.level for lv in ladder]
    if len(set(numbers)) != len(numbers):
        raise DunningError(f"tblDunningLevels: level numbers must be unique, got {numbers}")
    days = [lv.from_days for lv in ladder]
    if any(b <= a for a, b in pairwise(days)):
        raise DunningError(f"tblDunningLevels: from_days must increase with the level, got {days}")
    return ladder


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DunningError(f"{what}: missing column(s) {', '.join(missing)}")


def _cents(values: pd.Series, what: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        raise DunningError(f"{what}: not an amount in row(s) {list(values.index[bad][:5])}")
    x = numbers.fillna(0).to_numpy(dtype=np.float64)
    if np.any(x != np.round(x)):
        raise DunningError(f"{what}: amounts must be integer cents (convert with xlfin.engine.money first)")
    return x.astype(np.int64)


def _dates(values: pd.Series, what: str) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        raise DunningError(f"{what}: not a date in row(s) {list(values.index[bad][:5])}")
    return parsed.dt.normalize().astype(_DATE_UNIT)


def _flags(values: pd.Series, what: str) -> np.ndarray:
    flags, bad = yes_no_array(values)  # the yes/no spellings every table shares
    if bad.any():
        raise DunningError(f"{what}: not yes/no: {values[bad].iloc[0]!r}")
    return flags


def _text(values: pd.Series) -> pd.Series:
    """Cells as stripped text, blank as ''."""
    blank = values.isna().to_numpy()
    cells = values.to_numpy(dtype=object)
    out = [v.strip() if v.__class__ is str else ("" if b else str(v).strip()) for v, b in zip(cells, blank.tolist())]
    # dtype inferred as Series.map infers it (pandas 3: the "str" dtype)
    return pd.Series(out, index=values.index, dtype=None if out else object)


def _upper_text(values: pd.Series) -> pd.Series:
    """`_text(values).str.upper()`, each distinct cell converted once: a currency column of millions of rows holds a
    handful of codes. Only for text cells (1 and 1.0 are one key to factorize but two texts)."""
    cells = values.to_numpy(dtype=object)
    if not len(cells) or pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
        return _text(values).str.upper()
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    texts = _text(pd.Series([*uniques, None], dtype=object)).str.upper()  # the last one serves blank cells
    return pd.Series(texts.array.take(np.where(codes < 0, len(uniques), codes)), index=values.index)


def _flag(values: pd.Series) -> np.ndarray:
    """A looked-up yes/no column (NaN where the lookup missed) -> bool, missing as False. Through the nullable
    boolean dtype: fillna on an object column would downcast, which pandas deprecates (FutureWarning)."""
    return values.astype("boolean").fillna(False).to_numpy(dtype=bool)


def _overdue_items(open_items: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Invoices with money owed at least one day past due, with their days overdue."""
    _require(open_items, ("invoice_no", "customer_id", "due_date", "outstanding"), "open items")
    frame = open_items.reset_index(drop=True)
    outstanding = _cents(frame["outstanding"], "open items.outstanding")
    due = _dates(frame["due_date"], "open items.due_date")
    due_days = day_numbers(due)
    days = np.where(due_days == _NAT, 0, np.datetime64(as_of, "D").astype(np.int64) - due_days)
    is_invoice = np.ones(len(frame), dtype=bool)
    if "doc_type" in frame.columns:
        is_invoice = ~is_credit_note(frame["doc_type"])
    overdue = is_invoice & (outstanding > 0) & (days >= 1)
    n = len(frame)
    invoice_date = (_dates(frame["invoice_date"], "open items.invoice_date") if "invoice_date" in frame.columns
                    else pd.Series(pd.NaT, index=frame.index, dtype=_DATE_UNIT))
    disputed = (_flags(frame["disputed"], "open items.disputed") if "disputed" in frame.columns
                else np.zeros(n, dtype=bool))
    # Every row was checked above (a bad cell raises wherever it is); the ids and currencies, read cell by cell, are
    # read only on the overdue rows (element by element, so exactly what the whole column would give there).
    rows = np.flatnonzero(overdue)
    part = frame.iloc[rows]
    items = pd.DataFrame({
        "customer_id": text_ids(part["customer_id"]),
        "invoice_no": text_ids(part["invoice_no"]),
        "invoice_date": invoice_date.iloc[rows],
        "due_date": due.iloc[rows],
        "days_overdue": days[rows].astype(np.int64),
        "outstanding": outstanding[rows],
        "disputed": disputed[rows],
        "currency": (_upper_text(part["currency"]) if "currency" in frame.columns
                     else pd.Series([""] * len(rows), index=part.index)),
    })
    return items[items["customer_id"].notna().to_numpy()].reset_index(drop=True)


def _customer_facts(customers: pd.DataFrame | None, settings: DunningSettings) -> pd.DataFrame:
    columns = ["name", "contact", "email", "closed", "hold", "currency"]
    if customers is None or len(customers) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns}, index=pd.Index([], name="customer_id"))
    _require(customers, ("customer_id",), "customers")
    frame = customers.reset_index(drop=True)
    n = len(frame)

    def text(col: str) -> pd.Series:
        return _text(frame[col]) if col in frame.columns else pd.Series([""] * n)

    status_text = text("status")
    # each distinct spelling looked up once (a book has a handful of them and thousands of customers)
    status_of = {v: (canonical(CUSTOMER_STATUS, v) if v else "Active") for v in set(status_text)}
    statuses = status_text.map(status_of.__getitem__)
    if statuses.isna().any():
        bad = sorted(set(text("status")[statuses.isna()]))[:5]
        raise DunningError(f"customers.status: expected Active, On Hold or Closed, got {bad}")
    currency = text("currency").str.upper()
    facts = pd.DataFrame({
        "customer_id": text_ids(frame["customer_id"]),
        "name": text("name"),
        "contact": text("contact"),
        "email": text("email"),
        "closed": (statuses == "Closed").to_numpy(),
        "hold": _flags(frame["dunning_hold"], "customers.dunning_hold") if "dunning_hold" in frame.columns
        else np.zeros(n, dtype=bool),
        "currency": currency.where(currency != "", settings.base_currency),
    })
    facts = facts[facts["customer_id"].notna()].drop_duplicates("customer_id", keep="first")
    return facts.set_index("customer_id")


def _credit(open_items: pd.DataFrame, unapplied: pd.DataFrame | None) -> pd.Series:
    """Cents the customer has to its good: unapplied payments plus what open credit notes still hold."""
    parts = []
    negative = open_items[_cents(open_items["outstanding"], "open items.outstanding") < 0]
    if len(negative):
        parts.append(pd.Series(-_cents(negative["outstanding"], "open items.outstanding"),
                               index=text_ids(negative["customer_id"]).to_numpy()))
    if unapplied is not None and len(unapplied):
        _require(unapplied, ("customer_id", "unapplied_amount"), "unapplied")
        parts.append(pd.Series(_cents(unapplied["unapplied_amount"], "unapplied.unapplied_amount"),
                               index=text_ids(unapplied["customer_id"]).to_numpy()))
    if not parts:
        return pd.Series(dtype=np.int64)
    credit = pd.concat(parts)
    credit = credit[credit.index.notna()]
    return credit.groupby(level=0).sum().clip(lower=0).astype(np.int64)


def _last_logged_level(log: pd.DataFrame | None, as_of: dt.date) -> pd.Series:
    """customer_id -> level of the newest notice in [as_of − 60 days, as_of) (highest level on that date)."""
    if log is None or len(log) == 0:
        return pd.Series(dtype=np.int64)
    _require(log, ("date", "customer_id", "level"), "Dunning Log")
    frame = log.reset_index(drop=True)
    dates = _dates(frame["date"], "Dunning Log.date")
    levels = pd.to_numeric(frame["level"], errors="coerce")
    bad = levels.isna() & frame["level"].notna()
    if bad.any():
        raise DunningError(f"Dunning Log.level: not a number in row(s) {list(frame.index[bad][:5])}")
    start, end = pd.Timestamp(as_of - dt.timedelta(days=LOG_WINDOW_DAYS)), pd.Timestamp(as_of)
    recent = pd.DataFrame({"customer_id": text_ids(frame["customer_id"]), "date": dates, "level": levels})
    recent = recent[(dates >= start) & (dates < end) & levels.notna() & recent["customer_id"].notna()]
    if recent.empty:
        return pd.Series(dtype=np.int64)
    recent = recent.sort_values(["customer_id", "date", "level"], kind="stable")
    return recent.groupby("customer_id")["level"].last().astype(np.int64)


def _plan_marks(plans: pd.DataFrame | None, open_items: pd.DataFrame, items: pd.DataFrame,
                as_of: dt.date) -> tuple[np.ndarray, pd.Series]:
    """Per overdue item: covered by a kept plan (bool), and the id of a broken plan that covers it ('' if none)."""
    none = np.zeros(len(items), dtype=bool), pd.Series([""] * len(items), dtype=object)
    if plans is None or len(plans) == 0 or len(items) == 0:
        return none
    coverage, status = coverage_and_status(plans, open_items, as_of)
    if coverage.empty:
        return none
    kept = status.set_index("plan_id")["kept"]
    coverage = coverage.assign(kept=_flag(coverage["plan_id"].map(kept)))
    marked = items[["customer_id", "invoice_no"]].merge(coverage, on=["customer_id", "invoice_no"], how="left")
    is_kept = _flag(marked["kept"])
    broken = marked["plan_id"].where(marked["plan_id"].notna() & ~is_kept, "").astype(object)
    return is_kept, broken.reset_index(drop=True)


# ---------------------------------------------------------------- money


def _rate_fraction(rate_pa: Any) -> tuple[int, int]:
    """A rate in percent per year -> exact (numerator, denominator); 8.25 → (33, 4)."""
    try:
        rate = rate_pa if isinstance(rate_pa, Decimal) else Decimal(repr(float(rate_pa)))
    except (TypeError, ValueError, InvalidOperation):
        raise DunningError(f"dunning_interest_pa: not a number: {rate_pa!r}") from None
    if not rate.is_finite() or rate < 0:
        raise DunningError(f"dunning_interest_pa must be a percentage ≥ 0, got {rate_pa!r}")
    return rate.as_integer_ratio()


def interest_cents(outstanding: Any, days_overdue: Any, rate_pa: Any) -> np.ndarray:
    """outstanding (cents) × rate ÷ 100 ÷ 365 × days, rounded half-up to the cent, exactly (Python integers, so no
    float error and no int64 overflow). Negative amounts or days give 0: only money owed late earns interest."""
    amounts = np.maximum(np.asarray(outstanding, dtype=np.int64), 0).astype(object)
    days = np.maximum(np.asarray(days_overdue, dtype=np.int64), 0).astype(object)
    numerator, denominator = _rate_fraction(rate_pa)
    if numerator == 0 or amounts.size == 0:
        return np.zeros(amounts.shape, dtype=np.int64)
    top = amounts * days * numerator
    bottom = denominator * 36500
    return ((2 * top + bottom) // (2 * bottom)).astype(np.int64)


# ---------------------------------------------------------------- the run


def _empty_run(ladder: tuple[DunningLevel, ...] = ()) -> DunningRun:
    notices = pd.DataFrame({c: pd.Series(dtype=object) for c in NOTICE_COLUMNS})
    notices = notices.astype({c: np.int64 for c in ("level", "max_days_overdue", *_MONEY)})
    items = pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})
    items = items.astype({"invoice_date": _DATE_UNIT, "due_date": _DATE_UNIT, "days_overdue": np.int64,
                          "outstanding": np.int64, "interest": np.int64})
    excluded = pd.DataFrame({c: pd.Series(dtype=object) for c in EXCLUDED_COLUMNS})
    return DunningRun(notices, items, excluded, ladder)


def _reasons(per: pd.DataFrame, ladder_days: np.ndarray) -> pd.Series:
    """The first exclusion reason that applies to each customer, '' for customers to dun."""
    conditions = [
        ~per["known"], per["closed"], per["hold"], per["payment_left_out"],
        per["undisputed"] == 0, per["eligible"] == 0, per["currencies"] > 1,
        per["max_days"] < ladder_days[0], per["overdue"] < per["min_amount"], per["credit"] >= per["overdue"],
    ]
    return pd.Series(np.select([c.to_numpy(dtype=bool) for c in conditions], list(EXCLUSION_REASONS), default=""),
                     index=per.index)


def build_dunning(open_items: pd.DataFrame, customers: pd.DataFrame, levels: Sequence[DunningLevel],
                  log: pd.DataFrame | None, settings: DunningSettings, as_of: dt.date,
                  unapplied: pd.DataFrame | None = None, plans: pd.DataFrame | None = None,
                  payments_left_out: Sequence[str] = ()) -> DunningRun:
    """The dunning list as of ``as_of``: one notice per customer to chase, its lines, and who was left out and why.

    ``payments_left_out``: customers with a payment row that validation left out (not dunned, see the docstring)."""
    if open_items is None or len(open_items) == 0:
        return _empty_run(tuple(sorted(levels, key=lambda lv: lv.level)))
    ladder = check_ladder(levels)
    items = _overdue_items(open_items, as_of)
    if items.empty:
        return _empty_run(ladder)
    facts = _customer_facts(customers, settings)
    kept, broken_plan = _plan_marks(plans, open_items, items, as_of)
    items["plan_id"] = broken_plan.to_numpy()
    # Every customer figure is an array indexed by the customer's code (its rank in sorted customer ids): grouping
    # millions of item rows by their text ids again for each figure is what a ledger-sized run cannot afford.
    codes, uniques = pd.factorize(items["customer_id"].to_numpy(dtype=object), sort=True)
    ids = pd.Index(list(uniques), name="customer_id")
    n = len(ids)
    known_currency = facts["currency"].reindex(ids).fillna(settings.base_currency).iloc[codes].set_axis(items.index)
    items["currency"] = items["currency"].where(items["currency"] != "", known_currency)
    disputed = items["disputed"].to_numpy(dtype=bool)
    eligible = ~disputed & ~kept
    days = items["days_overdue"].to_numpy(dtype=np.int64)
    outstanding = items["outstanding"].to_numpy(dtype=np.int64)

    per = pd.DataFrame(index=ids)
    per["known"] = ids.isin(facts.index)
    per["closed"] = _flag(pd.Series(ids.map(facts["closed"])))
    per["hold"] = _flag(pd.Series(ids.map(facts["hold"])))
    per["payment_left_out"] = ids.isin(list(payments_left_out))
    per["undisputed"] = np.bincount(codes[~disputed], minlength=n)
    per["eligible"] = np.bincount(codes[eligible], minlength=n)
    per["currencies"] = _distinct_per_code(codes[eligible], items["currency"].to_numpy(dtype=object)[eligible], n)
    per["max_days"] = _per_code(np.maximum, codes[eligible], days[eligible], n)
    per["overdue"] = _per_code(np.add, codes[eligible], outstanding[eligible], n)
    per["min_amount"] = settings.dunning_min_amount_cents
    per["credit"] = _credit(open_items, unapplied).reindex(ids, fill_value=0).astype(np.int64)
    ladder_days = np.array([lv.from_days for lv in ladder], dtype=np.int64)
    reasons = _reasons(per, ladder_days)

    excluded = reasons[reasons != ""].rename("reason").reset_index()
    to_dun = (reasons == "").to_numpy()
    dunned = per[to_dun].copy()
    if dunned.empty:
        run = _empty_run(ladder)
        return replace(run, excluded=excluded[EXCLUDED_COLUMNS].reset_index(drop=True))

    # Level: by the oldest item, capped one ladder step above the last logged level in the window.
    ladder_numbers = np.array([lv.level for lv in ladder], dtype=np.int64)
    by_age = np.searchsorted(ladder_days, dunned["max_days"].to_numpy(), side="right") - 1
    last = _last_logged_level(log, as_of).reindex(dunned.index)
    last_position = np.where(last.isna(), -1,
                             np.searchsorted(ladder_numbers, last.fillna(0).to_numpy(np.int64), side="right") - 1)
    position = np.minimum(by_age, np.minimum(last_position + 1, len(ladder) - 1))
    chosen = [ladder[i] for i in position]

    rows = np.flatnonzero(eligible & to_dun[codes])
    line_interest = interest_cents(outstanding[rows], days[rows], settings.dunning_interest_pa)
    line_codes = codes[rows]
    numbers = items["invoice_no"].to_numpy(dtype=object)[rows]
    due, by_number = _line_keys(items["due_date"].iloc[rows], numbers)
    by_customer = _line_order(line_codes, due, by_number)  # customer, due date, invoice number
    dun_codes = np.flatnonzero(to_dun)
    dunned["interest"] = _per_code(np.add, line_codes, line_interest, n)[dun_codes]
    dunned["invoices"] = _joined_numbers(numbers, line_codes, by_customer, n)[dun_codes]
    dunned["fee"] = np.array([lv.fee_cents for lv in chosen], dtype=np.int64)

    notices = pd.DataFrame({
        "customer_id": dunned.index.to_numpy(dtype=object),
        "name": dunned.index.map(facts["name"]).to_numpy(dtype=object),
        "level": np.array([lv.level for lv in chosen], dtype=np.int64),
        "invoices": dunned["invoices"].to_numpy(dtype=object),
        "overdue_amount": dunned["overdue"].to_numpy(dtype=np.int64),
        "max_days_overdue": dunned["max_days"].to_numpy(dtype=np.int64),
        "interest": dunned["interest"].to_numpy(dtype=np.int64),
        "fee": dunned["fee"].to_numpy(dtype=np.int64),
        "total_due": (dunned["overdue"] + dunned["interest"] + dunned["fee"]).to_numpy(dtype=np.int64),
        "contact": dunned.index.map(facts["contact"]).to_numpy(dtype=object),
        "email": dunned.index.map(facts["email"]).to_numpy(dtype=object),
        "action": np.array([lv.action for lv in chosen], dtype=object),
        "letter": "",
    })
    notices = notices.sort_values(["level", "overdue_amount", "customer_id"], ascending=[False, False, True],
                                  kind="stable")
    # each notice's lines after one another in the notices' order, by due date then invoice number within one
    notice_of = np.zeros(n, dtype=np.int64)
    notice_of[dun_codes[notices.index.to_numpy()]] = np.arange(len(notices))
    notices = notices.reset_index(drop=True)[list(NOTICE_COLUMNS)]
    order = _line_order(notice_of[line_codes], due, by_number)
    lines = items.iloc[rows[order]].assign(interest=line_interest[order])[ITEM_COLUMNS].reset_index(drop=True)
    return DunningRun(notices, lines, excluded[EXCLUDED_COLUMNS].reset_index(drop=True), ladder)


def _per_code(ufunc: np.ufunc, codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """ufunc (np.add, np.maximum) of `values` per customer code, 0 where a code has none (int64, exact)."""
    out = np.zeros(n, dtype=np.int64)
    ufunc.at(out, codes, values.astype(np.int64))
    return out


def _distinct_per_code(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """How many distinct non-blank values each code has (Series.nunique per group: NaN / None not counted)."""
    value_codes, uniques = pd.factorize(values, use_na_sentinel=True)
    present = value_codes >= 0
    pairs = np.unique(codes[present].astype(np.int64) * (len(uniques) + 1) + value_codes[present])
    return np.bincount(pairs // (len(uniques) + 1), minlength=n).astype(np.int64)


def _line_keys(due_dates: pd.Series, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the lines are sorted by, as pandas sorted them (stable, blanks last): the due dates as whole days (blank
    after every date), and the rows in invoice-number order (Python's string order; equal numbers in row order)."""
    due = day_numbers(due_dates)
    valid = due != _NAT
    due = np.where(valid, due, (due[valid].max() + 1) if valid.any() else 0)
    blank = pd.isna(numbers)
    texts = np.where(blank, "", numbers).tolist()
    key = (lambda i: (blank[i], texts[i])) if blank.any() else texts.__getitem__
    return due, np.array(sorted(range(len(texts)), key=key), dtype=np.int64)


def _line_order(first: np.ndarray, due: np.ndarray, by_number: np.ndarray) -> np.ndarray:
    """Rows ordered by `first` (a customer's code or its notice's place), then due date, then invoice number: one
    stable sort of (first, due) over the rows taken in invoice-number order (a lexsort of three keys, in one)."""
    if not len(due):
        return by_number
    low = due.min()
    key = first.astype(np.int64) * (due.max() - low + 1) + (due - low)
    return by_number[np.argsort(key[by_number], kind="stable")]


def _joined_numbers(numbers: np.ndarray, codes: np.ndarray, order: np.ndarray, n: int) -> np.ndarray:
    """Per customer code, its lines' invoice numbers in `order` joined by ', ' (None where a code has no line)."""
    out = np.full(n, None, dtype=object)
    if not len(order):
        return out
    ranked = codes[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    ends = np.r_[starts[1:], len(ranked)]
    texts = numbers[order].tolist()
    out[ranked[starts]] = [", ".join(texts[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
    return out


# ---------------------------------------------------------------- after the letters


def attach_letters(run: DunningRun, letter_paths: Mapping[str, str]) -> DunningRun:
    """The run with tblDunning's ``letter`` column filled from {customer_id: letter path}."""
    notices = run.notices.copy()
    notices["letter"] = notices["customer_id"].map(lambda cid: str(letter_paths.get(cid, ""))).astype(object)
    return replace(run, notices=notices)


def log_rows(run: DunningRun, as_of: dt.date, letter_paths: Mapping[str, str]) -> pd.DataFrame:
    """tblDunningLog rows to append: one per notice whose letter was produced (customers absent from
    ``letter_paths`` were not sent anything, so they are not logged)."""
    sent = run.notices[run.notices["customer_id"].isin(list(letter_paths))]
    out = pd.DataFrame({
        "date": pd.Series([pd.Timestamp(as_of)] * len(sent), dtype=_DATE_UNIT),
        "customer_id": sent["customer_id"].to_numpy(dtype=object),
        "level": sent["level"].to_numpy(dtype=np.int64),
        "invoices": sent["invoices"].to_numpy(dtype=object),
        "total_due": sent["total_due"].to_numpy(dtype=np.int64),
        "letter": [str(letter_paths[cid]) for cid in sent["customer_id"]],
    })
    return out[list(LOG_COLUMNS)]
