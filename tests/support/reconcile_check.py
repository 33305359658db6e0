"""Run the shipped reconcile() and the frozen pre-speed-up engine (``reconcile_reference``) on the same input and
require the same answer: the same allocation, unapplied and write-off rows in the same order with the same values
and dtypes, or the same error."""

from __future__ import annotations

import pandas as pd

from support.reconcile_reference import reconcile as reference_reconcile
from xlfin.engine.reconcile import reconcile

FRAMES = ("allocations", "unapplied", "writeoffs")


def assert_same_result(new, old) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(new, name), getattr(old, name), check_exact=True, obj=name)


def checked_reconcile(invoices, payments, customers=None, **options):
    """reconcile(), after checking that the reference engine gives the very same result (or raises the same)."""
    try:
        old = reference_reconcile(invoices, payments, customers, **options)
    except Exception as exc:  # the new engine must refuse the same input with the same message
        try:
            reconcile(invoices, payments, customers, **options)
        except type(exc) as new_exc:
            assert str(new_exc) == str(exc)
            raise
        raise AssertionError(f"the reference engine raised {exc!r}, the new one did not") from exc
    new = reconcile(invoices, payments, customers, **options)
    assert_same_result(new, old)
    return new
