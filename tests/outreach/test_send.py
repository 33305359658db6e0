"""`xlfin send` against real SMTP servers on 127.0.0.1 (aiosmtpd): every message arrives exactly once, whatever the
server does (refuses every third message, drops the connection mid-batch) and even when the process is killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from outreach_samples import make_book
from smtp_servers import Mailbox, Server, free_port
from typer.testing import CliRunner

from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.cli.main import app

runner = CliRunner()


def _invoke(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


PORT = free_port()  # every test's server listens here, so one queued book serves them all


@pytest.fixture(scope="module")
def queued(tmp_path_factory) -> Path:
    """A book with 12 messages queued: statements, confirmations and dunning letters (built once, copied per test)."""
    folder = tmp_path_factory.mktemp("queued")
    book = make_book(folder / "book.xlsm", config={"smtp_host": "127.0.0.1", "smtp_port": PORT,
                                                   "smtp_security": "none", "sender_email": "ar@example.com",
                                                   "sender_name": "Example AR"})
    for extra in ([], ["--confirmation"]):
        result = _invoke("statements", book, "--out", folder / "docs", *extra)
        assert result.exit_code == 0, result.output
    result = _invoke("dunning", book, "--letters", folder / "letters")
    assert result.exit_code in (0, 1), result.output
    return book


def _queued_book(tmp_path: Path, template: Path, **config) -> Path:
    book = tmp_path / "book.xlsm"
    if config:
        make_book(book, config={"smtp_host": "127.0.0.1", "smtp_port": PORT, "smtp_security": "none",
                                "sender_email": "ar@example.com", **config})
        assert _invoke("statements", book, "--out", tmp_path / "docs", "--customer", "C001").exit_code == 0
    else:
        shutil.copyfile(template, book)
    return book


def _outbox(book: Path):
    with open_workbook(book, read_only=True) as wb:
        return wb.read_table(schema.OUTBOX).frame


def _exactly_once(mailbox: Mailbox, book: Path) -> None:
    ids = mailbox.message_ids()
    outbox = _outbox(book)
    assert sorted(ids) == sorted(outbox["message_id"]), "every queued message arrived exactly once"
    assert set(outbox["status"]) == {"sent"}


def _send_until_done(book: Path, runs: int = 6) -> list[dict]:
    results = []
    for _ in range(runs):
        result = _invoke("send", book, "--json")
        results.append(json.loads(result.output))
        if result.exit_code == 0:
            return results
        assert result.exit_code == 1, result.output
    raise AssertionError(f"still not done after {runs} runs: {results}")


def test_everything_sent_once_then_nothing_more(queued, tmp_path):
    mailbox = Mailbox()
    with Server(mailbox, port=PORT):
        book = _queued_book(tmp_path, queued)
        queued = len(_outbox(book))
        assert queued == 12  # 4 statements + 4 confirmations + 4 dunning notices (C005 has no address)
        first = _invoke("send", book, "--json")
        assert first.exit_code == 0, first.output
        assert json.loads(first.output)["sent"] == queued
        second = _invoke("send", book, "--json")
        assert json.loads(second.output)["sent"] == 0 and json.loads(second.output)["already_sent"] == queued
    _exactly_once(mailbox, book)
    msg = message_from_bytes(mailbox.messages[0])
    assert msg["From"] == "Example AR <ar@example.com>"
    outbox = _outbox(book)
    assert all(a == 1 for a in outbox["attempts"])
    statement = next(message_from_bytes(m) for m in mailbox.messages
                     if "statement" in message_from_bytes(m)["Message-ID"])
    assert [p.get_filename() for p in statement.walk() if p.get_content_disposition() == "attachment"][0].endswith(
        ".pdf")


def test_server_failing_every_third_message(queued, tmp_path):
    mailbox = Mailbox(fail_every=3)
    with Server(mailbox, port=PORT):
        book = _queued_book(tmp_path, queued)
        result = _invoke("send", book, "--json")
        assert result.exit_code == 0, result.output  # 4xx answers are tried again after the others, in the run
        assert json.loads(result.output)["sent"] == 12
        assert _invoke("send", book, "--json").exit_code == 0
    _exactly_once(mailbox, book)
    outbox = _outbox(book)
    assert sorted(outbox["attempts"])[-5:] == [1, 2, 2, 2, 3]  # 3, 6, 9, 12 refused; then the 15th (a retry)


def test_permanent_refusal_is_recorded_and_does_not_stop_the_rest(queued, tmp_path):
    mailbox = Mailbox(reject_to={"pay@acme.example"})
    with Server(mailbox, port=PORT):
        book = _queued_book(tmp_path, queued)
        result = _invoke("send", book, "--json")
        assert result.exit_code == 1
        r = json.loads(result.output)
        assert r["sent"] == 9 and len(r["failed"]) == 3 and all("550" in e for e in r["failed"].values())
    outbox = _outbox(book)
    refused = outbox[outbox["to"] == "pay@acme.example"]
    assert set(refused["status"]) == {"failed"} and set(refused["attempts"]) == {1}
    assert all("550" in e for e in refused["error"])
    assert len(mailbox.messages) == 9


def test_server_dropping_the_connection_mid_batch(queued, tmp_path):
    mailbox = Mailbox(drop_at=(4, 9))
    with Server(mailbox, port=PORT):
        book = _queued_book(tmp_path, queued)
        first = _invoke("send", book, "--json")
        assert first.exit_code == 0, first.output  # reconnected, went on, and retried the two cut off
        assert json.loads(first.output)["sent"] == 12
    _exactly_once(mailbox, book)


def test_server_closing_the_session_between_messages(queued, tmp_path):
    mailbox = Mailbox(close_after=5)
    with Server(mailbox, port=PORT):
        book = _queued_book(tmp_path, queued)
        result = _invoke("send", book, "--json")
        assert result.exit_code == 0 and json.loads(result.output)["failed"] == {}
    _exactly_once(mailbox, book)
    assert set(_outbox(book)["attempts"]) == {1}


def test_unreachable_server_leaves_everything_queued(queued, tmp_path):
    book = _queued_book(tmp_path, queued)  # no server listens on PORT now
    result = _invoke("send", book, "--json")
    assert result.exit_code == 1
    r = json.loads(result.output)
    assert r["sent"] == 0 and r["left_queued"] == 12 and r["connection_error"]
    assert set(_outbox(book)["status"]) == {"queued"}


def test_killed_process_is_completed_by_running_again(queued, tmp_path):
    """A slow server; the sending process is killed with SIGKILL mid-batch, before it saved the workbook."""
    mailbox = Mailbox(delay=0.4)
    with Server(mailbox, port=PORT):
        book = _queued_book(tmp_path, queued)
        proc = subprocess.Popen([sys.executable, "-c", "from xlfin.cli import main; main()", "send", str(book)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while len(mailbox.messages) < 4 and time.time() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.6)  # let the message in flight finish or be abandoned by the server
        assert 4 <= len(mailbox.messages) < 12
        assert set(_outbox(book)["status"]) == {"queued"}  # the workbook was never saved by the killed run
        mailbox.delay = 0
        _send_until_done(book)
    _exactly_once(mailbox, book)


def test_dry_run_writes_eml_only(queued, tmp_path):
    mailbox = Mailbox()
    with Server(mailbox, port=PORT):
        book = _queued_book(tmp_path, queued)
        result = _invoke("send", book, "--dry-run", "--kind", "statement", "--eml-dir", tmp_path / "eml", "--json")
        assert result.exit_code == 0, result.output
        files = json.loads(result.output)["dry_run_files"]
    assert len(files) == 4 and all(Path(f).suffix == ".eml" for f in files)
    assert mailbox.messages == [] and set(_outbox(book)["status"]) == {"queued"}


def test_limit_and_kind(queued, tmp_path):
    mailbox = Mailbox()
    with Server(mailbox, port=PORT):
        book = _queued_book(tmp_path, queued)
        result = _invoke("send", book, "--kind", "confirmation", "--limit", "3", "--json")
        assert json.loads(result.output)["sent"] == 3
    assert all("confirmation" in m for m in mailbox.message_ids())


@pytest.mark.parametrize("config, env, message", [
    ({"smtp_host": ""}, {}, "smtp_host"),
    ({"smtp_user": "ar"}, {"XLFIN_SMTP_PASSWORD": ""}, "no SMTP password"),
])
def test_missing_configuration_is_refused_with_exit_2(queued, tmp_path, monkeypatch, config, env, message):
    monkeypatch.setattr("keyring.get_password", lambda *_a: None)
    book = _queued_book(tmp_path, queued, **config)
    result = _invoke("send", book, env=env)
    assert result.exit_code == 2 and message in result.output


def test_login_with_password_from_environment(queued, tmp_path):
    from aiosmtpd.smtp import AuthResult

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    mailbox = Mailbox()
    with Server(mailbox, port=PORT, authenticator=authenticator):
        book = _queued_book(tmp_path, queued, smtp_user="ar")
        result = _invoke("send", book, "--limit", "1", env={"XLFIN_SMTP_PASSWORD": "s3cret"})
        assert result.exit_code == 0, result.output
    assert seen == [(b"ar", b"s3cret")] and len(mailbox.messages) == 1
