"""import-bank on a workbook: appends only new credits, never touches an existing cell, refuses bad files whole."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from outreach_samples import CSV_GBK, MT940_CHINA, MT940_GERMAN, camt053, camt054, camt_entry, camt_tx, make_book
from typer.testing import CliRunner

from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.cli.main import app

runner = CliRunner()


def _payments(path):
    with open_workbook(path, read_only=True) as wb:
        return wb.read_table(schema.PAYMENTS).frame


def _invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_import_twice_adds_nothing_the_second_time_and_keeps_existing_rows(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    before = _payments(book)
    (tmp_path / "de.sta").write_text(MT940_GERMAN)
    (tmp_path / "icbc.csv").write_bytes(CSV_GBK)
    first = _invoke("import-bank", book, tmp_path / "de.sta", tmp_path / "icbc.csv", "--json")
    assert first.exit_code == 0, first.output
    r = json.loads(first.output)
    assert r["appended"] == 3 and len(r["reversals"]) == 2 and r["not_payments"] == 2
    after = _payments(book)
    assert len(after) == len(before) + 3
    old = after.iloc[:len(before)][list(before.columns)]
    assert old.astype(str).equals(before.astype(str))  # no existing cell changed
    new = after.iloc[len(before):]
    assert set(new["bank_ref"]) == {"BANKREF0001", "ICBC202403060001", "ICBC202403060004"}
    assert list(new["currency"]) == ["EUR", "CNY", "CNY"]
    assert new["payment_id"].is_unique
    second = _invoke("import-bank", book, tmp_path / "de.sta", tmp_path / "icbc.csv", "--json")
    assert second.exit_code == 0 and json.loads(second.output)["appended"] == 0
    assert json.loads(second.output)["already_imported"] == 3
    assert len(_payments(book)) == len(after)


def test_notification_then_statement_is_imported_once_and_batches_split(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    one = camt_tx("99.00", ref="TX-A", payer="Acme BV", ustrd="INV-0004")
    batch = one + camt_tx("250.50", ref="TX-B", payer="Acme BV", ustrd="INV-0003")
    (tmp_path / "n.xml").write_bytes(camt054([camt_entry("99.00", ref="E-1", txs=one)]))
    (tmp_path / "s.xml").write_bytes(camt053([camt_entry("349.50", ref="E-9", txs=batch)]))
    assert _invoke("import-bank", book, tmp_path / "n.xml").exit_code == 0
    result = _invoke("import-bank", book, tmp_path / "s.xml", "--json")
    assert json.loads(result.output)["appended"] == 1 and json.loads(result.output)["already_imported"] == 1
    refs = list(_payments(book)["bank_ref"].dropna())
    assert sorted(refs) == ["TX-A", "TX-B"]


def test_reconciliation_matches_imported_payments_by_remittance_text(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    (tmp_path / "de.sta").write_text(MT940_GERMAN)
    (tmp_path / "cn.sta").write_bytes(MT940_CHINA.encode("gbk"))
    assert _invoke("import-bank", book, tmp_path / "de.sta", tmp_path / "cn.sta").exit_code == 0
    result = _invoke("reconcile", book)
    assert result.exit_code == 0, result.output
    with open_workbook(book, read_only=True) as wb:
        alloc = wb.read_table(schema.ALLOCATIONS).frame
        pays = wb.read_table(schema.PAYMENTS).frame
    by_ref = dict(zip(pays["payment_id"], pays["bank_ref"]))
    got = {(by_ref[p], i, r) for p, i, r in zip(alloc["payment_id"], alloc["invoice_no"], alloc["rule"])
           if by_ref.get(p)}
    assert ("BANKREF0001", "INV-0001", "reference") in got and ("BANKREF0001", "INV-0002", "reference") in got
    assert ("CN2024030600011", "INV-0005", "reference") in got
    assert ("CN2024030600012", "INV-0006", "reference") in got


def test_a_malformed_file_refuses_the_run_and_nothing_is_appended(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    digest = hashlib.sha256(book.read_bytes()).hexdigest()
    (tmp_path / "good.sta").write_text(MT940_GERMAN)
    (tmp_path / "bad.sta").write_text(MT940_GERMAN.replace("CR1500,00", "CR1500.00"))
    result = _invoke("import-bank", book, tmp_path / "good.sta", tmp_path / "bad.sta")
    assert result.exit_code == 2
    assert "bad.sta" in result.output and "line 5" in result.output
    assert hashlib.sha256(book.read_bytes()).hexdigest() == digest


def test_dry_run_writes_nothing(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    digest = hashlib.sha256(book.read_bytes()).hexdigest()
    (tmp_path / "de.sta").write_text(MT940_GERMAN)
    result = _invoke("import-bank", book, tmp_path / "de.sta", "--dry-run")
    assert result.exit_code == 0 and "would append 1 payment" in result.output
    assert hashlib.sha256(book.read_bytes()).hexdigest() == digest


def test_formula_like_remittance_stays_text(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    tx = camt_tx("10.00", ref="INJ-1", payer="=HYPERLINK(\"http://x\")", ustrd="=1+2")
    (tmp_path / "s.xml").write_bytes(camt053([camt_entry("10.00", ref="INJ", txs=tx)]))
    assert _invoke("import-bank", book, tmp_path / "s.xml").exit_code == 0
    row = _payments(book).iloc[-1]
    assert row["reference"] == "=1+2" and row["payer_name"].startswith("=HYPERLINK")


@pytest.mark.slow
def test_ten_thousand_entries_import_and_reimport(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    entries = [camt_entry(f"{i % 997 + 1}.00", ref=f"R{i:05d}", txs=camt_tx(payer=f"Payer {i % 50}",
                                                                          ustrd=f"INV-{i:05d}"))
               for i in range(10_000)]
    (tmp_path / "big.xml").write_bytes(camt053(entries))
    started = time.perf_counter()
    first = _invoke("import-bank", book, tmp_path / "big.xml", "--json")
    seconds = time.perf_counter() - started
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["appended"] == 10_000
    again = _invoke("import-bank", book, tmp_path / "big.xml", "--json")
    assert json.loads(again.output)["appended"] == 0
    assert len(_payments(book)) == 10_001
    print(f"10,000-entry camt.053 import: {seconds:.1f} s")


def test_a_payments_table_without_bank_ref_column_is_refused(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Customers"
    wb["Customers"].append(["Customer ID", "Customer Name"])
    wb["Customers"].append(["C1", "Alpha"])
    inv = wb.create_sheet("Invoices")
    inv.append(["Invoice No", "Customer ID", "Invoice Date", "Amount"])
    pay = wb.create_sheet("Payments")
    pay.append(["Payment ID", "Payment Date", "Amount", "Reference"])
    pay.append(["P1", "2024-03-01", 10, "x"])
    book = tmp_path / "old.xlsx"
    wb.save(book)
    digest = hashlib.sha256(book.read_bytes()).hexdigest()
    (tmp_path / "de.sta").write_text(MT940_GERMAN)
    result = _invoke("import-bank", book, tmp_path / "de.sta")
    assert result.exit_code == 2 and "Bank Ref" in result.output
    assert hashlib.sha256(book.read_bytes()).hexdigest() == digest
