"""`xlfin audit PATH`: the last runs recorded on the Audit sheet, and whether the book changed since (issue #17).

Read-only: the book is opened (decrypted in memory when encrypted) and nothing is written. The workbook hash of the
file as it is now is compared with the `hash_after` of the last run (xlsx.digest): equal means nobody changed the
workbook since xlfin last wrote it; different means it was edited or saved elsewhere (Excel, another tool).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console

from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.schema.i18n import t
from xlfin.xlsx.digest import HASH_PENDING

SHOWN = ("timestamp", "user", "machine", "verb", "action", "status", "encrypted", "hash_before", "hash_after",
         "recipients")


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def audit_report(path: Path, last: int = 10) -> dict:
    """The last `last` runs (oldest first), the book's current hash and how it compares with the last run's."""
    wb = open_workbook(Path(path), read_only=True)
    try:
        raw = wb.read_table(schema.AUDIT) if wb.has_table(schema.AUDIT) else None
        now = wb.hash_before()
        encrypted = wb.encrypted
    finally:
        wb.close()
    frame = raw.frame if raw is not None else pd.DataFrame(columns=schema.AUDIT.keys)
    lang = (raw.language if raw is not None else None) or "en"
    rows = [{k: _text(r.get(k)) for k in SHOWN} for r in frame.to_dict(orient="records")]
    afters = [r["hash_after"] for r in rows if r["hash_after"] and r["hash_after"] != HASH_PENDING]
    status = "unknown" if not afters else ("unchanged" if afters[-1] == now else "changed")
    return {"path": str(path), "language": lang, "encrypted": encrypted, "runs_recorded": len(rows),
            "runs": rows[-last:], "hash_now": now, "since_last_run": status,
            "since_last_run_text": t(f"audit_{status}", lang)}


def print_audit(report: dict, console: Console) -> None:
    """One line per run (oldest first), hashes shortened to 12 characters; labels in the workbook's language."""
    lang = report["language"]
    label = {k: schema.AUDIT.column(k).label(lang) for k in SHOWN}
    console.print(report["path"], markup=False)
    for r in report["runs"]:
        line = (f"{r['timestamp']}  {r['user']}@{r['machine']}  {r['verb']} ({r['action']})  {r['status']}  "
                f"{label['encrypted']}: {r['encrypted']}  {label['hash_before']}: {r['hash_before'][:12]}  "
                f"{label['hash_after']}: {r['hash_after'][:12]}")
        if r["recipients"]:
            line += f"  {label['recipients']}: {r['recipients']}"
        console.print(line, markup=False, soft_wrap=True)
    console.print(t("audit_summary", lang, n=report["runs_recorded"], hash=report["hash_now"][:12],
                    status=report["since_last_run_text"]), markup=False)
