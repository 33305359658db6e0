"""What the Audit sheet records about a run besides its counts (issue #17: 访问日志, the access log).

Who (the OS user), where (the machine), which command, whether the book was encrypted, the workbook hash before and
after (xlsx.digest), and to whom letters, statements or Outbox messages went. Never a password: nothing here reads
one, and the password module's `Secret` does not print its value.
"""

from __future__ import annotations

import datetime as dt
import getpass
import platform
from collections.abc import Iterable

import pandas as pd

MAX_CELL = 32_767  # Excel's limit for the text of one cell


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some service accounts; the row still records the run
        return ""


def machine() -> str:
    return platform.node()


def hashes(wb) -> tuple[str, str]:
    """(hash before, placeholder of the hash after) from a file adapter; blank for Excel itself (the live
    adapter), where the file on disk is not what is being changed."""
    before = wb.hash_before() if hasattr(wb, "hash_before") else ""
    after = wb.hash_after_pending() if hasattr(wb, "hash_after_pending") else ""
    return before, after


def recipient(customer_id: object, address: object = None) -> str:
    cid = "" if customer_id is None or pd.isna(customer_id) else str(customer_id)
    addr = "" if address is None or pd.isna(address) or not str(address).strip() else str(address).strip()
    return f"{cid} <{addr}>" if addr else cid


def recipients_text(items: Iterable[str]) -> str:
    """'C001 <ap@a.com>; C002' in order, each once, cut to what one cell holds (with the number left out)."""
    seen = list(dict.fromkeys(i for i in items if i))
    text = "; ".join(seen)
    if len(text) <= MAX_CELL:
        return text
    kept: list[str] = []
    size = 0
    for item in seen:
        if size + len(item) + 2 > MAX_CELL - 40:
            break
        kept.append(item)
        size += len(item) + 2
    return "; ".join(kept) + f"; … (+{len(seen) - len(kept)} more)"


def letter_recipients(notices: pd.DataFrame) -> str:
    """The recipients of the notices that got a letter (Dunning: customer and e-mail address)."""
    if not len(notices) or "letter" not in notices:
        return ""
    sent = notices[notices["letter"].fillna("").astype(str) != ""]
    emails = sent["email"] if "email" in sent else [None] * len(sent)
    return recipients_text(recipient(c, e) for c, e in zip(sent["customer_id"], emails))


def audit_row(wb, action: str, rows_in: int, rows_out: int, message: str = "", *, verb: str | None = None,
              recipients: str = "", hashes_of_run: tuple[str, str] | None = None) -> dict:
    """One tblAudit row for any writer of the Audit sheet (operations, bank import, statements, send).
    `hashes_of_run`: the (before, pending after) pair when a run records several rows (computed once)."""
    before, after = hashes_of_run if hashes_of_run is not None else hashes(wb)
    return {
        "timestamp": dt.datetime.now().isoformat(timespec="seconds"),
        "user": os_user(),
        "action": action,
        "source": getattr(wb, "name", "") or "",
        "rows_in": rows_in,
        "rows_out": rows_out,
        "status": "ok",
        "message": message,
        "machine": machine(),
        "verb": verb or action,
        "encrypted": bool(getattr(wb, "encrypted", False)),
        "hash_before": before,
        "hash_after": after,
        "recipients": recipients,
    }
