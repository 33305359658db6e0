"""Cash application (SPEC §4 "Reconciliation"): payments -> allocations, unapplied cash, write-off proposals.

``engine`` holds the rules, ``references`` the invoice-number parsing, ``payers`` the payer-name matching,
``synth`` a seeded generator of labelled messy payments (benchmark and tests).
"""

from .engine import (
    ALLOCATION_COLUMNS,
    REASONS,
    RULES,
    UNAPPLIED_COLUMNS,
    WRITEOFF_COLUMNS,
    ReconcileInputError,
    ReconcileResult,
    find_combination,
    invoice_balances,
    localise_reason,
    reason_code,
    reconcile,
    summarize,
)
from .payers import PayerDirectory, normalise_name
from .references import InvoiceIndex, invoice_key, normalise_text, scan, within_one_edit

__all__ = [
    "ALLOCATION_COLUMNS",
    "REASONS",
    "RULES",
    "UNAPPLIED_COLUMNS",
    "WRITEOFF_COLUMNS",
    "InvoiceIndex",
    "PayerDirectory",
    "ReconcileInputError",
    "ReconcileResult",
    "find_combination",
    "invoice_balances",
    "invoice_key",
    "localise_reason",
    "normalise_name",
    "normalise_text",
    "reason_code",
    "reconcile",
    "scan",
    "summarize",
    "within_one_edit",
]
