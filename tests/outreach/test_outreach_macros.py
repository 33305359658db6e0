"""The three outreach ribbon buttons on a real xw.Book backed by the in-memory xlwings engine."""

from __future__ import annotations

import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))

import fake_xlwings_engine as fake  # noqa: E402
from outreach_samples import MT940_GERMAN, make_book  # noqa: E402
from smtp_servers import Mailbox, Server, free_port  # noqa: E402

from xlfin.excel import macros
from xlfin import schema  # noqa: E402
from xlfin.excel.live import LiveWorkbook  # noqa: E402


def _rows(book, table):
    frame = LiveWorkbook(book).read_table(table).frame
    return [r for r in frame.to_dict("records") if any(v not in (None, "") for v in r.values())]


def test_import_statements_and_send_buttons(engine, tmp_path):
    port = free_port()
    path = make_book(tmp_path / "book.xlsm", config={"smtp_host": "127.0.0.1", "smtp_port": port,
                                                     "smtp_security": "none", "sender_email": "ar@example.com"})
    (tmp_path / "de.sta").write_text(MT940_GERMAN)
    book = fake.open_book(path)
    before = len(_rows(book, schema.PAYMENTS))
    assert macros.import_bank(book, files=[tmp_path / "de.sta"]) is not None
    assert len(_rows(book, schema.PAYMENTS)) == before + 1
    macros.import_bank(book, files=[tmp_path / "de.sta"])
    assert len(_rows(book, schema.PAYMENTS)) == before + 1  # the second import adds nothing
    assert book.app.impl.alerts[-1]["mode"] == "info"
    assert macros.statements(book) is not None
    assert (tmp_path / "statements").is_dir()
    assert {r["status"] for r in _rows(book, schema.OUTBOX)} == {"queued"}
    mailbox = Mailbox()
    with Server(mailbox, port=port):
        assert macros.send(book) is not None
    assert len(mailbox.messages) == len(_rows(book, schema.OUTBOX)) == 4
    assert {r["status"] for r in _rows(book, schema.OUTBOX)} == {"sent"}


def test_progress_bar_text():
    assert macros._bar("send 5/10") == "send ▕█████░░░░░▏ 5/10"
    assert macros._bar("read") == "read"
