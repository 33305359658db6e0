"""`xlfin import-bank`: bank files -> new rows appended to Payments, nothing else touched (SPEC §9, §11).

Every file is parsed before anything is staged, so one malformed file refuses the whole run with nothing appended.
A transaction is new when its bank_ref is neither in Payments nor earlier in this run (a camt.054 notification and
the day's camt.053 carry the same booking once). Rows go through the adapter's append API only: no existing cell
of Payments changes.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

from .. import schema
from xlfin.engine.money import cents_to_decimal
from ..schema import Lang
from xlfin.schema.settings import Settings
from xlfin.schema.tables import WorkbookError
from .bank import BankFile, BankFileError, BankTransaction, parse_bank_file

Progress = Callable[[str], None]
_METHOD = {"en": "Bank Transfer", "zh-CN": "银行转账"}


@dataclass
class ImportSummary:
    files: list[dict] = field(default_factory=list)
    appended: int = 0
    amount: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    reversals: list[dict] = field(default_factory=list)
    not_payments: int = 0
    dry_run: bool = False
    output: str | None = None
    seconds: float = 0.0
    language: str = "en"

    def as_dict(self) -> dict:
        return {"language": self.language, "files": self.files, "appended": self.appended, "amount": self.amount,
                "already_imported": self.duplicates, "reversals": self.reversals, "not_payments": self.not_payments,
                "dry_run": self.dry_run, "output": self.output, "seconds": round(self.seconds, 3)}


def csv_overrides(settings: Settings) -> dict[str, str]:
    """Config bank_csv_columns 'date=入账日; credit=收入' -> {'date': '入账日', 'credit': '收入'}."""
    out: dict[str, str] = {}
    for part in re.split(r"[;；\n]", settings.bank_csv_columns or ""):
        if "=" in part:
            k, v = part.split("=", 1)
            if k.strip() and v.strip():
                out[k.strip()] = v.strip()
    return out


def read_files(paths: Sequence[Path], fmt: str, encoding: str | None, settings: Settings,
               progress: Progress) -> list[BankFile]:
    """Parse every file first; the first malformed one raises WorkbookError (exit 2) naming file and line."""
    files = []
    for i, path in enumerate(paths, start=1):
        progress(f"read {i}/{len(paths)} {Path(path).name}")
        data = Path(path).read_bytes()
        try:
            files.append(parse_bank_file(data, str(path), fmt, encoding, csv_overrides(settings)))
        except BankFileError as exc:
            raise WorkbookError(str(exc)) from exc
    return files


def _existing_refs(wb) -> tuple[set[str], set[str]]:
    raw = wb.read_table(schema.PAYMENTS)
    if "bank_ref" not in raw.frame:  # a book from before bank import: without the column a re-import would duplicate
        col = schema.PAYMENTS.column("bank_ref")
        raise WorkbookError(f"{raw.sheet}: tblPayments has no '{col.en}' ({col.zh}) column; add it (and "
                            f"'{schema.PAYMENTS.column('payer_account').en}') to the table, then import again")
    refs = {str(v).strip() for v in raw.frame["bank_ref"].tolist() if v is not None and str(v).strip()}
    ids = {str(v).strip() for v in raw.frame["payment_id"].tolist() if v is not None}
    return refs, ids


def payment_id(bank_ref: str, taken: set[str]) -> str:
    """A stable id from the bank reference (the same file always gives the same ids)."""
    base = "BK-" + hashlib.sha1(bank_ref.encode()).hexdigest()[:10].upper()
    pid, n = base, 1
    while pid in taken:
        n += 1
        pid = f"{base}-{n}"
    taken.add(pid)
    return pid


def _rows(new: list[tuple[BankTransaction, str]], ids: set[str], settings: Settings, lang: Lang) -> pd.DataFrame:
    records = []
    for tx, source in new:
        records.append({
            "payment_id": payment_id(tx.bank_ref, ids),
            "payment_date": tx.booking_date,
            "customer_id": None,
            "payer_name": tx.payer_name or None,
            "amount": tx.amount_cents,
            "currency": tx.currency or settings.base_currency,
            "method": _METHOD[lang],
            "reference": tx.reference or None,
            "notes": source,
            "bank_ref": tx.bank_ref,
            "payer_account": tx.payer_account or None,
        })
    return pd.DataFrame(records, columns=schema.PAYMENTS.keys)


def import_bank(wb, paths: Sequence[Path], *, fmt: str = "auto", encoding: str | None = None, dry_run: bool = False,
                output: Path | None = None, progress: Progress | None = None) -> ImportSummary:
    """Parse, de-duplicate, stage the appended Payments rows and an Audit row, commit once."""
    started = time.perf_counter()
    progress = progress or (lambda _m: None)
    settings = wb.read_config()[0]
    lang = settings.language
    files = read_files(paths, fmt, encoding, settings, progress)
    known, ids = _existing_refs(wb)
    summary = ImportSummary(dry_run=dry_run, language=lang)
    new: list[tuple[BankTransaction, str]] = []
    for f in files:
        added = 0
        for tx in f.transactions:
            if tx.reversal:
                summary.reversals.append({"file": Path(f.name).name, "where": tx.where, "bank_ref": tx.bank_ref,
                                          "amount": float(cents_to_decimal(tx.amount_cents)), "currency": tx.currency})
            elif not tx.is_payment:
                summary.not_payments += 1
            elif tx.bank_ref in known:
                summary.duplicates += 1
            else:
                known.add(tx.bank_ref)
                new.append((tx, f"{Path(f.name).name}"))
                added += 1
        summary.files.append({"file": Path(f.name).name, "format": f.format, "encoding": f.encoding,
                              "transactions": len(f.transactions), "new_payments": added})
    frame = _rows(new, ids, settings, lang)
    summary.appended = len(frame)
    totals: dict[str, Decimal] = {}
    for tx, _ in new:
        ccy = tx.currency or settings.base_currency
        totals[ccy] = totals.get(ccy, Decimal(0)) + cents_to_decimal(tx.amount_cents)
    summary.amount = {k: float(v) for k, v in sorted(totals.items())}
    if not dry_run and len(frame):
        progress(f"append {len(frame)} payments")
        wb.append_rows(schema.PAYMENTS, frame, lang)
        wb.append_rows(schema.AUDIT, pd.DataFrame([_audit(wb, paths, summary)]), lang)
        progress("save")
        written = wb.commit(output)
        summary.output = str(written) if written else None
    summary.seconds = time.perf_counter() - started
    return summary


def _audit(wb, paths: Sequence[Path], summary: ImportSummary) -> dict:
    from xlfin.app.access_log import audit_row

    row = audit_row(wb, "import-bank", sum(f["transactions"] for f in summary.files), summary.appended,
                    f"{summary.duplicates} already imported, {len(summary.reversals)} reversal(s) not imported")
    row["source"] = ", ".join(Path(p).name for p in paths)
    return row
