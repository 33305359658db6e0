"""Statements of account and balance confirmations as data (pure: frames in, one Statement per customer out).

The ledger of a customer is built from the same reconciliation the Aging sheet uses, so the closing balance equals
the customer's Aging total by construction (and is checked): invoices (+ amount, at the invoice date), credit notes
(- amount, at their date) and payments (- the part applied to this customer's invoices, at the payment date).
Money a customer paid that reconciliation could not apply is shown beside the statement, not deducted, exactly as
the Aging sheet leaves it out. Balances are int cents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd


class StatementError(ValueError):
    """The ledger does not add up to the Aging total: a defect, never the user's data."""


@dataclass(frozen=True)
class Line:
    date: dt.date
    kind: str  # invoice, credit_note, payment
    document: str
    description: str
    debit: int
    credit: int
    balance: int


@dataclass(frozen=True)
class OpenItem:
    document: str
    date: dt.date
    due_date: dt.date | None
    outstanding: int
    bucket: str


@dataclass
class Statement:
    customer_id: str
    name: str
    contact: str
    email: str
    currency: str
    start: dt.date
    as_of: dt.date
    opening: int
    lines: list[Line]
    closing: int
    buckets: list[tuple[str, int]]
    open_items: list[OpenItem] = field(default_factory=list)
    unapplied: int = 0


def _d(value) -> dt.date:
    return pd.Timestamp(value).date()


def _movements(cid: str, invoices: pd.DataFrame, allocations: pd.DataFrame,
               payments: pd.DataFrame) -> list[tuple[dt.date, int, str, str, str, int]]:
    """(date, order, kind, document, description, signed cents) for one customer, all time."""
    out: list[tuple[dt.date, int, str, str, str, int]] = []
    mine = invoices[invoices["customer_id"] == cid]
    credit_notes = set(invoices.loc[invoices["doc_type"] == "Credit Note", "invoice_no"])
    for r in mine.itertuples(index=False):
        if r.doc_type == "Credit Note":
            out.append((_d(r.invoice_date), 1, "credit_note", r.invoice_no, "", -int(r.amount)))
        else:
            out.append((_d(r.invoice_date), 0, "invoice", r.invoice_no, "", int(r.amount)))
    own_docs = set(mine["invoice_no"])
    alloc = allocations[allocations["invoice_no"].isin(own_docs) & ~allocations["payment_id"].isin(credit_notes)]
    if len(alloc):
        paid = alloc.groupby("payment_id", sort=False)["amount"].sum()
        info = payments.set_index("payment_id")
        for pid, cents in paid.items():
            when = _d(info.at[pid, "payment_date"]) if pid in info.index else None
            ref = info.at[pid, "reference"] if pid in info.index else None
            text = "" if ref is None or (not isinstance(ref, str) and pd.isna(ref)) else str(ref)
            if when is not None:
                out.append((when, 2, "payment", str(pid), text[:80], -int(cents)))
    out.sort(key=lambda m: (m[0], m[1], m[3]))
    return out


def build_statements(customers: pd.DataFrame, invoices: pd.DataFrame, payments: pd.DataFrame,
                     allocations: pd.DataFrame, unapplied: pd.DataFrame, aging_summary: pd.DataFrame,
                     aging_detail: pd.DataFrame, bucket_labels: list[str], start: dt.date, as_of: dt.date,
                     base_currency: str, only: list[str] | None = None) -> list[Statement]:
    """One Statement per customer with anything to show (movements in the period or an open balance)."""
    summary = aging_summary.set_index("customer_id") if len(aging_summary) else pd.DataFrame()
    out: list[Statement] = []
    for c in customers.itertuples(index=False):
        cid = str(c.customer_id)
        if only and cid not in only:
            continue
        moves = _movements(cid, invoices, allocations, payments)
        opening = sum(m[5] for m in moves if m[0] < start)
        balance = opening
        lines = []
        for when, _, kind, doc, text, cents in moves:
            if when < start or when > as_of:
                continue
            balance += cents
            lines.append(Line(when, kind, doc, text, max(cents, 0), max(-cents, 0), balance))
        aging_total = int(summary.at[cid, "total"]) if cid in summary.index else 0
        if balance != aging_total:
            raise StatementError(f"statement of {cid}: closing balance {balance} cents differs from the Aging "
                                 f"total {aging_total} cents")
        left = unapplied[unapplied["customer_id"] == cid]["unapplied_amount"].sum() if len(unapplied) else 0
        if not lines and balance == 0 and opening == 0 and not only:
            continue
        buckets = [(lbl, int(summary.at[cid, lbl]) if cid in summary.index else 0) for lbl in bucket_labels]
        detail = aging_detail[aging_detail["customer_id"] == cid]
        dates = invoices.set_index("invoice_no")["invoice_date"]
        items = [OpenItem(r.invoice_no, _d(dates.get(r.invoice_no)), None if pd.isna(r.due_date) else _d(r.due_date),
                          int(r.outstanding), str(r.bucket)) for r in detail.itertuples(index=False)]
        currency = _text(getattr(c, "currency", None)) or base_currency
        out.append(Statement(cid, _text(c.name), _text(getattr(c, "contact", None)), _text(getattr(c, "email", None)),
                             currency, start, as_of, opening, lines, balance, buckets, items, int(left)))
    return out


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()
