"""Instalment plans (tblPaymentPlans): the schedule of each plan, which open items it covers, and whether the customer
keeps to it. Dunning leaves out items covered by a plan that is kept to, and chases them again once it is broken.

Decisions (a finance controller's reading of a plan; written into the docs):

- **Schedule.** ``total`` is split into ``instalments`` equal whole-cent parts; the rounding remainder goes on the last
  instalment (1,000.00 in 3 → 333.33, 333.33, 333.34). Instalment k falls on ``first_date`` + k periods: Weekly 7 days,
  Fortnightly 14 days, Monthly / Quarterly 1 / 3 calendar months, clamped to the month's last day (31 Jan → 28 Feb
  → 31 Mar: each date is counted from ``first_date``, not from the previous instalment). Blank frequency = Monthly.
- **Coverage.** ``invoices`` names the invoice numbers the plan covers (separated by commas, semicolons or spaces). Blank
  means *all of the customer's invoices that fell due before the first instalment*: the debt that was overdue when the
  plan was agreed. An invoice named by two plans of the customer belongs to the first plan by plan_id.
- **Kept to.** The workbook holds balances, not a payment history per plan, so the test is on the balance: the covered
  invoices' outstanding today must not exceed the plan total less every instalment that has fallen due *before* as_of
  (an instalment due on the as-of day is not yet late, as an invoice due today is not yet overdue). Paying early or
  more is fine; falling behind by a single cent breaks the plan. While no instalment has fallen due the plan is kept.
  The plan total is taken to be the debt it covers; a plan covering more than its total is broken at its first
  instalment unless the excess has been paid by then.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine.openitems import is_credit_note
from .vocabulary import FREQUENCY, canonical

__all__ = [
    "PLAN_COLUMNS",
    "STATUS_COLUMNS",
    "PaymentPlanError",
    "add_months",
    "instalment_schedule",
    "normalise_plans",
    "parse_invoice_list",
    "plan_coverage",
    "plan_status",
    "schedule_frame",
    "text_ids",
]

PLAN_COLUMNS = ["plan_id", "customer_id", "total", "instalments", "first_date", "frequency", "invoices"]
STATUS_COLUMNS = ["plan_id", "customer_id", "total", "due_to_date", "paid_to_date", "remaining", "behind", "kept",
                  "next_date", "next_amount"]
_STEP_DAYS = {"Weekly": 7, "Fortnightly": 14}
_STEP_MONTHS = {"Monthly": 1, "Quarterly": 3}
_SPLIT = re.compile(r"[,;，；、\s]+")


class PaymentPlanError(ValueError):
    """A payment plan row that cannot be scheduled (the message names the plan and the column)."""


def parse_invoice_list(text: Any) -> list[str]:
    """'INV-1, INV-2; INV-3' -> ['INV-1', 'INV-2', 'INV-3'] (also full-width separators and spaces); blank -> []."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return []
    seen: dict[str, None] = {}
    for part in _SPLIT.split(str(text)):
        if part:
            seen.setdefault(part, None)
    return list(seen)


