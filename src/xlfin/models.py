"""Domain records (pydantic v2) for one customer, invoice, payment or financial statement.

The engine works on frames; these models are for the places where one record at a time is natural: tests,
letters, the CLI's --json output, a UDF that receives one row. They mirror the schema rules of SPEC §3.1:
money is `Decimal` with 2 places (half-up), dates are `datetime.date`, closed lists hold their canonical English
value (labels in either language and the schema's aliases are accepted), yes/no is `bool`.

`Model.from_row(mapping)` accepts a row as a user would type it, keyed by column key or by header label (en or
zh-CN): amounts in currency units ('1,234.50', 1234.5), dates as dates, Excel serials or text. `records(df, Model)`
turns a typed frame from `xlfin.frames` (money in int cents, datetime64 dates) into models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .dates import DateError
from .engine.cellvalues import CellValueError, date_value, yes_no
from .frames import normalise_currency, text_value
from .money import MoneyError, cents_to_decimal, to_decimal
from .schema import CUSTOMERS, FINANCIALS, INVOICES, PAYMENTS, Column, Table, _norm
from .validate import is_plausible_phone, is_valid_email, split_invoice_list

if TYPE_CHECKING:  # annotations only: no runtime dependency on typing_extensions
    from typing_extensions import Self

__all__ = ["Customer", "FinancialStatement", "Invoice", "Payment", "records"]

M = TypeVar("M", bound="Record")


def _blank(v: Any) -> bool:
    return text_value(v) is None


class Record(BaseModel):
    """Shared behaviour: blank cells are None, text is stripped, keys or labels are accepted."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    TABLE: ClassVar[Table]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """A row keyed by column keys or header labels (either language) -> the model (ValidationError if bad)."""
        by_label: dict[str, str] = {}
        for c in cls.TABLE.columns:
            for name in (c.key, c.en, c.zh):
                by_label.setdefault(_norm(name), c.key)
        data: dict[str, Any] = {}
        for name, value in row.items():
            key = by_label.get(_norm(str(name)))
            if key is None or key not in cls.model_fields or key in data:
                continue
            data[key] = None if _blank(value) else value
        return cls.model_validate(data)

    @field_validator("*", mode="before")
    @classmethod
    def _from_cell(cls, v: Any, info: ValidationInfo) -> Any:
        """Every field reads its cell by its schema column type, the same way in every model; a blank closed-list
        cell takes the field's default."""
        column = cls.TABLE.column(info.field_name)
        if column.type == "enum":
            return _choice(column, v) or cls.model_fields[info.field_name].default
        convert = _CONVERTERS.get(column.type)
        return v if convert is None else convert(v)


# ------------------------------------------------------------ cell conversions, by schema column type


def _money(v: Any) -> Decimal | None:
    if _blank(v):
        return None
    try:
        return to_decimal(v)
    except MoneyError as exc:
        raise ValueError(f"{v!r} is not an amount") from exc


def _date(v: Any) -> dt.date | None:
    try:
        return date_value(v)
    except DateError as exc:
        raise ValueError(str(exc)) from exc


def _choice(column: Column, v: Any) -> str | None:
    if _blank(v):
        return None
    value = column.canonical(text_value(v))
    if value is None:
        allowed = " / ".join(c.value for c in column.choices)
        raise ValueError(f"{v!r} is not one of {allowed}")
    return value


def _yes_no(v: Any) -> bool:
    try:
        return yes_no(v)
    except CellValueError:
        raise ValueError(f"{v!r} is not yes or no") from None


def _currency(v: Any) -> str | None:
    code = normalise_currency(v)
    if code is not None and not isinstance(code, str):
        raise ValueError(f"{v!r} is not a three-letter currency code")
    return code


# "int" columns are left to pydantic; "enum" columns need their column's choices (Record._from_cell)
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": text_value, "email": text_value, "phone": text_value, "money": _money, "date": _date, "bool": _yes_no,
    "currency": _currency,
}


class Customer(Record):
    TABLE: ClassVar[Table] = CUSTOMERS

    customer_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    contact: str | None = None
    phone: str | None = None
    email: str | None = None
    industry: str | None = None
    region: str | None = None
    payment_terms_days: int | None = Field(None, ge=0)
    credit_limit: Decimal | None = Field(None, ge=0)
    currency: str | None = None
    status: Literal["Active", "On Hold", "Closed"] = "Active"
    dunning_hold: bool = False
    notes: str | None = None

    @field_validator("email")
    @classmethod
    def _email_valid(cls, v: str | None) -> str | None:
        if v is not None and not is_valid_email(v):
            raise ValueError(f"{v!r} is not a valid email address")
        return v

    @field_validator("phone")
    @classmethod
    def _phone_plausible(cls, v: str | None) -> str | None:
        if v is not None and not is_plausible_phone(v):
            raise ValueError(f"{v!r} is not a plausible phone number")
        return v


