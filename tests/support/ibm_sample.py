"""The IBM "Finance Factoring / late payment histories" sample as a book's tables, for tests and benchmarks.

Read from the shared test-data folder (never shipped). Each row is one invoice settled in full on SettledDate, so
it becomes one invoice and one allocation of the whole amount. The paperless flag has no column in the book.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xlfin.engine.money import float_cents

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ar_late_payments.csv"


def read_sample(path: Path = DATA) -> pd.DataFrame:
    """The CSV with its three date columns parsed (m/d/Y) and the day counts as integers."""
    raw = pd.read_csv(path, dtype=str)
    for col in ("InvoiceDate", "DueDate", "SettledDate"):
        raw[col] = pd.to_datetime(raw[col], format="%m/%d/%Y")
    raw["DaysLate"] = raw["DaysLate"].astype(int)
    raw["DaysToSettle"] = raw["DaysToSettle"].astype(int)
    return raw


def book_tables(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(invoices, allocations) as tblInvoices and reconciliation would hold them; amounts in int cents."""
    invoices = pd.DataFrame({
        "invoice_no": raw["invoiceNumber"],
        "customer_id": raw["customerID"],
        "invoice_date": raw["InvoiceDate"],
        "due_date": raw["DueDate"],
        "amount": float_cents(raw["InvoiceAmount"].to_numpy(dtype=float)),
        "disputed": raw["Disputed"],
    })
    allocations = pd.DataFrame({
        "payment_id": "PAY-" + raw["invoiceNumber"],
        "invoice_no": raw["invoiceNumber"],
        "customer_id": raw["customerID"],
        "amount": invoices["amount"],
        "payment_date": raw["SettledDate"],
    })
    return invoices, allocations
