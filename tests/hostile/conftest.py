"""Report the known crashes the property test tolerated (harness.KNOWN_CRASHES), so they stay visible."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter) -> None:
    from .test_every_verb import TOLERATED

    if TOLERATED:
        terminalreporter.section("hostile books: known crashes tolerated (issue #11, branch finance)")
        for what, count in sorted(TOLERATED.items()):
            terminalreporter.write_line(f"{count:4d}  {what}")
