"""A bank transaction as every parser returns it, and the error a malformed file raises.

Parsing is pure (bytes -> transactions); what becomes a payment is decided here, once, for all formats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class BankFileError(ValueError):
    """A bank file that cannot be read; the message names the file and the line or element."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


@dataclass(frozen=True)
class BankTransaction:
    """One booked movement on the account. `amount_cents` is positive; `credit` says the direction."""

    booking_date: dt.date
    amount_cents: int
    currency: str
    credit: bool
    bank_ref: str
    value_date: dt.date | None = None
    reversal: bool = False
    payer_name: str = ""
    payer_account: str = ""
    reference: str = ""
    status: str = "BOOK"  # camt Sts; other formats only carry booked entries
    where: str = ""  # line or element in the source file, for reports

    @property
    def is_payment(self) -> bool:
        """Only booked incoming credits that are not reversals become payments (SPEC §9)."""
        return self.credit and not self.reversal and self.status in ("BOOK", "")


@dataclass
class BankFile:
    """What one file held, split the way the import reports it."""

    name: str
    format: str
    transactions: list[BankTransaction] = field(default_factory=list)
    encoding: str | None = None

    @property
    def payments(self) -> list[BankTransaction]:
        return [t for t in self.transactions if t.is_payment]

    @property
    def reversals(self) -> list[BankTransaction]:
        return [t for t in self.transactions if t.reversal]

    @property
    def others(self) -> list[BankTransaction]:
        """Debits and entries not booked (pending, information only): read, not imported."""
        return [t for t in self.transactions if not t.is_payment and not t.reversal]


def join_text(*parts: str) -> str:
    """Remittance pieces joined once each, in order, with single spaces inside and ' | ' between."""
    seen: list[str] = []
    for p in parts:
        text = " ".join(str(p or "").split())
        if text and text not in seen:
            seen.append(text)
    return " | ".join(seen)
