"""Delivering queued messages through SMTP (STARTTLS, SSL or plain, with login), one connection per batch.

Per-message refusals (a 4xx/5xx answer to MAIL, RCPT or DATA) are recorded as `failed` and the batch goes on;
temporary ones (4xx, a dropped connection) are tried again after the rest, up to PASSES times in a run. A dropped
connection fails the message in flight and the next message reconnects; when the server cannot be reached again,
the rest stay queued for the next run. The password never comes from the workbook: XLFIN_SMTP_PASSWORD, else
the OS keyring (service `xlfin-smtp`, user = smtp_user).
"""

from __future__ import annotations

import email.utils
import os
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage

from xlfin.schema.settings import Settings
from .outbox import Journal, Queued, read_message

KEYRING_SERVICE = "xlfin-smtp"
PASSWORD_ENV = "XLFIN_SMTP_PASSWORD"
TIMEOUT = 30


class SendConfigError(ValueError):
    """Sending cannot start (no server, no sender, no password): nothing was sent."""


def smtp_password(settings: Settings) -> str | None:
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    if not settings.smtp_user:
        return None
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, settings.smtp_user)
    except Exception:  # noqa: BLE001 - no keyring backend on this machine: same as no stored password
        return None


def check_config(settings: Settings) -> None:
    if not settings.smtp_host:
        raise SendConfigError("Config smtp_host is blank; set the SMTP server on the Config sheet")
    if not settings.sender_email:
        raise SendConfigError("Config sender_email is blank; set the From address on the Config sheet")
    if settings.smtp_user and not smtp_password(settings):
        raise SendConfigError(f"no SMTP password for {settings.smtp_user}: set {PASSWORD_ENV} or store it with "
                              f"`keyring set {KEYRING_SERVICE} {settings.smtp_user}`")


def prepare(item: Queued, settings: Settings) -> EmailMessage:
    """The queued .eml with today's From and Date; its Message-ID is kept as queued."""
    msg = read_message(item.file)
    for header in ("From", "Date", "X-Unsent", "Sender"):
        del msg[header]
    msg["From"] = Address(display_name=settings.sender_name or settings.company_name or "",
                          addr_spec=settings.sender_email)
    msg["Date"] = email.utils.formatdate(localtime=True)
    if msg["Message-ID"] != item.message_id:
        del msg["Message-ID"]
        msg["Message-ID"] = item.message_id
    return msg


def connect(settings: Settings, password: str | None) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.smtp_security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT,
                                                context=context)
    else:
        server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
        if settings.smtp_security == "starttls":
            server.starttls(context=context)
    if settings.smtp_user:
        server.login(settings.smtp_user, password or "")
    return server


@dataclass
class SendResult:
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)
    connection_error: str | None = None


PASSES = 3  # a message refused with a temporary (4xx) answer or cut off by a dropped connection is tried again


class _Unreachable(Exception):
    pass


class _Session:
    """One SMTP connection, opened on demand and checked with NOOP before each message (a server that closed an
    idle or over-long session is reconnected to, instead of failing the next message)."""

    def __init__(self, connector: Callable[[], smtplib.SMTP]) -> None:
        self.connector = connector
        self.server: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self.server is not None:
            try:
                if self.server.noop()[0] == 250:
                    return self.server
            except (OSError, smtplib.SMTPException):
                pass
            self.drop()
        try:
            self.server = self.connector()
        except (OSError, smtplib.SMTPException) as exc:
            raise _Unreachable(f"{type(exc).__name__}: {exc}") from exc
        return self.server

    def drop(self) -> None:
        if self.server is not None:
            try:
                self.server.close()
            except (OSError, smtplib.SMTPException):
                pass
        self.server = None

    def quit(self) -> None:
        if self.server is not None:
            try:
                self.server.quit()
            except (OSError, smtplib.SMTPException):
                pass
        self.server = None


def deliver(items: Sequence[Queued], settings: Settings, journal: Journal,
            progress: Callable[[str], None] = lambda _m: None,
            connector: Callable[[], smtplib.SMTP] | None = None) -> SendResult:
    """Send each item once; the journal records attempt / sent / failed around every SMTP transaction.

    Up to PASSES passes: what failed temporarily in one pass is tried again after the others; a permanent refusal
    (5xx) is not retried in the run. When the server cannot be reached, the rest are left queued."""
    password = smtp_password(settings)
    session = _Session(connector or (lambda: connect(settings, password)))
    result = SendResult()
    todo = [i for i in items if not journal.is_sent(i.message_id)]
    for _ in range(PASSES):
        retry: list[Queued] = []
        for n, item in enumerate(todo, start=1):
            progress(f"send {n}/{len(todo)}")
            try:
                outcome, error = _send_one(item, settings, journal, session)
            except _Unreachable as exc:
                result.connection_error = str(exc)
                result.left = [i.message_id for i in todo[n - 1:] + retry if i.message_id not in result.failed]
                session.quit()
                return result
            if outcome == "sent":
                result.sent.append(item.message_id)
                result.failed.pop(item.message_id, None)
                continue
            result.failed[item.message_id] = error
            if outcome == "temporary":
                retry.append(item)
        if not retry:
            break
        todo = retry
    session.quit()
    return result


def _send_one(item: Queued, settings: Settings, journal: Journal, session: _Session) -> tuple[str, str]:
    """('sent' | 'temporary' | 'permanent', error); the journal has the attempt and its outcome."""
    try:
        msg = prepare(item, settings)
    except OSError as exc:
        journal.record(item.message_id, "attempt")
        journal.record(item.message_id, "failed", f"message file unreadable: {exc}")
        return "permanent", f"message file unreadable: {exc}"
    server = session.get()
    journal.record(item.message_id, "attempt")
    try:
        server.send_message(msg, from_addr=settings.sender_email, to_addrs=[item.to])
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
        error = _reason(exc)
        journal.record(item.message_id, "failed", error)
        if not _reset(server):
            session.drop()  # a 421 closes the session: the next message reconnects
        return ("temporary" if _temporary(exc) else "permanent"), error
    except OSError as exc:  # SMTPServerDisconnected, a reset socket (SMTPException is an OSError: caught above)
        session.drop()
        error = f"connection dropped: {type(exc).__name__}: {exc}"
        journal.record(item.message_id, "failed", error)
        return "temporary", error
    journal.record(item.message_id, "sent")
    return "sent", ""


def _temporary(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    return 400 <= int(getattr(exc, "smtp_code", 0) or 0) < 500


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                         for rcpt, (code, msg) in exc.recipients.items())
    code = getattr(exc, "smtp_code", "")
    msg = getattr(exc, "smtp_error", b"")
    text = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {text}".strip()


def _reset(server: smtplib.SMTP) -> bool:
    try:
        server.rset()
        return True
    except (OSError, smtplib.SMTPException):
        return False
