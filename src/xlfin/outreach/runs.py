"""The outreach verbs on a workbook: statements (+ queue them), queue dunning letters, send what is queued."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from .. import schema
from xlfin.schema.tables import WorkbookError
from .html import render_html
from .outbox import (
    Journal,
    Queued,
    add_queued,
    journal_path,
    message_id,
    read_message,
    read_outbox,
    sender_domain,
    stage_outbox,
    valid_email,
    write_message,
)
from .pdf import FontMissing, confirmation_pdf, money, run_texts, statement_pdf, subset_fonts
from .statements import build_statements
from .texts import tr

Progress = Callable[[str], None]


def book_path(wb) -> Path:
    """The workbook's file (file adapter) or full name (live adapter): the journal and spool live beside it."""
    path = getattr(wb, "path", None)
    if path is None:
        book = getattr(wb, "book", None)
        path = Path(getattr(book, "fullname", "") or wb.name)
    return Path(path)


def _audit(wb, action: str, rows_in: int, rows_out: int, message: str, recipients: str = "") -> pd.DataFrame:
    """The run's access-log row (machine, verb, hashes, recipients: xlfin.app.access_log)."""
    from xlfin.app.access_log import audit_row

    return pd.DataFrame([audit_row(wb, action, rows_in, rows_out, message[:500], recipients=recipients)])


# ---------------------------------------------------------------- statements and confirmations


@dataclass
class StatementSummary:
    kind: str
    documents: list[dict] = field(default_factory=list)
    queued: int = 0
    no_email: list[str] = field(default_factory=list)
    out_dir: str = ""
    output: str | None = None
    seconds: float = 0.0
    language: str = "en"

    def as_dict(self) -> dict:
        return {"language": self.language, "kind": self.kind, "documents": self.documents, "queued": self.queued, "no_email": self.no_email,
                "out_dir": self.out_dir, "output": self.output, "seconds": round(self.seconds, 3)}