def add_months(start: dt.date, months: int) -> dt.date:
    """start + months calendar months, the day clamped to the target month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _instalment_date(first: dt.date, k: int, frequency: str) -> dt.date:
    if frequency in _STEP_DAYS:
        return first + dt.timedelta(days=_STEP_DAYS[frequency] * k)
    return add_months(first, _STEP_MONTHS[frequency] * k)


def _amounts(total: int, instalments: int) -> list[int]:
    base = total // instalments
    return [base] * (instalments - 1) + [total - base * (instalments - 1)]


def instalment_schedule(total: int, instalments: int, first_date: dt.date,
                        frequency: str = "Monthly") -> list[tuple[dt.date, int]]:
    """[(due date, cents)] of one plan; the amounts sum exactly to ``total``."""
    if frequency not in _STEP_DAYS and frequency not in _STEP_MONTHS:
        raise PaymentPlanError(f"unknown frequency {frequency!r}: expected Weekly, Fortnightly, Monthly or Quarterly")
    if instalments < 1:
        raise PaymentPlanError(f"instalments must be at least 1, got {instalments}")
    if total <= 0:
        raise PaymentPlanError(f"plan total must be positive, got {total} cents")
    return [(_instalment_date(first_date, k, frequency), amount)
            for k, amount in enumerate(_amounts(total, instalments))]


def _text_id(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    text = str(v).strip()
    return text or None


def text_ids(values: pd.Series) -> pd.Series:
    """Identifiers as stripped text; an integral float from Excel (1001.0) reads as '1001'.

    Plain strings (nearly every id) are stripped inline; only other cells go through the general rule."""
    cells = values.to_numpy(dtype=object)
    out = [(v.strip() or None) if v.__class__ is str else _text_id(v) for v in cells]
    # dtype inferred as Series.map infers it (pandas 3: the "str" dtype when every id is text)
    return pd.Series(out, index=values.index, dtype=None if out else object)


def _frequency(value: Any, plan_id: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return "Monthly"
    frequency = canonical(FREQUENCY, value)
    if frequency is None:
        raise PaymentPlanError(f"payment plan {plan_id}: frequency {value!r} is not Weekly, Fortnightly, Monthly "
                               "or Quarterly")
    return frequency


def _plan_date(value: Any, plan_id: Any) -> dt.date:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if pd.isna(ts):
        raise PaymentPlanError(f"payment plan {plan_id}: first_date {value!r} is not a date")
    return ts.date()


def _whole(value: Any, plan_id: Any, column: str, minimum: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or number != int(number) or number < minimum:
        raise PaymentPlanError(f"payment plan {plan_id}: {column} must be a whole number ≥ {minimum}, got {value!r}")
    return int(number)


def normalise_plans(plans: pd.DataFrame | None) -> pd.DataFrame:
    """Typed plan rows (total in cents, first_date a date, frequency canonical, invoices a list); rows without a
    plan_id or customer are skipped (validation reports them). Raises PaymentPlanError naming a plan it cannot read."""
    columns = [*PLAN_COLUMNS, "invoice_list"]
    if plans is None or len(plans) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    missing = [c for c in ("plan_id", "customer_id", "total", "instalments", "first_date") if c not in plans.columns]
    if missing:
        raise PaymentPlanError(f"payment plans: missing column(s) {', '.join(missing)}")
    frame = plans.reset_index(drop=True)
    plan_ids, customer_ids = text_ids(frame["plan_id"]), text_ids(frame["customer_id"])
    rows = []
    for i in range(len(frame)):
        plan_id, customer_id = plan_ids[i], customer_ids[i]
        if plan_id is None or customer_id is None:
            continue
        row = frame.iloc[i]
        total = _whole(row["total"], plan_id, "total (cents)", 1)
        rows.append({
            "plan_id": plan_id,
            "customer_id": customer_id,
            "total": total,
            "instalments": _whole(row["instalments"], plan_id, "instalments", 1),
            "first_date": _plan_date(row["first_date"], plan_id),
            "frequency": _frequency(row.get("frequency"), plan_id),
            "invoice_list": parse_invoice_list(row.get("invoices")),
        })
        rows[-1]["invoices"] = ", ".join(rows[-1]["invoice_list"])
    out = pd.DataFrame(rows, columns=columns)
    out["total"] = out["total"].astype(np.int64)
    out["instalments"] = out["instalments"].astype(np.int64)
    return out.sort_values("plan_id", kind="stable").reset_index(drop=True)


def schedule_frame(plans: pd.DataFrame | None) -> pd.DataFrame:
    """One row per instalment: plan_id, customer_id, instalment (1-based), due_date (datetime64), amount (cents)."""
    typed = normalise_plans(plans)
    rows = [
        (p.plan_id, p.customer_id, k + 1, due, amount)
        for p in typed.itertuples(index=False)
        for k, (due, amount) in enumerate(instalment_schedule(p.total, p.instalments, p.first_date, p.frequency))
    ]
    out = pd.DataFrame(rows, columns=["plan_id", "customer_id", "instalment", "due_date", "amount"])
    out["due_date"] = pd.to_datetime(out["due_date"]).astype("datetime64[s]")
    out["amount"] = out["amount"].astype(np.int64)
    out["instalment"] = out["instalment"].astype(np.int64)
    return out


def _open_invoices(open_items: pd.DataFrame, customers: pd.Series | None = None) -> pd.DataFrame:
    """The invoices of open_items with what the coverage needs: ids as text, due date, outstanding cents.

    ``customers``: only the invoices of these customers (the plans' own: a plan covers no other customer's invoice,
    so the rest of a million-row book need not be read)."""
    customer_ids = text_ids(open_items["customer_id"])
    due_date = pd.to_datetime(open_items["due_date"])
    outstanding = pd.to_numeric(open_items["outstanding"]).astype(np.int64)
    invoice = ~is_credit_note(open_items["doc_type"]) if "doc_type" in open_items.columns else None
    if customers is not None:
        rows = np.flatnonzero(customer_ids.isin(customers).to_numpy())
        open_items, customer_ids = open_items.iloc[rows], customer_ids.iloc[rows]
        due_date, outstanding = due_date.iloc[rows], outstanding.iloc[rows]
        invoice = None if invoice is None else invoice[rows]
    frame = pd.DataFrame({
        "invoice_no": text_ids(open_items["invoice_no"]),
        "customer_id": customer_ids,
        "due_date": due_date,
        "outstanding": outstanding,
    })
    if invoice is not None:
        frame = frame[invoice]
    return frame


def plan_coverage(plans: pd.DataFrame | None, open_items: pd.DataFrame) -> pd.DataFrame:
    """plan_id, customer_id, invoice_no: the documents of open_items that each plan covers (one plan per invoice)."""
    typed = normalise_plans(plans)
    if len(typed) == 0 or open_items is None or len(open_items) == 0:
        return _no_coverage()
    return _coverage(typed, _open_invoices(open_items))


_COVERAGE_COLUMNS = ["plan_id", "customer_id", "invoice_no"]


def _no_coverage() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in _COVERAGE_COLUMNS})


def _coverage(typed: pd.DataFrame, invoices: pd.DataFrame) -> pd.DataFrame:
    """plan_coverage on typed plans (normalise_plans) and the open invoices (_open_invoices)."""
    columns = _COVERAGE_COLUMNS
    named = typed[typed["invoice_list"].map(len) > 0][["plan_id", "customer_id", "invoice_list"]]
    named = named.explode("invoice_list").rename(columns={"invoice_list": "invoice_no"})
    named = named.merge(invoices[["invoice_no", "customer_id"]], on=["invoice_no", "customer_id"], how="inner")
    blank = typed[typed["invoice_list"].map(len) == 0][["plan_id", "customer_id", "first_date"]]
    implied = blank.merge(invoices[["invoice_no", "customer_id", "due_date"]], on="customer_id", how="inner")
    implied = implied[implied["due_date"] < pd.to_datetime(implied["first_date"])]
    both = pd.concat([named[columns], implied[columns]], ignore_index=True)
    both = both.sort_values(["plan_id", "invoice_no"], kind="stable")
    return both.drop_duplicates(["customer_id", "invoice_no"], keep="first").reset_index(drop=True)


def plan_status(plans: pd.DataFrame | None, open_items: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    """Per plan: total, due_to_date (instalments due before as_of), paid_to_date (total − remaining, ≥ 0),
    remaining (outstanding of the covered invoices), behind (cents short of the schedule, ≥ 0), kept (bool),
    next_date / next_amount (the first instalment on or after as_of; NaT / 0 when none is left)."""
    typed = normalise_plans(plans)
    if len(typed) == 0:
        return _no_status()
    empty = open_items is None or len(open_items) == 0
    invoices = None if empty else _open_invoices(open_items)
    # typed plans are what normalise_plans gives back for them, so they are not normalised twice
    coverage = None if invoices is None else _coverage(typed, invoices)
    return _status(typed, invoices, coverage, as_of)


def coverage_and_status(plans: pd.DataFrame | None, open_items: pd.DataFrame | None,
                        as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(plan_coverage, plan_status) with the plans and the open invoices read once; the status only when some
    plan covers something (None otherwise), as the dunning run needs it."""
    typed = normalise_plans(plans)
    if len(typed) == 0 or open_items is None or len(open_items) == 0:
        return _no_coverage(), None
    invoices = _open_invoices(open_items, typed["customer_id"])
    coverage = _coverage(typed, invoices)
    if coverage.empty:
        return coverage, None
    return coverage, _status(typed, invoices, coverage, as_of)


