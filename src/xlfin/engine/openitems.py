"""Open items: what each invoice and credit note still owes, from invoices and payment allocations.

Conventions (the rest of the engine relies on them):

- Money columns are int64 cents. ``outstanding`` is signed: an invoice owes ``amount - paid`` (≥ 0 unless it was
  over-allocated, which reconciliation never does), a credit note is a negative item ``-(amount - applied)``.
- What a credit note has "applied" is the sum of allocations that name it either as the invoice (``invoice_no``) or as
  the source of the money (``payment_id``): reconciliation records "credit note CN-1 settles INV-7" as an allocation
  with ``payment_id = 'CN-1'``, which pays INV-7 and uses up CN-1 at the same time.
- ``status``: credit note with something left → ``Credit``; nothing left → ``Paid``; invoice with nothing paid →
  ``Open``; partly → ``Partly Paid``.
- ``settled_date`` is the date the last allocation that closed the document was paid (allocations need a
  ``payment_date``); NaT while anything is open or when any of its allocation dates is unknown.
- ``as_of`` ignores allocations paid after it (a back-dated view); allocations without a date are always counted.
  Documents dated after ``as_of`` are kept (one row per document): :func:`documents_as_of` drops them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine.cellvalues import yes_no_array
from xlfin.engine.vocabulary import DOC_TYPE, canonical

__all__ = [
    "CREDIT_NOTE",
    "INVOICE",
    "STATUSES",
    "OpenItemsError",
    "as_date64",
    "doc_types",
    "documents_as_of",
    "fill_due_dates",
    "invoice_payment_dates",
    "is_credit_note",
    "normalise_allocations",
    "normalise_invoices",
    "open_items",
    "open_items_normalised",
    "outstanding_on_dates",
]

INVOICE = "Invoice"
CREDIT_NOTE = "Credit Note"
STATUSES = ("Open", "Partly Paid", "Paid", "Credit")

_DATE_UNIT = "datetime64[s]"  # seconds, not ns: Excel dates reach 9999-12-31, beyond ns range
_INVOICE_REQUIRED = ("invoice_no", "customer_id", "invoice_date", "due_date", "amount")
_ALLOC_REQUIRED = ("payment_id", "invoice_no", "amount")


class OpenItemsError(ValueError):
    """Invoices or allocations that cannot be turned into open items (the message names the column and why)."""


def as_date64(values: Any) -> pd.Series:
    """A date column (datetime64 of any unit, date objects, ISO text, None) -> datetime64[s] Series at midnight."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.to_datetime(s.astype(object).where(s.notna(), None))
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s.dt.normalize().astype(_DATE_UNIT)


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise OpenItemsError(f"{what}: missing column(s) {', '.join(missing)}")


def _cents(s: pd.Series, what: str) -> np.ndarray:
    """A money column that must already be whole cents -> int64 (blank or fractional is an error, not a guess)."""
    if s.isna().any():
        rows = list(s.index[s.isna()][:5])
        raise OpenItemsError(f"{what}: blank amount in row(s) {rows}")
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        try:
            s = pd.to_numeric(s)
        except (TypeError, ValueError) as exc:
            raise OpenItemsError(f"{what}: amounts must be integer cents ({exc})") from exc
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.to_numpy(dtype=np.int64)
    x = s.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(x)) or np.any(x != np.round(x)):
        raise OpenItemsError(f"{what}: amounts must be integer cents (convert with xlfin.engine.money first)")
    return x.astype(np.int64)


def _dates(s: pd.Series, what: str) -> pd.Series:
    try:
        return as_date64(s)
    except (TypeError, ValueError) as exc:
        raise OpenItemsError(f"{what}: not a date column ({exc})") from exc


def _flags(s: pd.Series, what: str) -> np.ndarray:
    flags, bad = yes_no_array(s)
    if bad.any():
        raise OpenItemsError(f"{what}: not yes/no: {s[bad].iloc[0]!r}")
    return flags


def doc_types(values: Any) -> np.ndarray:
    """doc_type cells -> canonical ``Invoice`` / ``Credit Note`` (object array, flattened); blank -> ``Invoice``,
    a spelling the closed list does not know -> None.

    Every spelling of :data:`xlfin.engine.vocabulary.DOC_TYPE` (tblInvoices ``doc_type``) counts (value, en and zh-CN labels,
    aliases, in any case and width); only the distinct cells are looked up, so a million rows cost a handful of lookups.
    """
    cells = values.to_numpy(dtype=object) if isinstance(values, (pd.Series, pd.Index)) else values
    codes, uniques = pd.factorize(np.asarray(cells, dtype=object).ravel())
    known = [_canonical_doc_type(u) for u in uniques]
    return np.array([*known, INVOICE], dtype=object)[codes]  # code -1 (None / NaN) picks the blank's Invoice


