"""The reconciliation engine as it was before the speed work (commit ae7111e), frozen as a test oracle.

``tests/test_reconcile_equivalence.py`` runs the shipped engine and this copy on the same data and requires the
same allocations, unapplied rows and write-off proposals, row for row; ``benchmarks/reconcile.py --reference``
times it in the same run as the shipped engine. Do not edit or "fix" these files: a change of behaviour belongs in
``src/xlfin/engine/reconcile`` and, when intended, a new oracle.
"""

from .engine import reconcile

__all__ = ["reconcile"]
