"""The Dunning sheet's letter column links to the generated files (issue 7, surfaces)."""

from openpyxl import Workbook

from xlfin import schema
from xlfin.template.tables import write_table


def test_letter_column_is_a_hyperlink_not_a_formula(tmp_path):
    letter = str(tmp_path / "2026-11-20_C1_L2.html")
    row = ["C1", "Acme", 2, "INV-1", 100.0, 20, 0.41, 0.0, 100.41, "Ann", "a@x.com", "Firm letter", letter]
    ws = Workbook().active
    write_table(ws, schema.DUNNING, [row], "en")
    cell = ws.cell(2, len(schema.DUNNING.columns))
    assert cell.value == letter
    assert cell.data_type == "s"
    assert cell.hyperlink is not None and cell.hyperlink.target == letter


def test_blank_letter_has_no_link():
    ws = Workbook().active
    write_table(ws, schema.DUNNING_LOG, [["2026-11-20", "C1", 1, "INV-1", 10.0, None]], "en")
    assert ws.cell(2, len(schema.DUNNING_LOG.columns)).hyperlink is None