def _canonical_doc_type(value: Any) -> str | None:
    if isinstance(value, str) and not value.strip():
        return INVOICE
    return canonical(DOC_TYPE, value)


def is_credit_note(values: Any) -> np.ndarray:
    """True where a doc_type cell names a credit note, in any spelling the closed list accepts (bool array, flattened)."""
    return doc_types(values) == CREDIT_NOTE


def _doc_types(s: pd.Series) -> np.ndarray:
    out = doc_types(s)
    unknown = pd.isna(out)
    if unknown.any():
        bad = sorted(set(s[unknown].astype(str)))[:5]
        raise OpenItemsError(f"invoices.doc_type: expected Invoice or Credit Note, got {bad}")
    return out


def normalise_invoices(invoices: pd.DataFrame) -> pd.DataFrame:
    """Check and canonicalise an invoices frame: typed dates, int64 cents, doc_type and disputed filled in."""
    _require(invoices, _INVOICE_REQUIRED, "invoices")
    # reset_index makes a frame of its own (copy-on-write; a deep copy before pandas 3): only whole columns are set
    inv = invoices.reset_index(drop=True)
    numbers = inv["invoice_no"]
    blank_no = _blank_numbers(numbers)
    if blank_no.any():
        raise OpenItemsError(f"invoices.invoice_no: blank in row(s) {list(inv.index[blank_no][:5])}")
    dup = numbers.duplicated(keep=False)
    if dup.any():
        raise OpenItemsError(f"invoices.invoice_no: duplicate number(s) {sorted(set(numbers[dup].astype(str)))[:5]}")
    if inv["customer_id"].isna().any():
        raise OpenItemsError(f"invoices.customer_id: blank in row(s) {list(inv.index[inv['customer_id'].isna()][:5])}")
    inv["amount"] = _cents(inv["amount"], "invoices.amount")
    for col in ("invoice_date", "due_date"):
        inv[col] = _dates(inv[col], f"invoices.{col}")
    inv["doc_type"] = _doc_types(inv["doc_type"]) if "doc_type" in inv.columns else INVOICE
    inv["disputed"] = _flags(inv["disputed"], "invoices.disputed") if "disputed" in inv.columns else False
    return inv


def _blank_numbers(numbers: pd.Series) -> pd.Series:
    """True where a document number is missing or only spaces."""
    cells = numbers.to_numpy(dtype=object)
    if len(cells) and set(map(type, cells)) == {str}:  # the usual column: text only, tested inline
        return pd.Series([not v.strip() for v in cells], index=numbers.index, dtype=bool)
    return numbers.isna() | (numbers.astype(str).str.strip() == "")


def normalise_allocations(allocations: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["payment_id", "invoice_no", "amount", "payment_date"]
    if allocations is None or len(allocations) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols[:2]}
                            | {"amount": pd.Series(dtype=np.int64),
                               "payment_date": pd.Series(dtype=_DATE_UNIT)})
    _require(allocations, _ALLOC_REQUIRED, "allocations")
    alloc = allocations.reset_index(drop=True)
    out = pd.DataFrame({
        "payment_id": alloc["payment_id"],
        "invoice_no": alloc["invoice_no"],
        "amount": _cents(alloc["amount"], "allocations.amount"),
    })
    if "payment_date" in alloc.columns:
        out["payment_date"] = _dates(alloc["payment_date"], "allocations.payment_date")
    else:
        out["payment_date"] = pd.Series(pd.NaT, index=out.index, dtype=_DATE_UNIT)
    return out


def _key_array(s: pd.Series) -> np.ndarray:
    """`_keys` as an object array (no Series built around it, for callers that only match the keys)."""
    cells = s.to_numpy(dtype=object)
    if len(cells) and set(map(type, cells)) == {str}:  # the usual column: text only, stripped inline
        return np.array([v.strip() for v in cells], dtype=object)
    return _keys(s).to_numpy(dtype=object)


def _keys(s: pd.Series) -> pd.Series:
    """Document numbers as trimmed text, so that 1001 read as a number matches '1001' read as text."""
    cells = s.to_numpy(dtype=object)
    if len(cells) and set(map(type, cells)) == {str}:  # the usual column: text only, stripped inline
        return pd.Series([v.strip() for v in cells], index=s.index, dtype=object)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("string", "empty"):
        return s.astype(object).where(s.isna(), s.astype(str).str.strip())
    if kind == "integer":
        return s.astype(object).where(s.isna(), s.astype(str))
    return s.astype(object).where(s.notna(), None).map(
        lambda v: None if v is None else (str(int(v)) if isinstance(v, float) and v == int(v) else str(v).strip()))


