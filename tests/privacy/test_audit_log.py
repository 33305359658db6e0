"""The access log (issue #17 item 3): user, machine, verb, hashes before/after, encryption, recipients; `xlfin audit`."""

from __future__ import annotations

import getpass
import io
import json
import platform
import zipfile
from pathlib import Path

import pytest
from privacy_helpers import PASSWORD, encrypted_book, opened, plain_book, rows
from test_cli import edit_workbook, table_rows
from typer.testing import CliRunner

from xlfin import schema
from xlfin.app.access_log import MAX_CELL, recipients_text
from xlfin.cli.main import app
from xlfin.xlsx.digest import HASH_PENDING, zip_digest

runner = CliRunner()


def xlfin(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def test_each_run_records_who_where_what_and_the_hash_chain(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsm"
    book.write_bytes(plain_book())
    first_before = zip_digest(book)
    assert xlfin("aging", book).exit_code in (0, 1)
    assert xlfin("scorecard", book).exit_code in (0, 1)
    audit = table_rows(book, schema.AUDIT)
    aging, scorecard = audit[-2], audit[-1]
    assert aging["user"] == getpass.getuser() and aging["machine"] == platform.node()
    assert (aging["verb"], aging["action"], aging["encrypted"]) == ("aging", "aging", "No")
    assert aging["hash_before"] == first_before
    # run 1's result is what run 2 found: nobody changed the book in between
    assert aging["hash_after"] == scorecard["hash_before"] != first_before
    assert scorecard["hash_after"] == zip_digest(book)  # the hash of the file as written, Audit sheet aside
    assert all(len(r["hash_after"]) == 64 and r["hash_after"] != HASH_PENDING for r in audit[-2:])


def test_regenerate_rows_share_the_verb_and_hashes(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsm"
    book.write_bytes(plain_book())
    assert xlfin("regenerate", book).exit_code in (0, 1)
    audit = table_rows(book, schema.AUDIT)[-7:]
    assert {r["verb"] for r in audit} == {"regenerate"}
    assert [r["action"] for r in audit] == ["validate", "reconcile", "aging", "scorecard", "dunning", "forecast",
                                            "dashboard"]
    assert len({(r["hash_before"], r["hash_after"]) for r in audit}) == 1


def test_letters_are_listed_by_recipient(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsm"
    book.write_bytes(plain_book())
    assert xlfin("dunning", book, "--letters", tmp_path / "letters").exit_code in (0, 1)
    notices = [r for r in table_rows(book, schema.DUNNING) if r["letter"]]
    assert notices
    row = table_rows(book, schema.AUDIT)[-1]
    assert row["action"] == "letters"
    expected = "; ".join(f"{n['customer_id']} <{n['email']}>" if n["email"] else str(n["customer_id"]) for n in notices)
    assert row["recipients"] == expected


def test_recipients_fit_one_cell() -> None:
    many = [f"C{i:05d} <ap{i}@example.com>" for i in range(3000)]
    text = recipients_text(many + many[:5])  # each once
    assert len(text) <= MAX_CELL and text.startswith("C00000 <ap0@example.com>; C00001")
    assert text.endswith("more)") and "+" in text


def test_the_log_of_an_encrypted_book_never_holds_the_password(tmp_path: Path, with_password: str) -> None:
    book = encrypted_book(tmp_path / "book.xlsm")
    assert xlfin("aging", book).exit_code in (0, 1)
    package = opened(book)
    row = rows(package, schema.AUDIT)[-1]
    assert row["encrypted"] == "Yes" and row["hash_after"] == zip_digest(package)
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        assert not [n for n in zf.namelist() if PASSWORD.encode() in zf.read(n)]


def test_audit_view_shows_the_last_runs_and_notices_outside_edits(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsm"
    book.write_bytes(plain_book())
    assert xlfin("aging", book).exit_code in (0, 1)
    assert xlfin("dunning", book).exit_code in (0, 1)
    before = book.read_bytes()
    shown = xlfin("audit", book, "--last", "1")
    assert shown.exit_code == 0, shown.stderr
    assert "dunning (dunning)" in shown.stdout and "aging (aging)" not in shown.stdout
    assert "unchanged since the last run" in shown.stdout
    assert book.read_bytes() == before  # read-only
    report = json.loads(xlfin("audit", book, "--json").stdout)
    assert [r["verb"] for r in report["runs"]][-2:] == ["aging", "dunning"]
    assert report["since_last_run"] == "unchanged" and report["runs"][-1]["hash_after"] == report["hash_now"]
    edit_workbook(book, lambda wb: wb["Customers"].cell(row=2, column=2, value="Renamed by hand"))
    report = json.loads(xlfin("audit", book, "--json").stdout)
    assert report["since_last_run"] == "changed"


@pytest.mark.parametrize("lang", ["zh-CN"])
def test_audit_labels_exist_in_both_languages(lang: str) -> None:
    for key in ("machine", "verb", "encrypted", "hash_before", "hash_after", "recipients"):
        column = schema.AUDIT.column(key)
        assert column.en and column.label(lang) and column.label(lang) != column.en


def test_stamp_package_works_on_a_package_object(tmp_path: Path) -> None:
    """The same stamping for a writer that keeps its parts in a package object (names/read/write)."""
    from xlfin.xlsx.digest import package_digest, stamp_package

    book = tmp_path / "book.xlsm"
    book.write_bytes(plain_book())
    assert xlfin("aging", book).exit_code in (0, 1)
    with zipfile.ZipFile(book) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    stamped = table_rows(book, schema.AUDIT)[-1]["hash_after"]
    audit_part = next(n for n, data in parts.items() if stamped.encode() in data)
    parts[audit_part] = parts[audit_part].replace(stamped.encode(), HASH_PENDING.encode())

    class Store(dict):
        def names(self):
            return list(self)

        def read(self, name):
            return self[name]

        def write(self, name, data):
            self[name] = data

    store = Store(parts)
    assert stamp_package(store) and HASH_PENDING.encode() not in store[audit_part]
    assert stamped.encode() in store[audit_part] and package_digest(store) == stamped
    assert not stamp_package(store)  # nothing pending any more
