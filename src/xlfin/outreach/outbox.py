"""The Outbox (SPEC §3.2 tblOutbox): what is queued for e-mail, and the journal that makes sending exactly-once.

A queued message is a complete .eml file (the `file` column) with a stable Message-ID derived from the book, the
customer, the kind and the as-of date: queueing the same thing twice finds the id already there and adds nothing.

The journal (`<book>.outbox.jsonl`, next to the workbook) is the source of truth for what happened on the wire: an
`attempt` line is written and fsynced before a message goes to the SMTP server, `sent` right after the server
accepted it, `failed` with the reason when it refused. The Outbox sheet is brought up to date from the journal at
the end of every run, so a run killed before it saved the workbook loses nothing: the next run reads the journal
first and never sends again what it records as sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pandas as pd

from .. import schema

KINDS = ("dunning", "statement", "confirmation")
STATUSES = ("queued", "sent", "failed")
_EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")


def valid_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip())) if text else False


def message_id(book: str, customer_id: str, kind: str, as_of: dt.date, domain: str) -> str:
    """Stable: the same book, customer, kind and as-of date always give the same id."""
    book_tag = hashlib.sha1(Path(book).stem.encode()).hexdigest()[:8]
    cust = hashlib.sha1(customer_id.encode()).hexdigest()[:10]
    return f"<xlfin.{kind}.{as_of:%Y%m%d}.{cust}.{book_tag}@{domain or 'xlfin.invalid'}>"


def sender_domain(address: str) -> str:
    return address.rsplit("@", 1)[1].strip().lower() if "@" in (address or "") else ""


@dataclass(frozen=True)
class Queued:
    message_id: str
    customer_id: str
    kind: str
    to: str
    subject: str
    file: Path


def write_message(msg: EmailMessage, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(msg.as_bytes(policy=policy.SMTP))
    os.replace(tmp, path)
    return path


def read_message(path: Path) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(Path(path).read_bytes())  # type: ignore[return-value]


# ---------------------------------------------------------------- the sheet


def read_outbox(wb) -> pd.DataFrame:
    """The Outbox rows as they are (all of them, in order); an empty frame when the sheet is not there yet."""
    if not wb.has_table(schema.OUTBOX):
        return pd.DataFrame({k: pd.Series(dtype=object) for k in schema.OUTBOX.keys})
    frame = wb.read_table(schema.OUTBOX).frame
    for k in schema.OUTBOX.keys:
        if k not in frame:
            frame[k] = None
    frame = frame[schema.OUTBOX.keys].copy()
    frame["attempts"] = pd.to_numeric(frame["attempts"], errors="coerce").fillna(0).astype(int)
    frame["status"] = [str(s).strip().lower() if s is not None else "queued" for s in frame["status"]]
    return frame.reset_index(drop=True)


def add_queued(frame: pd.DataFrame, items: list[Queued], now: dt.datetime) -> tuple[pd.DataFrame, int]:
    """Append messages whose id is not there yet; returns the new frame and how many were added."""
    known = set(frame["message_id"].astype(str))
    rows = [{"message_id": q.message_id, "created": now.isoformat(timespec="seconds"), "customer_id": q.customer_id,
             "kind": q.kind, "to": q.to, "subject": q.subject, "status": "queued", "attempts": 0, "sent_at": None,
             "error": None, "file": str(Path(q.file).resolve())} for q in items if q.message_id not in known]
    if not rows:
        return frame, 0
    return pd.concat([frame, pd.DataFrame(rows, columns=schema.OUTBOX.keys)], ignore_index=True), len(rows)


def stage_outbox(wb, frame: pd.DataFrame, lang) -> None:
    """The sheet is replaced with every row it had (in order) plus the new ones, statuses from the journal."""
    out = frame.copy()
    out["attempts"] = out["attempts"].astype("int64")
    wb.replace_sheet(schema.OUTBOX.sheet_en, [(schema.OUTBOX, out)], lang)


# ---------------------------------------------------------------- the journal


def journal_path(book: Path) -> Path:
    book = Path(book)
    return book.with_name(book.name + ".outbox.jsonl")


class Journal:
    """Append-only, fsynced per line; read whole at start (a torn last line from a kill is ignored)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.state: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                self._apply(ev)

    def _apply(self, ev: dict) -> None:
        s = self.state.setdefault(ev["id"], {"attempts": 0, "status": None, "sent_at": None, "error": None})
        if ev["event"] == "attempt":
            s["attempts"] += 1
            if s["status"] != "sent":
                s["status"] = "sending"
        elif ev["event"] == "sent":
            s["status"], s["sent_at"], s["error"] = "sent", ev["at"], None
        elif ev["event"] == "failed" and s["status"] != "sent":
            s["status"], s["error"] = "failed", ev.get("error")

    def record(self, mid: str, event: str, error: str | None = None) -> None:
        ev = {"id": mid, "event": event, "at": dt.datetime.now().isoformat(timespec="seconds")}
        if error:
            ev["error"] = error[:300]
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(ev, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._apply(ev)

    def is_sent(self, mid: str) -> bool:
        return self.state.get(mid, {}).get("status") == "sent"

    def merge_into(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Outbox rows brought up to date with what the journal records."""
        out = frame.copy()
        for i, mid in enumerate(out["message_id"].astype(str)):
            s = self.state.get(mid)
            if not s:
                continue
            out.at[i, "attempts"] = max(int(out.at[i, "attempts"] or 0), s["attempts"])
            if s["status"] == "sent":
                out.at[i, "status"], out.at[i, "sent_at"], out.at[i, "error"] = "sent", s["sent_at"], None
            elif s["status"] == "failed":
                out.at[i, "status"], out.at[i, "error"] = "failed", s["error"]
            elif s["status"] == "sending":  # killed between attempt and answer: sent again next run
                out.at[i, "status"], out.at[i, "error"] = "queued", "interrupted; will be sent again"
        return out
