"""`xlfin ledger export`: the ledger's input tables written into a new workbook built from the template."""

from __future__ import annotations

from pathlib import Path

from xlfin.app.demo import fill_input_table
from xlfin.ledger.ddl import LEDGER_TABLES, require_tables
from xlfin.ledger.load import cell_frame, read_frame
from xlfin.ledger.store import Store
from xlfin.schema import Lang


def export_workbook(store: Store, path: Path, lang: Lang) -> dict[str, int]:
    """Fill a fresh template with every ledger table (cells as a user types them); returns rows per table."""
    from xlfin.xlsx.atomic import atomic_write_bytes
    from xlfin.template import package_workbook
    from xlfin.template.builder import build_workbook

    require_tables(store)
    wb = build_workbook(lang)
    rows: dict[str, int] = {}
    for table in LEDGER_TABLES:
        cells = cell_frame(read_frame(store, table), table)
        rows[table.key] = fill_input_table(wb, table, cells, lang) if len(cells) else 0
    atomic_write_bytes(Path(path), package_workbook(wb, lang))
    return rows