def statements(wb, out_dir: Path, *, customers: list[str] | None = None, confirmation: bool = False,
               start: dt.date | None = None, as_of: dt.date | None = None, output: Path | None = None,
               queue: bool = True, progress: Progress | None = None) -> StatementSummary:
    """Write one HTML and one PDF per customer, queue an e-mail for each customer with a valid address."""
    from xlfin.app.operations import Run

    started = time.perf_counter()
    progress = progress or (lambda _m: None)
    run = Run(wb, as_of=as_of, progress=progress)
    kind = "confirmation" if confirmation else "statement"
    lang, s = run.lang, run.settings
    begin = start or run.as_of.replace(day=1)
    if begin > run.as_of:
        raise WorkbookError(f"--from {begin} is after the as-of date {run.as_of}")
    summary_frame, detail = run.aging
    known = set(run.frames["customers"]["customer_id"].astype(str))
    unknown = [c for c in customers or [] if c not in known]
    if unknown:
        raise WorkbookError(f"--customer {', '.join(unknown)}: not in Customers")
    docs = build_statements(run.frames["customers"], run.open_items, run.frames["payments"],
                            run.reconciliation.allocations, run.reconciliation.unapplied, summary_frame, detail,
                            schema.aging_bucket_labels(s.aging_edges), begin, run.as_of, s.base_currency,
                            only=customers or None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = StatementSummary(kind, out_dir=str(out_dir), language=lang)
    items: list[Queued] = []
    try:
        fonts = subset_fonts(run_texts(docs, lang, s.company_name)) if docs else None
    except FontMissing as exc:
        raise WorkbookError(str(exc)) from exc
    for n, st in enumerate(docs, start=1):
        progress(f"{kind} {n}/{len(docs)}")
        stem = f"{kind}_{_safe(st.customer_id)}_{run.as_of:%Y%m%d}"
        html = render_html(st, kind, lang, s.company_name)
        (out_dir / f"{stem}.html").write_text(html, encoding="utf-8")
        pdf = (confirmation_pdf if confirmation else statement_pdf)(st, lang, s.company_name, out_dir / f"{stem}.pdf",
                                                                    fonts)
        result.documents.append({"customer_id": st.customer_id, "closing": st.closing / 100, "currency": st.currency,
                                 "pdf": str(pdf)})
        if not valid_email(st.email):
            result.no_email.append(st.customer_id)
            continue
        mid = message_id(book_path(wb).name, st.customer_id, kind, run.as_of, sender_domain(s.sender_email))
        subject = tr(f"mail_{kind}_subject", lang, customer=st.name, date=run.as_of.isoformat())
        body = tr(f"mail_{kind}_body", lang, contact=st.contact or st.name, date=run.as_of.isoformat(),
                  amount=f"{st.currency} {money(st.closing)}", company=s.company_name)
        msg = _message(mid, subject, body, html, st.email, st.name, [pdf])
        items.append(Queued(mid, st.customer_id, kind, st.email, subject, write_message(msg, out_dir / f"{stem}.eml")))
    if queue:
        frame, result.queued = add_queued(read_outbox(wb), items, dt.datetime.now())
        stage_outbox(wb, Journal(journal_path(book_path(wb))).merge_into(frame), lang)
    wb.append_rows(schema.AUDIT, _audit(wb, kind + "s", len(docs), len(docs),
                                        f"{len(docs)} documents, {result.queued} queued, "
                                        f"{len(result.no_email)} without e-mail",
                                        recipients="; ".join(f"{q.customer_id} <{q.to}>" for q in items)), lang)
    progress("save")
    written = wb.commit(output)
    result.output = str(written) if written else None
    result.seconds = time.perf_counter() - started
    return result


def _safe(customer_id: str) -> str:
    from xlfin.outreach.letters import safe_file_stem

    return safe_file_stem(customer_id)


def _message(mid: str, subject: str, body: str, html: str, to: str, to_name: str,
             attachments: list[Path]) -> EmailMessage:
    msg = EmailMessage()
    msg["Message-ID"] = mid
    msg["Subject"] = " ".join(subject.split())
    msg["To"] = Address(display_name=" ".join(to_name.split()), addr_spec=to.strip())
    msg.set_content(body)
    msg.add_alternative(html, subtype="html")
    for path in attachments:
        msg.add_attachment(path.read_bytes(), maintype="application", subtype="pdf", filename=path.name)
    return msg


# ---------------------------------------------------------------- dunning letters


def queue_dunning(wb, letters: Mapping[str, object], notices: pd.DataFrame, as_of: dt.date, settings,
                  lang, final: Mapping[str, Path] | None = None) -> int:
    """Queue every dunning letter that has an e-mail address (its .eml from the letters run), once per as-of.

    `final`: where each .eml will be once the run is saved (letters are rendered into a staging folder first)."""
    items: list[Queued] = []
    emails = dict(zip(notices["customer_id"].astype(str), notices.get("email", pd.Series(dtype=object))))
    for cid, files in letters.items():
        to = str(emails.get(str(cid)) or "").strip()
        if not valid_email(to):
            continue
        mid = message_id(book_path(wb).name, str(cid), "dunning", as_of, sender_domain(settings.sender_email))
        subject = str(read_message(files.eml)["Subject"] or "")
        # the letter's own .eml is what is sent: `send` sets From, Date and this Message-ID and drops X-Unsent
        items.append(Queued(mid, str(cid), "dunning", to, subject, Path((final or {}).get(cid, files.eml))))
    frame, added = add_queued(read_outbox(wb), items, dt.datetime.now())
    if added:
        stage_outbox(wb, Journal(journal_path(book_path(wb))).merge_into(frame), lang)
    return added


# ---------------------------------------------------------------- sending


@dataclass
class SendSummary:
    sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    left: int = 0
    already_sent: int = 0
    connection_error: str | None = None
    dry_run_files: list[str] = field(default_factory=list)
    output: str | None = None
    language: str = "en"

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.left or self.connection_error else 0

    def as_dict(self) -> dict:
        return {"language": self.language, "sent": self.sent, "failed": self.failed, "left_queued": self.left,
                "already_sent": self.already_sent, "connection_error": self.connection_error,
                "dry_run_files": self.dry_run_files, "output": self.output}


def pending(frame: pd.DataFrame, journal: Journal, kind: str | None, limit: int | None) -> list[Queued]:
    out = []
    for r in frame.itertuples(index=False):
        mid = str(r.message_id)
        if r.status == "sent" or journal.is_sent(mid) or (kind and r.kind != kind):
            continue
        out.append(Queued(mid, str(r.customer_id), str(r.kind), str(r.to or ""), str(r.subject or ""),
                          Path(str(r.file or ""))))
    return out[:limit] if limit is not None else out


def send(wb, *, kind: str | None = None, dry_run: bool = False, limit: int | None = None,
         dry_run_dir: Path | None = None, output: Path | None = None, progress: Progress | None = None,
         connector=None) -> SendSummary:
    """Send what is queued and not yet sent; bring the Outbox sheet up to date from the journal; commit."""
    from .smtp_send import SendConfigError, check_config, deliver, prepare

    progress = progress or (lambda _m: None)
    settings = wb.read_config()[0]
    lang = settings.language
    journal = Journal(journal_path(book_path(wb)))
    frame = read_outbox(wb)
    summary = SendSummary(language=lang)
    summary.already_sent = int(sum(1 for r in frame.itertuples() if r.status == "sent" or journal.is_sent(r.message_id)))
    todo = pending(frame, journal, kind, limit)
    if dry_run:
        folder = Path(dry_run_dir or book_path(wb).with_name(book_path(wb).stem + "-dry-run"))
        folder.mkdir(parents=True, exist_ok=True)
        for item in todo:
            msg = prepare(item, settings) if settings.sender_email else read_message(item.file)
            name = f"{item.kind}_{_safe(item.customer_id)}.eml"
            summary.dry_run_files.append(str(write_message(msg, folder / name)))
        return summary
    try:
        check_config(settings)
    except SendConfigError as exc:
        raise WorkbookError(str(exc)) from exc
    if todo:
        result = deliver(todo, settings, journal, progress, connector)
        summary.sent, summary.failed = len(result.sent), result.failed
        summary.left, summary.connection_error = len(result.left), result.connection_error
    updated = journal.merge_into(frame)
    stage_outbox(wb, updated, lang)
    recipients = ", ".join(sorted({i.to for i in todo if i.message_id in set(result.sent)})) if todo else ""
    wb.append_rows(schema.AUDIT, _audit(wb, "send", len(todo), summary.sent,
                                        f"sent {summary.sent}, failed {len(summary.failed)}", recipients=recipients), lang)
    progress("save")
    written = wb.commit(output)
    summary.output = str(written) if written else None
    return summary