def _applied(inv: pd.DataFrame, alloc: pd.DataFrame) -> pd.DataFrame:
    """Per document number: paid/applied cents, latest payment date, and whether any date is unknown."""
    is_cn = inv["doc_type"].to_numpy() == CREDIT_NOTE
    cn_numbers = _keys(inv.loc[is_cn, "invoice_no"])
    by_invoice = pd.DataFrame({"doc": _keys(alloc["invoice_no"]), "amount": alloc["amount"],
                               "payment_date": alloc["payment_date"]})
    payment_keys = _keys(alloc["payment_id"])
    from_credit = payment_keys.isin(cn_numbers).to_numpy()
    by_credit = pd.DataFrame({"doc": payment_keys[from_credit],
                              "amount": alloc["amount"][from_credit],
                              "payment_date": alloc["payment_date"][from_credit]})
    both = pd.concat([by_invoice, by_credit], ignore_index=True)
    both["unknown"] = both["payment_date"].isna().astype(np.int64)
    return both.groupby("doc", sort=False).agg(
        paid=("amount", "sum"), last=("payment_date", "max"), unknown=("unknown", "sum"))


_NAT_INT = np.iinfo(np.int64).min  # NaT's integer view: below every date, so a maximum skips it


def _applied_by_code(inv: pd.DataFrame, alloc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """`_applied` reindexed by each document's key, as (paid cents, latest payment date, any date unknown) per
    document row: the keys of the documents, of the allocated invoices and of the payments matched once as integer
    codes, then integer sums and maxima per code (exact, so in any order) instead of a group-by over text.

    None where the text route's float step could round: it reindexes through float64 when a document has no
    allocation, which is exact only below 2**53 cents."""
    n, m = len(inv), len(alloc)
    codes, uniques = pd.factorize(np.concatenate([
        _key_array(inv["invoice_no"]), _key_array(alloc["invoice_no"]), _key_array(alloc["payment_id"])]),
        use_na_sentinel=True)
    inv_code, doc_code, pay_code = codes[:n], codes[n:n + m], codes[n + m:]
    slots = len(uniques) + 1  # the last slot takes code -1 (a blank key, never a group) and is cleared
    credit = np.zeros(slots, dtype=bool)
    credit[inv_code[inv["doc_type"].to_numpy() == CREDIT_NOTE]] = True
    credit[-1] = False
    from_credit = credit[pay_code]  # a credit note's number as the payment id: the credit it has used
    at = np.concatenate([doc_code, pay_code[from_credit]])
    amount = alloc["amount"].to_numpy(dtype=np.int64)
    days = alloc["payment_date"].to_numpy().astype(_DATE_UNIT).view(np.int64)
    paid = np.zeros(slots, dtype=np.int64)
    np.add.at(paid, at, np.concatenate([amount, amount[from_credit]]))
    last = np.full(slots, _NAT_INT, dtype=np.int64)
    np.maximum.at(last, at, np.concatenate([days, days[from_credit]]))
    unknown = np.zeros(slots, dtype=np.int64)
    np.add.at(unknown, at, np.concatenate([days, days[from_credit]]) == _NAT_INT)
    paid[-1], last[-1], unknown[-1] = 0, _NAT_INT, 0
    grouped = np.zeros(slots, dtype=bool)
    grouped[at] = True
    grouped[-1] = False
    mine = paid[inv_code]
    if not grouped[inv_code].all() and len(mine) and np.abs(mine).max() >= 2**53:
        return None
    return mine, last[inv_code].view(_DATE_UNIT), unknown[inv_code] > 0


def open_items(invoices: pd.DataFrame, allocations: pd.DataFrame | None,
               as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per document: the invoice columns + paid, outstanding (signed cents), status, settled_date."""
    if invoices is None or len(invoices) == 0:
        return _empty_open_items(invoices)
    return _open_items(normalise_invoices(invoices), normalise_allocations(allocations), as_of)


def open_items_normalised(inv: pd.DataFrame, alloc: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """`open_items` on frames already checked by `normalise_invoices` and `normalise_allocations` (neither is
    changed), for callers that take open items on several dates from the same documents."""
    if len(inv) == 0:
        return _empty_open_items(inv)
    # a shallow copy: _open_items only sets whole columns on it, which never writes into the caller's arrays
    # (a deep copy of a million-row frame cost 1.6 s at Excel's row limit)
    return _open_items(inv.copy(deep=False), alloc, as_of)


def _open_items(inv: pd.DataFrame, alloc: pd.DataFrame, as_of: dt.date | None) -> pd.DataFrame:
    """The open items columns added to `inv` (a frame of the caller's own, changed in place)."""
    if as_of is not None:
        alloc = alloc[~(alloc["payment_date"] > pd.Timestamp(as_of))]
    paid = np.zeros(len(inv), dtype=np.int64)
    last = pd.Series(pd.NaT, index=inv.index, dtype=_DATE_UNIT)
    unknown = np.zeros(len(inv), dtype=bool)
    if len(alloc):
        coded = _applied_by_code(inv, alloc)
        if coded is not None:
            paid, last_days, unknown = coded
            last = pd.Series(last_days, index=inv.index).astype(_DATE_UNIT)
        else:
            applied = _applied(inv, alloc).reindex(_keys(inv["invoice_no"]).to_numpy())
            paid = applied["paid"].fillna(0).to_numpy(dtype=np.int64)
            last = pd.Series(applied["last"].to_numpy(), index=inv.index).astype(_DATE_UNIT)
            unknown = applied["unknown"].fillna(0).to_numpy() > 0

    amount = inv["amount"].to_numpy(dtype=np.int64)
    is_cn = inv["doc_type"].to_numpy() == CREDIT_NOTE
    left = amount - paid
    outstanding = np.where(is_cn, -left, left)
    closed = left <= 0
    status = np.select(
        [is_cn & ~closed, closed, paid > 0],
        ["Credit", "Paid", "Partly Paid"],
        default="Open",
    ).astype(object)
    settled = (left == 0) & (paid > 0) & ~unknown
    inv["paid"] = paid
    inv["outstanding"] = outstanding.astype(np.int64)
    inv["status"] = status
    inv["settled_date"] = last.where(settled).astype(_DATE_UNIT)
    return inv


def outstanding_on_dates(inv: pd.DataFrame, alloc: pd.DataFrame,
                         dates: Sequence[dt.date]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each date d: (the documents that existed on d, every document's signed outstanding cents on d).

    On the documents of the mask these are the ``outstanding`` that ``open_items_normalised(inv[invoice_date <= d],
    alloc, d)`` gives, for frames checked by `normalise_invoices` and `normalise_allocations`: allocations paid up to
    d (or on an unknown date) count, by invoice number and, for a credit note that existed on d, by its number as the
    payment id. The document numbers are matched once (as integer codes) for all the dates, not once per date.
    """
    n, m = len(inv), len(alloc)
    amount = inv["amount"].to_numpy(dtype=np.int64)
    is_cn = inv["doc_type"].to_numpy() == CREDIT_NOTE
    issued = inv["invoice_date"]
    if m:
        # one code per distinct key across invoice numbers, allocated invoice numbers and payment ids; -1 = blank
        codes, uniques = pd.factorize(np.concatenate([
            _key_array(inv["invoice_no"]), _key_array(alloc["invoice_no"]), _key_array(alloc["payment_id"])]),
            use_na_sentinel=True)
        inv_code, doc_code, pay_code = codes[:n], codes[n:n + m], codes[n + m:]
        alloc_amount = alloc["amount"].to_numpy(dtype=np.int64)
        paid_on = alloc["payment_date"]
    out = []
    for day in dates:
        cutoff = pd.Timestamp(day)
        docs = (issued <= cutoff).to_numpy(dtype=bool)
        paid = np.zeros(n, dtype=np.int64)
        if m:
            counted = ~(paid_on > cutoff).to_numpy(dtype=bool)
            by_code = np.zeros(len(uniques) + 1, dtype=np.int64)  # the extra slot takes code -1 (no key)
            credit_codes = np.zeros(len(uniques) + 1, dtype=bool)
            credit_codes[inv_code[docs & is_cn]] = True
            credit_codes[-1] = False
            np.add.at(by_code, doc_code[counted], alloc_amount[counted])
            from_credit = counted & credit_codes[pay_code]
            np.add.at(by_code, pay_code[from_credit], alloc_amount[from_credit])
            by_code[-1] = 0
            paid = by_code[inv_code]
        left = amount - paid
        out.append((docs, np.where(is_cn, -left, left).astype(np.int64)))
    return out


def _empty_open_items(invoices: pd.DataFrame | None) -> pd.DataFrame:
    given = [] if invoices is None else [c for c in invoices.columns]
    cols = given + [c for c in (*_INVOICE_REQUIRED, "doc_type", "disputed") if c not in given]
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for c in ("invoice_date", "due_date"):
        out[c] = pd.Series(dtype=_DATE_UNIT)
    out["amount"] = pd.Series(dtype=np.int64)
    out["disputed"] = pd.Series(dtype=bool)
    out["paid"] = pd.Series(dtype=np.int64)
    out["outstanding"] = pd.Series(dtype=np.int64)
    out["status"] = pd.Series(dtype=object)
    out["settled_date"] = pd.Series(dtype=_DATE_UNIT)
    return out


def invoice_payment_dates(allocations: pd.DataFrame, payments: pd.DataFrame,
                          invoices: pd.DataFrame | None = None, *, normalised: bool = False) -> pd.DataFrame:
    """Allocations + ``payment_date`` from tblPayments (by payment_id).

    Allocations whose source is a credit note (payment_id = a credit note's number) take the credit note's
    invoice_date when ``invoices`` is given; anything unmatched keeps NaT. ``normalised``: ``invoices`` already
    went through `normalise_invoices` (a run normalises its invoices once for every figure).
    """
    out = allocations.reset_index(drop=True).copy()
    dates = pd.Series(pd.NaT, index=out.index, dtype=_DATE_UNIT)
    if len(out) == 0:
        out["payment_date"] = dates
        return out
    _require(out, ("payment_id",), "allocations")
    if payments is not None and len(payments):
        _require(payments, ("payment_id", "payment_date"), "payments")
        dates = _date_lookup(out["payment_id"], payments["payment_id"],
                             _dates(payments["payment_date"], "payments.payment_date"))
    if invoices is not None and len(invoices):
        inv = invoices if normalised else normalise_invoices(invoices)
        cn = inv[inv["doc_type"] == CREDIT_NOTE]
        dates = dates.fillna(_date_lookup(out["payment_id"], cn["invoice_no"], cn["invoice_date"]))
    out["payment_date"] = dates.astype(_DATE_UNIT)
    return out


def _date_lookup(keys: pd.Series, index: pd.Series, dates: pd.Series) -> pd.Series:
    """The date of each key in (index -> dates), NaT where absent; the first of duplicate index values wins.

    An empty mapping (a book without credit notes) must still give a datetime column: ``Series.map`` over an empty
    Series returns float64 NaN, which pandas 3 refuses to combine with datetimes.
    """
    by_key = pd.Series(_dates(dates, "dates").to_numpy(), index=_keys(index.reset_index(drop=True)).to_numpy())
    by_key = by_key[~by_key.index.duplicated(keep="first")]
    looked_up = by_key.reindex(_keys(keys.reset_index(drop=True)).to_numpy())
    return pd.Series(looked_up.to_numpy(), index=keys.index).astype(_DATE_UNIT)


def fill_due_dates(invoices: pd.DataFrame, customers: pd.DataFrame | None = None,
                   default_terms_days: int = 30) -> pd.DataFrame:
    """Blank due dates -> invoice_date + the customer's payment_terms_days (blank terms: the Config default)."""
    inv = invoices.reset_index(drop=True).copy()
    _require(inv, ("customer_id", "invoice_date", "due_date"), "invoices")
    inv["invoice_date"] = _dates(inv["invoice_date"], "invoices.invoice_date")
    inv["due_date"] = _dates(inv["due_date"], "invoices.due_date")
    terms = pd.Series(float(default_terms_days), index=inv.index)
    if customers is not None and len(customers) and "payment_terms_days" in customers.columns:
        per_customer = pd.Series(pd.to_numeric(customers["payment_terms_days"], errors="coerce").to_numpy(),
                                 index=customers["customer_id"].to_numpy())
        per_customer = per_customer[~per_customer.index.duplicated(keep="first")]
        terms = inv["customer_id"].map(per_customer).astype(float).fillna(float(default_terms_days))
    computed = inv["invoice_date"] + pd.to_timedelta(terms.to_numpy(), unit="D")
    inv["due_date"] = inv["due_date"].fillna(computed).astype(_DATE_UNIT)
    return inv


def documents_as_of(invoices: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Only the documents that existed on ``as_of`` (invoice_date ≤ as_of), for a strict back-dated snapshot."""
    if len(invoices) == 0:
        return invoices
    dates = _dates(invoices["invoice_date"], "invoices.invoice_date")
    return invoices[(dates <= pd.Timestamp(as_of)).to_numpy()].reset_index(drop=True)