class Invoice(Record):
    TABLE: ClassVar[Table] = INVOICES

    invoice_no: str = Field(min_length=1)
    doc_type: Literal["Invoice", "Credit Note"] = "Invoice"
    customer_id: str = Field(min_length=1)
    invoice_date: dt.date
    due_date: dt.date | None = None
    amount: Decimal = Field(gt=0)
    currency: str | None = None
    cost: Decimal | None = Field(None, ge=0)
    project: str | None = None
    contract_no: str | None = None
    disputed: bool = False
    notes: str | None = None

    @model_validator(mode="after")
    def _due_not_before_issue(self) -> Invoice:
        if self.due_date is not None and self.due_date < self.invoice_date:
            raise ValueError(f"due date {self.due_date} is before the invoice date {self.invoice_date}")
        return self

    @property
    def is_credit_note(self) -> bool:
        return self.doc_type == "Credit Note"

    def due(self, terms_days: int) -> dt.date:
        """The due date, or invoice date + terms when it was left blank."""
        return self.due_date or self.invoice_date + dt.timedelta(days=terms_days)


class Payment(Record):
    TABLE: ClassVar[Table] = PAYMENTS

    payment_id: str = Field(min_length=1)
    payment_date: dt.date
    customer_id: str | None = None
    payer_name: str | None = None
    amount: Decimal = Field(gt=0)
    currency: str | None = None
    method: Literal["Bank Transfer", "Cheque", "Cash", "Card", "Other"] | None = None
    reference: str | None = None
    applied_to: str | None = None
    notes: str | None = None

    @property
    def applied_invoices(self) -> list[str]:
        """The invoice numbers named in Applied To, in the order given."""
        return split_invoice_list(self.applied_to)


class FinancialStatement(Record):
    TABLE: ClassVar[Table] = FINANCIALS

    customer_id: str = Field(min_length=1)
    period_end: dt.date
    current_assets: Decimal | None = None
    current_liabilities: Decimal | None = None
    inventory: Decimal | None = None
    cash: Decimal | None = None
    total_assets: Decimal | None = None
    total_liabilities: Decimal | None = None
    equity: Decimal | None = None
    retained_earnings: Decimal | None = None
    revenue: Decimal | None = None
    ebit: Decimal | None = None
    interest_expense: Decimal | None = None
    net_income: Decimal | None = None
    operating_cash_flow: Decimal | None = None
    market_value_equity: Decimal | None = None

    @field_validator("total_assets", "total_liabilities", "current_assets", "current_liabilities", "inventory",
                     "cash", "revenue", "interest_expense")
    @classmethod
    def _not_negative(cls, v: Decimal | None) -> Decimal | None:
        # These cannot be negative on a real statement; equity, earnings and cash flow can.
        if v is not None and v < 0:
            raise ValueError(f"{v} cannot be negative")
        return v

    def balances(self, tolerance: float = 0.01) -> bool | None:
        """Total assets = total liabilities + equity within `tolerance` of total assets; None when unknown."""
        if self.total_assets is None or self.total_liabilities is None or self.equity is None:
            return None
        diff = abs(self.total_assets - self.total_liabilities - self.equity)
        return diff <= abs(self.total_assets) * Decimal(str(tolerance))


def _cell(column_type: str, v: Any) -> Any:
    """A typed-frame value -> what `from_row` takes: cents -> Decimal, datetime64 -> date, NA -> None."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if column_type == "money":
        return cents_to_decimal(int(v))
    if column_type == "date":
        return pd.Timestamp(v).date()
    if isinstance(v, np.generic):
        return v.item()
    return v


def records(df: pd.DataFrame, model: type[M]) -> list[M]:
    """A typed frame (from `xlfin.frames`: money in int cents) -> one model per row, in frame order."""
    columns = [c for c in model.TABLE.input_columns if c.key in df.columns and c.key in model.model_fields]
    data = {c.key: df[c.key].astype(object).tolist() for c in columns}
    out = []
    for i in range(len(df)):
        out.append(model.model_validate({c.key: _cell(c.type, data[c.key][i]) for c in columns}))
    return out
