"""Statements and confirmations: totals equal the Aging sheet, Chinese renders in the PDF, HTML is escaped."""

from __future__ import annotations

import json
from email import message_from_bytes
from pathlib import Path

import pypdf
from outreach_samples import MT940_GERMAN, make_book
from typer.testing import CliRunner

from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.cli.main import app

runner = CliRunner()


def _invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def test_statement_totals_equal_the_aging_sheet(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    (tmp_path / "de.sta").write_text(MT940_GERMAN)
    assert _invoke("import-bank", book, tmp_path / "de.sta").exit_code == 0
    assert _invoke("regenerate", book).exit_code in (0, 1)
    result = _invoke("statements", book, "--out", tmp_path / "st", "--from", "2024-01-01", "--json")
    assert result.exit_code == 0, result.output
    docs = json.loads(result.output)["documents"]
    with open_workbook(book, read_only=True) as wb:
        aging = wb.read_table(schema.AGING).frame
    expected = {c: round(float(t), 2) for c, t in zip(aging["customer_id"], aging["total"])}
    assert {d["customer_id"]: d["closing"] for d in docs} == expected
    c001 = _pdf_text(tmp_path / "st" / "statement_C001_20240331.pdf")
    assert "Opening balance" in c001 and "Closing balance" in c001 and "14.00" not in c001
    assert "1,400.00" in c001 or "-100.00" in c001
    html = (tmp_path / "st" / "statement_C001_20240331.html").read_text(encoding="utf-8")
    assert f"{expected['C001']:,.2f}" in html


def test_running_balance_opening_and_lines(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    (tmp_path / "de.sta").write_text(MT940_GERMAN)
    assert _invoke("import-bank", book, tmp_path / "de.sta").exit_code == 0
    from xlfin.app.operations import Run
    from xlfin.outreach.statements import build_statements

    import datetime as dt

    with open_workbook(book, read_only=True) as wb:
        run = Run(wb)
        summary, detail = run.aging
        (st,) = build_statements(run.frames["customers"], run.open_items, run.frames["payments"],
                                 run.reconciliation.allocations, run.reconciliation.unapplied, summary, detail,
                                 schema.aging_bucket_labels(), dt.date(2024, 3, 1), run.as_of, "EUR", only=["C001"])
    assert st.opening == 150000  # INV-0001 + INV-0002 before March
    assert [(ln.kind, ln.debit, ln.credit, ln.balance) for ln in st.lines] == [
        ("payment", 0, 150000, 0), ("credit_note", 0, 10000, -10000)]
    assert st.closing == -10000 and sum(v for _, v in st.buckets) == st.closing


def test_zh_confirmation_pdf_renders_chinese_and_queues_mail_with_pdf(tmp_path):
    book = make_book(tmp_path / "book.xlsm", config={"language": "zh-CN", "sender_email": "ar@example.cn"})
    result = _invoke("statements", book, "--confirmation", "--out", tmp_path / "cf", "--customer", "C003", "--json")
    assert result.exit_code == 0, result.output
    r = json.loads(result.output)
    assert r["queued"] == 1 and r["no_email"] == []
    text = _pdf_text(tmp_path / "cf" / "confirmation_C003_20240331.pdf")
    for words in ("往来款项询证函", "上海华东贸易有限公司", "回函", "核对相符", "88,000.00"):
        assert words in text, words
    msg = message_from_bytes((tmp_path / "cf" / "confirmation_C003_20240331.eml").read_bytes())
    assert msg["To"].endswith("<cw@huadong.example>") and msg["Message-ID"].endswith("@example.cn>")
    attachments = [p.get_filename() for p in msg.walk() if p.get_content_disposition() == "attachment"]
    assert attachments == ["confirmation_C003_20240331.pdf"]
    again = json.loads(_invoke("statements", book, "--confirmation", "--out", tmp_path / "cf", "--customer", "C003",
                               "--json").output)
    assert again["queued"] == 0  # same customer, kind and as-of: the same Message-ID is not queued twice
    with open_workbook(book, read_only=True) as wb:
        outbox = wb.read_table(schema.OUTBOX).frame
    assert list(outbox["status"]) == ["queued"] and list(outbox["kind"]) == ["confirmation"]


def test_customers_without_email_are_listed_and_names_are_escaped(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    result = _invoke("statements", book, "--out", tmp_path / "st", "--json")
    r = json.loads(result.output)
    assert r["no_email"] == ["C005"] and r["queued"] == 4
    from xlfin.outreach.html import render_html
    from xlfin.outreach.statements import Statement
    import datetime as dt

    st = Statement("X<1>", "<script>alert(1)</script>", "", "", "EUR", dt.date(2024, 1, 1), dt.date(2024, 1, 31),
                   0, [], 0, [("Current", 0)])
    html = render_html(st, "statement", "en", "A & B")
    assert "<script>" not in html and "&lt;script&gt;" in html and "A &amp; B" in html


def test_unknown_customer_is_refused(tmp_path):
    book = make_book(tmp_path / "book.xlsm")
    result = _invoke("statements", book, "--customer", "NOPE", "--out", tmp_path / "st")
    assert result.exit_code == 2 and "NOPE" in result.output


def test_every_outreach_text_exists_in_both_languages():
    from xlfin.outreach.texts import TEXTS

    for key, entry in TEXTS.items():
        assert entry.get("en") and entry.get("zh-CN"), key
        assert set(__import__("re").findall(r"{(\w+)}", entry["en"])) == \
            set(__import__("re").findall(r"{(\w+)}", entry["zh-CN"])), key


def test_outreach_runs_are_in_the_access_log_with_recipients(tmp_path):
    """Issue #17 item 3: bank imports and statements are logged like every other run (machine, verb, hashes), and
    statements name who they are queued for."""
    book = make_book(tmp_path / "book.xlsm")
    (tmp_path / "de.sta").write_text(MT940_GERMAN)
    assert _invoke("import-bank", book, tmp_path / "de.sta").exit_code == 0
    result = _invoke("statements", book, "--out", tmp_path / "st", "--from", "2024-01-01", "--json")
    assert result.exit_code == 0, result.output
    with open_workbook(book, read_only=True) as wb:
        audit = wb.read_table(schema.AUDIT).frame
    rows = {r.action: r for r in audit.itertuples()}
    assert {"import-bank", "statements"} <= set(rows)
    for action in ("import-bank", "statements"):
        row = rows[action]
        assert row.machine and len(str(row.hash_before)) == 64 and row.verb == action
    assert "<" in str(rows["statements"].recipients) and "@" in str(rows["statements"].recipients)
