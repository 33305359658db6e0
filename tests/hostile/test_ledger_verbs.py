"""Property test: a book a user could type, loaded into a DuckDB ledger, posted and reported (`xlfin ledger load`,
`ledger reconcile`, `ledger report`), never ends in exit 3 and never changes the user's cells.

A regression it guards: a ledger with nobody to dun handed DuckDB an empty id list typed DOUBLE and `ledger report`
stopped with exit 3. `XLFIN_HYPOTHESIS_EXAMPLES=N` hunts longer, as for the other verbs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given

from .books import Book, books, write_book
from .harness import assert_user_cells_kept, cli, examples, sheet_cells

pytest.importorskip("duckdb")

STEPS = (("ledger", "init", "--source"), ("ledger", "load"), ("ledger", "reconcile"), ("ledger", "report"))


def test_no_book_breaks_the_ledger_verbs() -> None:
    @examples(default=6)
    @given(book=books())
    def check(book: Book) -> None:
        with tempfile.TemporaryDirectory(prefix="xlfin-hostile-ledger-") as tmp:
            path = write_book(book, Path(tmp) / "book.xlsx")
            source = f"duckdb:{Path(tmp) / 'ledger.duckdb'}"
            before = sheet_cells(path)
            for step in STEPS:
                args = [*step, source] if step[-1] == "--source" else [*step, path, "--source", source]
                result = cli(*args)
                assert result.exit_code in (0, 1, 2), f"{' '.join(step)}: exit {result.exit_code}\n{result.output}"
                if result.exit_code == 2:
                    lines = result.stderr.strip().splitlines()
                    assert len(lines) == 1 and lines[0].startswith("xlfin: "), f"refusal is not one line: {lines}"
                    return
            assert_user_cells_kept("ledger report", before, sheet_cells(path))

    check()
