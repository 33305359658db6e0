"""Real SMTP servers on 127.0.0.1 (aiosmtpd) for the sending tests: one that accepts everything, one that refuses
every third message, one that drops the connection in the middle of a batch."""

from __future__ import annotations

import asyncio
import socket
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """Stores every accepted message; `fail_every` refuses every n-th DATA; `drop_at` closes the connection at the
    n-th DATA without accepting it (counted over the server's life)."""

    def __init__(self, fail_every: int = 0, drop_at: tuple[int, ...] = (), delay: float = 0,
                 reject_to: set[str] | None = None, close_after: int = 0) -> None:
        self.messages: list[bytes] = []
        self.reject_to = reject_to or set()
        self.close_after = close_after  # close the session right after accepting this many messages in it
        self.delay = delay
        self.fail_every = fail_every
        self.drop_at = set(drop_at)
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: SMTP, session, envelope, address: str, rcpt_options) -> str:  # noqa: N802
        if address in self.reject_to:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.count += 1
            n = self.count
        if self.delay:
            await asyncio.sleep(self.delay)
            if server.transport is None or server.transport.is_closing():
                return "421 client gone"  # the client left before the answer: not taken responsibility for
        if n in self.drop_at:
            server.transport.close()  # gone before answering: the client sees a dropped connection
            return "421 closing"
        if self.fail_every and n % self.fail_every == 0:
            return "451 4.3.0 temporary failure, try again later"
        with self.lock:
            self.messages.append(envelope.content)
        if self.close_after:
            session.accepted = getattr(session, "accepted", 0) + 1
            if session.accepted >= self.close_after:
                asyncio.get_running_loop().call_soon(server.transport.close)  # right after the 250 is written
        return "250 OK"

    def message_ids(self) -> list[str]:
        from email import message_from_bytes

        return [message_from_bytes(m)["Message-ID"] for m in self.messages]


class Server:
    def __init__(self, mailbox: Mailbox, port: int | None = None, authenticator=None) -> None:
        self.mailbox = mailbox
        self.port = port or free_port()
        extra = {"authenticator": authenticator, "auth_require_tls": False} if authenticator else {}
        self.controller = Controller(mailbox, hostname="127.0.0.1", port=self.port, **extra)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
