"""Report the known crashes the property test tolerated (harness.KNOWN_CRASHES), so they stay visible; and the
throwaway PostgreSQL server of tests/ledger/conftest.py for the ledger verbs (one fixture, loaded from its file)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("xlfin_tests_ledger_conftest",
                                               Path(__file__).resolve().parents[1] / "ledger" / "conftest.py")
_ledger_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ledger_fixtures)
pg_url = _ledger_fixtures.pg_url  # session-scoped: started once, only when a test asks for it


def pytest_terminal_summary(terminalreporter) -> None:
    from .test_every_verb import TOLERATED

    if TOLERATED:
        terminalreporter.section("hostile books: known crashes tolerated (issue #11, branch finance)")
        for what, count in sorted(TOLERATED.items()):
            terminalreporter.write_line(f"{count:4d}  {what}")