def _no_status() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in STATUS_COLUMNS})
    return out.astype({"kept": bool, "next_date": "datetime64[s]"})


def _status(typed: pd.DataFrame, invoices: pd.DataFrame | None, coverage: pd.DataFrame | None,
            as_of: dt.date) -> pd.DataFrame:
    if coverage is not None and len(coverage):
        covered = coverage.merge(invoices[["invoice_no", "customer_id", "outstanding"]],
                                 on=["invoice_no", "customer_id"], how="left")
        remaining = covered.groupby("plan_id")["outstanding"].sum()
    else:
        remaining = pd.Series(dtype=np.int64)
    rows = []
    for p in typed.itertuples(index=False):
        schedule = instalment_schedule(p.total, p.instalments, p.first_date, p.frequency)
        due = sum(amount for day, amount in schedule if day < as_of)
        upcoming = [(day, amount) for day, amount in schedule if day >= as_of]
        left = max(int(remaining.get(p.plan_id, 0)), 0)
        behind = max(left - (p.total - due), 0) if due else 0
        rows.append((p.plan_id, p.customer_id, p.total, due, max(p.total - left, 0), left, behind, behind == 0,
                     upcoming[0][0] if upcoming else None, upcoming[0][1] if upcoming else 0))
    out = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    for c in ("total", "due_to_date", "paid_to_date", "remaining", "behind", "next_amount"):
        out[c] = out[c].astype(np.int64)
    out["kept"] = out["kept"].astype(bool)
    out["next_date"] = pd.to_datetime(out["next_date"]).astype("datetime64[s]")
    return out
